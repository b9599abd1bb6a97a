"""Parquet (optional: ``pip install 'cleaner[parquet]'``), streamed in record batches.

Rows become ``Record``s whose raw bytes are a small JSON object of the text, url, title and id
columns, so the ordinary ``JsonlCodec``, the pipeline (``-j N`` included) and rejects files
work unchanged. ``ParquetRewriter`` puts cleaned texts back into each batch, keeping every
other column, the schema and the compression codec, and writes through ``atomic_path``.
Batches wait in a short queue until all their rows are back, which the pipeline's bounded
in-flight chunks keep short.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from cleaner.errors import ConfigError, InputError
from cleaner.io.atomic import STDOUT, TempFile
from cleaner.io.codecs import Codec, JsonlCodec
from cleaner.io.readers import Record
from cleaner.types import CleanResult

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


def _keys(codec: Codec) -> JsonlCodec:
    if not isinstance(codec, JsonlCodec):
        raise ConfigError("parquet files are read with a JsonlCodec (it names the columns)")
    return codec


class ParquetSource:
    """The rows of a parquet file as records (``line`` = 1-based row number)."""

    def __init__(self, path: str | Path, codec: Codec, *, batch_rows: int = BATCH_ROWS) -> None:
        pa, pq = _pyarrow()
        self.path = str(path)
        self.keys = _keys(codec)
        self.batch_rows = batch_rows
        try:
            self.file: Any = pq.ParquetFile(self.path)
        except (OSError, pa.ArrowException) as e:
            raise InputError(self.path, f"cannot read as parquet: {e}") from None
        self.schema: Any = self.file.schema_arrow
        self._check_text_column(pa)
        #: (first row number, batch) of batches whose rows are not all back yet
        self.pending: deque[tuple[int, Any]] = deque()

    def _check_text_column(self, pa: ModuleType) -> None:
        names = self.schema.names
        key = self.keys.text_key
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

    def records(self) -> Iterator[Record]:
        """Yield a record per row, queueing each batch for ``ParquetRewriter``."""
        wanted = [self.keys.text_key, self.keys.url_key, self.keys.title_key, self.keys.id_key]
        columns = [c for c in dict.fromkeys(wanted) if c in self.schema.names]
        row = 0
        for batch in self.file.iter_batches(batch_size=self.batch_rows):
            self.pending.append((row + 1, batch))
            values = {c: batch.column(c).to_pylist() for c in columns}
            for i in range(batch.num_rows):
                row += 1
                obj = {c: values[c][i] for c in columns}
                raw = json.dumps(obj, ensure_ascii=False, default=str).encode("utf-8")
                yield Record(self.path, row, raw, b"\n")


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
        self._temp: TempFile | None = None
        self._discard = False

    def __enter__(self) -> ParquetRewriter:
        if self.target is not None:
            _, pq = _pyarrow()
            self._temp = TempFile(Path(self.target))
            try:
                self._writer = pq.ParquetWriter(
                    str(self._temp.path), self.source.schema, compression=self.source.compression()
                )
            except BaseException:
                self._temp.abort()
                raise
        return self

    def put(self, record: Record, result: CleanResult | None, *, keep: bool) -> None:
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
            key = self.source.keys.text_key
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
