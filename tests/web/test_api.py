"""The HTTP API over a real uvicorn server: every endpoint, with real numbers from the legal sources,
and bad input of every kind answered 4xx as problem+json naming the field (never 5xx, never a trace)."""

from __future__ import annotations

import json
import os

import httpx
import pytest

from tariffstack.api import Engine
from tariffstack.web.api import MAX_BODY_BYTES, MAX_LINES
from web.helpers import problem

DENIM_AUG_2025 = {"hts": "6203.42.4511", "origin": "CA", "entry_date": "2025-08-01", "value": "100000"}
ORANGE_JUICE_CA = {
    "importing_country": "CA",
    "hts": "2009.12.00",
    "origin": "US",
    "entry_date": "2025-03-20",
    "value": "100000",
    "spi": "UST",
}


# ---- /healthz, /openapi.json, /docs --------------------------------------------------------


def test_healthz(client: httpx.Client, engine: Engine) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["measures"] == len(engine.law.measures)
    assert body["limits"] == {"max_lines": MAX_LINES, "max_body_bytes": MAX_BODY_BYTES}
    assert body["cpus"] == sorted(os.sched_getaffinity(0))  # an app inside another process moves no thread


def test_openapi_documents_every_endpoint_and_problem_answers(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/v1/calculate",
        "/v1/hts/search",
        "/v1/products/{hts}/facts",
        "/v1/timeline",
        "/v1/measures",
        "/v1/measures/{measure_id}",
        "/v1/changes",
        "/healthz",
    ):
        assert path in spec["paths"], path
    search = spec["paths"]["/v1/hts/search"]["get"]
    assert "application/problem+json" in search["responses"]["422"]["content"]
    body = spec["paths"]["/v1/calculate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    line, many = body["oneOf"]
    assert line["additionalProperties"] is False and set(line["required"]) == {
        "hts",
        "origin",
        "entry_date",
        "value",
    }
    assert many["maxItems"] == MAX_LINES


def test_pages_are_served_and_load_nothing_from_another_host(client: httpx.Client) -> None:
    for page in ("/", "/batch", "/law", "/changes", "/docs"):
        response = client.get(page)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        for marker in ('src="http', "src='http", 'href="http', "cdn"):
            assert marker not in response.text.lower(), (page, marker)
    for asset in ("common.js", "lookup.js", "timeline.js", "law.js", "changes.js", "batch.js", "docs.js"):
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200 and "javascript" in response.headers["content-type"]
        text = response.text.replace("http://www.w3.org/2000/svg", "")  # the SVG namespace, not a load
        assert "http://" not in text and "https://" not in text, asset
    assert client.get("/static/app.css").status_code == 200


# ---- POST /v1/calculate ----------------------------------------------------------------------


def test_calculate_one_line_gives_the_contract(client: httpx.Client, engine: Engine) -> None:
    response = client.post("/v1/calculate", json=DENIM_AUG_2025)
    assert response.status_code == 200
    [result] = response.json()
    # GC03b of the law timeline: MFN 16.6% + IEEPA 35% (EO 14325) on 1 Aug 2025; the IEEPA part is void.
    assert result["total_duty"] == "51600.00"
    assert result["owed_duty"] == "16600.00"
    assert result["headings"] == ["9903.01.10", "9903.01.26"]
    assert response.json() == json.loads(json.dumps(engine.calc([DENIM_AUG_2025])))


def test_calculate_both_directions_in_one_request(client: httpx.Client, engine: Engine) -> None:
    rows = [DENIM_AUG_2025, ORANGE_JUICE_CA]
    response = client.post("/v1/calculate", json=rows)
    us, ca = response.json()
    assert us["total_duty"] == "51600.00"
    # GC25a: U.S. orange juice into Canada on 20 Mar 2025 pays the 25% surtax of SOR/2025-66.
    assert ca["total_duty"] == "25000.00" and ca["headings"] == ["SOR/2025-66"]
    assert response.json() == json.loads(json.dumps(engine.calc(rows)))


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({**DENIM_AUG_2025, "colour": "blue"}, "colour"),  # unknown field
        ({**DENIM_AUG_2025, "value": True}, "value"),  # wrong type
        ({**DENIM_AUG_2025, "value": "12.345"}, "value"),
        ({**DENIM_AUG_2025, "value": "\u0663"}, "value"),  # a Unicode digit (was a 500)
        ({**DENIM_AUG_2025, "quantity": "\uff11", "unit": "kg"}, "quantity"),
        ({**DENIM_AUG_2025, "donation": "yes"}, "donation"),
        ({**DENIM_AUG_2025, "hts": "9999.99.9999"}, "hts"),  # unknown code
        ({**DENIM_AUG_2025, "hts": "abc"}, "hts"),
        ({**DENIM_AUG_2025, "entry_date": "2024-12-31"}, "entry_date"),  # out of range
        ({**DENIM_AUG_2025, "entry_date": "2025-02-30"}, "entry_date"),
        ({k: v for k, v in DENIM_AUG_2025.items() if k != "origin"}, "origin"),
        ("not an object", "line"),
    ],
)
def test_calculate_bad_line_comes_back_with_its_error(client: httpx.Client, line: object, field: str) -> None:
    """A bad line is answered in the contract (as ``tariffstack calc`` and batch do): its place kept,
    the field named; the good line beside it is still computed."""
    response = client.post("/v1/calculate", json=[line, DENIM_AUG_2025])
    assert response.status_code == 200
    bad, good = response.json()
    assert bad["error"]["field"] == field, bad["error"]
    assert bad["total_duty"] is None
    assert good["total_duty"] == "51600.00"


def test_calculate_malformed_json(client: httpx.Client) -> None:
    response = client.post(
        "/v1/calculate", content=b'{"hts": "6203', headers={"content-type": "application/json"}
    )
    body = problem(response, 400, "body")
    assert "malformed JSON" in body["detail"]


def test_calculate_wrong_media_type(client: httpx.Client) -> None:
    response = client.post("/v1/calculate", content=b"hts=1", headers={"content-type": "text/plain"})
    assert problem(response, 415, "content-type")["value"] == "text/plain"


@pytest.mark.parametrize("payload", [b"42", b'"lines"', b"null", b"[]"])
def test_calculate_body_must_be_lines(client: httpx.Client, payload: bytes) -> None:
    response = client.post("/v1/calculate", content=payload, headers={"content-type": "application/json"})
    problem(response, 422, "body")


def test_calculate_too_many_lines(client: httpx.Client) -> None:
    body = problem(client.post("/v1/calculate", json=[DENIM_AUG_2025] * (MAX_LINES + 1)), 413, "body")
    assert str(MAX_LINES) in body["detail"]


def test_calculate_huge_body_refused_before_reading(client: httpx.Client) -> None:
    huge = b"[" + b" " * (MAX_BODY_BYTES + 10) + b"]"
    body = problem(
        client.post("/v1/calculate", content=huge, headers={"content-type": "application/json"}), 413, "body"
    )
    assert body["limit_bytes"] == MAX_BODY_BYTES


def test_calculate_huge_chunked_body_refused(client: httpx.Client) -> None:
    def chunks():
        yield b"["
        for _ in range(40):
            yield b" " * 65536
        yield b"]"

    response = client.post("/v1/calculate", content=chunks(), headers={"content-type": "application/json"})
    problem(response, 413, "body")


# ---- GET /v1/hts/search ------------------------------------------------------------------------


def test_search_by_code_prefix_dotted_or_not(client: httpx.Client) -> None:
    dotted = client.get("/v1/hts/search", params={"q": "7306.30.50", "date": "2025-08-10"}).json()
    plain = client.get("/v1/hts/search", params={"q": "73063050", "date": "2025-08-10"}).json()
    assert dotted["results"] == plain["results"]
    assert [r["hts"] for r in dotted["results"]][:2] == ["7306.30.5010", "7306.30.5015"]
    assert dotted["revision"] == "2025_rev_18"


def test_search_by_words_ranks_leaf_matches_first(client: httpx.Client) -> None:
    body = client.get(
        "/v1/hts/search", params={"q": "denim trousers", "date": "2025-08-01", "limit": 50}
    ).json()
    codes = [r["hts"] for r in body["results"]]
    assert "6203.42.4511" in codes
    assert all("denim" in r["path"].lower() and "trousers" in r["path"].lower() for r in body["results"])
    assert len(codes) <= 50 and body["total"] >= len(codes)


def test_search_canada(client: httpx.Client) -> None:
    body = client.get("/v1/hts/search", params={"q": "2009.12", "country": "CA"}).json()
    assert body["results"][0]["hts"] == "2009.12.00"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "q"),
        ({}, "q"),
        ({"q": "..."}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "steel", "date": "2024-12-31"}, "date"),
        ({"q": "steel", "date": "2025-13-01"}, "date"),
        ({"q": "steel", "country": "MX"}, "country"),
        ({"q": "steel", "limit": 0}, "limit"),
        ({"q": "steel", "limit": "many"}, "limit"),
    ],
)
def test_search_bad_input(client: httpx.Client, params: dict, field: str) -> None:
    problem(client.get("/v1/hts/search", params=params), 422, field)


# ---- GET /v1/products/{hts}/facts --------------------------------------------------------------


def _fields(body: dict) -> dict[str, dict]:
    return {f["field"]: f for f in body["facts"]}


def test_facts_of_a_steel_article_ask_the_steel_content(client: httpx.Client) -> None:
    body = client.get("/v1/products/7306.30.5010/facts", params={"date": "2025-08-10"}).json()
    facts = _fields(body)
    # Proc. 10947 cl. 6: chapter 73 articles pay on the steel content (base kind steel_value of 9903.81.87).
    assert facts["steel_value"]["kind"] == "money"
    assert {"heading": "9903.81.87", "why": "base: steel_value"}.items() <= facts["steel_value"]["used_by"][
        0
    ].items()
    assert facts["donation"]["kind"] == "boolean"  # EO 14197 sec. 3(b) / 9903.01.11
    assert "aluminum_value" not in facts and "quantity" not in facts
    assert set(body["measures"]) == {"us/ieepa/canada", "us/ieepa/reciprocal", "us/s232/steel"}


def test_facts_follow_the_date(client: httpx.Client) -> None:
    before = _fields(client.get("/v1/products/7306.30.5010/facts", params={"date": "2025-02-01"}).json())
    assert "steel_value" not in before  # no Section 232 on Canadian steel before 12 Mar 2025 (Proc. 10896)


def test_facts_of_softwood_lumber_ask_the_adcvd_case_and_producer(client: httpx.Client) -> None:
    facts = _fields(client.get("/v1/products/4407.11.0001/facts", params={"date": "2025-08-15"}).json())
    assert facts["adcvd_cases"]["options"] == ["A-122-857", "C-122-858"]
    assert facts["producer"]["options"] == ["Canfor", "West Fraser"]
    assert facts["ad_rate"]["kind"] == "percent"


def test_facts_of_a_specific_rate_ask_the_quantity(client: httpx.Client) -> None:
    facts = _fields(client.get("/v1/products/2709.00.2090/facts", params={"date": "2025-05-15"}).json())
    assert facts["quantity"]["unit"] == "bbl" and facts["quantity"]["unit_field"] == "unit"  # 10.5¢/bbl


def test_facts_into_canada(client: httpx.Client) -> None:
    params = {"date": "2025-05-01", "importing_country": "CA", "origin": "US"}
    facts = _fields(client.get("/v1/products/8703.23.00/facts", params=params).json())
    # SOR/2025-118 s. 2(2): CUSMA vehicles pay on A - B, B the Canadian/Mexican content.
    assert facts["ca_mx_content_value"]["used_by"][0]["why"] == "base: value_less_ca_mx_content"
    assert facts["spi"]["options"] == ["UST"]


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/v1/products/7306.30.5011/facts", {"date": "2025-08-10"}, 404, "hts"),
        ("/v1/products/abc/facts", {}, 422, "hts"),
        ("/v1/products/7306.30.5010/facts", {"date": "2024-06-01"}, 422, "date"),
        ("/v1/products/7306.30.5010/facts", {"date": "yesterday"}, 422, "date"),
        ("/v1/products/7306.30.5010/facts", {"origin": "Canada"}, 422, "origin"),
        ("/v1/products/7306.30.5010/facts", {"importing_country": "MX"}, 422, "importing_country"),
        ("/v1/products/9999.99.99/facts", {"importing_country": "CA"}, 404, "hts"),
    ],
)
def test_facts_bad_input(client: httpx.Client, path: str, params: dict, status: int, field: str) -> None:
    body = problem(client.get(path, params=params), status, field)
    if path.startswith("/v1/products/7306.30.5011"):
        assert body["nearest"][0] == "7306.30.5010"


# ---- GET /v1/timeline --------------------------------------------------------------------------


def test_timeline_of_denim_trousers(client: httpx.Client) -> None:
    body = client.get("/v1/timeline", params={"hts": "6203.42.4511", "origin": "CA"}).json()
    points = {p["at"]: p for p in body["points"]}
    # GC01/GC03: MFN 16.6%; +25% IEEPA from 12:01 a.m. 4 Mar 2025 (EO 14197); 35% from 1 Aug 2025
    # (EO 14325); IEEPA ends with Learning Resources (24 Feb 2026), Section 122 10% from 12:01 a.m.
    assert body["points"][0]["total_rate"] == "16.6000"
    assert points["2025-03-04T00:01"]["total_rate"] == "41.6000"
    assert points["2025-08-01T00:01"]["total_rate"] == "51.6000"
    assert points["2026-02-24T00:00"]["total_rate"] == "16.6000"
    assert points["2026-02-24T00:01"]["measures"][0]["heading"] == "9903.03.01"
    events = [e for e in body["events"] if e["at"] == "2025-03-04T00:01"]
    assert events[0]["heading"] == "9903.01.10" and "14197" in events[0]["instrument"]
    assert all(a["at"] < b["at"] for a, b in zip(body["points"], body["points"][1:], strict=False))


def test_timeline_window_and_usmca(client: httpx.Client) -> None:
    params = {"hts": "3923.30.0090", "spi": "S", "from": "2025-03-01", "to": "2025-03-31"}
    body = client.get("/v1/timeline", params=params).json()
    rates = [(p["at"], p["total_rate"]) for p in body["points"]]
    # GC02: a USMCA claim pays IEEPA 25% from Mar 4 until the exemption of 12:01 a.m. 7 Mar 2025 (EO 14231).
    assert rates == [
        ("2025-03-01T00:00", "0.0000"),
        ("2025-03-04T00:01", "25.0000"),
        ("2025-03-07T00:01", "0.0000"),
    ]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({}, 422, "hts"),
        ({"hts": "6203.42.4511", "from": "2024-12-31"}, 422, "from"),
        ({"hts": "6203.42.4511", "to": "2031-01-01"}, 422, "to"),
        ({"hts": "6203.42.4511", "from": "2026-01-01", "to": "2025-06-01"}, 422, "to"),
        ({"hts": "6203.42.4511", "spi": "X"}, 422, "spi"),
        ({"hts": "6203.42.4511", "spi": "UST"}, 422, "spi"),
        ({"hts": "0000.00.0000"}, 404, "hts"),
        ({"hts": "12"}, 422, "hts"),
    ],
)
def test_timeline_bad_input(client: httpx.Client, params: dict, status: int, field: str) -> None:
    problem(client.get("/v1/timeline", params=params), status, field)


# ---- /v1/measures, /v1/changes ---------------------------------------------------------------


def test_measures_list_and_detail(client: httpx.Client, engine: Engine) -> None:
    body = client.get("/v1/measures", params={"date": "2025-09-15"}).json()
    by_id = {m["id"]: m for m in body["measures"]}
    assert set(by_id) == set(engine.law.measures)
    steel = by_id["us/s232/steel"]
    assert "9903.81.87" in steel["headings"] and steel["confidence"] == "H" and steel["lines_in_scope"] > 1000
    detail = client.get("/v1/measures/us/s232/steel").json()
    periods = detail["provisions"][0]["periods"]
    assert periods[0]["from"] == "2025-03-12T00:01" and periods[0]["rate"] == "25%"
    assert periods[0]["url"].startswith("https://")
    assert detail["rules"]
    only_ca = client.get("/v1/measures", params={"country": "CA"}).json()["measures"]
    assert only_ca and all(m["importing_country"] == "CA" for m in only_ca)


def test_measure_unknown(client: httpx.Client) -> None:
    body = problem(client.get("/v1/measures/us/s232/unobtainium"), 404, "measure_id")
    assert "us/s232/steel" in body["known"]


def test_changes_feed(client: httpx.Client) -> None:
    body = client.get("/v1/changes", params={"from": "2025-03-01", "to": "2025-03-31"}).json()
    ieepa = [c for c in body["changes"] if c["heading"] == "9903.01.10" and c["at"] == "2025-03-04T00:01"]
    assert ieepa and ieepa[0]["before"] == "not in force" and ieepa[0]["after"] == "25%"
    assert any(c["kind"] == "rate" and c["importing_country"] == "CA" for c in body["changes"])  # SOR/2025-66
    assert body["count"] == len(body["changes"])
    assert [c["at"] for c in body["changes"]] == sorted(c["at"] for c in body["changes"])
    us_only = client.get(
        "/v1/changes", params={"from": "2025-03-01", "to": "2025-03-31", "country": "US"}
    ).json()
    assert all(c["importing_country"] == "US" for c in us_only["changes"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to": "2025-03-01"}, "from"),
        ({"from": "2025-03-01"}, "to"),
        ({"from": "2024-01-01", "to": "2025-03-01"}, "from"),
        ({"from": "2025-03-01", "to": "2025-02-01"}, "to"),
        ({"from": "March", "to": "2025-02-01"}, "from"),
    ],
)
def test_changes_bad_input(client: httpx.Client, params: dict, field: str) -> None:
    problem(client.get("/v1/changes", params=params), 422, field)


def test_unknown_route_and_method(client: httpx.Client) -> None:
    problem(client.get("/v1/nothing"), 404, "path")
    problem(client.delete("/v1/calculate"), 405, "method")


def test_timeline_of_a_specific_rate_takes_the_quantity(client: httpx.Client) -> None:
    params = {"hts": "2709.00.2090", "from": "2025-01-01", "to": "2025-12-31"}
    problem(client.get("/v1/timeline", params=params), 422, "quantity")
    body = client.get(
        "/v1/timeline", params={**params, "value": "700000", "quantity": "10000", "unit": "bbl"}
    ).json()
    # GC04: 10.5¢/bbl on 10,000 bbl = $1,050 (0.15% of $700,000), + 10% IEEPA energy (9903.01.13) from Mar 4.
    assert [(p["at"], p["total_rate"]) for p in body["points"][:2]] == [
        ("2025-01-01T00:00", "0.1500"),
        ("2025-03-04T00:01", "10.1500"),
    ]
    problem(client.get("/v1/timeline", params={**params, "value": "abc"}), 422, "value")
