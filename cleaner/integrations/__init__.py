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

None of them cleans anything itself: rows go through ``cleaner.pipeline.run`` and are counted
with ``cleaner.report.Report``, as in the CLI. Each takes ``fields`` (``cleaner.Fields``) to
name where its rows keep the text, url and title, as the CLI's ``--text-key`` and the
configuration's ``text_key`` do.
"""

from __future__ import annotations

import json

from cleaner import render
from cleaner.pipeline import Listeners, Outcome, Rows, SupportsClean, run
from cleaner.report import Report
from cleaner.types import DEFAULT_FIELDS, CleanResult, Fields

__all__ = ["clean_rows", "missing_dependency", "resolve_cleaner", "spans_json"]


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


def clean_rows(
    rows: Rows, cleaner: SupportsClean, fields: Fields = DEFAULT_FIELDS
) -> tuple[list[Outcome], Report]:
    """Every row's outcome, in order, and their report (see ``cleaner.pipeline.rows``)."""
    outcomes: list[Outcome] = []
    report = run(rows, cleaner, fields, listeners=Listeners(outcomes.append))
    return outcomes, report


def spans_json(original: str, result: CleanResult | None) -> str:
    """The edits of one document as a JSON list, in the shape of the CLI's ``--spans`` file."""
    spans = result.spans if result is not None else ()
    return json.dumps(render.edits(original, spans), ensure_ascii=False)
