"""A datatrove pipeline step that cleans each document's text.

>>> from cleaner.integrations.datatrove import CleanerStep
>>> pipeline = [JsonlReader("raw/"), CleanerStep(), JsonlWriter("clean/")]  # doctest: +SKIP

The URL and title come from ``doc.metadata`` (keys ``fields.url`` / ``fields.title``), so site
rules and the repeated-title rule work on what datatrove readers produce; the text is
``doc.text`` and the id ``doc.id``. Every document is passed on (the step edits, it never
drops; a document without text passes untouched). Stats, merged across tasks by datatrove like any step's:

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

try:
    from datatrove.data import Document as DatatroveDocument  # type: ignore[import-untyped]
    from datatrove.pipeline.base import PipelineStep  # type: ignore[import-untyped]
except ImportError as e:  # pragma: no cover - exercised by the import-guard test
    from cleaner.integrations import missing_dependency

    raise missing_dependency("datatrove", "datatrove", e) from e

from cleaner.integrations import clean_rows, resolve_cleaner, spans_json
from cleaner.pipeline import Rows, SupportsClean
from cleaner.types import DEFAULT_FIELDS, CleanResult, Fields

__all__ = ["CleanerStep"]


class CleanerStep(PipelineStep):  # type: ignore[misc]
    """Cleans ``doc.text`` with ``cleaner`` (the default packs when None)."""

    name = "🧹 Cleaner"
    type = "✂️ - FORMAT"

    def __init__(
        self,
        cleaner: SupportsClean | None = None,
        *,
        fields: Fields = DEFAULT_FIELDS,
        spans_key: str | None = None,
    ) -> None:
        super().__init__()
        self.cleaner = resolve_cleaner(cleaner)
        self.fields = fields
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
                [outcome], _ = clean_rows(Rows([self._row(doc)]), self.cleaner, self.fields)
            result = outcome.result
            if result is None:
                yield doc
                continue
            if self.spans_key is not None:
                doc.metadata[self.spans_key] = spans_json(doc.text, result)
            if result.changed:
                doc.text = result.text
            self._count(result)
            self.update_doc_stats(doc)
            yield doc

    def _row(self, doc: DatatroveDocument) -> dict[str, object]:
        """The document as a row: its url and title from the metadata, its text and id."""
        metadata = doc.metadata or {}
        fields = self.fields
        row = {key: metadata.get(key) for key in (fields.url, fields.title) if key is not None}
        row[fields.text] = doc.text
        if fields.id is not None:
            row[fields.id] = doc.id
        return row

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
