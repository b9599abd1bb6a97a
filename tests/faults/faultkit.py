"""What the fault tests share: real `cleaner` processes, seeded corpora, and the ledger.

Every test here attacks one promise (documents in = documents out + rejected; outputs appear
whole or not at all) and records each fault it injected with what it cost: documents lost and
outputs left partial. ``benchmarks/reliability.py`` turns a recorded run into the README's
reliability table.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cleaner.io import is_temp

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is not installed with the package
    sys.path.insert(0, str(ROOT))

from benchmarks.corpus import documents  # noqa: E402

#: Where a run writes its ledger (unset: nothing is written; the tests assert all the same).
LEDGER_ENV = "CLEANER_FAULT_LEDGER"
#: How many seeded kill points each kill test tries (the long run sets 7 or more).
KILLS_ENV = "CLEANER_FAULT_KILLS"


def cleaner_command(*args: str | Path) -> list[str]:
    """A real ``cleaner`` process, with no configuration file found by discovery."""
    return [sys.executable, "-m", "cleaner", *map(str, args), "--isolated"]


def run_cleaner(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        cleaner_command(*args), capture_output=True, cwd=ROOT, timeout=300, **kwargs
    )


def write_corpus(directory: Path, *, files: int, documents_per_file: int, seed: int) -> int:
    """News-like JSONL shards (the throughput generator's documents); returns how many."""
    directory.mkdir(parents=True, exist_ok=True)
    stream = documents(seed)
    for n in range(files):
        lines = [json.dumps(next(stream), ensure_ascii=False) for _ in range(documents_per_file)]
        (directory / f"shard-{n:02d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return files * documents_per_file


def count_documents(data: bytes) -> int:
    """Non-blank JSON lines."""
    return sum(1 for line in data.split(b"\n") if line.strip())


def outputs(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` that is not one of the cleaner's temp files."""
    if not directory.exists():
        return {}
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not is_temp(p)
    }


def temps(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and is_temp(p))


def partial_outputs(found: dict[str, bytes], complete: dict[str, bytes]) -> list[str]:
    """Outputs that exist but are not the complete result (missing ones are not partial)."""
    return [name for name, data in found.items() if complete.get(name) != data]


@dataclass
class Fault:
    """One injected fault and what it cost; ``failed`` when any check on it failed."""

    family: str
    fault: str
    documents: int
    lost: int = 0
    partial: int = 0
    failed: bool = False


@dataclass
class Ledger:
    """The faults a test run injected, written as JSON where ``CLEANER_FAULT_LEDGER`` says."""

    faults: list[Fault] = field(default_factory=list)

    @contextlib.contextmanager
    def injecting(self, family: str, fault: str, *, documents: int) -> Iterator[Fault]:
        """Record one fault, whatever happens: the block fills in what it cost, and a check
        that fails in it (or a hang's timeout) marks the fault failed."""
        entry = Fault(family, fault, documents)
        self.faults.append(entry)
        try:
            yield entry
        except BaseException:
            entry.failed = True
            raise

    def save(self, path: Path) -> None:
        entries = sorted((asdict(f) for f in self.faults), key=lambda f: (f["family"], f["fault"]))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"faults": entries}, indent=1) + "\n", encoding="utf-8")


def kill_points() -> int:
    return int(os.environ.get(KILLS_ENV, "2"))
