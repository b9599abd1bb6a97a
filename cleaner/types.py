"""The values that flow through the engine: documents in, spans and results out, and where a
record keeps a document's parts."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


def rebuilt_by_fields(value: Any) -> tuple[Any, ...]:
    """``__reduce__`` for a slotted dataclass: pickle it as a call of its constructor. Both
    builds then write the same pickle, so a client and workers of different builds understand
    each other; the generic state protocol differs between them, and the compiled build's
    frozen classes refuse its assignments."""
    return (type(value), tuple(getattr(value, f.name) for f in fields(value)))


@dataclass(frozen=True, slots=True)
class Document:
    """One text to clean, with the metadata rules may look at."""

    text: str
    url: str | None = None
    title: str | None = None
    id: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return rebuilt_by_fields(self)


@dataclass(frozen=True, slots=True)
class Fields:
    """Where a record keeps a document's parts: JSON keys, Parquet or dataframe columns, item
    fields. One value names them for the CLI's records and for every integration's rows.

    ``url``, ``title`` and ``id`` may be dotted paths into nested JSON objects (``meta.url``);
    ``None`` leaves that part unread.
    """

    text: str = "text"
    url: str | None = "url"
    title: str | None = "title"
    id: str | None = "id"

    def __reduce__(self) -> tuple[Any, ...]:
        return rebuilt_by_fields(self)


#: The fields of records written as ``{"text": ..., "url": ..., "title": ..., "id": ...}``.
DEFAULT_FIELDS = Fields()


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """An edit: replace ``text[start:end]`` of the original with ``replacement``."""

    start: int
    end: int
    rule_id: str
    replacement: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"span bounds out of order: {self.start}..{self.end}")

    def __reduce__(self) -> tuple[type[Span], tuple[int, int, str, str]]:
        # Results cross from worker processes by the thousand: rebuilding from the fields is
        # twice as fast as the generic state protocol of slotted, frozen dataclasses.
        return (Span, (self.start, self.end, self.rule_id, self.replacement))


@dataclass(frozen=True, slots=True)
class CleanResult:
    """What cleaning one document did.

    ``spans`` are sorted, non-overlapping and in bounds of the original text, and
    ``apply_spans(original, spans) == text``. ``held_back`` are the edits the over-removal
    guard refused (the text keeps them); ``timed_out`` names rules whose regex ran out of time
    on this document and were skipped.
    """

    text: str
    spans: tuple[Span, ...] = ()
    held_back: tuple[Span, ...] = ()
    timed_out: tuple[str, ...] = field(default=())

    def __reduce__(self) -> tuple[type[CleanResult], tuple[Any, ...]]:
        return (CleanResult, (self.text, self.spans, self.held_back, self.timed_out))

    @property
    def changed(self) -> bool:
        return bool(self.spans)

    def removed_chars(self) -> int:
        return sum((s.end - s.start) - len(s.replacement) for s in self.spans)
