"""`--engine dask`: the command line's runs (clean, check, learn) on a real Dask cluster, with
the outputs of a local run byte for byte, a killed worker's tasks run again, and a clear error
for an unreachable scheduler."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard

pytest.importorskip("distributed")

from distributed import Client, LocalCluster

from cleaner.engine import Cleaner
from cleaner.errors import InputError, OutputError
from cleaner.io import FileJob, plan_files
from cleaner.pipeline import Listeners, RunOptions, run
from cleaner.pipeline.cluster import DaskPool
from cleaner.pipeline.staged import file_parts
from cleaner.report import Report

sys.path.insert(0, str(Path(__file__).resolve().parent / "faults"))
from faultkit import ROOT, cleaner_command, outputs, run_cleaner, temps, write_corpus


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
    assert not temps(tmp_path / "dask")  # the part run again overwrote what the dead one began
    # Each document counted once, though some were cleaned twice.
    assert json.loads((tmp_path / "report.json").read_text())["documents"]["read"] == 9000


def _length_of(_cleaner: object, item: int, table: frozenset[int]) -> int:
    return item + len(table)


def test_big_arguments_of_a_map_reach_every_task(cluster: tuple[str, Client]) -> None:
    from cleaner.pipeline.cluster import SHARED_BYTES, DaskPool
    from cleaner.pipeline.parts import ReadOnly

    address, _ = cluster
    table = frozenset(range(SHARED_BYTES))  # pickles far past the threshold: shared once
    with DaskPool(ReadOnly(), address) as pool:
        results = list(pool.map_ordered(_length_of, ([n] for n in range(8)), table))
    assert results == [([n], [n + len(table)]) for n in range(8)]


# The library's side: workers read and write the corpus themselves.


@pytest.fixture(scope="module")
def shared_cluster() -> Iterator[str]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local.scheduler_address


def _shards(root: Path) -> list[Path]:
    """Files of every kind a worker writes: plain line files big enough to be cut into many
    parts, a compressed shard (one part), a .txt page, an empty file."""
    write_corpus(root, files=2, documents_per_file=300, seed=53)
    shards = [root / "shard-00.jsonl", root / "shard-01.jsonl"]
    zst = root / "small.jsonl.zst"
    zst.write_bytes(
        zstandard.ZstdCompressor().compress(b"".join(shards[0].open("rb").readlines()[:40]))
    )
    page = root / "page.txt"
    page.write_text("A headline\n\nA paragraph.\n© Getty Images\n", encoding="utf-8")
    (root / "empty.jsonl").write_bytes(b"")
    return [*shards, zst, page, root / "empty.jsonl"]


def _plan(sources: list[Path], out: Path) -> list[FileJob]:
    """Each source to ``out``; the first is written gzip-compressed."""
    names = [f"{sources[0].name}.gz", *(s.name for s in sources[1:])]
    return [
        job for s, name in zip(sources, names, strict=True) for job in plan_files([s], out / name)
    ]


def _run(jobs: list[FileJob], pool: DaskPool | None, **options: Any) -> tuple[Report, list]:
    told: list = []
    listeners = Listeners(on_outcome=lambda o: told.append((o.path, o.line, o.changed, o.data)))
    cleaner = pool.cleaner if pool is not None else Cleaner.load()
    settings = RunOptions(pool=pool, block_bytes=1 << 14, **options)
    return run(jobs, cleaner, options=settings, listeners=listeners), told


def _local_outputs(sources: list[Path], out: Path) -> dict[str, bytes]:
    """What a local run writes of ``sources`` (planned as ``_plan`` does) into ``out``."""
    _run(_plan(sources, out), None)
    return outputs(out)


def _counts(report: Report) -> dict:
    as_dict = report.to_dict()
    as_dict.pop("timings")
    for stats in as_dict["files"].values():
        stats.pop("seconds")
    return as_dict


def test_workers_write_what_a_local_run_writes_and_the_client_moves_no_corpus_bytes(
    tmp_path: Path, shared_cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = _shards(tmp_path / "in")
    local, local_told = _run(_plan(sources, tmp_path / "local"), None)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the client read or wrote corpus bytes")

    for module, name in (
        ("cleaner.pipeline.files", "read_blocks"),
        ("cleaner.pipeline.files", "read_range"),
        ("cleaner.pipeline.staged", "read_blocks"),
        ("cleaner.pipeline.staged", "read_range"),
        ("cleaner.pipeline.staged", "staged_writer"),
        ("cleaner.io.atomic.AtomicOutput", "write"),
    ):
        monkeypatch.setattr(f"{module}.{name}", forbidden)
    with DaskPool(Cleaner.load(), shared_cluster) as pool:
        dask, dask_told = _run(_plan(sources, tmp_path / "dask"), pool)
    assert outputs(tmp_path / "dask") == outputs(tmp_path / "local")
    assert len(outputs(tmp_path / "dask")) == 5 and not temps(tmp_path / "dask")
    assert _counts(dask) == _counts(local)
    assert dask_told == local_told and dask.documents_changed > 0


def test_big_files_are_cut_into_parts_put_back_together_in_order(
    tmp_path: Path, shared_cluster: str
) -> None:
    sources = _shards(tmp_path / "in")[:2]
    jobs = _plan(sources, tmp_path / "out")
    parts = file_parts(jobs[0], "t", workers=2, block_bytes=1 << 14)
    assert len(parts) > 4 and {p.compression for p in parts} == {"none"}  # gzip when whole
    with DaskPool(Cleaner.load(), shared_cluster) as pool:
        _run(jobs, pool)
    assert outputs(tmp_path / "out") == _local_outputs(sources, tmp_path / "local")


def test_a_bad_record_in_fail_mode_leaves_no_output_and_nothing_staged(
    tmp_path: Path, shared_cluster: str
) -> None:
    sources = _shards(tmp_path / "in")[:2]
    lines = sources[1].read_bytes().split(b"\n")
    lines[250] = b'{"text": "unterminated'
    sources[1].write_bytes(b"\n".join(lines))
    with DaskPool(Cleaner.load(), shared_cluster) as pool, pytest.raises(InputError) as stop:
        _run(_plan(sources, tmp_path / "out"), pool)
    assert stop.value.line == 251 and stop.value.path.endswith("shard-01.jsonl")
    assert set(outputs(tmp_path / "out")) == {"shard-00.jsonl.gz"}  # finished before it
    assert not temps(tmp_path / "out")


def test_in_skip_mode_a_broken_shard_is_an_error_and_the_others_are_written(
    tmp_path: Path, shared_cluster: str
) -> None:
    sources = _shards(tmp_path / "in")
    broken = tmp_path / "in" / "broken.jsonl.gz"
    broken.write_bytes(gzip.compress(sources[0].read_bytes())[:5000])  # truncated
    planned = _plan([*sources, broken], tmp_path / "out")
    with DaskPool(Cleaner.load(), shared_cluster) as pool:
        report, _ = _run(planned, pool, on_error="skip")
    assert [error.path for error in report.errors] == [str(broken)]
    assert len(outputs(tmp_path / "out")) == 5 and not temps(tmp_path / "out")


def test_an_in_place_fix_that_changes_nothing_leaves_the_file_alone(
    tmp_path: Path, shared_cluster: str
) -> None:
    clean = tmp_path / "clean.jsonl"
    clean.write_text('{"text": "Nothing to remove here."}\n' * 2000, encoding="utf-8")
    os.utime(clean, (1_000_000, 1_000_000))
    with DaskPool(Cleaner.load(), shared_cluster) as pool:
        report, _ = _run(plan_files([clean], in_place=True), pool)
    assert report.documents_read == 2000
    assert clean.stat().st_mtime == 1_000_000 and not temps(tmp_path)


def _worker_pids(client: Client) -> set[int]:
    try:
        return set(client.run(os.getpid).values())
    except Exception:  # a worker going away as it is asked
        return set()


def test_the_cleaner_outlives_the_workers_that_held_it(
    tmp_path: Path, cluster: tuple[str, Client]
) -> None:
    address, client = cluster
    sources = _shards(tmp_path / "in")[:2]
    with DaskPool(Cleaner.load(), address) as pool:
        _run(_plan(sources[:1], tmp_path / "before"), pool)  # the workers hold the cleaner now
        killed = _worker_pids(client)
        for pid in killed:
            os.kill(pid, signal.SIGKILL)  # the nannies start empty workers in their place
        deadline = time.monotonic() + 60
        while (alive := _worker_pids(client)) & killed or len(alive) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        _run(_plan(sources, tmp_path / "dask"), pool)
    assert outputs(tmp_path / "dask") == _local_outputs(sources, tmp_path / "local")


def test_a_run_goes_on_after_its_cluster_is_restarted(
    tmp_path: Path, cluster: tuple[str, Client]
) -> None:
    address, client = cluster
    sources = _shards(tmp_path / "in")[:2]
    with DaskPool(Cleaner.load(), address) as pool:
        client.restart()  # another client's: every worker ends, and what it held goes
        _run(_plan(sources, tmp_path / "dask"), pool)
    assert outputs(tmp_path / "dask") == _local_outputs(sources, tmp_path / "local")


def _limit_file_size(limit: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))


def test_a_worker_that_cannot_write_stops_the_run_naming_the_output(
    tmp_path: Path, cluster: tuple[str, Client]
) -> None:
    address, client = cluster
    sources = _shards(tmp_path / "in")[:2]
    client.run(_limit_file_size, 50_000)  # writes past 50 kB fail with EFBIG on the workers
    with DaskPool(Cleaner.load(), address) as pool, pytest.raises(OutputError) as stop:
        _run(_plan(sources, tmp_path / "out"), pool)
    assert str(stop.value).startswith(str(tmp_path / "out" / "shard-00.jsonl.gz"))
    assert "cannot write the output" in str(stop.value) and "Nothing partial" in str(stop.value)
    assert outputs(tmp_path / "out") == {} and not temps(tmp_path / "out")
