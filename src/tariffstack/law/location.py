"""Where the law tree the package carries lives.

Kept apart from the loader so that finding the tree (to check the compiled law's snapshot against
it) does not import the YAML reader and the law's model.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def default_law_dir() -> Path:
    return Path(str(resources.files("tariffstack") / "jurisdictions"))
