"""End to end in headless Chromium (Debian's ``chromium``, driven by Playwright): a user finds a
product, fills the facts, reads the stack and its total from the page, opens the timeline, browses
the law and the change feed, and (when the batch package is present) uploads a file and downloads
the result. Screenshots are saved under ``test-artefacts/``."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=server, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield tab
    context.close()
    assert not errors, errors


def test_lookup_facts_stack_and_timeline(page: Page, artefacts: Path) -> None:
    page.goto("/")
    page.fill("#entry-date", "2025-08-10")
    page.locator("#q").press_sequentially("7306.30.50", delay=30)  # search as you type
    first = page.locator("#results li").first
    expect(first).to_contain_text("7306.30.5010")
    page.screenshot(path=str(artefacts / "1-search.png"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # keyboard choice
    expect(page.locator("#product-code")).to_have_text("7306.30.5010")
    # The form asks what this product's measures need: the steel content (9903.81.87 base), not aluminum.
    expect(page.locator("#f-steel_value")).to_be_visible()
    expect(page.locator("#f-aluminum_value")).to_have_count(0)
    expect(page.locator("#f-value")).to_be_focused()
    page.fill("#f-value", "100000.001")
    page.click("#calculate")
    expect(page.locator("#f-value-msg")).to_contain_text("at most 2 decimals")  # inline validation
    page.fill("#f-value", "100000")
    page.fill("#f-steel_value", "60000")
    page.keyboard.press("Enter")
    stack = page.locator("#stack")
    expect(stack).to_be_visible()
    # Proc. 10947: 50% on the steel content (30,000); IEEPA 35% (EO 14325) on the rest of the value
    # (Proc. 10947 cl. 5): 14,000, void after Learning Resources v. Trump.
    expect(page.locator('tr[data-heading="9903.81.87"] .amount')).to_contain_text("30,000.00")
    expect(page.locator('tr[data-heading="9903.01.10"] .amount')).to_contain_text("14,000.00")
    expect(page.locator('tr[data-heading="9903.01.10"]')).to_contain_text("refundable")
    expect(page.locator("#total-duty")).to_have_text("44,000.00")
    expect(page.locator("#owed-duty")).to_have_text("30,000.00")
    expect(page.locator("#sum-rate")).to_have_text("44.0000%")
    link = page.locator('tr[data-heading="9903.81.87"] a').first
    expect(link).to_have_attribute(
        "href",
        "https://www.whitehouse.gov/presidential-actions/2025/06/adjusting-imports-of-aluminum-and-steel-into-the-united-states/",
    )
    expect(page.locator("#not-applied details summary").first).to_contain_text("Not yet in force")
    page.screenshot(path=str(artefacts / "2-stack.png"), full_page=True)
    # The timeline was drawn from /v1/timeline with its events.
    timeline = page.locator("#timeline-svg")
    expect(timeline).to_be_visible()
    assert page.locator("#timeline-svg .event-dot").count() >= 3
    page.locator("#timeline-table summary").click()
    expect(page.locator("#timeline-table")).to_contain_text("2025-06-04 00:01")
    page.locator("#timeline").screenshot(path=str(artefacts / "3-timeline.png"))


def test_canada_direction(page: Page) -> None:
    page.goto("/")
    page.select_option("#importing", "CA")
    expect(page.locator("#origin")).to_have_value("US")
    page.fill("#entry-date", "2025-03-20")
    page.locator("#q").press_sequentially("2009.12", delay=30)
    page.locator("#results li").first.click()
    expect(page.locator("#product-code")).to_have_text("2009.12.00")
    page.select_option("#f-spi", "UST")
    page.fill("#f-value", "100000")
    page.click("#calculate")
    # GC25a: SOR/2025-66, 25% surtax on U.S. orange juice, 20 Mar 2025.
    expect(page.locator('tr[data-heading="SOR/2025-66"] .amount')).to_contain_text("25,000.00")
    expect(page.locator("#total-duty")).to_have_text("25,000.00")


def test_law_browser_and_changes(page: Page, artefacts: Path) -> None:
    page.goto("/law")
    page.fill("#law-filter", "232/steel")
    row = page.locator('tr[data-measure="us/s232/steel"]')
    expect(row).to_be_visible()
    row.get_by_role("button", name="Open").click()
    expect(page.locator("tr.detail")).to_contain_text("Proclamation 10896")
    page.screenshot(path=str(artefacts / "4-law.png"))
    page.goto("/changes")
    page.fill("#from", "2025-03-01")
    page.fill("#to", "2025-03-31")
    page.click("text=Show changes")
    expect(page.locator("#changes")).to_contain_text("9903.01.10")
    expect(page.locator("#changes-count")).to_contain_text("2025-03-01")
    page.screenshot(path=str(artefacts / "5-changes.png"))
    page.goto("/docs")
    expect(page.locator("#docs-body")).to_contain_text("/v1/calculate")


def test_batch_upload_and_download(page: Page, artefacts: Path, tmp_path: Path) -> None:
    source = tmp_path / "lines.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "hts", "origin", "entry_date", "value"])
        writer.writerow(["A", "6203.42.4511", "CA", "2025-08-01", "100000"])
        writer.writerow(["B", "9999.99.9999", "CA", "2025-08-01", "100"])
    page.goto("/batch")
    page.set_input_files("#file", str(source))
    page.click("#upload")
    download_link = page.locator("#download")
    expect(download_link).to_be_visible(timeout=60_000)
    with page.expect_download() as info:
        download_link.click()
    target = tmp_path / "result.csv"
    info.value.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [(r["sku"], r["status"]) for r in rows] == [("A", "ok"), ("B", "error")]  # every row comes out
    assert rows[0]["total_duty"] == "51600.00"  # GC03b
    expect(page.locator("#batch-progress-text")).to_contain_text("done: 2 of 2 rows")
    page.screenshot(path=str(artefacts / "6-batch.png"))
