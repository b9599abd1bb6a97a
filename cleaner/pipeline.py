"""The pipeline: records in, ordered outcomes out, in one process or many.

The same per-record function (``_clean_record``) runs in process (``jobs=1``) and in workers
(``jobs>1``), and results come back in input order, so what a record becomes never depends on
how it was run: ``-j N`` output is byte for byte the output of ``-j 1``.

``clean_stream`` (records to outcomes) serves the integrations and Parquet. ``clean_file`` /
``clean_files`` serve the CLI: a line file is read in blocks of whole lines, and a block is
split, cleaned and counted where it lands, which sends back the bytes to write, its counts
and only the outcomes someone listens for; the parent moves bytes, whatever the core count.

Workers get large units of raw input (decoding happens in the worker, where the CPU is),
and only a few are in flight at a time, so memory stays flat however big the input.
Inputs smaller than two units are cleaned in process: starting processes would cost more.
Workers are started with ``spawn``: safe in threaded hosts (Scrapy, Dask) and the same on
every OS; the ``Cleaner`` pickles as its settings and rebuilds once per worker.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import pickle
import signal
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol, TypeVar

from cleaner.errors import CleanerError, ConfigError, InputError
from cleaner.io.atomic import AtomicOutput
from cleaner.io.codecs import Codec, codec_for
from cleaner.io.formats import format_from_name
from cleaner.io.plan import FileJob
from cleaner.io.readers import BLOCK_BYTES, Block, Record, display_name, read_blocks
from cleaner.report import Report
from cleaner.types import CleanResult, Document

OnError = Literal["fail", "skip"]
ON_ERROR: tuple[OnError, ...] = ("fail", "skip")
#: Added to a record's reason when it stops a run: the way to get past it.
SKIP_HINT = "(or pass --on-error skip to set such records aside)"
# Records travel in chunks of the same size as a file's blocks (see BLOCK_BYTES), or of 250
# records, whichever comes first.
CHUNK_RECORDS = 250
CHUNK_BYTES = BLOCK_BYTES

T = TypeVar("T")
R = TypeVar("R")


class SupportsClean(Protocol):
    """What the pipeline needs from a cleaner (``cleaner.engine.Cleaner`` is one).

    For ``jobs > 1`` it must also pickle."""

    def clean_document(self, doc: Document, /) -> CleanResult: ...


class _Sink(Protocol):
    def write(self, data: bytes, /) -> None: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one record.

    ``data`` is what to write (without terminator): the raw bytes when the cleaner changed
    nothing, else the re-encoded record; ``None`` when rejected. ``result`` is ``None`` for a
    rejected record and for a record that holds no document (a blank JSONL line, passed
    through and not counted). ``reason`` says why a record was rejected and ``reason_line``
    where, when the codec knows better than the record (a bad byte deep in a .txt file).
    """

    record: Record
    data: bytes | None
    result: CleanResult | None
    reason: str | None = None
    reason_line: int | None = None

    @property
    def path(self) -> str:
        return self.record.path

    @property
    def line(self) -> int:
        """The line to point at: where the problem is, else where the record starts."""
        return self.reason_line or self.record.line

    @property
    def rejected(self) -> bool:
        return self.reason is not None

    @property
    def changed(self) -> bool:
        return self.result is not None and self.result.changed

    def output(self) -> bytes:
        """The bytes to write for this record, terminator included (as in the input)."""
        if self.data is None:
            raise ValueError(f"{self.record.where}: a rejected record has no output")
        return self.data + self.record.end

    def stopping_error(self) -> InputError:
        """What a fail-mode run raises at this rejected record."""
        return InputError(self.path, f"{self.reason} {SKIP_HINT}", line=self.line)

    def rejected_line(self) -> bytes:
        """The record as it was read, newline-terminated, for a rejects file."""
        return self.record.raw + (self.record.end or b"\n")


#: Called with each changed or rejected outcome, in input order.
Listener = Callable[[Outcome], None]
#: Called as work is counted: (documents, bytes read) since the last call.
Progress = Callable[[int, int], None]


# -- per-record work: the same code in process and in workers ------------------------------

_Reply = tuple[bytes | None, CleanResult | None, tuple[str, int | None] | None]


def _clean_record(cleaner: SupportsClean, record: Record, codec: Codec) -> _Reply:
    """(new bytes or None if unchanged, result, (rejection reason, line)) for one record."""
    try:
        doc = codec.decode(record)
    except InputError as e:
        return None, None, (e.reason, e.line)
    if doc is None:
        return None, None, None
    try:
        result = cleaner.clean_document(doc)
        return (codec.encode(record, result) if result.changed else None), result, None
    except Exception as e:
        e.add_note(f"while cleaning {record.where}")
        raise


def _clean_doc(cleaner: SupportsClean, doc: Document) -> CleanResult:
    return cleaner.clean_document(doc)


def _outcome(record: Record, reply: _Reply) -> Outcome:
    data, result, error = reply
    if error is not None:
        return Outcome(record, None, None, error[0], error[1])
    return Outcome(record, record.raw if data is None else data, result)


@dataclass(frozen=True, slots=True)
class BlockOutcome:
    """What became of a block of lines: the bytes to write, the block's counts, and the
    outcomes to tell (the rejected ones; the changed ones too when asked for)."""

    data: bytes
    report: Report
    outcomes: tuple[Outcome, ...]


def _clean_block(
    cleaner: SupportsClean, block: Block, codec: Codec, with_changed: bool
) -> BlockOutcome:
    """Clean every record of a block where the block is: only bytes, counts and the few
    outcomes someone asked for go back to the parent."""
    report = Report()
    kept: list[bytes] = []
    told: list[Outcome] = []
    for record in block.records():
        outcome = _outcome(record, _clean_record(cleaner, record, codec))
        report.add(outcome)
        if outcome.rejected:
            told.append(outcome)
            continue
        kept.append(outcome.output())
        if with_changed and outcome.changed:
            told.append(outcome)
    return BlockOutcome(b"".join(kept), report, tuple(told))


# -- worker processes ------------------------------------------------------------------------

_WORKER_CLEANER: SupportsClean | None = None


def _init_worker(cleaner: SupportsClean) -> None:
    """Keep the cleaner for this worker's life; Ctrl-C is the parent's to handle."""
    global _WORKER_CLEANER
    _WORKER_CLEANER = cleaner
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _map_chunk(fn: Callable[..., R], chunk: list[Any], args: tuple[Any, ...]) -> list[R]:
    """Run ``fn(cleaner, item, *args)`` over a chunk in a worker."""
    assert _WORKER_CLEANER is not None, "worker not initialised"
    try:
        return [fn(_WORKER_CLEANER, item, *args) for item in chunk]
    except Exception as e:
        if _portable(e):
            raise
        message = "".join(traceback.format_exception(e))
        raise RuntimeError(f"{type(e).__name__} in a worker:\n{message}") from None


def _portable(error: BaseException) -> bool:
    """Whether ``error`` survives the trip back to the parent (many custom errors do not)."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return False
    return True


def available_cpus() -> int:
    """CPUs this process may use (affinity-aware where the OS says)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def resolve_jobs(jobs: int) -> int:
    """``jobs`` as a process count: 0 means all available CPUs."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 0:
        raise ConfigError(f"jobs must be 0 (all CPUs) or a positive number, got {jobs!r}")
    return available_cpus() if jobs == 0 else jobs


class WorkerPool:
    """Worker processes holding one cleaner, reusable across files and streams.

    Processes start on first use. ``max_inflight`` chunks (default 2 per worker) may be queued
    or running at once, which bounds memory. Use as a context manager.
    """

    def __init__(
        self,
        cleaner: SupportsClean,
        jobs: int = 0,
        *,
        max_inflight: int | None = None,
        mp_context: str = "spawn",
    ) -> None:
        self.cleaner = cleaner
        self.jobs = resolve_jobs(jobs)
        self.max_inflight = max_inflight or 2 * self.jobs
        self._context = mp_context
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(cancel=exc is not None)

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers; ``cancel`` drops queued chunks instead of waiting for them."""
        if self._executor is not None:
            self._executor.shutdown(wait=not cancel, cancel_futures=cancel)
            self._executor = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=multiprocessing.get_context(self._context),
                initializer=_init_worker,
                initargs=(self.cleaner,),
            )
        return self._executor

    def map_ordered(
        self, fn: Callable[..., R], chunks: Iterable[list[T]], *args: Any
    ) -> Iterator[tuple[list[T], list[R]]]:
        """``(chunk, [fn(cleaner, item, *args) for item in chunk])`` in input order."""
        pending: deque[tuple[list[T], Future[list[R]]]] = deque()
        pool = self._pool()
        try:
            for chunk in chunks:
                pending.append((chunk, pool.submit(_map_chunk, fn, chunk, args)))
                if len(pending) >= self.max_inflight:
                    done, future = pending.popleft()
                    yield done, future.result()
            while pending:
                done, future = pending.popleft()
                yield done, future.result()
        finally:
            for _, future in pending:
                future.cancel()


def _chunks(
    items: Iterable[T], max_items: int, max_bytes: int, size: Callable[[T], int]
) -> Iterator[list[T]]:
    """Group ``items`` into lists of at most ``max_items`` items or about ``max_bytes`` bytes."""
    chunk: list[T] = []
    total = 0
    for item in items:
        chunk.append(item)
        total += size(item)
        if len(chunk) >= max_items or total >= max_bytes:
            yield chunk
            chunk, total = [], 0
    if chunk:
        yield chunk


def _run(
    items: Iterable[T],
    fn: Callable[..., R],
    args: tuple[Any, ...],
    cleaner: SupportsClean,
    *,
    jobs: int,
    pool: WorkerPool | None,
    chunking: tuple[int, int, Callable[[T], int]],
) -> Iterator[tuple[T, R]]:
    """``(item, fn(cleaner, item, *args))`` in order, in process or on workers."""
    workers = pool.jobs if pool is not None else resolve_jobs(jobs)
    if workers <= 1:
        for item in items:
            yield item, fn(cleaner, item, *args)
        return
    chunks = _chunks(items, *chunking)
    head = list(itertools.islice(chunks, 2))
    if len(head) < 2:  # too little work to be worth starting processes
        for item in itertools.chain.from_iterable(head):
            yield item, fn(cleaner, item, *args)
        return
    with contextlib.ExitStack() as stack:
        own = pool or stack.enter_context(WorkerPool(cleaner, workers))
        for chunk, results in own.map_ordered(fn, itertools.chain(head, chunks), *args):
            yield from zip(chunk, results, strict=True)


def _check_options(
    on_error: str, cleaner: SupportsClean, pool: WorkerPool | None, jobs: int = 1
) -> None:
    resolve_jobs(jobs)
    if on_error not in ON_ERROR:
        raise ConfigError(f"on_error must be one of {', '.join(ON_ERROR)}, got {on_error!r}")
    if pool is not None and pool.cleaner is not cleaner:
        raise ConfigError("the worker pool was built for another cleaner; pass that cleaner")


# -- the public entry points ----------------------------------------------------------------


def clean_stream(
    records: Iterable[Record],
    codec: Codec,
    cleaner: SupportsClean,
    *,
    jobs: int = 1,
    on_error: OnError = "fail",
    pool: WorkerPool | None = None,
    chunk_records: int = CHUNK_RECORDS,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[Outcome]:
    """Clean ``records`` and yield one ``Outcome`` per record, in input order.

    ``jobs``: 1 in process, N worker processes, 0 all CPUs (ignored when ``pool`` is given:
    pass a ``WorkerPool`` to reuse its workers across files). ``on_error="fail"`` raises
    InputError (file:line and reason) at the first record that cannot be decoded;
    ``"skip"`` yields it as rejected, with its raw bytes, for a rejects file. Errors from the
    cleaner itself (bugs) always propagate. Options are checked at once, not at first use.
    """
    _check_options(on_error, cleaner, pool, jobs)
    replies = _run(
        records,
        _clean_record,
        (codec,),
        cleaner,
        jobs=jobs,
        pool=pool,
        chunking=(chunk_records, chunk_bytes, lambda r: len(r.raw)),
    )
    return _outcomes(replies, on_error)


def _outcomes(replies: Iterator[tuple[Record, _Reply]], on_error: OnError) -> Iterator[Outcome]:
    for record, reply in replies:
        outcome = _outcome(record, reply)
        if outcome.rejected and on_error == "fail":
            raise outcome.stopping_error()
        yield outcome


def clean_documents(
    documents: Iterable[Document],
    cleaner: SupportsClean,
    *,
    jobs: int = 1,
    pool: WorkerPool | None = None,
    chunk_documents: int = CHUNK_RECORDS,
    chunk_chars: int = CHUNK_BYTES,
) -> Iterator[CleanResult]:
    """Clean in-memory documents, yielding results in order (a library helper, same engine)."""
    _check_options("fail", cleaner, pool, jobs)
    pairs = _run(
        documents,
        _clean_doc,
        (),
        cleaner,
        jobs=jobs,
        pool=pool,
        chunking=(chunk_documents, chunk_chars, lambda d: len(d.text)),
    )
    return (result for _, result in pairs)


def clean_file(
    job: FileJob,
    cleaner: SupportsClean,
    *,
    codec: Codec | None = None,
    jobs: int = 1,
    pool: WorkerPool | None = None,
    on_error: OnError = "fail",
    rejects: _Sink | None = None,
    check: bool = False,
    on_outcome: Listener | None = None,
    on_progress: Progress | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> Report:
    """Clean one planned file and return its report.

    The output appears complete or not at all: if the file fails part-way (InputError in
    fail mode, a truncated archive), nothing is written for it and the error propagates.
    Rejected records go to ``rejects`` (verbatim lines) if given; in place, skipping needs
    ``rejects`` (ConfigError otherwise). An in-place job that changed nothing leaves the file
    untouched (same bytes, same mtime). ``on_outcome`` sees every changed or rejected outcome,
    in order (spans files, diffs, findings); ``on_progress`` hears how much was done.

    Lines are handed out in blocks of about ``block_bytes``: workers split, clean and count
    them, and send back the bytes to write, so the parent only moves bytes.
    """
    if job.in_place and on_error == "skip" and rejects is None:
        raise ConfigError(
            f"{job.source}: cleaning in place with on_error='skip' needs a rejects file, "
            "or rejected lines would be lost; pass --rejects PATH"
        )
    codec = codec or codec_for(job.input_format)
    report = Report(check=check)
    tell = _Teller(on_error, rejects, on_outcome, on_progress)
    with report.timer("clean", display_name(job.source)):
        if job.input_format.kind == "parquet":
            _clean_parquet(job, codec, cleaner, report, jobs, pool, tell)
            return report
        blocks = _run(
            read_blocks(job.source, job.input_format, block_bytes),
            _clean_block,
            (codec, on_outcome is not None),
            cleaner,
            jobs=jobs,
            pool=pool,
            chunking=(1, block_bytes, lambda b: len(b.data)),
        )
        with contextlib.ExitStack() as stack:
            out = None
            if job.target is not None:
                out = stack.enter_context(AtomicOutput(job.target, job.output_format.compression))
            for block, done in blocks:
                for outcome in done.outcomes:
                    tell.outcome(outcome)
                report.merge(done.report)
                tell.progress(done.report.documents_read, len(block.data))
                if out is not None:
                    out.write(done.data)
            if out is not None and job.in_place and not _touched(report):
                out.discard()
    return report


def _touched(report: Report) -> bool:
    """Whether an in-place file must be rewritten: something changed or was set aside."""
    return bool(report.documents_changed or report.documents_rejected)


@dataclass(frozen=True, slots=True)
class _Teller:
    """Where a file's outcomes go: fail-mode errors, the rejects file, the listeners."""

    on_error: OnError
    rejects: _Sink | None
    on_outcome: Listener | None
    on_progress: Progress | None

    def outcome(self, outcome: Outcome) -> None:
        """Tell of a changed or rejected outcome (counting is the caller's)."""
        if outcome.rejected:
            if self.on_error == "fail":
                raise outcome.stopping_error()
            if self.rejects is not None:
                self.rejects.write(outcome.rejected_line())
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    def progress(self, documents: int, nbytes: int) -> None:
        if self.on_progress is not None:
            self.on_progress(documents, nbytes)


def _clean_parquet(
    job: FileJob,
    codec: Codec,
    cleaner: SupportsClean,
    report: Report,
    jobs: int,
    pool: WorkerPool | None,
    tell: _Teller,
) -> None:
    from cleaner.io.parquet import ParquetRewriter, ParquetSource

    source = ParquetSource(job.source, codec)
    outcomes = clean_stream(source.records(), codec, cleaner, jobs=jobs, pool=pool, on_error="skip")
    with ParquetRewriter(source, job.target) as sink:
        for outcome in outcomes:
            if outcome.rejected or outcome.changed:
                tell.outcome(outcome)
            counted = report.documents_read
            report.add(outcome)
            tell.progress(report.documents_read - counted, len(outcome.record.raw))
            keep = not outcome.rejected
            sink.put(outcome.record, outcome.result if keep else None, keep=keep)
        if job.in_place and not _touched(report):
            sink.discard()


def clean_files(
    jobs_planned: Sequence[FileJob],
    cleaner: SupportsClean,
    *,
    jobs: int = 1,
    on_error: OnError = "fail",
    rejects: str | Path | None = None,
    resume: bool = False,
    check: bool = False,
    text_key: str = "text",
    url_key: str = "url",
    title_key: str = "title",
    id_key: str = "id",
    url: str | None = None,
    title: str | None = None,
    on_file: Callable[[FileJob, Report], None] | None = None,
    on_outcome: Listener | None = None,
    on_progress: Progress | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> Report:
    """Clean every planned file with one set of workers; return the merged report.

    ``on_error="fail"`` stops at the first bad record or broken file (raising InputError);
    ``"skip"`` sets bad records aside and, for a broken file, records the error, writes
    nothing for that file, and goes on. ``rejects`` names one file collecting every rejected
    line verbatim (created only if something is rejected; its name sets compression).
    ``resume`` skips files whose output already exists complete. ``url`` and ``title`` are
    those of ``.txt`` inputs, which carry none. ``on_file`` is called after
    each file; ``on_outcome``, ``on_progress`` and ``block_bytes`` are ``clean_file``'s.
    """
    _check_options(on_error, cleaner, None, jobs)
    total = Report(check=check)
    keys = {
        "text_key": text_key,
        "url_key": url_key,
        "title_key": title_key,
        "id_key": id_key,
        "url": url,
        "title": title,
    }
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(WorkerPool(cleaner, jobs)) if resolve_jobs(jobs) > 1 else None
        sink = stack.enter_context(_rejects_output(rejects)) if rejects is not None else None
        for job in jobs_planned:
            if resume and job.is_done():
                total.files_skipped += 1
                continue
            report = _clean_one(
                job,
                cleaner,
                keys,
                on_error,
                check,
                jobs=jobs,
                pool=pool,
                rejects=sink,
                on_outcome=on_outcome,
                on_progress=on_progress,
                block_bytes=block_bytes,
            )
            total.merge(report)
            if on_file is not None:
                on_file(job, report)
    return total


@contextlib.contextmanager
def _rejects_output(path: str | Path) -> Iterator[AtomicOutput]:
    """The rejects file: created only if something is rejected, and kept even when the run
    stops early, because its lines may exist nowhere else (in-place runs drop them)."""
    fmt = format_from_name(path)
    out = AtomicOutput(path, fmt.compression if fmt is not None else "none")
    out.__enter__()
    try:
        yield out
    finally:  # on error too: a partial rejects file holds complete lines
        if not out.bytes_written:
            out.discard()
        out.__exit__(None, None, None)


def _clean_one(
    job: FileJob,
    cleaner: SupportsClean,
    keys: dict[str, Any],
    on_error: OnError,
    check: bool,
    **options: Any,
) -> Report:
    """One file of ``clean_files``: in skip mode a file that fails becomes a report error."""
    try:
        codec = codec_for(job.input_format, **keys)
        return clean_file(job, cleaner, codec=codec, on_error=on_error, check=check, **options)
    except CleanerError as e:
        if on_error == "fail" or not isinstance(e, InputError):
            raise
        report = Report(check=check)
        report.add_error(e.path, str(e))
        return report
