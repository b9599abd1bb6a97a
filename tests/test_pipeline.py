"""cleaner.pipeline: ordered outcomes, -j N == -j 1, error policies, and whole-file runs."""

from __future__ import annotations

import gc
import gzip
import multiprocessing
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from multiprocessing.queues import SimpleQueue
from pathlib import Path
from typing import Any

import pytest
import zstandard

from cleaner.engine import Cleaner
from cleaner.errors import CleanerError, ConfigError, InputError
from cleaner.io import JsonlCodec, Record, plan_files, read_records
from cleaner.pipeline import (
    Fields,
    Listeners,
    Outcome,
    Rows,
    RunOptions,
    WorkerPool,
    available_cpus,
    resolve_jobs,
    run,
)
from cleaner.pipeline.options import DEFAULT_OPTIONS
from cleaner.pipeline.records import clean_stream
from cleaner.report import Report
from cleaner.types import DEFAULT_FIELDS, CleanResult, Document

N = 3000


@pytest.fixture(scope="module")
def pool(cleaner: Cleaner) -> Iterator[WorkerPool]:
    """Two workers shared by the tests here: starting processes is the slow part."""
    with WorkerPool(cleaner, 2) as workers:
        yield workers


def corpus_line(i: int) -> bytes:
    """Mostly good records, some changed, a few broken in every way a line can break."""
    if i % 211 == 5:
        return b'{"text": "broken' if i % 2 else b'{"title": "no text"}'
    if i % 307 == 9:
        return b'{"text": "latin-1 \xe9"}'
    if i % 101 == 3:
        return b""
    credit = " (AP Photo/Jane Roe)" if i % 7 == 0 else ""
    return (
        f'{{"id": {10**22 + i}, "text": "Story {i} caf\\u00e9{credit} end", "n": {i}.10}}'
    ).encode()


def corpus(n: int = N) -> bytes:
    return b"".join(corpus_line(i) + (b"\r\n" if i % 3 else b"\n") for i in range(n))


def bad_lines(n: int = N) -> list[int]:
    return [i + 1 for i in range(n) if i % 211 == 5 or (i % 307 == 9 and i % 211 != 5)]


def signature(outcomes: object) -> list[tuple[object, ...]]:
    return [(o.line, o.data, o.reason, o.changed) for o in outcomes]  # type: ignore[attr-defined]


# -- clean_stream ---------------------------------------------------------------------------


def test_jobs_2_yields_exactly_what_jobs_1_yields(
    tmp_path: Path, cleaner: Cleaner, pool: WorkerPool
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(corpus())
    one = signature(clean_stream(read_records(src), JsonlCodec(), cleaner, on_error="skip"))
    two = signature(
        clean_stream(
            read_records(src), JsonlCodec(), cleaner, on_error="skip", pool=pool, chunk_records=128
        )
    )
    assert one == two
    assert len(one) == N and [o[0] for o in one] == list(range(1, N + 1))
    assert [o[0] for o in one if o[2] is not None] == bad_lines()
    assert sum(o[3] for o in one) > 300


def test_fail_mode_raises_at_the_first_bad_record_in_input_order(
    tmp_path: Path, cleaner: Cleaner, pool: WorkerPool
) -> None:
    src = tmp_path / "in.jsonl"
    lines = [b'{"text": "ok %d"}' % i for i in range(N)]
    lines[1500] = b'{"text": 1}'
    lines[2900] = b"{"
    src.write_bytes(b"\n".join(lines))
    stream = clean_stream(read_records(src), JsonlCodec(), cleaner, pool=pool, chunk_records=100)
    seen = 0
    with pytest.raises(InputError, match=r"in\.jsonl:1501: field 'text' is a number") as info:
        for _ in stream:
            seen += 1
    assert seen == 1500 and info.value.line == 1501


def test_options_are_checked_before_any_work(cleaner: Cleaner, pool: WorkerPool) -> None:
    with pytest.raises(ConfigError, match="on_error must be one of fail, skip"):
        clean_stream([], JsonlCodec(), cleaner, on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="jobs must be 0"):
        clean_stream([], JsonlCodec(), cleaner, jobs=-1)
    with pytest.raises(ConfigError, match="another cleaner"):
        clean_stream([], JsonlCodec(), Cleaner.load(default_rules=False), pool=pool)
    assert resolve_jobs(0) == available_cpus() >= 1


def test_run_options_are_checked_when_they_are_made(cleaner: Cleaner, pool: WorkerPool) -> None:
    with pytest.raises(ConfigError, match="on_error must be one of fail, skip"):
        RunOptions(on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="jobs must be 0"):
        RunOptions(jobs=-1)
    with pytest.raises(ConfigError, match="another cleaner"):
        run([], Cleaner.load(default_rules=False), options=RunOptions(pool=pool))
    assert RunOptions(jobs=0).workers == available_cpus() and RunOptions(pool=pool).workers == 2


def test_small_inputs_do_not_start_processes(
    cleaner: Cleaner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: WorkerPool) -> None:
        raise AssertionError("a pool was started for a tiny input")

    monkeypatch.setattr(WorkerPool, "_pool", refuse)
    records = [Record("f", i + 1, b'{"text": "a (AP Photo/B C)"}') for i in range(50)]
    out = list(clean_stream(records, JsonlCodec(), cleaner, jobs=2))
    assert [o.data for o in out] == [b'{"text": "a"}'] * 50


def test_blank_lines_pass_through_and_are_not_documents(cleaner: Cleaner) -> None:
    records = [Record("f", 1, b"  "), Record("f", 2, b'{"text": "x"}', b"")]
    out = list(clean_stream(records, JsonlCodec(), cleaner))
    assert [(o.data, o.result is None, o.rejected) for o in out] == [
        (b"  ", True, False),
        (b'{"text": "x"}', False, False),
    ]
    assert out[1].output() == b'{"text": "x"}'


# -- in-memory rows ---------------------------------------------------------------------------


def row_outcomes(
    rows: Rows,
    cleaner: Cleaner,
    fields: Fields = DEFAULT_FIELDS,
    options: RunOptions = DEFAULT_OPTIONS,
) -> tuple[list[Outcome], Report]:
    """Every row's outcome, as listeners hear them, and the run's report."""
    told: list[Outcome] = []
    report = run(rows, cleaner, fields, options, Listeners(told.append))
    return told, report


def texts(outcomes: list[Outcome]) -> list[str | None]:
    return [None if o.result is None else o.result.text for o in outcomes]


def test_rows_in_process_and_on_workers(cleaner: Cleaner, pool: WorkerPool) -> None:
    rows = Rows([{"text": f"Doc {i}" + (" (AP Photo/X Y)" if i % 2 else "")} for i in range(N)])
    one = texts(row_outcomes(rows, cleaner)[0])
    two = texts(row_outcomes(rows, cleaner, options=RunOptions(pool=pool))[0])
    assert one == two == [f"Doc {i}" for i in range(N)]


def test_rows_without_a_string_text_pass_through_and_are_not_counted(cleaner: Cleaner) -> None:
    rows = Rows(
        [
            {"body": "Shot (AP Photo/A B)", "link": "", "id": 7},
            {"body": None},
            {"text": "no body"},
            {"body": float("nan")},
        ],
        "items",
    )
    told, report = row_outcomes(rows, cleaner, Fields(text="body", url="link"))
    assert texts(told) == ["Shot", None, None, None]
    assert [(o.path, o.line) for o in told] == [("items", i) for i in range(1, 5)]
    # Metadata that is not a non-empty string is absent; an id is any value, as text.
    assert told[0].document == Document("Shot (AP Photo/A B)", None, None, "7")
    assert (report.documents_read, report.documents_changed, list(report.files)) == (
        1,
        1,
        ["items"],
    )


def test_rows_from_columns() -> None:
    rows = Rows.from_columns({"text": ["a", "b"], "url": ["https://x.example/", None]}, "batch")
    assert list(rows.items) == [
        {"text": "a", "url": "https://x.example/"},
        {"text": "b", "url": None},
    ]
    with pytest.raises(ValueError, match="columns of different lengths"):
        Rows.from_columns({"text": ["a", "b"], "url": ["u"]})


class _Picky(Exception):
    """An error that cannot be rebuilt from its args (like many custom errors)."""

    def __init__(self, *, why: str) -> None:
        super().__init__(f"picky: {why}")


class BoomCleaner:
    """Fails on documents saying BOOM (ValueError) or PICKY (an error that does not pickle)."""

    def clean_document(self, doc: Document) -> CleanResult:
        if "BOOM" in doc.text:
            raise ValueError("rule exploded")
        if "PICKY" in doc.text:
            raise _Picky(why="no")
        return CleanResult(doc.text)


def test_cleaner_bugs_propagate_from_workers_with_their_place() -> None:
    boom = BoomCleaner()
    lines = [b'{"text": "fine"}'] * 400
    records = [Record("f.jsonl", i + 1, line) for i, line in enumerate(lines)]
    records[250] = Record("f.jsonl", 251, b'{"text": "BOOM"}')
    records[300] = Record("f.jsonl", 301, b'{"text": "PICKY"}')
    with WorkerPool(boom, 2) as workers:
        with pytest.raises(ValueError, match="rule exploded") as info:
            list(clean_stream(records, JsonlCodec(), boom, pool=workers, chunk_records=50))
        assert "while cleaning f.jsonl:251" in info.value.__notes__
        with pytest.raises(RuntimeError, match=r"_Picky in a worker:(.|\n)*f\.jsonl:301"):
            list(clean_stream(records[260:], JsonlCodec(), boom, pool=workers, chunk_records=20))
    with pytest.raises(ValueError) as local:
        list(clean_stream(records, JsonlCodec(), boom))
    assert "while cleaning f.jsonl:251" in local.value.__notes__


def _die_while_starting() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class _Killer:
    def __reduce__(self) -> tuple[Any, ...]:
        return (_die_while_starting, ())


def _after(_killed: None, _ballast: bytes) -> BoomCleaner:
    raise AssertionError("unreachable: the worker is dead by now")


class DiesInWorkers(BoomCleaner):
    """Kills the worker that unpickles it before the rest of its pickle, which is far bigger
    than a pipe's buffer, has been read."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_after, (_Killer(), b"x" * 4_000_000))


def _raised_on_workers(cleaner: BoomCleaner, records: list[Record]) -> list[BaseException]:
    """What cleaning ``records`` on 2 workers raised; fails if it has not ended in 60 s."""
    raised: list[BaseException] = []

    def run() -> None:
        with WorkerPool(cleaner, 2) as workers:
            try:
                list(clean_stream(records, JsonlCodec(), cleaner, pool=workers, chunk_records=50))
            except BaseException as e:
                raised.append(e)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(timeout=60)
    assert not runner.is_alive(), "the parent hung"
    return raised


def test_a_worker_killed_while_it_starts_ends_the_run_with_a_message_not_a_hang() -> None:
    records = [Record("f.jsonl", i + 1, b'{"text": "fine"}') for i in range(400)]
    raised = _raised_on_workers(DiesInWorkers(), records)
    assert len(raised) == 1 and isinstance(raised[0], CleanerError), raised
    assert "a worker process ended abruptly" in str(raised[0])


class DiesSendingItsResult(BoomCleaner):
    """In a worker, on "HALF": dies as a worker killed while sending a result would, with a
    message half-written down the results pipe and the pipe's lock held."""

    def clean_document(self, doc: Document) -> CleanResult:
        if doc.text == "HALF" and multiprocessing.parent_process() is not None:
            [results] = [o for o in gc.get_objects() if isinstance(o, SimpleQueue)]
            results._wlock.acquire()
            header = struct.pack("!i", 1_000_000)  # a message of 1 MB, of which 1 kB comes
            os.write(results._writer.fileno(), header + b"x" * 1000)
            os.kill(os.getpid(), signal.SIGKILL)
        return super().clean_document(doc)


def test_a_worker_killed_while_it_sends_a_result_ends_the_run_with_a_message_not_a_hang():
    records = [Record("f.jsonl", i + 1, b'{"text": "fine"}') for i in range(400)]
    records[300] = Record("f.jsonl", 301, b'{"text": "HALF"}')
    raised = _raised_on_workers(DiesSendingItsResult(), records)
    assert len(raised) == 1 and isinstance(raised[0], CleanerError), raised
    assert "a worker process ended abruptly" in str(raised[0])


# -- whole files ----------------------------------------------------------------------------

SKIP = RunOptions(on_error="skip")
CHECK = RunOptions(check=True)


def make_corpus_dir(root: Path) -> None:
    root.mkdir()
    (root / "a.jsonl").write_bytes(corpus())
    (root / "sub").mkdir()
    (root / "sub" / "b.jsonl.gz").write_bytes(gzip.compress(corpus(1200)))
    (root / "sub" / "c.jsonl.zst").write_bytes(zstandard.compress(corpus(700)))


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_files_with_jobs_2_are_byte_identical_to_jobs_1(tmp_path: Path, cleaner: Cleaner) -> None:
    make_corpus_dir(tmp_path / "in")
    r1 = run(plan_files([tmp_path / "in"], tmp_path / "o1"), cleaner, options=SKIP)
    # Blocks of 4 KB: each file goes to the workers in many pieces.
    r2 = run(
        plan_files([tmp_path / "in"], tmp_path / "o2"),
        cleaner,
        options=RunOptions(jobs=2, on_error="skip", block_bytes=4096),
    )
    assert tree_bytes(tmp_path / "o1") == tree_bytes(tmp_path / "o2")
    assert r1.to_dict()["documents"] == r2.to_dict()["documents"]
    assert r1.rules == r2.rules and r1.rejections == r2.rejections


@pytest.mark.parametrize("jobs", [1, 2])
def test_listeners_hear_of_changed_and_rejected_records_in_order_and_of_all_progress(
    tmp_path: Path, cleaner: Cleaner, jobs: int
) -> None:
    src = tmp_path / "a.jsonl"
    src.write_bytes(corpus())
    told: list[tuple[int, bool]] = []
    done = [0, 0]

    def progress(documents: int, nbytes: int) -> None:
        done[0] += documents
        done[1] += nbytes

    report = run(
        plan_files([src], tmp_path / "out.jsonl"),
        cleaner,
        options=RunOptions(jobs=jobs, on_error="skip", block_bytes=4096),
        listeners=Listeners(lambda o: told.append((o.line, o.rejected)), progress),
    )
    assert [line for line, rejected in told if rejected] == bad_lines()
    assert len(told) == report.documents_changed + report.documents_rejected
    assert [line for line, _ in told] == sorted(line for line, _ in told)
    assert done == [report.documents_read, len(corpus())]


def decoded_lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    elif path.name.endswith(".zst"):
        data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return [line for line in data.splitlines() if line.strip()]


def test_skip_mode_accounts_for_every_document(tmp_path: Path, cleaner: Cleaner) -> None:
    """read = written + rejected, checked against the files on disk, not just the counters."""
    make_corpus_dir(tmp_path / "in")
    rejects = tmp_path / "rejects.jsonl"
    report = run(
        plan_files([tmp_path / "in"], tmp_path / "out"),
        cleaner,
        options=RunOptions(on_error="skip", rejects=rejects),
    )
    written = sum(len(decoded_lines(p)) for p in (tmp_path / "out").rglob("*.*"))
    rejected = len(decoded_lines(rejects))
    read = sum(len(decoded_lines(p)) for p in (tmp_path / "in").rglob("*.*"))
    assert report.documents_read == read == written + rejected
    assert (report.documents_written, report.documents_rejected) == (written, rejected)
    assert rejected == len(bad_lines()) + len(bad_lines(1200)) + len(bad_lines(700))
    assert report.return_code == 2 and report.files[str(tmp_path / "in" / "a.jsonl")].rejected


def test_a_broken_file_is_reported_and_the_run_goes_on_in_skip_mode(
    tmp_path: Path, cleaner: Cleaner
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_bytes(b'{"text": "x (AP Photo/A B)"}\n')
    good = gzip.compress(b'{"text": "y"}\n' * 2000)
    (tmp_path / "in" / "b.jsonl.gz").write_bytes(good[: len(good) // 2])
    (tmp_path / "in" / "c.jsonl").write_bytes(b'{"text": "z"}\n')
    jobs = plan_files([tmp_path / "in"], tmp_path / "out")
    report = run(jobs, cleaner, options=SKIP)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.jsonl", "c.jsonl"]
    assert [e.path for e in report.errors] == [str(tmp_path / "in" / "b.jsonl.gz")]
    assert "truncated" in str(report) and report.return_code == 2
    assert report.documents_read == 2
    with pytest.raises(InputError, match="truncated"):
        run(jobs, cleaner)


def test_resume_skips_finished_files(tmp_path: Path, cleaner: Cleaner) -> None:
    make_corpus_dir(tmp_path / "in")
    jobs = plan_files([tmp_path / "in"], tmp_path / "out")
    run(jobs[:1], cleaner, options=SKIP)
    report = run(jobs, cleaner, options=RunOptions(on_error="skip", resume=True))
    assert report.files_skipped == 1 and sorted(report.files) == [j.source for j in jobs[1:]]


def test_in_place_leaves_unchanged_files_untouched(tmp_path: Path, cleaner: Cleaner) -> None:
    (tmp_path / "same.jsonl").write_bytes(b'{"text": "clean"}\n')
    (tmp_path / "dirty.jsonl").write_bytes(b'{"text": "x (AP Photo/A B)"}\n')
    os.utime(tmp_path / "same.jsonl", ns=(1, 1))
    report = run(plan_files([tmp_path], in_place=True), cleaner, options=CHECK)
    assert (tmp_path / "same.jsonl").stat().st_mtime_ns == 1
    assert (tmp_path / "dirty.jsonl").read_bytes() == b'{"text": "x"}\n'
    assert report.return_code == 1 and report.documents_changed == 1


def test_check_mode_writes_nothing(tmp_path: Path, cleaner: Cleaner) -> None:
    (tmp_path / "a.jsonl").write_bytes(b'{"text": "x (AP Photo/A B)"}\n{"text": "y"}\n')
    before = tree_bytes(tmp_path)
    report = run(plan_files([tmp_path / "a.jsonl"]), cleaner, options=CHECK)
    assert tree_bytes(tmp_path) == before
    assert (report.documents_changed, report.documents_unchanged, report.return_code) == (1, 1, 1)


def test_rejects_file_only_when_something_was_rejected(tmp_path: Path, cleaner: Cleaner) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_bytes(b'{"text": "fine"}\n')
    run(
        plan_files([tmp_path / "in"], tmp_path / "o"),
        cleaner,
        options=RunOptions(rejects=tmp_path / "r.jsonl"),
    )
    assert not (tmp_path / "r.jsonl").exists()
    (tmp_path / "in" / "a.jsonl").write_bytes(b'{"text": "fine"}\n{bad\xff\n')
    run(
        plan_files([tmp_path / "in"], tmp_path / "o"),
        cleaner,
        options=RunOptions(on_error="skip", rejects=tmp_path / "r.jsonl.gz"),
    )
    assert gzip.decompress((tmp_path / "r.jsonl.gz").read_bytes()) == b"{bad\xff\n"


def test_the_text_field_reaches_the_codec(tmp_path: Path, cleaner: Cleaner) -> None:
    (tmp_path / "a.jsonl").write_bytes(b'{"body": "x (AP Photo/A B)", "text": 1}\n')
    run(plan_files([tmp_path / "a.jsonl"], tmp_path / "o.jsonl"), cleaner, Fields(text="body"))
    assert (tmp_path / "o.jsonl").read_bytes() == b'{"body": "x", "text": 1}\n'


def test_rejects_survive_a_run_that_stops_early(tmp_path: Path, cleaner: Cleaner) -> None:
    """In place, a rejected line exists only in the rejects file: it must outlive a crash."""
    (tmp_path / "a.jsonl").write_bytes(b'{"text": "ok"}\n{oops\n')
    (tmp_path / "b.jsonl").write_bytes(b'{"text": "BOOM"}\n')
    jobs = plan_files([tmp_path], in_place=True)
    with pytest.raises(ConfigError, match="needs a rejects file"):
        run(jobs, cleaner, options=SKIP)
    with pytest.raises(ValueError, match="rule exploded"):
        run(jobs, BoomCleaner(), options=RunOptions(on_error="skip", rejects=tmp_path / "r.txt"))
    assert (tmp_path / "r.txt").read_bytes() == b"{oops\n"
    assert (tmp_path / "a.jsonl").read_bytes() == b'{"text": "ok"}\n'


RUNNER = """
import sys
from cleaner.engine import Cleaner
from cleaner.io import plan_files
from cleaner.pipeline import RunOptions, run
if __name__ == "__main__":
    cleaner = Cleaner.load([sys.argv[1]], default_rules=False)
    run(plan_files([sys.argv[2]], sys.argv[3]), cleaner, options=RunOptions(jobs=2))
"""


def test_sigterm_during_a_parallel_run_leaves_no_output(tmp_path: Path, credit_pack: Path) -> None:
    (tmp_path / "in").mkdir()
    line = b'{"text": "Story (AP Photo/X Y) and more words to clean here"}\n'
    (tmp_path / "in" / "a.jsonl").write_bytes(line * 200_000)
    script = tmp_path / "run.py"
    script.write_text(RUNNER, encoding="utf-8")
    out = tmp_path / "out"
    args = [sys.executable, str(script), str(credit_pack), str(tmp_path / "in"), str(out)]
    child = subprocess.Popen(args, cwd=Path(__file__).resolve().parent.parent)
    deadline = time.monotonic() + 20
    while not (out.exists() and any(out.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert child.poll() is None, "the run ended before it could be interrupted"
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 128 + signal.SIGTERM
    assert list(out.iterdir()) == []


def test_a_run_smaller_than_two_blocks_starts_no_workers(tmp_path: Path, cleaner: Cleaner) -> None:
    (tmp_path / "in").mkdir()
    lines = [f'{{"text": "Story {i} (AP Photo/Jane Roe) end"}}\n' for i in range(50)]
    (tmp_path / "in" / "a.jsonl").write_text("".join(lines), encoding="utf-8")
    with WorkerPool(cleaner, 2) as workers:
        plan = plan_files([str(tmp_path / "in")], str(tmp_path / "by-pool"))
        report = run(plan, cleaner, options=RunOptions(pool=workers))
        assert not workers.started
    run(plan_files([str(tmp_path / "in")], str(tmp_path / "alone")), cleaner)
    assert report.documents_changed == 50
    cleaned = (tmp_path / "by-pool" / "a.jsonl").read_bytes()
    assert cleaned == (tmp_path / "alone" / "a.jsonl").read_bytes()
