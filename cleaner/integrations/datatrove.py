"""A datatrove pipeline step that cleans each document's text.

>>> from cleaner.integrations.datatrove import CleanerStep
>>> pipeline = [JsonlReader("raw/"), CleanerStep(), JsonlWriter("clean/")]  # doctest: +SKIP

The URL and title come from ``doc.metadata`` (keys ``url_key`` / ``title_key``), so site rules
and the repeated-title rule work on what datatrove readers produce. Every document is passed on
(the step edits, it never drops). Stats, merged across tasks by datatrove like any step's:

- ``total``, ``changed``, ``unchanged``; ``chars_removed`` (characters, per document changed);
- per rule: ``edits/<rule id>`` (edits in each document it touched),
  ``held_back/<rule id>`` (edits refused by the over-removal guard),
  ``timed_out/<rule id>`` (documents where its regex ran out of time);
- ``doc_len`` of the cleaned text, as datatrove's filters record it.

``spans_key`` also stores each document's edits in ``doc.metadata[spans_key]`` as a JSON list
(the shape of the CLI's ``--spans`` file).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

try:
    from datatrove.data import Document as DatatroveDocument  # type: ignore[import-untyped]
    from datatrove.pipeline.base import PipelineStep  # type: ignore[import-untyped]
except ImportError as e:  # pragma: no cover - exercised by the import-guard test
    from cleaner.integrations import missing_dependency

    raise missing_dependency("datatrove", "datatrove", e) from e

from cleaner.integrations import resolve_cleaner, spans_json
from cleaner.pipeline import SupportsClean
from cleaner.types import CleanResult, Document

__all__ = ["CleanerStep"]


class CleanerStep(PipelineStep):  # type: ignore[misc]
    """Cleans ``doc.text`` with ``cleaner`` (the default packs when None)."""

    name = "🧹 Cleaner"
    type = "✂️ - FORMAT"

    def __init__(
        self,
        cleaner: SupportsClean | None = None,
        *,
        url_key: str | None = "url",
        title_key: str | None = "title",
        spans_key: str | None = None,
    ) -> None:
        super().__init__()
        self.cleaner = resolve_cleaner(cleaner)
        self.url_key = url_key
        self.title_key = title_key
        self.spans_key = spans_key

    def run(
        self,
        data: Iterator[DatatroveDocument] | None,
        rank: int = 0,
        world_size: int = 1,
    ) -> Iterator[DatatroveDocument]:
        if data is None:
            return
        for doc in data:
            self.stat_update("total")
            with self.track_time():
                result = self.cleaner.clean_document(self._document(doc))
            if self.spans_key is not None:
                doc.metadata[self.spans_key] = spans_json(doc.text, result)
            if result.changed:
                doc.text = result.text
            self._count(result)
            self.update_doc_stats(doc)
            yield doc

    def _document(self, doc: DatatroveDocument) -> Document:
        metadata: dict[str, Any] = doc.metadata or {}
        return Document(
            doc.text,
            _meta_str(metadata, self.url_key),
            _meta_str(metadata, self.title_key),
            None if doc.id is None else str(doc.id),
        )

    def _count(self, result: CleanResult) -> None:
        if not result.changed:
            self.stat_update("unchanged")
        else:
            self.stat_update("changed")
            self.stat_update("chars_removed", value=result.removed_chars())
            edits: dict[str, int] = {}
            for span in result.spans:
                edits[span.rule_id] = edits.get(span.rule_id, 0) + 1
            for rule_id, count in sorted(edits.items()):
                self.stat_update(f"edits/{rule_id}", value=count)
        held: dict[str, int] = {}
        for span in result.held_back:
            held[span.rule_id] = held.get(span.rule_id, 0) + 1
        for rule_id, count in sorted(held.items()):
            self.stat_update(f"held_back/{rule_id}", value=count)
        for rule_id in result.timed_out:
            self.stat_update(f"timed_out/{rule_id}")


def _meta_str(metadata: dict[str, Any], key: str | None) -> str | None:
    value = metadata.get(key) if key else None
    return value if isinstance(value, str) and value else None
