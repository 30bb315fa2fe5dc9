"""Batch over HTTP on the real server: upload → job with progress → result file with every row."""

from __future__ import annotations

import csv
import io
import socket
import time
from urllib.parse import urlparse

import httpx
import polars as pl

from tariffstack.web.batch import MAX_UPLOAD_BYTES
from web.helpers import problem

CSV = (
    "sku,hts,origin,entry_date,value\n"
    "E1,6203.42.4511,CA,2025-08-01,100000\n"
    "E2,9999.99.9999,CA,2025-08-01,100\n"
    "E3,3923.30.0090,CA,2025-03-07,100000\n"
)


def _wait(client: httpx.Client, job: dict) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = client.get(job["status_url"]).json()
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"job {job['id']} did not finish")


def test_batch_csv_round_trip(client: httpx.Client) -> None:
    response = client.post("/v1/batch", files={"file": ("lines.csv", CSV.encode(), "text/csv")})
    assert response.status_code == 202
    job = response.json()
    assert job["status"] in ("queued", "running", "done")
    status = _wait(client, job)
    assert status["status"] == "done", status
    assert status["done"] == status["total"] == 3
    summary = status["summary"]
    assert summary["rows_read"] == 3 and summary["computed"] == 2 and summary["errors"] == 1
    assert summary["assessed"] == "79600.00" and "output" not in summary  # 51,600 + 28,000
    result = client.get(status["result_url"])
    assert result.status_code == 200 and result.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(result.text)))
    assert [r["sku"] for r in rows] == ["E1", "E2", "E3"]  # every row, in order
    # GC03b: denim trousers 1 Aug 2025: MFN 16.6% + IEEPA 35%.
    assert rows[0]["total_duty"] == "51600.00"
    assert rows[1]["status"] == "error" and rows[1]["error_field"] == "hts"
    assert rows[2]["total_duty"] == "28000.00"  # no USMCA claim on 7 Mar 2025: MFN 3% + IEEPA 25% (GC02)


def test_batch_parquet_in_xlsx_out(client: httpx.Client, tmp_path) -> None:
    source = tmp_path / "lines.parquet"
    pl.read_csv(io.StringIO(CSV), infer_schema=False).write_parquet(source)
    response = client.post(
        "/v1/batch",
        files={"file": ("lines.parquet", source.read_bytes(), "application/octet-stream")},
        data={"out_format": "xlsx"},
    )
    status = _wait(client, response.json())
    assert status["status"] == "done", status
    result = client.get(status["result_url"])
    target = tmp_path / "out.xlsx"
    target.write_bytes(result.content)
    frame = pl.read_excel(target, infer_schema_length=0)
    assert frame["sku"].to_list() == ["E1", "E2", "E3"]
    assert float(frame["total_duty"].to_list()[0]) == 51600.00


def test_batch_bad_uploads(client: httpx.Client) -> None:
    problem(client.post("/v1/batch", files={"file": ("lines.pdf", b"%PDF", "application/pdf")}), 415, "file")
    problem(client.post("/v1/batch", files={"file": ("lines.csv", b"", "text/csv")}), 422, "file")
    problem(client.post("/v1/batch", data={"out_format": "csv"}), 422, "file")
    problem(
        client.post(
            "/v1/batch", files={"file": ("a.csv", b"hts\n1", "text/csv")}, data={"out_format": "pdf"}
        ),
        422,
        "out_format",
    )
    problem(client.get("/v1/batch/0000000000000000"), 404, "job_id")
    problem(client.get("/v1/batch/0000000000000000/result"), 404, "job_id")


def test_batch_file_without_required_columns_fails_with_the_reason(client: httpx.Client) -> None:
    response = client.post("/v1/batch", files={"file": ("lines.csv", b"colour,size\nblue,3\n", "text/csv")})
    status = _wait(client, response.json())
    assert status["status"] == "failed" and "hts" in status["error"]
    problem(client.get(f"/v1/batch/{status['id']}/result"), 409, "job_id")


def test_upload_over_the_limit_is_refused_before_it_is_read(server: str) -> None:
    """A declared Content-Length over the upload limit is answered 413 at once (nothing is sent)."""
    url = urlparse(server)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(
            (
                "POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                f"Content-Length: {MAX_UPLOAD_BYTES + 1}\r\n\r\n"
            ).encode()
        )
        answer = b""
        while b'"field"' not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        answer = answer.decode()
    assert answer.startswith("HTTP/1.1 413")
    assert "application/problem+json" in answer and '"field":"body"' in answer
