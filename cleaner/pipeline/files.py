"""Whole files: planned jobs in, outputs written atomically, rejects set aside, one report.

A line file is read in blocks of whole lines, and a block is split, cleaned and counted where
it lands (see ``records.clean_block``). With workers, each one reads, cleans and writes its own
parts of a file (``cleaner.pipeline.staged``) and sends back only counts and the outcomes
someone listens for, so no corpus bytes pass through pipes; in process, the same blocks are
cleaned one after another.

An output appears complete or not at all: if a file fails part-way (InputError in fail mode,
a truncated archive), nothing is written for it. An in-place job that changed nothing leaves
the file untouched (same bytes, same mtime).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from cleaner.errors import ConfigError, InputError
from cleaner.io.atomic import AtomicOutput
from cleaner.io.codecs import Codec, TxtMeta, codec_for
from cleaner.io.formats import format_from_name
from cleaner.io.plan import FileJob
from cleaner.io.ranges import line_ranges, read_range
from cleaner.io.readers import Record, display_name, read_blocks
from cleaner.pipeline.options import Listeners, RunOptions
from cleaner.pipeline.parts import Part, splittable
from cleaner.pipeline.records import (
    BlockOutcome,
    Outcome,
    clean_block,
    clean_blocks,
    clean_stream,
    shifted,
)
from cleaner.pipeline.staged import StagedRun, StagingPool, stageable
from cleaner.pipeline.workers import WORTH_STARTING_CHUNKS, Pool, SupportsClean, WorkerPool, ordered
from cleaner.report import Report
from cleaner.types import Fields


class _Sink(Protocol):
    def write(self, data: bytes, /) -> None: ...


def run_files(
    planned: Sequence[FileJob],
    cleaner: SupportsClean,
    fields: Fields,
    options: RunOptions,
    listeners: Listeners,
) -> Report:
    """Clean every planned file with one set of workers; return the merged report."""
    _check_txt(planned, options.txt)
    total = Report(check=options.check)
    with contextlib.ExitStack() as stack:
        pool = options.pool
        if pool is None and options.workers > 1:
            pool = stack.enter_context(WorkerPool(cleaner, options.workers))
        rejects = None
        if options.rejects is not None:
            rejects = stack.enter_context(_rejects_output(options.rejects))
        run = _FileRun(cleaner, fields, options, listeners, pool, rejects)
        todo = []
        for job in planned:
            if options.resume and job.is_done():
                total.files_skipped += 1
            else:
                todo.append(job)
        # Runs of files the workers write themselves, in input order between the others.
        by_pool = (
            pool is not None
            and pool.writes_outputs
            and _worth_starting(pool, todo, options.block_bytes)
        )
        for by_workers, jobs in itertools.groupby(todo, key=lambda j: by_pool and stageable(j)):
            if by_workers:
                for report in run.staged(cast(StagingPool, pool)).run(list(jobs)):
                    total.merge(report)
            else:
                for job in jobs:
                    total.merge(run.clean(job))
    return total


def _worth_starting(pool: Pool, todo: Sequence[FileJob], block_bytes: int) -> bool:
    """Whether to hand the files to ``pool``: local processes not yet started are started only
    for ``WORTH_STARTING_CHUNKS`` blocks' work or more, as ``ordered`` decides (a smaller run
    is cleaned in process)."""
    if not isinstance(pool, WorkerPool) or pool.started:
        return True
    return (
        sum(Part(job).size for job in todo if stageable(job)) >= WORTH_STARTING_CHUNKS * block_bytes
    )


def _check_txt(planned: Sequence[FileJob], txt: TxtMeta) -> None:
    if txt.given and (len(planned) != 1 or planned[0].input_format.kind != "txt"):
        raise ConfigError(
            "--url and --title describe one document: give a single .txt file (JSONL and "
            "Parquet records carry their own; see --url-key and --title-key)"
        )


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


def _touched(report: Report) -> bool:
    """Whether an in-place file must be rewritten: something changed or was set aside."""
    return bool(report.documents_changed or report.documents_rejected)


@dataclass(frozen=True, slots=True)
class _FileRun:
    """What every file of a run shares: the cleaner, the fields, the options, the listeners,
    the workers and the rejects file."""

    cleaner: SupportsClean
    fields: Fields
    options: RunOptions
    listeners: Listeners
    pool: Pool | None
    rejects: _Sink | None

    def clean(self, job: FileJob) -> Report:
        """One file's report; in skip mode a file that fails becomes an error of the report."""
        skip = self.options.on_error == "skip"
        if job.in_place and skip and self.rejects is None:
            raise ConfigError(
                f"{job.source}: cleaning in place with on_error='skip' needs a rejects file, "
                "or rejected lines would be lost; pass --rejects PATH"
            )
        parquet = job.input_format.kind == "parquet"
        codec = None if parquet else codec_for(job.input_format, self.fields, self.options.txt)
        report = Report()
        try:
            with report.timer("clean", display_name(job.source)):
                if codec is None:
                    self._parquet(job, report)
                else:
                    self._lines(job, codec, report)
        except InputError as e:
            if not skip:
                raise
            report = Report()
            report.add_error(e.path, str(e))
        return report

    def staged(self, pool: StagingPool) -> StagedRun:
        """A run of files whose outputs the workers write themselves."""
        return StagedRun(
            pool,
            lambda job: codec_for(job.input_format, self.fields, self.options.txt),
            on_error=self.options.on_error,
            with_changed=self.listeners.on_outcome is not None,
            block_bytes=self.options.block_bytes,
            tell=self._tell,
            progress=self._progress,
        )

    def _lines(self, job: FileJob, codec: Codec[Record], report: Report) -> None:
        with contextlib.ExitStack() as stack:
            out = None
            if job.target is not None:
                out = stack.enter_context(AtomicOutput(job.target, job.output_format.compression))
            for nbytes, done in self._cleaned_blocks(job, codec):
                for outcome in done.outcomes:
                    self._tell(outcome)
                report.merge(done.report)
                self._progress(done.report.documents_read, nbytes)
                if out is not None:
                    out.write(done.data)
            if out is not None and job.in_place and not _touched(report):
                out.discard()

    def _cleaned_blocks(
        self, job: FileJob, codec: Codec[Record]
    ) -> Iterator[tuple[int, BlockOutcome]]:
        """(bytes read, what became of them) in input order. With workers, an uncompressed
        local file is cut into byte ranges that each worker reads itself, so no corpus bytes
        pass through pipes; line numbers are shifted back to the file's here."""
        size = self.options.block_bytes
        with_changed = self.listeners.on_outcome is not None
        run = dict(jobs=self.options.jobs, pool=self.pool)
        if self.options.workers > 1 and splittable(job):
            ranges = line_ranges(job.source, size)
            parts = ordered(
                ranges,
                _clean_range,
                (job.source, codec, with_changed, size),
                self.cleaner,
                **run,  # type: ignore[arg-type]
                chunking=(1, size, lambda r: r[1] - r[0]),
            )
            offset = 0
            for _, (done, nbytes, lines) in parts:
                yield nbytes, shifted(done, offset) if offset else done
                offset += lines
            return
        blocks = ordered(
            read_blocks(job.source, job.input_format, size),
            clean_block,
            (codec, with_changed),
            self.cleaner,
            **run,  # type: ignore[arg-type]
            chunking=(1, size, lambda b: len(b.data)),
        )
        for block, done in blocks:
            yield len(block.data), done

    def _parquet(self, job: FileJob, report: Report) -> None:
        from cleaner.io.parquet import ParquetCodec, ParquetRewriter, ParquetSource

        codec = ParquetCodec(self.fields)
        source = ParquetSource(job.source, self.fields)
        outcomes = clean_stream(
            source.records(),
            codec,
            self.cleaner,
            jobs=self.options.jobs,
            pool=self.pool,
            on_error="skip",
        )
        with ParquetRewriter(source, job.target) as sink:
            for outcome in outcomes:
                if outcome.rejected or outcome.changed or outcome.held:
                    self._tell(outcome)
                counted = report.documents_read
                report.add(outcome)
                self._progress(report.documents_read - counted, outcome.record.size)
                keep = not outcome.rejected
                sink.put(outcome.record, outcome.result if keep else None, keep=keep)
            if job.in_place and not _touched(report):
                sink.discard()

    def _tell(self, outcome: Outcome) -> None:
        """Tell of a changed or rejected outcome (counting is the caller's)."""
        if outcome.rejected:
            if self.options.on_error == "fail":
                raise outcome.stopping_error()
            if self.rejects is not None:
                self.rejects.write(outcome.rejected_line())
        if self.listeners.on_outcome is not None:
            self.listeners.on_outcome(outcome)

    def _progress(self, documents: int, nbytes: int) -> None:
        if self.listeners.on_progress is not None:
            self.listeners.on_progress(documents, nbytes)


def _clean_range(
    cleaner: SupportsClean,
    byte_range: tuple[int, int],
    path: str,
    codec: Codec[Record],
    with_changed: bool,
    size: int,
) -> tuple[BlockOutcome, int, int]:
    """A byte range cleaned where it is read: (what became of it, bytes, lines read)."""
    kept: list[bytes] = []
    blocks = read_range(path, *byte_range, size)
    report, outcomes, nbytes, lines = clean_blocks(
        cleaner, blocks, codec, with_changed, kept.append
    )
    return BlockOutcome(b"".join(kept), report, outcomes), nbytes, lines
