"""Outputs written by the workers themselves (local processes or a Dask cluster), so that the
process that runs the pipeline moves no corpus bytes.

Each file is cut into parts as for local workers (byte ranges at line boundaries where it
can be cut, else the whole file), and every part is read, cleaned and written by one task on
one worker, to a staged file beside the target (``cleaner.io.atomic.staged_name``). Only
counts and the outcomes someone listens for come back. When all the parts of a file are done
and nothing stopped the run, the file is published: a file of one part was staged with the
output's compression and is renamed into place (on object stores a server-side copy); the
parts of a bigger file were staged uncompressed and one task on a worker writes them, in
order, into one more staged file, renamed into place in turn. Either way the target appears
whole or not at all, holding the bytes a local run writes.

Parts of the next files are in flight while a file is published, so a corpus of many small
shards keeps every worker busy. A staged name is the same each time its part is tried, so a
task that Dask runs again after its worker died overwrites what the dead one began. When a
run stops (a bad record in fail mode, a failed write), the tasks in flight are let finish and
every staged file is removed.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cleaner.errors import InputError
from cleaner.io import storage
from cleaner.io.atomic import (
    STDOUT,
    concatenate_staged,
    publish_staged,
    remove_staged,
    signals_as_exit,
    staged_name,
    staged_writer,
    write_failure,
)
from cleaner.io.codecs import Codec
from cleaner.io.formats import Compression
from cleaner.io.plan import FileJob
from cleaner.io.ranges import line_ranges, read_range
from cleaner.io.readers import Record, display_name, read_blocks
from cleaner.pipeline.parts import splittable
from cleaner.pipeline.records import BlockOutcome, Outcome, clean_blocks, shifted
from cleaner.pipeline.workers import SupportsClean
from cleaner.report import Report

#: Parts are cut so that each worker gets about this many of a big file ...
PARTS_PER_WORKER = 4
#: ... but none is bigger than this (a retried part costs at most this much work again).
MAX_PART_BYTES = 64 << 20
#: How long a stopping run waits for the parts in flight before removing what they staged.
SETTLE_SECONDS = 120


class _Future(Protocol):
    def result(self, timeout: float | None = None) -> Any: ...
    def cancel(self) -> Any: ...


class StagingPool(Protocol):
    """Workers that can be handed one task at a time (``WorkerPool``, ``DaskPool``)."""

    cleaner: SupportsClean
    jobs: int

    def submit(self, fn: Callable[..., Any], item: Any, *args: Any) -> _Future: ...


def stageable(job: FileJob) -> bool:
    """Whether workers can write the job's output themselves (stdout is the client's, and
    Parquet keeps its own row-group writer)."""
    return job.target != STDOUT and job.input_format.kind != "parquet"


@dataclass(frozen=True, slots=True)
class Part:
    """Part ``index`` of ``count`` of a file: the lines beginning in ``span`` (``None``: the
    whole file), written to ``staged`` (``None``: nothing is written) in ``compression``."""

    job: FileJob
    index: int
    count: int
    span: tuple[int, int] | None
    staged: str | None
    compression: Compression


@dataclass(frozen=True, slots=True)
class PartDone:
    """What a worker sends back for a part: its counts and outcomes (lines numbered from the
    part's start; no bytes), how many bytes and lines it read, or what stopped it."""

    done: BlockOutcome
    nbytes: int
    lines: int
    error: InputError | None = None


def clean_part(
    cleaner: SupportsClean, part: Part, codec: Codec[Record], with_changed: bool, size: int
) -> PartDone:
    """Read, clean and stage one part, on a worker (a part that fails counts nothing: its
    file is an error of the report)."""
    if part.span is None:
        blocks = read_blocks(part.job.source, part.job.input_format, size)
    else:
        blocks = read_range(part.job.source, *part.span, size)
    try:
        if part.staged is None:  # nothing is written: the cleaned bytes are dropped
            report, told, nbytes, lines = clean_blocks(
                cleaner, blocks, codec, with_changed, lambda _: None
            )
        else:
            durable = part.count == 1  # else its copy into the whole file is
            target = str(part.job.target)
            with staged_writer(part.staged, part.compression, target, durable=durable) as out:
                report, told, nbytes, lines = clean_blocks(
                    cleaner, blocks, codec, with_changed, out.write
                )
    except InputError as e:
        return PartDone(BlockOutcome(b"", Report(), ()), 0, 0, e)
    return PartDone(BlockOutcome(b"", report, told), nbytes, lines)


def assemble(
    _cleaner: SupportsClean,
    staged: tuple[str, ...],
    whole: str,
    target: str,
    compression: Compression,
) -> None:
    """Write the staged parts of a file, in order, into one staged file ``whole`` and publish
    it as ``target``, on a worker; the parts are removed once it is in place."""
    if not all(_exists(path) for path in staged):
        # parts go only after the file is published: a worker died removing them
        for path in staged:
            remove_staged(path)
        return
    try:
        concatenate_staged(staged, whole, compression, target)
    except OSError as e:  # reading a staged part back
        raise write_failure(target, e) from None
    publish_staged(whole, target)
    for path in staged:
        remove_staged(path)


def _exists(path: str) -> bool:
    return storage.exists_as_file(path) if storage.is_url(path) else os.path.isfile(path)


def file_parts(job: FileJob, token: str, workers: int, block_bytes: int) -> list[Part]:
    """The parts of one file, staged beside its target under the run's ``token``."""
    spans: list[tuple[int, int] | None] = [None]
    if splittable(job):
        wanted = storage.size(job.source) // (PARTS_PER_WORKER * workers)
        spans = list(line_ranges(job.source, min(max(wanted, block_bytes), MAX_PART_BYTES)))
        spans = spans or [None]  # an empty file is one (empty) part
    count = len(spans)
    compression = job.output_format.compression if count == 1 else "none"
    target = job.target
    return [
        Part(
            job,
            index,
            count,
            span,
            None if target is None else staged_name(target, token, index),
            compression,
        )
        for index, span in enumerate(spans)
    ]


class StagedRun:
    """The client's side: hand out parts, tell outcomes in input order, publish each file when
    its parts are done, and remove every staged file if the run stops."""

    def __init__(
        self,
        pool: StagingPool,
        codec_of: Callable[[FileJob], Codec[Record]],
        *,
        on_error: str,
        with_changed: bool,
        block_bytes: int,
        tell: Callable[[Outcome], None],
        progress: Callable[[int, int], None],
    ) -> None:
        self.pool = pool
        self.codec_of = codec_of
        self.skip = on_error == "skip"
        self.with_changed = with_changed
        self.block_bytes = block_bytes
        self.tell = tell
        self.progress = progress
        self._unpublished: set[str] = set()

    def run(self, planned: Sequence[FileJob]) -> Iterator[Report]:
        """One report per planned file, in order."""
        token = os.urandom(4).hex()
        codecs = {id(job): self.codec_of(job) for job in planned}
        pending: deque[tuple[Part, _Future]] = deque()
        inflight = 2 * self.pool.jobs

        def parts() -> Iterator[Part]:
            for job in planned:
                yield from file_parts(job, token, self.pool.jobs, self.block_bytes)

        def submit(part: Part) -> None:
            args = (codecs[id(part.job)], self.with_changed, self.block_bytes)
            if part.staged is not None:
                self._unpublished.add(part.staged)
            pending.append((part, self.pool.submit(clean_part, part, *args)))

        file = _File()
        try:
            with signals_as_exit():  # a stopped client still removes what its workers staged
                for part in itertools.chain(parts(), [None]):  # None: no more parts
                    if part is not None:
                        submit(part)
                    while pending and (part is None or len(pending) >= inflight):
                        if (report := self._take(pending.popleft(), file)) is not None:
                            yield report
                            file = _File()
        except BaseException:
            self._stop(pending)
            raise

    def _take(self, submitted: tuple[Part, _Future], file: _File) -> Report | None:
        """Take in one finished part; a file's report once its last part is in."""
        part, future = submitted
        result: PartDone = future.result()
        if part.staged is not None:
            file.staged.append(part.staged)
        if result.error is not None and file.error is None:
            e = result.error
            line = None if e.line is None else e.line + file.lines
            file.error = InputError(e.path, e.reason, line=line)
            if not self.skip:
                raise file.error
        if file.error is None:
            done = shifted(result.done, file.lines) if file.lines else result.done
            for outcome in done.outcomes:
                self.tell(outcome)
            file.report.merge(done.report)
            self.progress(done.report.documents_read, result.nbytes)
        file.lines += result.lines
        if part.index < part.count - 1:
            return None
        return self._finish(part.job, file)

    def _finish(self, job: FileJob, file: _File) -> Report:
        """Publish a file whose parts are all in (or drop what it staged), and its report."""
        with file.report.timer("clean", display_name(job.source)):
            if file.error is not None or job.target is None:
                self._remove(file.staged)
            elif job.in_place and not (
                file.report.documents_changed or file.report.documents_rejected
            ):
                self._remove(file.staged)  # unchanged: the file keeps its bytes and mtime
            elif len(file.staged) == 1:
                publish_staged(file.staged[0], job.target)
                self._unpublished.discard(file.staged[0])
            else:
                staged = tuple(file.staged)
                whole = f"{staged[-1]}.whole"  # a temp name too, the same if tried again
                self._unpublished.add(whole)
                compression = job.output_format.compression
                self.pool.submit(assemble, staged, whole, job.target, compression).result()
                self._unpublished.difference_update((*staged, whole))
        if file.error is not None:
            report = Report()
            report.add_error(file.error.path, str(file.error))
            return report
        return file.report

    def _remove(self, staged: list[str]) -> None:
        for path in staged:
            remove_staged(path)
            self._unpublished.discard(path)

    def _stop(self, pending: deque[tuple[Part, _Future]]) -> None:
        """Drop the parts not yet begun, let those running end (a running task cannot be
        called back, and would stage its file after it was removed), then remove everything
        staged and not published."""
        for _, future in pending:
            future.cancel()
        for _, future in pending:
            with contextlib.suppress(BaseException):  # not the failure that stopped the run
                future.result(timeout=SETTLE_SECONDS)
        for path in sorted(self._unpublished):
            remove_staged(path)
        self._unpublished.clear()


@dataclass(slots=True)
class _File:
    """A file's parts taken in so far: its report, lines, staged parts and first error."""

    report: Report = field(default_factory=Report)
    lines: int = 0
    staged: list[str] = field(default_factory=list)
    error: InputError | None = None
