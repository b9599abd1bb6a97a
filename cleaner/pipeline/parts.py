"""A corpus cut into parts that workers read by themselves, for commands that read and count.

A part is a whole file, or a byte range of an uncompressed local line file (cut at line
boundaries: see ``cleaner.io.ranges``), so a worker needs only a path and two offsets and no
corpus bytes pass through the parent. ``map_parts`` runs a function over the documents of each
part, in process, on local workers or on a Dask cluster (any ``Pool``), and hands the results
back in corpus order; an unreadable record stops it with its file and its line in the file.

``learn`` counts a corpus this way. Cleaning writes what it reads, so it cuts files the same
way but keeps its own loop (``cleaner.pipeline.files``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from cleaner.errors import InputError
from cleaner.io import storage
from cleaner.io.codecs import codec_for
from cleaner.io.documents import read_documents
from cleaner.io.plan import FileJob
from cleaner.io.ranges import line_ranges, read_range
from cleaner.io.readers import BLOCK_BYTES
from cleaner.pipeline.workers import Pool, ordered
from cleaner.types import CleanResult, Document, Fields

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Part:
    """A whole planned file, or the lines beginning in ``[start, end)`` of one."""

    job: FileJob
    span: tuple[int, int] | None = None

    @property
    def size(self) -> int:
        """About how many bytes the part holds (to group small files)."""
        if self.span is not None:
            return self.span[1] - self.span[0]
        try:
            return storage.size(self.job.source)
        except OSError:
            return 0  # its reader says what is wrong with it


def splittable(job: FileJob) -> bool:
    """Whether workers can read byte ranges of the file themselves: a line file with no
    compression (a compressed stream can only be read from its start), local or by URL."""
    fmt = job.input_format
    if fmt.kind != "jsonl" or fmt.compression != "none":
        return False
    return storage.is_url(job.source) or os.path.isfile(job.source)


def corpus_parts(planned: Sequence[FileJob], size: int = BLOCK_BYTES) -> Iterator[Part]:
    """The parts of planned files, in order: ranges of about ``size`` bytes where a file
    can be cut, whole files where it cannot."""
    for job in planned:
        if splittable(job):
            for span in line_ranges(job.source, size):
                yield Part(job, span)
        else:
            yield Part(job)


class ReadOnly:
    """Stands for the cleaner in workers that only read: never asked to clean."""

    def clean_document(self, doc: Document, /) -> CleanResult:
        raise TypeError("these workers read and count; they do not clean")


@dataclass(frozen=True, slots=True)
class _Read(Generic[R]):
    """What a worker sends back for a part: ``fn``'s value (or the error that stopped it,
    with its line counted from the part's start) and how many lines the part holds."""

    value: R | None
    lines: int
    error: InputError | None = None


def _read_part(
    _cleaner: object, part: Part, fn: Callable[..., R], fields: Fields, args: tuple[Any, ...]
) -> _Read[R]:
    lines = 0

    def texts() -> Iterator[tuple[str, str | None]]:
        nonlocal lines
        if part.span is None:
            for doc in read_documents([part.job], fields):
                yield doc.text, doc.url
            return
        codec = codec_for(part.job.input_format, fields)
        for block in read_range(part.job.source, *part.span):
            lines += block.data.count(b"\n")
            for record in block.records():
                decoded = codec.decode(record)
                if decoded is not None:
                    yield decoded.text, decoded.url

    try:
        value = fn(texts(), *args)
    except InputError as e:
        return _Read(None, lines, e)
    return _Read(value, lines)


def map_parts(
    planned: Sequence[FileJob],
    fn: Callable[..., R],
    args: tuple[Any, ...],
    fields: Fields,
    *,
    jobs: int = 1,
    pool: Pool | None = None,
    size: int = BLOCK_BYTES,
) -> Iterator[R]:
    """``fn(texts, *args)`` for the documents of each part of ``planned``, in corpus order.
    ``fn`` must be importable by workers (a module-level function)."""
    results = ordered(
        corpus_parts(planned, size),
        _read_part,
        (fn, fields, args),
        pool.cleaner if pool is not None else ReadOnly(),
        jobs=jobs,
        pool=pool,
        chunking=(1, size, lambda part: part.size),
    )
    job, offset = None, 0  # lines of the file before the part
    for part, read in results:
        if part.job is not job:
            job, offset = part.job, 0
        if read.error is not None:
            e = read.error
            raise InputError(e.path, e.reason, line=None if e.line is None else e.line + offset)
        offset += read.lines
        yield cast(R, read.value)  # None only with an error, raised above
