"""Where the project reads reference data and keeps its local store.

The reference data (USITC HTS JSON, Chapter 99 notes, change records) lives outside the project; a
developer has it at ``../shared/data`` and a user builds the same with ``tariffstack download``. Both
paths are settings so that nothing in the code assumes the developers' layout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = "../shared/data"
DEFAULT_STORE_DIR = ".store"


@dataclass(frozen=True)
class Settings:
    """Resolved paths. ``sources_dir`` holds the change records (beside ``data`` in the shared layout)."""

    data_dir: Path
    store_dir: Path
    sources_dir: Path

    @classmethod
    def from_env(cls, data_dir: str | None = None, store_dir: str | None = None) -> Settings:
        """Read ``TARIFFSTACK_DATA_DIR``, ``TARIFFSTACK_STORE_DIR`` and ``TARIFFSTACK_SOURCES_DIR``.

        Explicit arguments win over the environment, which wins over the defaults.
        """
        data = Path(data_dir or os.environ.get("TARIFFSTACK_DATA_DIR", DEFAULT_DATA_DIR))
        store = Path(store_dir or os.environ.get("TARIFFSTACK_STORE_DIR", DEFAULT_STORE_DIR))
        sources = Path(os.environ.get("TARIFFSTACK_SOURCES_DIR", str(data.parent / "sources")))
        return cls(data_dir=data, store_dir=store, sources_dir=sources)

    @property
    def hts_dir(self) -> Path:
        return self.data_dir / "hts"

    @property
    def change_records_dir(self) -> Path:
        return self.sources_dir / "hts_change_records"
