"""Streaming readers: a file (or stdin) becomes ``Record``s carrying the exact bytes read.

Records keep the raw bytes of each line and the terminator that followed it, so a record the
cleaner leaves alone is written back byte for byte, CRLF files stay CRLF and a file without a
final newline keeps lacking one. Lines are read in blocks of about 1 MB of whole lines
(``read_blocks``), split into records where they are cleaned; a block grows to hold a longer
line, so a 100 MB single-line document is read whole and a 100 GB file is never loaded.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, cast

from cleaner.errors import InputError
from cleaner.io import storage
from cleaner.io.compression import DECOMPRESSION_ERRORS, open_decompressed
from cleaner.io.formats import Compression, Format, confirm_format, detect_format, sniff_compression

STDIN = "-"
STDIN_NAME = "<stdin>"
_HEAD = 16  # enough for every magic number, bzip2's block magic included
#: About this many bytes of whole lines per block: 1 MB keeps pickling cheap and a -j 2
#: run's process tree, with two blocks per worker in flight, well under 200 MB.
BLOCK_BYTES = 1 << 20
#: The longest record read: far past any real document, and a bound on the memory a
#: decompression bomb (a small file that expands into one endless line) can take.
MAX_RECORD_BYTES = 256 << 20


@dataclass(frozen=True, slots=True)
class Record:
    """One unit of input: a JSONL line, or a whole .txt file.

    ``raw`` excludes the terminator; ``end`` is the terminator that followed it in the input
    (``b"\\n"``, ``b"\\r\\n"`` or ``b""`` for a last line without one). ``line`` is 1-based.
    ``whole`` marks a whole .txt file, whose text's lines are the file's lines.
    """

    path: str
    line: int
    raw: bytes
    end: bytes = b"\n"
    whole: bool = False

    @property
    def where(self) -> str:
        """``path:line`` for messages."""
        return f"{self.path}:{self.line}"

    @property
    def size(self) -> int:
        """Bytes read, for chunking and progress."""
        return len(self.raw)


class RecordLike(Protocol):
    """What the pipeline reads from a unit of input: a ``Record``, or a Parquet row."""

    @property
    def path(self) -> str: ...

    @property
    def line(self) -> int: ...

    @property
    def raw(self) -> bytes:
        """The input as read, without terminator: what a rejects file keeps."""
        ...

    @property
    def end(self) -> bytes: ...

    @property
    def whole(self) -> bool: ...

    @property
    def where(self) -> str: ...

    @property
    def size(self) -> int:
        """About how much input the unit is, for chunking and progress."""
        ...


@dataclass(frozen=True, slots=True)
class Block:
    """Consecutive whole lines of one source, as read (or a whole .txt file, ``whole``).

    Blocks are what travel to worker processes: bytes pickle at copying speed, and the
    records are split out, cleaned and counted on the worker's CPU.
    """

    path: str
    first_line: int
    data: bytes
    whole: bool = False

    def records(self) -> Iterator[Record]:
        """The records in the block, terminators split off as the input had them."""
        if self.whole:
            yield Record(self.path, self.first_line, self.data, b"", whole=True)
            return
        lines = self.data.split(b"\n")
        last = lines.pop()  # what follows the last newline: a line without one, or nothing
        for number, line in enumerate(lines, self.first_line):
            if line.endswith(b"\r"):
                yield Record(self.path, number, line[:-1], b"\r\n")
            else:
                yield Record(self.path, number, line, b"\n")
        if last:
            yield Record(self.path, self.first_line + len(lines), last, b"")


def display_name(path: str | Path) -> str:
    """How a source is named in records, reports and errors (``<stdin>`` for ``-``)."""
    return STDIN_NAME if str(path) == STDIN else str(path)


def read_records(path: str | Path, fmt: Format | None = None) -> Iterator[Record]:
    """Stream the records of ``path`` (``"-"`` is stdin) in input order.

    ``fmt`` defaults to what the name says; stdin has no name, so its compression is always
    sniffed from the first bytes (its kind is ``fmt.kind``, default JSONL). Raises InputError
    for a missing or unreadable file, a name the bytes contradict, and truncated or corrupt
    compressed data (naming the line where the damage was met). An empty (0-byte) file has no
    content: a JSONL file gives no records, a .txt file one empty record. Parquet is read by
    ``cleaner.io.parquet`` (it has rows, not lines).
    """
    for block in read_blocks(path, fmt):
        yield from block.records()


def read_blocks(
    path: str | Path, fmt: Format | None = None, size: int = BLOCK_BYTES
) -> Iterator[Block]:
    """The records of ``path`` as they come, in blocks of about ``size`` bytes of whole lines
    (a .txt file is one block): what the pipeline hands out, so that records are split and
    counted where they are cleaned. Fails as ``read_records`` does."""
    name = display_name(path)
    with open_source(path, fmt) as (stream, found):
        if found.kind == "parquet":
            raise InputError(name, "parquet files are read with cleaner.io.parquet, not as lines")
        if found.kind == "txt":
            yield _whole(stream, name, found.compression)
        else:
            yield from _blocks(stream, name, found.compression, size)


@contextmanager
def open_source(path: str | Path, fmt: Format | None = None) -> Iterator[tuple[BinaryIO, Format]]:
    """Open ``path`` for reading its decompressed bytes, after confirming its format."""
    name = display_name(path)
    if name == STDIN_NAME:
        raw, head = _stdin()
        found = Format(fmt.kind if fmt else "jsonl", sniff_compression(head))
    else:
        found = fmt or detect_format(path)
        raw, head = _open_file(path)
    try:
        confirm_format(name, found, head)
        yield open_decompressed(raw, found.compression), found
    finally:
        if name != STDIN_NAME:
            raw.close()


def open_binary(path: str | Path) -> BinaryIO:
    """``path`` (or a URL) opened for buffered, seekable reading; OS errors become
    InputErrors that say why and what to do."""
    url = storage.is_url(path)
    try:
        if url:
            return storage.open_file(str(path))
        return open(path, "rb", buffering=1 << 20)
    except FileNotFoundError:
        raise InputError(path, f"no such file; check the {'URL' if url else 'path'}") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory; pass it as an input directory instead") from None
    except PermissionError:
        fix = "check the credentials" if url else "make the file readable"
        raise InputError(path, f"permission denied; {fix}") from None
    except OSError as e:
        raise InputError(path, f"cannot open: {e.strerror or e}") from None


def _open_file(path: str | Path) -> tuple[BinaryIO, bytes]:
    """``open_binary``, and the file's first bytes (for sniffing)."""
    raw = open_binary(path)
    try:
        head = raw.read(_HEAD)
        raw.seek(0)
    except OSError as e:
        raw.close()
        raise InputError(path, f"cannot read: {e.strerror or e}") from None
    return raw, head


def _stdin() -> tuple[BinaryIO, bytes]:
    """stdin as bytes, with its first bytes read for sniffing and then put back in front."""
    source = sys.stdin.buffer
    head = source.read(_HEAD)
    return io.BufferedReader(_Prefixed(head, source), buffer_size=1 << 20), head


class _Prefixed(io.RawIOBase):
    """``prefix`` followed by the rest of ``source``: un-reads the sniffed head of a pipe."""

    def __init__(self, prefix: bytes, source: BinaryIO) -> None:
        self._prefix = prefix
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _broken(name: str, compression: Compression, line: int, error: BaseException) -> InputError:
    """The error for a stream that failed mid-way, naming where the damage was met."""
    if compression == "none":
        return InputError(name, f"read failed: {error}", line=line)
    return InputError(
        name,
        f"{compression} data is truncated or corrupt ({error}); "
        "re-download or re-compress the file",
        line=line,
    )


def _blocks(stream: BinaryIO, name: str, compression: Compression, size: int) -> Iterator[Block]:
    """Cut the stream into blocks of whole lines, each about ``size`` bytes (or one longer line).

    A last line without a newline is yielded only after a read confirms a clean end, so a
    truncated archive is reported as truncated rather than as a malformed last record; the
    error names the first line that was not read whole.
    """
    line = 1
    pending = bytearray()
    while True:
        try:
            # read1: one read at most, so a failing read loses little and the error's
            # line is close to the damage (every stream here is buffered).
            data = cast(io.BufferedIOBase, stream).read1(size)
        except DECOMPRESSION_ERRORS as e:
            raise _broken(name, compression, line + pending.count(b"\n"), e) from e
        if not data:
            if pending:
                yield Block(name, line, bytes(pending))
            return
        # Only the new bytes are searched: a 100 MB line costs one pass, not one per read.
        newline = data.rfind(b"\n")
        pending += data
        if newline == -1 and len(pending) > MAX_RECORD_BYTES:
            raise _too_long(name, line + pending.count(b"\n"))
        if newline != -1 and len(pending) >= size:
            cut = len(pending) - len(data) + newline + 1
            with memoryview(pending) as view:  # one copy, not a bytearray slice and then bytes
                block = Block(name, line, bytes(view[:cut]))
            del pending[:cut]
            line += block.data.count(b"\n")
            yield block


def _whole(stream: BinaryIO, name: str, compression: Compression) -> Block:
    """A .txt file is one document: read it whole (the cleaner needs all of it anyway)."""
    try:
        data = stream.read(MAX_RECORD_BYTES + 1)
    except DECOMPRESSION_ERRORS as e:
        raise _broken(name, compression, 1, e) from e
    if len(data) > MAX_RECORD_BYTES:
        raise _too_long(name, 1)
    return Block(name, 1, data, whole=True)


def _too_long(name: str, line: int) -> InputError:
    return InputError(
        name,
        f"a record runs past {MAX_RECORD_BYTES >> 20} MiB without ending (a decompression "
        "bomb, or a file that is not one record per line); check the file, or split it",
        line=line,
    )
