"""Whole files: planned jobs in, outputs written atomically, rejects set aside, one report.

A line file is read in blocks of whole lines, and a block is split, cleaned and counted where
it lands (see ``records.clean_block``), which sends back the bytes to write, its counts and
only the outcomes someone listens for; the parent moves bytes, whatever the core count.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cleaner.errors import CleanerError, ConfigError, InputError
from cleaner.io.atomic import AtomicOutput
from cleaner.io.codecs import Codec, codec_for
from cleaner.io.formats import format_from_name
from cleaner.io.plan import FileJob
from cleaner.io.readers import BLOCK_BYTES, display_name, read_blocks
from cleaner.pipeline.records import (
    Listener,
    OnError,
    Outcome,
    Progress,
    check_options,
    clean_block,
    clean_stream,
)
from cleaner.pipeline.workers import SupportsClean, WorkerPool, ordered, resolve_jobs
from cleaner.report import Report


class _Sink(Protocol):
    def write(self, data: bytes, /) -> None: ...


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
        blocks = ordered(
            read_blocks(job.source, job.input_format, block_bytes),
            clean_block,
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
    check_options(on_error, cleaner, None, jobs)
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
