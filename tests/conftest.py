"""Shared fixtures. The store must be built first (``make test`` does it); a missing store fails
loudly with the command to run, it never skips."""

from __future__ import annotations

from pathlib import Path

import pytest

from tariffstack.api import Engine
from tariffstack.hts.store import Store
from tariffstack.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env(store_dir=str(ROOT / ".store"))


@pytest.fixture(scope="session")
def store(settings: Settings) -> Store:
    if not (settings.store_dir / "mfn.parquet").exists():
        pytest.fail(
            f"no schedule store at {settings.store_dir}: run `tariffstack build-store` (make test does)"
        )
    return Store(settings.store_dir)


@pytest.fixture(scope="session")
def engine(settings: Settings, store: Store) -> Engine:
    return Engine(settings)
