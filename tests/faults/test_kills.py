"""Kills: SIGKILL, SIGTERM and SIGINT at seeded moments of a real ``cleaner clean`` run, sent
to the command (``-j 1`` and ``-j 2``) or to one of its workers.

After each kill no output is partial (an output either is the complete result or does not
exist), whatever a kill -9 leaves behind is a temp file that no later run takes for data, and
``--resume`` completes the run with outputs byte-identical to an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from faultkit import (
    ROOT,
    Ledger,
    cleaner_command,
    count_documents,
    kill_points,
    outputs,
    partial_outputs,
    run_cleaner,
    temps,
    write_corpus,
)

from cleaner.io import plan_files


@dataclass(frozen=True)
class Corpus:
    directory: Path
    documents: int
    complete: dict[str, bytes]  # what an uninterrupted run writes
    seconds: float  # how long the uninterrupted -j 1 run took


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """About 12 MB of news-like JSONL in six shards, and what an uninterrupted run makes."""
    root = tmp_path_factory.mktemp("kills")
    n = write_corpus(root / "in", files=6, documents_per_file=350, seed=15)
    started = time.monotonic()
    done = run_cleaner("clean", root / "in", "-o", root / "out", "-q")
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    return Corpus(root / "in", n, outputs(root / "out"), seconds)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(c) for c in text.split()]


def _workers(pid: int) -> list[int]:
    """The pool's worker processes (not multiprocessing's resource tracker)."""
    found = []
    for child in _children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"resource_tracker" not in cmdline:
            found.append(child)
    return found


def _wait_for_workers(proc: subprocess.Popen[bytes], deadline: float) -> list[int]:
    while time.monotonic() < deadline and proc.poll() is None:
        workers = _workers(proc.pid)
        if workers:
            return workers
        time.sleep(0.01)
    return []


def _seed(*parts: object) -> int:
    """A kill point's seed: the same on every run (``hash`` of a str is salted per process)."""
    return zlib.crc32("/".join(map(str, parts)).encode())


@dataclass(frozen=True)
class Killed:
    lost: int  # documents missing from the outputs once --resume has run
    partial: int  # outputs present after the kill that were not the complete result
    signalled: bool  # False when the run had ended before the signal


def _kill_and_resume(
    corpus: Corpus, out: Path, jobs: int, signum: int, seed: int, *, worker: bool
) -> Killed:
    """Kill one run at a seeded moment, check what it left, then resume it."""
    rng = random.Random(seed)
    proc = subprocess.Popen(
        cleaner_command("clean", corpus.directory, "-o", out, "-j", jobs, "-q"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, so that nothing it starts outlives it
    )
    try:
        target = proc.pid
        if worker:
            workers = _wait_for_workers(proc, time.monotonic() + 60)
            assert workers, "the run started no workers"
            target = rng.choice(workers)
        time.sleep(rng.uniform(0.05, 0.95) * corpus.seconds)
        signalled = proc.poll() is None
        if signalled:
            with contextlib.suppress(ProcessLookupError):  # a worker may just have exited
                os.kill(target, signum)
        # stderr stays open while any process of the run lives: workers must end too.
        _, stderr = proc.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    # No trace of ours. (After a kill -9 of a worker, multiprocessing's resource tracker may
    # print its own KeyError trace while it cleans up: that is the standard library's.)
    assert b"internal error" not in stderr, stderr.decode()
    assert b"cleaner/" not in stderr.partition(b"Traceback")[2], stderr.decode()
    left = outputs(out)
    # What a kill -9 leaves is a hidden temp file, which no directory scan takes as input.
    assert all(temp.name.startswith(".") for temp in temps(out))
    if left:
        scanned = sorted(Path(job.source).relative_to(out).as_posix() for job in plan_files([out]))
        assert scanned == sorted(left)
    resumed = run_cleaner("clean", corpus.directory, "-o", out, "-q", "--resume", "-j", jobs)
    assert resumed.returncode == 0, resumed.stderr.decode()
    final = outputs(out)
    assert final == corpus.complete  # byte for byte
    lost = corpus.documents - sum(count_documents(data) for data in final.values())
    return Killed(lost, len(partial_outputs(left, corpus.complete)), signalled)


SIGNALS = {"kill -9": signal.SIGKILL, "SIGTERM": signal.SIGTERM, "SIGINT": signal.SIGINT}


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("name", list(SIGNALS))
def test_a_killed_run_leaves_no_partial_output_and_resume_completes_it(
    corpus: Corpus, tmp_path: Path, ledger: Ledger, name: str, jobs: int
) -> None:
    for point in range(kill_points()):
        out = tmp_path / f"out-{point}"
        seed = _seed(name, jobs, point)
        fault = f"{name} to cleaner clean -j {jobs}"
        with ledger.injecting("kills", fault, documents=corpus.documents) as cost:
            killed = _kill_and_resume(corpus, out, jobs, SIGNALS[name], seed, worker=False)
            cost.lost, cost.partial = killed.lost, killed.partial
            assert (killed.partial, killed.lost) == (0, 0)
        shutil.rmtree(out)


@pytest.mark.parametrize("name", ["kill -9", "SIGTERM"])
def test_a_killed_worker_stops_the_run_cleanly_and_resume_completes_it(
    corpus: Corpus, tmp_path: Path, ledger: Ledger, name: str
) -> None:
    for point in range(kill_points()):
        out = tmp_path / f"out-{point}"
        seed = _seed("worker", name, point)
        fault = f"{name} to a worker of -j 2"
        with ledger.injecting("kills", fault, documents=corpus.documents) as cost:
            killed = _kill_and_resume(corpus, out, 2, SIGNALS[name], seed, worker=True)
            cost.lost, cost.partial = killed.lost, killed.partial
            assert (killed.partial, killed.lost) == (0, 0)
        shutil.rmtree(out)
