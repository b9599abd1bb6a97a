"""Quality floors on real scrapes, pinned: runs where ../shared/data exists, skips elsewhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

pytestmark = pytest.mark.skipif(
    not (SHARED_DATA / "news-abp-dev.jsonl.gz").exists(), reason="real data sets not present"
)


def test_default_packs_meet_the_quality_floors_on_real_data():
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.evaluate", "--gate", "--sample", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    gate = run.stdout[run.stdout.find("gate:") :]
    assert run.returncode == 0, gate or run.stdout + run.stderr
    assert "FAIL" not in gate
