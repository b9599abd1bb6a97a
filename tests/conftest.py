from __future__ import annotations

from pathlib import Path

import pytest

from cleaner import Cleaner

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def write_pack(tmp_path: Path):
    """Write a rule pack to a temp file and return its path."""

    def write(body: str, name: str = "pack.toml") -> Path:
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        return path

    return write


#: One rule, for tests of the machinery around rules (I/O, pipeline): AP photo credits.
CREDIT_PACK = r"""
[pack]
id = "t"
description = "test pack: AP photo credits"

[[rule]]
id = "credit"
kind = "span"
pattern = '\s?\(AP Photo/[^()\n]{1,60}\)'
requires = ["AP Photo/"]
guard = false
"""


@pytest.fixture(scope="session")
def credit_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pack") / "t.toml"
    path.write_text(CREDIT_PACK, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def cleaner(credit_pack: Path) -> Cleaner:
    """A cleaner with only the credit pack (modules with their own ``cleaner`` override it)."""
    return Cleaner.load([credit_pack], default_rules=False)
