"""The documents of planned files, decoded: for commands that read a corpus without cleaning it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from cleaner.errors import ConfigError
from cleaner.io.codecs import codec_for
from cleaner.io.plan import FileJob
from cleaner.io.readers import STDIN, read_records
from cleaner.types import Document, Fields


def read_documents(planned: Sequence[FileJob], fields: Fields) -> Iterator[Document]:
    """Every document of every planned file, in order; blank lines are none. A malformed
    record raises InputError with its file and line."""
    for job in planned:
        if job.input_format.kind == "parquet":
            from cleaner.io.parquet import ParquetCodec, ParquetSource

            codec = ParquetCodec(fields)
            yield from (codec.decode(row) for row in ParquetSource(job.source, fields).records())
            continue
        line_codec = codec_for(job.input_format, fields)
        for record in read_records(job.source, job.input_format):
            doc = line_codec.decode(record)
            if doc is not None:
                yield doc


def refuse_stdin(planned: Sequence[FileJob], why: str) -> None:
    """Stop before reading if a command that cannot take stdin was given it."""
    if any(job.source == STDIN for job in planned):
        raise ConfigError(f"stdin cannot be read here: {why}; give files or directories")
