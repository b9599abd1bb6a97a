"""`--engine dask`: the command line's runs (clean, check, learn) on a real Dask cluster, with
the outputs of a local run byte for byte, a killed worker's tasks run again, and a clear error
for an unreachable scheduler."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from distributed import Client, LocalCluster

sys.path.insert(0, str(Path(__file__).resolve().parent / "faults"))
from faultkit import ROOT, cleaner_command, outputs, run_cleaner, write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dask-engine")
    write_corpus(root / "in", files=3, documents_per_file=400, seed=43)
    return root / "in"


def _report(path: Path) -> dict:
    """A --report without its timings (the only part two runs may differ in)."""
    report = json.loads(path.read_text())
    report.pop("timings")
    for stats in report["files"].values():
        stats.pop("seconds")
    return report


def test_clean_on_a_local_cluster_writes_what_a_local_run_writes(
    corpus: Path, tmp_path: Path
) -> None:
    written = {}
    for engine, extra in (("local", ["-j", "1"]), ("dask", ["--engine", "dask"])):
        out = tmp_path / engine
        done = run_cleaner(
            "clean", corpus, "-o", out / "clean", "--report", out / "report.json",
            "--spans", out / "spans.jsonl", *extra,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        written[engine] = out
    assert "dask: 2 worker(s) at a LocalCluster; dashboard http" in done.stderr.decode()
    local, dask = written["local"], written["dask"]
    assert outputs(dask / "clean") == outputs(local / "clean")
    assert (dask / "spans.jsonl").read_bytes() == (local / "spans.jsonl").read_bytes()
    assert _report(dask / "report.json") == _report(local / "report.json")


def test_check_on_a_local_cluster_finds_what_a_local_run_finds(corpus: Path) -> None:
    local = run_cleaner("check", corpus, "-q")
    dask = run_cleaner("check", corpus, "-q", "--engine", "dask")
    assert local.returncode == dask.returncode == 1
    assert dask.stdout == local.stdout and local.stdout


def test_learn_on_a_local_cluster_writes_the_packs_a_local_run_writes(
    corpus: Path, tmp_path: Path
) -> None:
    for engine, extra in (("local", ["-j", "1"]), ("dask", ["--engine", "dask"])):
        out = tmp_path / engine
        done = run_cleaner(
            "learn", corpus, "-o", out / "packs", "--report", out / "learned.json", *extra
        )
        assert done.returncode == 0, done.stderr
    local, dask = outputs(tmp_path / "local"), outputs(tmp_path / "dask")
    assert len([name for name in local if name.endswith(".toml")]) >= 3
    assert dask == local


def test_an_unreachable_scheduler_is_exit_2_not_a_hang(corpus: Path, tmp_path: Path) -> None:
    # The connect timeout is 5 s; run_cleaner's own timeout would catch a hang.
    done = run_cleaner(
        "clean", corpus, "-o", tmp_path / "out", "--engine", "dask", "--scheduler",
        "tcp://127.0.0.1:9",
    )  # fmt: skip
    stderr = done.stderr.decode()
    assert done.returncode == 2, stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in stderr
    assert "--scheduler or CLEANER_DASK_SCHEDULER" in stderr
    assert not (tmp_path / "out").exists()


def test_a_scheduler_without_the_dask_engine_is_a_usage_error(corpus: Path, tmp_path: Path):
    done = run_cleaner("clean", corpus, "-o", tmp_path / "o", "--scheduler", "tcp://x:1")
    assert done.returncode == 2 and b"--scheduler goes with --engine dask" in done.stderr


@pytest.fixture
def cluster() -> Iterator[tuple[str, Client]]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as local,
        Client(local) as client,
    ):
        yield local.scheduler_address, client


def test_a_worker_killed_mid_run_has_its_tasks_run_again(
    tmp_path: Path, cluster: tuple[str, Client]
) -> None:
    address, client = cluster
    write_corpus(tmp_path / "in", files=6, documents_per_file=1500, seed=47)
    expected = run_cleaner("clean", tmp_path / "in", "-o", tmp_path / "local", "-q")
    assert expected.returncode == 0, expected.stderr
    process = subprocess.Popen(
        cleaner_command("clean", tmp_path / "in", "-o", tmp_path / "dask", "--engine", "dask",
                        "--scheduler", address, "--report", tmp_path / "report.json"),
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )  # fmt: skip
    assert process.stderr is not None
    process.stderr.readline()  # "dask: 2 worker(s) at ...": the run has joined the cluster
    deadline = time.monotonic() + 60
    while not client.processing() or not any(client.processing().values()):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.01)
    busy = next(w for w, tasks in client.processing().items() if tasks)
    os.kill(client.run(os.getpid, workers=[busy])[busy], signal.SIGKILL)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr.decode()
    assert outputs(tmp_path / "dask") == outputs(tmp_path / "local")
    # Each document counted once, though some were cleaned twice.
    assert json.loads((tmp_path / "report.json").read_text())["documents"]["read"] == 9000


def _length_of(_cleaner: object, item: int, table: frozenset[int]) -> int:
    return item + len(table)


def test_big_arguments_of_a_map_reach_every_task(cluster: tuple[str, Client]) -> None:
    from cleaner.pipeline.cluster import SCATTER_BYTES, DaskPool
    from cleaner.pipeline.parts import ReadOnly

    address, _ = cluster
    table = frozenset(range(SCATTER_BYTES))  # pickles far past the threshold: scattered once
    with DaskPool(ReadOnly(), address) as pool:
        results = list(pool.map_ordered(_length_of, ([n] for n in range(8)), table))
    assert results == [([n], [n + len(table)]) for n in range(8)]
