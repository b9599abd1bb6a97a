"""In-memory rows: mappings in, one outcome per row out, in order, for the caller to write back.

Rows are what the integrations hold: Scrapy items, Dask bag records, one mapping per row of
a dataframe partition, a ``datasets`` batch or a datatrove document. ``Fields`` say where
each keeps its text, url, title and id. A row whose text is missing or not a string (``None``,
``NaN``) holds no document: its outcome has no result, it is passed back as it was and it is
not counted, like a blank JSONL line. Metadata that is not a non-empty string is absent to
the rules; an id is any value but ``None``, as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cleaner.io.readers import Record
from cleaner.pipeline.options import Listeners, RunOptions
from cleaner.pipeline.records import CHUNK_BYTES, CHUNK_RECORDS, Outcome
from cleaner.pipeline.workers import SupportsClean, ordered
from cleaner.report import Report
from cleaner.types import CleanResult, Document, Fields


@dataclass(frozen=True, slots=True)
class Rows:
    """Rows to clean and hand back; ``name`` is what the report calls them (their "path")."""

    items: Iterable[Mapping[str, Any]]
    name: str = "rows"

    @classmethod
    def from_columns(cls, columns: Mapping[str, Sequence[Any]], name: str = "rows") -> Rows:
        """Rows from parallel columns (a ``datasets`` batch, a dataframe's columns)."""
        names = list(columns)
        lengths = {len(columns[n]) for n in names}
        if len(lengths) > 1:
            shown = ", ".join(f"{n}: {len(columns[n])}" for n in names)
            raise ValueError(f"columns of different lengths ({shown})")
        values = zip(*(columns[n] for n in names), strict=True)
        return cls([dict(zip(names, row, strict=True)) for row in values], name)


def document(row: Mapping[str, Any], fields: Fields) -> Document | None:
    """The document a row holds, or None when its text is missing or not a string."""
    text = row.get(fields.text)
    if not isinstance(text, str):
        return None
    return Document(
        text,
        _metadata(row, fields.url),
        _metadata(row, fields.title),
        _identifier(row, fields.id),
    )


def _metadata(row: Mapping[str, Any], key: str | None) -> str | None:
    """Metadata as rules see it: strings pass, anything else (None, NaN, "") is absent."""
    value = row.get(key) if key is not None else None
    return value if isinstance(value, str) and value else None


def _identifier(row: Mapping[str, Any], key: str | None) -> str | None:
    value = row.get(key) if key is not None else None
    return None if value is None else str(value)


def _clean(cleaner: SupportsClean, doc: Document | None) -> CleanResult | None:
    return None if doc is None else cleaner.clean_document(doc)


def _size(doc: Document | None) -> int:
    return 0 if doc is None else len(doc.text)


def run_rows(
    rows: Rows,
    cleaner: SupportsClean,
    fields: Fields,
    options: RunOptions,
    listeners: Listeners,
) -> Report:
    """Clean ``rows``; ``listeners.on_outcome`` hears of every row, in order."""
    report = Report(check=options.check)
    docs = (document(row, fields) for row in rows.items)
    results = ordered(
        docs,
        _clean,
        (),
        cleaner,
        jobs=options.jobs,
        pool=options.pool,
        chunking=(CHUNK_RECORDS, CHUNK_BYTES, _size),
    )
    for outcome in _outcomes(rows.name, results):
        report.add(outcome)
        if listeners.on_outcome is not None:
            listeners.on_outcome(outcome)
    return report


def _outcomes(
    name: str, results: Iterable[tuple[Document | None, CleanResult | None]]
) -> Iterator[Outcome]:
    for line, (doc, result) in enumerate(results, 1):
        changed = result is not None and result.changed
        yield Outcome(Record(name, line, b"", b""), None, result, document=doc if changed else None)
