"""Reading and writing corpora: formats, streaming readers, codecs, atomic writers, planning.

Unchanged records pass through byte for byte; outputs appear complete or not at all.
Parquet (``cleaner.io.parquet``) is optional and imported only when a .parquet file is met.
"""

from __future__ import annotations

from cleaner.io.atomic import (
    STDOUT,
    TEMP_PREFIX,
    AtomicOutput,
    find_stale_temps,
    is_complete,
    is_temp,
)
from cleaner.io.codecs import Codec, JsonlCodec, TextCodec, codec_for
from cleaner.io.formats import (
    KNOWN_SUFFIXES,
    Compression,
    Format,
    confirm_format,
    detect_format,
    format_from_name,
    sniff_compression,
)
from cleaner.io.plan import FileJob, plan_files
from cleaner.io.readers import (
    BLOCK_BYTES,
    STDIN,
    Block,
    Record,
    display_name,
    open_source,
    read_blocks,
    read_records,
)

__all__ = [
    "BLOCK_BYTES",
    "KNOWN_SUFFIXES",
    "STDIN",
    "STDOUT",
    "TEMP_PREFIX",
    "AtomicOutput",
    "Block",
    "Codec",
    "Compression",
    "FileJob",
    "Format",
    "JsonlCodec",
    "Record",
    "TextCodec",
    "codec_for",
    "confirm_format",
    "detect_format",
    "display_name",
    "find_stale_temps",
    "format_from_name",
    "is_complete",
    "is_temp",
    "open_source",
    "plan_files",
    "read_blocks",
    "read_records",
    "sniff_compression",
]
