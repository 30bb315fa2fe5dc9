"""Regenerate the README screenshot: the product lookup of a steel pipe on 10 Aug 2025, in Chromium.

tariffstack serve --port 8000 &   # or make run
python scripts/web_screenshot.py --url http://127.0.0.1:8000 --out docs/screenshot.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import expect, sync_playwright


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshot.png"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        page = browser.new_page(base_url=args.url, viewport={"width": 1280, "height": 1000})
        page.goto("/")
        page.fill("#entry-date", "2025-08-10")
        page.locator("#q").press_sequentially("7306.30.50", delay=20)
        page.locator("#results li").first.click()
        expect(page.locator("#f-steel_value")).to_be_visible()
        page.fill("#f-value", "100000")
        page.fill("#f-steel_value", "60000")
        page.click("#calculate")
        expect(page.locator("#total-duty")).to_have_text("44,000.00")
        page.locator("#timeline-svg").wait_for()
        height = page.evaluate(
            "document.querySelector('#result').getBoundingClientRect().bottom + window.scrollY"
        )
        page.set_viewport_size({"width": 1280, "height": int(height) + 20})
        page.screenshot(path=str(args.out), full_page=False)
        browser.close()


if __name__ == "__main__":
    main()
