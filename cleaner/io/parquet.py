"""Parquet (optional: ``pip install 'cleaner[parquet]'``), streamed in record batches.

Rows become ``ParquetRow``s holding the values of the text, url, title and id columns, which
``ParquetCodec`` reads as documents the way ``JsonlCodec`` reads a JSON line's keys; the
pipeline (``-j N`` included) treats them as any record. A rejected row goes to a rejects file
as a JSON object of those columns. ``ParquetRewriter`` puts cleaned texts back into each batch,
keeping every other column, the schema and the compression codec, and writes through a
``TempFile``. Batches wait in a short queue until all their rows are back, which the
pipeline's bounded in-flight chunks keep short.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, ClassVar

from cleaner.errors import ConfigError, InputError
from cleaner.io import storage
from cleaner.io.atomic import STDOUT, TempFile, TempObject
from cleaner.io.codecs import check_fields, json_kind, lookup, metadata_str
from cleaner.io.readers import RecordLike, open_binary
from cleaner.types import CleanResult, Document, Fields

BATCH_ROWS = 1024
INSTALL_HINT = "parquet support needs pyarrow: pip install 'cleaner[parquet]'"


def _pyarrow() -> tuple[ModuleType, ModuleType]:
    """``(pyarrow, pyarrow.parquet)``, or a ConfigError that says how to install them."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    return pyarrow, pyarrow.parquet


@dataclass(frozen=True, slots=True)
class ParquetRow:
    """One row of a parquet file (``line`` = 1-based row number): the values of the columns
    that ``Fields`` name, as pyarrow gives them."""

    path: str
    line: int
    values: dict[str, Any]
    end: ClassVar[bytes] = b"\n"
    whole: ClassVar[bool] = False

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def raw(self) -> bytes:
        """The row as a rejects file holds it: a JSON object of those columns."""
        return json.dumps(self.values, ensure_ascii=False, default=str).encode("utf-8")

    @property
    def size(self) -> int:
        """About how much text the row holds, for chunking and progress."""
        return sum(len(v) for v in self.values.values() if isinstance(v, str))


def _metadata(values: dict[str, Any], key: str | None) -> str | None:
    """Metadata as ``JsonlCodec`` reads it from the row written as JSON: strings and integers
    as text; anything JSON writes as a string (dates, decimals, bytes) as that string."""
    value = lookup(values, key)
    if value is None or isinstance(value, str | bool | int | float | list | tuple | dict):
        return metadata_str(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class ParquetCodec:
    """Parquet rows <-> documents: the columns ``fields`` name hold the text and metadata.

    The text column is a string column (``ParquetSource`` checks), so a row is rejected only
    when its text is null. Cleaned texts go back into the column (``ParquetRewriter``)."""

    fields: Fields

    def __post_init__(self) -> None:
        check_fields(self.fields)

    def decode(self, row: ParquetRow, /) -> Document:
        text = row.values.get(self.fields.text)
        if not isinstance(text, str):
            kind = json_kind(text)
            raise InputError(
                row.path, f"field {self.fields.text!r} is {kind}, not a string", line=row.line
            )
        return Document(
            text,
            _metadata(row.values, self.fields.url),
            _metadata(row.values, self.fields.title),
            _metadata(row.values, self.fields.id),
        )

    def encode(self, row: ParquetRow, result: CleanResult, /) -> bytes:
        """The cleaned text as UTF-8 (the rewriter puts ``result.text`` into the column)."""
        return result.text.encode("utf-8")


class ParquetSource:
    """The rows of a parquet file as ``ParquetRow``s."""

    def __init__(self, path: str | Path, fields: Fields, *, batch_rows: int = BATCH_ROWS) -> None:
        pa, pq = _pyarrow()
        self.path = str(path)
        self.fields = fields
        self.batch_rows = batch_rows
        # pyarrow reads a local file natively, by its path
        self._handle: Any = open_binary(self.path) if storage.is_url(self.path) else None
        try:
            self.file: Any = pq.ParquetFile(self._handle or self.path)
        except (OSError, pa.ArrowException) as e:
            raise InputError(self.path, f"cannot read as parquet: {e}") from None
        self.schema: Any = self.file.schema_arrow
        self._check_text_column(pa)
        #: (first row number, batch) of batches whose rows are not all back yet
        self.pending: deque[tuple[int, Any]] = deque()

    def _check_text_column(self, pa: ModuleType) -> None:
        names = self.schema.names
        key = self.fields.text
        if key not in names:
            shown = ", ".join(repr(n) for n in names[:8])
            raise InputError(
                self.path,
                f"no column {key!r} (columns: {shown}); pass --text-key to name the text column",
            )
        kind = self.schema.field(key).type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            raise InputError(self.path, f"column {key!r} is {kind}, not a string column")

    def compression(self) -> str:
        """The codec of the first column chunk, so output compresses like the input."""
        meta = self.file.metadata
        if meta.num_row_groups and meta.num_columns:
            name = str(meta.row_group(0).column(0).compression).lower()
            return "none" if name == "uncompressed" else name
        return "snappy"

    def records(self) -> Iterator[ParquetRow]:
        """Yield a row at a time, queueing each batch for ``ParquetRewriter``."""
        fields = self.fields
        wanted = [fields.text, fields.url, fields.title, fields.id]
        columns = [c for c in dict.fromkeys(wanted) if c is not None and c in self.schema.names]
        row = 0
        try:
            for batch in self.file.iter_batches(batch_size=self.batch_rows):
                self.pending.append((row + 1, batch))
                values = [batch.column(c).to_pylist() for c in columns]
                for cells in zip(*values, strict=True):
                    row += 1
                    yield ParquetRow(self.path, row, dict(zip(columns, cells, strict=True)))
        finally:
            if self._handle is not None:
                self._handle.close()


class ParquetRewriter:
    """Writes ``source``'s batches to ``target`` with cleaned texts (``None``: write nothing).

    ``put`` is called once per row, in order: ``result`` is the cleaning result (``None``
    for a row that was not cleaned), ``keep`` whether the row stays (rejected rows do not).
    """

    def __init__(self, source: ParquetSource, target: str | None) -> None:
        if target == STDOUT:
            raise ConfigError("parquet cannot be written to stdout; give an output file")
        self.source = source
        self.target = target
        self._texts: list[str | None] = []
        self._keep: list[bool] = []
        self._writer: Any = None
        self._temp: TempFile | TempObject | None = None
        self._sink: Any = None  # the temp object's stream, for a URL target
        self._discard = False

    def __enter__(self) -> ParquetRewriter:
        if self.target is not None:
            _, pq = _pyarrow()
            remote = storage.is_url(self.target)
            self._temp = TempObject(self.target) if remote else TempFile(Path(self.target))
            try:
                # a local temp file by its path: pyarrow writes it natively, faster
                self._sink = self._temp.open() if remote else None
                self._writer = pq.ParquetWriter(
                    self._sink or str(self._temp.path),
                    self.source.schema,
                    compression=self.source.compression(),
                )
            except BaseException:
                self._temp.abort()
                raise
        return self

    def put(self, record: RecordLike, result: CleanResult | None, *, keep: bool) -> None:
        """Take one row's outcome; a batch is written once all its rows are in."""
        changed = result is not None and result.changed
        self._texts.append(result.text if changed and result is not None else None)
        self._keep.append(keep)
        first, batch = self.source.pending[0]
        if record.line != first + len(self._texts) - 1:
            raise ValueError(f"{record.where}: parquet rows arrived out of order")
        if len(self._texts) == batch.num_rows:
            self._flush(batch)

    def _flush(self, batch: Any) -> None:
        self.source.pending.popleft()
        texts, keep = self._texts, self._keep
        self._texts, self._keep = [], []
        if self._writer is None:
            return
        pa, _ = _pyarrow()
        if any(t is not None for t in texts):
            key = self.source.fields.text
            index = batch.schema.get_field_index(key)
            old = batch.column(index).to_pylist()
            new = [o if t is None else t for o, t in zip(old, texts, strict=True)]
            batch = batch.set_column(
                index, batch.schema.field(index), pa.array(new, batch.column(index).type)
            )
        if not all(keep):
            batch = batch.filter(pa.array(keep, pa.bool_()))
        self._writer.write_batch(batch)

    def discard(self) -> None:
        """Leave the target untouched when the block ends."""
        self._discard = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._temp is None:
            return
        try:
            self._writer.close()
            if self._sink is not None:
                self._sink.close()
        except BaseException:
            self._temp.abort()
            raise
        if exc is not None or self._discard:
            self._temp.abort()
            return
        if self.source.pending or self._texts:
            self._temp.abort()
            raise ValueError(f"{self.source.path}: not every parquet row came back")
        self._temp.commit()
