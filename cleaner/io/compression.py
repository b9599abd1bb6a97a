"""Streaming (de)compression: gzip, zstd, bzip2 and xz layers over binary files, never
whole-file. bzip2 and xz are the standard library's; like gzip they raise EOFError at a
truncated end.

zstandard's own ``stream_reader`` returns short data at a truncated end without complaint, so
reading uses a small raw reader over ``decompressobj`` that knows whether the last frame ended.
A truncated download must be an error, not a silently shorter corpus.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from typing import BinaryIO, cast

import zstandard

from cleaner.io.formats import Compression

READ_CHUNK = 1 << 20
GZIP_LEVEL = 6
ZSTD_LEVEL = 3

#: What a broken compressed stream raises while being read (callers turn it into InputError).
#: (zlib.error is not an OSError; gzip raises EOFError at a truncated end.)
DECOMPRESSION_ERRORS: tuple[type[BaseException], ...] = (
    EOFError,
    OSError,
    zlib.error,
    zstandard.ZstdError,
    lzma.LZMAError,
)


#: Compressed bytes decompressed per step. zstd expands at most about 32,000 times (an RLE
#: block of 4 bytes is 128 KB), so one step yields at most ~32 MB: a bomb cannot take memory
#: faster than the reader's record limit can stop it.
_ZSTD_STEP = 1 << 10


class _ZstdRawReader(io.RawIOBase):
    """Decompress zstd frames one after another; EOFError if the input ends inside a frame."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._dctx = zstandard.ZstdDecompressor()
        self._obj = self._dctx.decompressobj()
        self._in_frame = False
        self._input = b""
        self._at = 0
        self._pending = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer`` with decompressed bytes; 0 means a clean end of all frames."""
        if len(self._pending) < len(buffer):
            parts = [self._pending]
            have = len(self._pending)
            while have < len(buffer) and not self._eof:
                part = self._step()
                parts.append(part)
                have += len(part)
            self._pending = b"".join(parts)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def _step(self) -> bytes:
        if self._at == len(self._input):
            self._input, self._at = self._source.read(READ_CHUNK), 0
            if not self._input:
                if self._in_frame:
                    raise EOFError("zstd data ends inside a frame (the file is truncated)")
                self._eof = True
                return b""
        with memoryview(self._input) as view:
            piece = view[self._at : self._at + _ZSTD_STEP]
            self._at += len(piece)
            self._in_frame = True
            out = self._obj.decompress(piece)
        if self._obj.eof:  # a frame ended inside the piece: the next one starts after it
            self._at -= len(self._obj.unused_data)
            self._obj = self._dctx.decompressobj()
            self._in_frame = False
        return out


def open_decompressed(raw: BinaryIO, compression: Compression) -> BinaryIO:
    """A buffered binary reader of the decompressed content of ``raw`` (not closing ``raw``)."""
    if compression == "gzip":
        return cast(BinaryIO, gzip.GzipFile(fileobj=raw, mode="rb"))
    if compression == "zstd":
        return cast(BinaryIO, io.BufferedReader(_ZstdRawReader(raw), buffer_size=READ_CHUNK))
    # Given a file object, BZ2File and LZMAFile leave it open when they close.
    if compression == "bzip2":
        return cast(BinaryIO, bz2.BZ2File(raw, mode="rb"))
    if compression == "xz":
        return cast(BinaryIO, lzma.LZMAFile(raw, mode="rb"))
    return raw


def open_compressed(raw: BinaryIO, compression: Compression) -> BinaryIO:
    """A writer compressing into ``raw``; closing it ends the stream but leaves ``raw`` open.

    gzip gets ``mtime=0`` and no file name so that equal content gives equal bytes: runs are
    reproducible and -j N output can be compared with -j 1.
    """
    if compression == "gzip":
        return cast(
            BinaryIO,
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL, mtime=0),
        )
    if compression == "zstd":
        cctx = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True)
        return cast(BinaryIO, cctx.stream_writer(raw, closefd=False))
    if compression == "bzip2":
        return cast(BinaryIO, bz2.BZ2File(raw, mode="wb"))
    if compression == "xz":
        return cast(BinaryIO, lzma.LZMAFile(raw, mode="wb"))
    return cast(BinaryIO, _Unclosing(raw))


class _Unclosing(io.BufferedIOBase):
    """Pass writes through; ``close`` only flushes, so every layer can be closed the same way."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw

    def fileno(self) -> int:
        return self._raw.fileno()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()

    def close(self) -> None:
        if not self.closed:
            self._raw.flush()
        super().close()
