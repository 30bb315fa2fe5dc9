"""The pages: plain HTML files under ``templates/`` with their scripts and styles under ``static/``.

Pages hold no tariff logic: each script calls the API and lays out what it answers.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse, RedirectResponse

TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(include_in_schema=False)
PAGES = {
    "/": "lookup.html",
    "/batch": "batch.html",
    "/law": "law.html",
    "/changes": "changes.html",
    "/docs": "docs.html",
}


def _page(name: str):
    def serve() -> FileResponse:
        return FileResponse(TEMPLATES / name, media_type="text/html")

    return serve


for _path, _name in PAGES.items():
    router.add_api_route(_path, _page(_name), methods=["GET"], name=_name.removesuffix(".html"))


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    return RedirectResponse("/static/favicon.svg")
