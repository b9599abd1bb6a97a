"""Byte ranges of a line file, cut at line boundaries, that a worker reads by itself.

A range ``[start, end)`` of an uncompressed line file owns the lines that *begin* inside it:
a reader skips the line it starts in (unless ``start`` is 0) and reads on to the end of the
line that crosses ``end``. So ranges cut anywhere partition the file's lines exactly, and a
worker needs only the path and two offsets: no corpus bytes pass through the parent. Line
numbers in a range's blocks count from 1; the parent shifts them by the lines of the ranges
before it. ``line_ranges`` cuts at line ends, so that a line longer than a range is scanned
once, by the parent in small reads, and not again by every range that starts inside it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cleaner.io import storage
from cleaner.io.readers import BLOCK_BYTES, Block, _blocks, _open_file


def split_ranges(size: int, length: int) -> list[tuple[int, int]]:
    """``[start, end)`` ranges of about ``length`` bytes covering a file of ``size`` bytes."""
    if length < 1:
        raise ValueError(f"range length must be positive, got {length}")
    return [(start, min(start + length, size)) for start in range(0, max(size, 1), length)]


def line_ranges(path: str | Path, length: int, scan: int = 1 << 16) -> list[tuple[int, int]]:
    """``[start, end)`` ranges of about ``length`` bytes covering ``path``, each ending just
    after a newline (the last at the end of the file)."""
    if length < 1:
        raise ValueError(f"range length must be positive, got {length}")
    size = storage.size(path)
    ranges: list[tuple[int, int]] = []
    start = 0
    with _open_file(path)[0] as f:
        while start < size:
            end = _line_end(f, start + length, size, scan)
            ranges.append((start, end))
            start = end
    return ranges or [(0, 0)]


def _line_end(f: BinaryIO, offset: int, size: int, scan: int) -> int:
    """Just after the first newline at or after ``offset - 1`` (or the end of file)."""
    if offset >= size:
        return size
    f.seek(offset - 1)
    while chunk := f.read(scan):
        newline = chunk.find(b"\n")
        if newline >= 0:
            return f.tell() - len(chunk) + newline + 1
    return size


def read_range(path: str | Path, start: int, end: int, size: int = BLOCK_BYTES) -> Iterator[Block]:
    """The whole lines beginning in ``[start, end)`` of ``path``, in blocks of about ``size``
    bytes, numbered from line 1 of the range."""
    raw, _ = _open_file(path)
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
