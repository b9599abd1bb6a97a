"""One record, and one block of records: decode, clean, encode, in process or in a worker.

``clean_record`` is the per-record work, the same code in process and in workers, so what a
record becomes never depends on how it was run. ``clean_block`` cleans a block of lines where
it lands and sends back only the bytes to write, its counts and the outcomes someone listens
for. ``clean_stream`` turns records into ordered outcomes, one per record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from cleaner.errors import ConfigError, InputError
from cleaner.hosts import host_of
from cleaner.io.codecs import Codec
from cleaner.io.readers import BLOCK_BYTES, Block, Record, RecordLike
from cleaner.pipeline.workers import Pool, SupportsClean, ordered, resolve_jobs
from cleaner.report import Rejection, Report
from cleaner.types import CleanResult, Document, rebuilt_by_fields

OnError = Literal["fail", "skip"]
ON_ERROR: tuple[OnError, ...] = ("fail", "skip")
#: Added to a record's reason when it stops a run: the way to get past it.
SKIP_HINT = "(or pass --on-error skip to set such records aside)"
# Records travel in chunks of the same size as a file's blocks (see BLOCK_BYTES), or of 250
# records, whichever comes first.
CHUNK_RECORDS = 250
CHUNK_BYTES = BLOCK_BYTES

R = TypeVar("R", bound=RecordLike)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one record.

    ``data`` is what to write (without terminator): the raw bytes when the cleaner changed
    nothing, else the re-encoded record; ``None`` when rejected, and for in-memory rows (their
    caller writes them back). ``result`` is ``None`` for a rejected record and for a record
    that holds no document (a blank JSONL line, passed through and not counted). ``reason`` says why a record was rejected and ``reason_line``
    where, when the codec knows better than the record (a bad byte deep in a .txt file).
    ``document`` is the record's document as decoded when cleaning changed it or held edits
    back: listeners
    (diffs, spans files, findings) show what was removed from it without decoding it again.
    """

    record: RecordLike
    data: bytes | None
    result: CleanResult | None
    reason: str | None = None
    reason_line: int | None = None
    document: Document | None = None
    host: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return rebuilt_by_fields(self)

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

    @property
    def held(self) -> bool:
        """Whether the over-removal guard held edits back (the text may be unchanged)."""
        return self.result is not None and bool(self.result.held_back)

    def output(self) -> bytes:
        """The bytes to write for this record, terminator included (as in the input)."""
        if self.data is None:
            raise ValueError(f"{self.record.where}: no bytes to write for this record")
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

_Reply = tuple[
    bytes | None, CleanResult | None, Document | None, tuple[str, int | None] | None, str | None
]


def clean_record(cleaner: SupportsClean, record: R, codec: Codec[R]) -> _Reply:
    """(new bytes, result, document, (rejection reason, line), host) for one record; the
    bytes only if cleaning changed it, the document too if it changed or the guard held edits
    back; the host its URL names (for the report's per-host counts)."""
    try:
        doc = codec.decode(record)
    except InputError as e:
        return None, None, None, (e.reason, e.line), None
    if doc is None:
        return None, None, None, None, None
    host = host_of(doc.url)
    try:
        result = cleaner.clean_document(doc)
        if not result.changed:
            return None, result, doc if result.held_back else None, None, host
        return codec.encode(record, result), result, doc, None, host
    except Exception as e:
        e.add_note(f"while cleaning {record.where}")
        raise


def outcome_of(record: RecordLike, reply: _Reply) -> Outcome:
    data, result, doc, error, host = reply
    if error is not None:
        return Outcome(record, None, None, error[0], error[1])
    return Outcome(record, record.raw if data is None else data, result, document=doc, host=host)


@dataclass(frozen=True, slots=True)
class BlockOutcome:
    """What became of a block of lines: the bytes to write, the block's counts, and the
    outcomes to tell (the rejected ones; the changed or held back ones too when asked for)."""

    data: bytes
    report: Report
    outcomes: tuple[Outcome, ...]

    def __reduce__(self) -> tuple[Any, ...]:
        return rebuilt_by_fields(self)


def clean_block(
    cleaner: SupportsClean, block: Block, codec: Codec[Record], with_changed: bool
) -> BlockOutcome:
    """Clean every record of a block where the block is: only bytes, counts and the few
    outcomes someone asked for go back to the parent."""
    report = Report()
    kept: list[bytes] = []
    told: list[Outcome] = []
    for record in block.records():
        outcome = outcome_of(record, clean_record(cleaner, record, codec))
        report.add(outcome)
        if outcome.rejected:
            told.append(outcome)
            continue
        kept.append(outcome.output())
        if with_changed and (outcome.changed or outcome.held):
            told.append(outcome)
    return BlockOutcome(b"".join(kept), report, tuple(told))


def clean_blocks(
    cleaner: SupportsClean,
    blocks: Iterable[Block],
    codec: Codec[Record],
    with_changed: bool,
    write: Callable[[bytes], object],
) -> tuple[Report, tuple[Outcome, ...], int, int]:
    """Clean blocks one after another where they are read, handing each one's bytes to
    ``write``: (their report, the outcomes to tell, bytes and lines read)."""
    report = Report()
    told: list[Outcome] = []
    nbytes = lines = 0
    for block in blocks:
        done = clean_block(cleaner, block, codec, with_changed)
        report.merge(done.report)
        told.extend(done.outcomes)
        write(done.data)
        nbytes += len(block.data)
        lines += block.data.count(b"\n")
    return report, tuple(told), nbytes, lines


def check_on_error(on_error: str) -> None:
    if on_error not in ON_ERROR:
        raise ConfigError(f"on_error must be one of {', '.join(ON_ERROR)}, got {on_error!r}")


def check_pool(pool: Pool | None, cleaner: SupportsClean) -> None:
    if pool is not None and pool.cleaner is not cleaner:
        raise ConfigError("the worker pool was built for another cleaner; pass that cleaner")


def check_options(on_error: str, cleaner: SupportsClean, pool: Pool | None, jobs: int = 1) -> None:
    resolve_jobs(jobs)
    check_on_error(on_error)
    check_pool(pool, cleaner)


def clean_stream(
    records: Iterable[R],
    codec: Codec[R],
    cleaner: SupportsClean,
    *,
    jobs: int = 1,
    on_error: OnError = "fail",
    pool: Pool | None = None,
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
    check_options(on_error, cleaner, pool, jobs)
    replies = ordered(
        records,
        clean_record,
        (codec,),
        cleaner,
        jobs=jobs,
        pool=pool,
        chunking=(chunk_records, chunk_bytes, lambda r: r.size),
    )
    return _outcomes(replies, on_error)


def _outcomes(replies: Iterator[tuple[R, _Reply]], on_error: OnError) -> Iterator[Outcome]:
    for record, reply in replies:
        outcome = outcome_of(record, reply)
        if outcome.rejected and on_error == "fail":
            raise outcome.stopping_error()
        yield outcome


def shifted(done: BlockOutcome, offset: int) -> BlockOutcome:
    """``done`` with its line numbers moved ``offset`` lines down the file."""

    def moved(outcome: Outcome) -> Outcome:
        record = outcome.record
        assert isinstance(record, Record)
        line = outcome.reason_line
        return dataclasses.replace(
            outcome,
            record=dataclasses.replace(record, line=record.line + offset),
            reason_line=None if line is None else line + offset,
        )

    done.report.rejections[:] = [
        Rejection(r.path, r.line + offset, r.reason) for r in done.report.rejections
    ]
    return BlockOutcome(done.data, done.report, tuple(map(moved, done.outcomes)))
