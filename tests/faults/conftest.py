from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultkit import LEDGER_ENV, Ledger


@pytest.fixture(scope="session")
def ledger() -> Iterator[Ledger]:
    """Every fault the run injects; saved at the end when CLEANER_FAULT_LEDGER names a file."""
    book = Ledger()
    yield book
    if os.environ.get(LEDGER_ENV):
        book.save(Path(os.environ[LEDGER_ENV]))
