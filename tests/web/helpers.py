"""Assertions shared by the web tests."""

from __future__ import annotations

import httpx

PROBLEM = "application/problem+json"


def problem(response: httpx.Response, status: int, field: str) -> dict:
    """Assert a problem document for ``field`` with ``status``; return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["field"] == field, body
    assert body["detail"].startswith(f"{field}: ")
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body
