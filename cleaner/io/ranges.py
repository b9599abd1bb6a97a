"""Byte ranges of a line file, cut at line boundaries, that a worker reads by itself.

A range ``[start, end)`` of an uncompressed line file owns the lines that *begin* inside it:
a reader skips the line it starts in (unless ``start`` is 0) and reads on to the end of the
line that crosses ``end``. So ranges cut anywhere partition the file's lines exactly, and a
worker needs only the path and two offsets: no corpus bytes pass through the parent. Line
numbers in a range's blocks count from 1; the parent shifts them by the lines of the ranges
before it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cleaner.io.readers import BLOCK_BYTES, Block, _blocks, _open_file


def split_ranges(size: int, length: int) -> list[tuple[int, int]]:
    """``[start, end)`` ranges of about ``length`` bytes covering a file of ``size`` bytes."""
    if length < 1:
        raise ValueError(f"range length must be positive, got {length}")
    return [(start, min(start + length, size)) for start in range(0, max(size, 1), length)]


def read_range(path: str | Path, start: int, end: int, size: int = BLOCK_BYTES) -> Iterator[Block]:
    """The whole lines beginning in ``[start, end)`` of ``path``, in blocks of about ``size``
    bytes, numbered from line 1 of the range."""
    raw, _ = _open_file(Path(path))
    with raw:
        first = _line_start(raw, start)
        last = _line_start(raw, end)
        if last <= first:
            return
        raw.seek(first)
        stream = io.BufferedReader(_Bounded(raw, last - first), buffer_size=1 << 20)
        yield from _blocks(stream, str(path), "none", size)


def _line_start(raw: BinaryIO, offset: int) -> int:
    """Where the first line beginning at or after ``offset`` begins (or the end of file)."""
    if offset <= 0:
        return 0
    raw.seek(offset - 1)
    raw.readline()  # ends after the newline at or after offset - 1
    return raw.tell()


class _Bounded(io.RawIOBase):
    """The next ``remaining`` bytes of ``source``."""

    def __init__(self, source: BinaryIO, remaining: int) -> None:
        self._source = source
        self._remaining = remaining

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self._remaining)
        data = self._source.read(n) if n else b""
        buffer[: len(data)] = data
        self._remaining -= len(data)
        return len(data)
