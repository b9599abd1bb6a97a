"""Thin shells over the library for the tools people clean text in.

Each module imports its third-party package when imported itself, and says how to install it
when it is missing:

- ``cleaner.integrations.scrapy`` — ``CleanerPipeline``, a Scrapy item pipeline
  (``pip install 'cleaner[scrapy]'``);
- ``cleaner.integrations.hf_datasets`` — ``clean_dataset`` over ``datasets.map``
  (``pip install 'cleaner[hf]'``);
- ``cleaner.integrations.datatrove`` — ``CleanerStep``, a datatrove pipeline step
  (``pip install 'cleaner[datatrove]'``);
- ``cleaner.integrations.dask`` — ``clean_bag`` / ``clean_dataframe`` and their ``*_with_report``
  forms (``pip install 'cleaner[dask]'``).

None of them cleans anything itself: documents go through ``cleaner.pipeline.clean_documents``
and are counted with ``cleaner.report.Report``, as in the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from cleaner.pipeline import SupportsClean, clean_documents
from cleaner.types import CleanResult, Document

__all__ = ["clean_texts", "missing_dependency", "resolve_cleaner", "spans_json"]


def missing_dependency(integration: str, extra: str, error: ImportError) -> ImportError:
    """The error to raise when ``integration``'s third-party package cannot be imported."""
    package = error.name.partition(".")[0] if error.name else str(error)
    return ImportError(
        f"cleaner.integrations.{integration} needs {package}, which is not installed; "
        f"install it with: pip install 'cleaner[{extra}]'",
        name=package,
    )


def resolve_cleaner(cleaner: SupportsClean | None) -> SupportsClean:
    """``cleaner``, or the default packs' cleaner (built once per process) when None."""
    if cleaner is not None:
        return cleaner
    from cleaner import default_cleaner

    return default_cleaner()


def clean_texts(
    cleaner: SupportsClean,
    texts: Sequence[str | None],
    urls: Sequence[str | None] | None = None,
    titles: Sequence[str | None] | None = None,
    ids: Sequence[str | None] | None = None,
) -> list[CleanResult | None]:
    """Clean parallel columns in order; a ``None`` text gives ``None`` (nothing to clean)."""
    n = len(texts)
    for name, column in (("urls", urls), ("titles", titles), ("ids", ids)):
        if column is not None and len(column) != n:
            raise ValueError(f"{name} has {len(column)} values for {n} texts")
    docs = [
        Document(
            text,
            _str_or_none(urls[i]) if urls is not None else None,
            _str_or_none(titles[i]) if titles is not None else None,
            _id_or_none(ids[i]) if ids is not None else None,
        )
        for i, text in enumerate(texts)
        if isinstance(text, str)
    ]
    results = iter(clean_documents(docs, cleaner))
    return [next(results) if isinstance(text, str) else None for text in texts]


def spans_json(original: str, result: CleanResult | None) -> str:
    """The edits of one document as a JSON list, in the shape of the CLI's ``--spans`` file."""
    spans: Iterable[dict[str, object]] = (
        {
            "rule": s.rule_id,
            "start": s.start,
            "end": s.end,
            "removed": original[s.start : s.end],
            "replacement": s.replacement,
        }
        for s in (result.spans if result is not None else ())
    )
    return json.dumps(list(spans), ensure_ascii=False)


def _str_or_none(value: object) -> str | None:
    """Metadata as rules see it: strings pass, anything else (None, NaN) is absent."""
    return value if isinstance(value, str) and value else None


def _id_or_none(value: object) -> str | None:
    return None if value is None else str(value)
