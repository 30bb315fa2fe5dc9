"""Download the official USITC HTS JSON files, one per revision, into the layout the importer reads.

USITC publishes each revision's full schedule as JSON. The release list
(``https://hts.usitc.gov/reststop/releaseList``) names the releases (``2025HTSRev4``,
``2026HTSBasic``, …); each release's JSON is fetched from a URL template. Both URLs are settings
(``--release-list``, ``--file-url``) because USITC has moved them before, and both accept
``file://`` URLs, which is how the downloader is tested without the network.

Files are written as ``hts_<year>_<basic|rev_N>.json.gz``, the names the store builder expects,
after checking that the payload is a JSON list of HTS rows. Existing files are kept unless
``force`` is set.
"""

from __future__ import annotations

import gzip
import json
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tariffstack.hts.revisions import RELEASE_DATES_FILE

RELEASE_LIST_URL = "https://hts.usitc.gov/reststop/releaseList"
FILE_URL_TEMPLATE = "https://hts.usitc.gov/reststop/getRelease?release={release}&format=JSON"
_RELEASE = re.compile(r"^(\d{4})HTS(Basic|Rev(\d+))$")
USER_AGENT = "tariffstack-downloader/0.1 (+https://hts.usitc.gov)"


class DownloadError(RuntimeError):
    """A release list or file that could not be fetched or is not an HTS JSON export."""


@dataclass(frozen=True)
class Release:
    name: str  # USITC's release name, e.g. 2025HTSRev4
    year: int
    number: int  # 0 for the Basic edition
    start_date: str | None = None  # YYYY-MM-DD when the release list gives one

    @property
    def key(self) -> str:
        return f"{self.year}_basic" if self.number == 0 else f"{self.year}_rev_{self.number}"

    @property
    def file_name(self) -> str:
        label = "basic" if self.number == 0 else f"rev_{self.number}"
        return f"hts_{self.year}_{label}.json.gz"


def parse_release(name: str, start_date: str | None = None) -> Release | None:
    match = _RELEASE.match(name.strip())
    if not match:
        return None
    day = start_date[:10] if start_date and re.match(r"^\d{4}-\d{2}-\d{2}", start_date) else None
    return Release(name.strip(), int(match.group(1)), int(match.group(3) or 0), day)


def _fetch(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except OSError as exc:
        raise DownloadError(f"could not fetch {url}: {exc}") from exc


def list_releases(url: str = RELEASE_LIST_URL, timeout: float = 60) -> list[Release]:
    """Releases named in the USITC release list (objects with a ``name`` field, or plain strings)."""
    try:
        payload = json.loads(_fetch(url, timeout))
    except json.JSONDecodeError as exc:
        raise DownloadError(f"{url}: the release list is not JSON ({exc})") from exc
    items = payload if isinstance(payload, list) else payload.get("releases", [])
    pairs = [
        (item.get("name", ""), item.get("releaseStartDate") or item.get("startDate"))
        if isinstance(item, dict)
        else (str(item), None)
        for item in items
    ]
    releases = {r.name: r for n, d in pairs if (r := parse_release(n, d))}
    return sorted(releases.values(), key=lambda r: (r.year, r.number))


def validate_payload(data: bytes, source: str) -> list[dict]:
    """The payload must be a JSON list of objects carrying ``htsno`` and ``indent``."""
    try:
        rows = json.loads(data)
    except json.JSONDecodeError as exc:
        raise DownloadError(f"{source}: not JSON ({exc})") from exc
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows[:100]):
        raise DownloadError(f"{source}: expected a JSON list of HTS rows")
    if not {"htsno", "indent", "general"} <= set(rows[0]):
        raise DownloadError(f"{source}: rows lack htsno/indent/general; not an HTS export")
    return rows


def download(
    dest: Path,
    *,
    years: set[int] | None = None,
    release_list_url: str = RELEASE_LIST_URL,
    file_url_template: str = FILE_URL_TEMPLATE,
    force: bool = False,
    timeout: float = 120,
) -> list[Path]:
    """Fetch every release (of ``years``, default 2025 on) into ``dest``; return the files written."""
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    releases = list_releases(release_list_url, timeout)
    dates_path = dest / RELEASE_DATES_FILE
    dates = json.loads(dates_path.read_text()) if dates_path.exists() else {}
    dates.update({r.key: r.start_date for r in releases if r.start_date})
    dates_path.write_text(json.dumps(dict(sorted(dates.items())), indent=1) + "\n")
    for release in releases:
        if (years and release.year not in years) or (not years and release.year < 2025):
            continue
        target = dest / release.file_name
        if target.exists() and not force:
            continue
        url = file_url_template.format(release=release.name, year=release.year, number=release.number)
        data = _fetch(url, timeout)
        validate_payload(data, url)
        tmp = target.with_suffix(".tmp")
        with gzip.open(tmp, "wb") as handle:
            handle.write(data)
        tmp.replace(target)
        written.append(target)
    return written
