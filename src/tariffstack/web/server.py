"""``tariffstack serve``: the web app under uvicorn, bound to loopback unless told otherwise."""

from __future__ import annotations

import sys

import uvicorn

from tariffstack.settings import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    settings: Settings | None = None,
    all_cpus: bool = False,
) -> None:
    """Load the engine once, print the URL, serve until interrupted. The process's threads run on
    one CPU except while a batch file or a scenario runs (:mod:`tariffstack.web.affinity`), unless
    ``all_cpus``."""
    from tariffstack.api import Engine
    from tariffstack.web.affinity import Affinity
    from tariffstack.web.app import create_app

    affinity = Affinity(narrow=not all_cpus)
    app = create_app(Engine(settings), affinity=affinity)
    affinity.start()  # after the engine's warm-up: Polars' threads exist and are moved too
    shown = f"[{host}]" if ":" in host else host
    sys.stderr.write(f"tariffstack web app: http://{shown}:{port}/  (API docs: http://{shown}:{port}/docs)\n")
    sys.stderr.flush()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
