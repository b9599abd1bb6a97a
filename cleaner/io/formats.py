"""Which format a file is in: decided by its name, then confirmed by its first bytes.

The extension is what users control and see, so it decides; the magic bytes only confirm it.
A mismatch (a ``.gz`` that is not gzip, a ``.jsonl`` that is really zstd) is an error rather
than a silent guess, because a wrong guess either garbles the corpus or hides a broken download.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cleaner.errors import ConfigError, InputError

Kind = Literal["txt", "jsonl", "parquet"]
Compression = Literal["none", "gzip", "zstd", "bzip2", "xz"]

KINDS: tuple[Kind, ...] = ("txt", "jsonl", "parquet")
COMPRESSIONS: tuple[Compression, ...] = ("none", "gzip", "zstd", "bzip2", "xz")

# .json too: corpus shards named *.json.gz (dolma's) hold JSON Lines.
_KIND_SUFFIXES: dict[str, Kind] = {
    ".txt": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_COMPRESSION_SUFFIXES: dict[str, Compression] = {
    ".gz": "gzip",
    ".zst": "zstd",
    ".bz2": "bzip2",
    ".xz": "xz",
}
_SUFFIX_OF: dict[Compression, str] = {
    "none": "",
    "gzip": ".gz",
    "zstd": ".zst",
    "bzip2": ".bz2",
    "xz": ".xz",
}

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BZIP2_MAGIC = b"BZh"
# After "BZh" and the level: a block (pi's digits) or, for an empty stream, the end (sqrt pi).
_BZIP2_BLOCKS = (b"1AY&SY", b"\x17rE8P\x90")
XZ_MAGIC = b"\xfd7zXZ\x00"
PARQUET_MAGIC = b"PAR1"

#: What cleaner reads, in short, for messages.
READABLE = (
    f"{', '.join(_KIND_SUFFIXES)}, each plain or {', '.join(_COMPRESSION_SUFFIXES)}; and .parquet"
)

#: Every name ending `cleaner` reads, for messages and directory scans.
KNOWN_SUFFIXES: tuple[str, ...] = (
    *(k + c for k in _KIND_SUFFIXES for c in ("", *_COMPRESSION_SUFFIXES)),
    ".parquet",
)


@dataclass(frozen=True, slots=True)
class Format:
    """A document format (``kind``) inside an optional compression layer."""

    kind: Kind
    compression: Compression = "none"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"unknown format {self.kind!r}; choose one of {', '.join(KINDS)}")
        if self.compression not in COMPRESSIONS:
            raise ConfigError(
                f"unknown compression {self.compression!r}; choose one of {', '.join(COMPRESSIONS)}"
            )
        if self.kind == "parquet" and self.compression != "none":
            raise ConfigError("parquet files compress internally; use compression 'none'")

    @property
    def compression_suffix(self) -> str:
        """``.gz``, ``.zst`` or ``""``: what a file name ends with for this compression."""
        return _SUFFIX_OF[self.compression]

    def with_compression(self, compression: Compression) -> Format:
        """The same kind of document under another compression (for output)."""
        return Format(self.kind, compression)


def _suffixes(path: Path) -> tuple[str, str]:
    """The last two suffixes, lower-cased: ``data.JSONL.gz`` -> (".jsonl", ".gz")."""
    name = path.name.lower()
    last = Path(name).suffix
    inner = Path(name[: len(name) - len(last)]).suffix if last else ""
    return inner, last


def format_from_name(path: str | Path) -> Format | None:
    """The format a file name announces, or ``None`` if it is not one `cleaner` reads."""
    inner, last = _suffixes(Path(path))
    if last == ".parquet":
        return Format("parquet")
    if last in _KIND_SUFFIXES:
        return Format(_KIND_SUFFIXES[last])
    if last in _COMPRESSION_SUFFIXES and inner in _KIND_SUFFIXES:
        return Format(_KIND_SUFFIXES[inner], _COMPRESSION_SUFFIXES[last])
    return None


def strip_compression_suffix(name: str) -> str:
    """``a.jsonl.gz`` -> ``a.jsonl``: the name under a different compression starts here."""
    lower = name.lower()
    for suffix in _COMPRESSION_SUFFIXES:
        if lower.endswith(suffix) and format_from_name(name) is not None:
            return name[: -len(suffix)]
    return name


def detect_format(path: str | Path) -> Format:
    """The format of ``path`` from its name; raises InputError naming the known extensions."""
    fmt = format_from_name(path)
    if fmt is None:
        raise InputError(
            path,
            f"unknown file type; cleaner reads {', '.join(KNOWN_SUFFIXES)} "
            "(rename the file to one of these; stdin is read as JSONL, compressed or not)",
        )
    return fmt


def sniff_compression(head: bytes) -> Compression:
    """The compression the first bytes of a stream show (used for stdin and confirmation)."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC) or _is_zstd_skippable(head):
        return "zstd"
    if head.startswith(BZIP2_MAGIC) and head[4:10] in _BZIP2_BLOCKS and head[3:4].isdigit():
        return "bzip2"
    if head.startswith(XZ_MAGIC):
        return "xz"
    return "none"


def _is_zstd_skippable(head: bytes) -> bool:
    """zstd skippable frames start with 0x184D2A5? (little-endian), e.g. pzstd's index frame."""
    return len(head) >= 4 and head[1:4] == b"\x2a\x4d\x18" and head[0] & 0xF0 == 0x50


_NAMES: dict[Compression, str] = {
    "none": "uncompressed",
    "gzip": "gzip",
    "zstd": "zstd",
    "bzip2": "bzip2",
    "xz": "xz",
}


def confirm_format(path: str | Path, fmt: Format, head: bytes) -> None:
    """Raise InputError if the first bytes ``head`` contradict the format the name announced.

    An empty file confirms any format: it is read as no content at all (see readers).
    """
    if not head:
        return
    if fmt.kind == "parquet":
        if not head.startswith(PARQUET_MAGIC):
            raise InputError(path, "named .parquet but the bytes do not start with PAR1")
        return
    found = sniff_compression(head)
    if found == fmt.compression:
        return
    if fmt.compression == "none":
        raise InputError(
            path,
            f"named as uncompressed but the bytes are {_NAMES[found]} data; "
            f"rename it to end in {_SUFFIX_OF[found]}",
        )
    raise InputError(
        path,
        f"named {fmt.compression_suffix} but the bytes are not {_NAMES[fmt.compression]} data "
        f"(they look {_NAMES[found]}); rename the file or re-compress it",
    )
