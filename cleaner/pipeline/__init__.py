"""The pipeline: records in, ordered outcomes out, in one process or many.

One entry point, ``run``, cleans for the CLI, the library and every integration: planned
files, which it writes, or in-memory rows, which it hands back outcome by outcome:

>>> from cleaner.io import plan_files
>>> report = run(plan_files(["crawl/"], "clean/"), cleaner, Fields(text="body"),
...              RunOptions(jobs=4, on_error="skip", rejects="bad.jsonl"))  # doctest: +SKIP
>>> report = run(Rows(items), cleaner, listeners=Listeners(outcomes.append))  # doctest: +SKIP

The same per-record function runs in process (``jobs=1``) and in workers (``jobs>1``), and
results come back in input order, so what a record becomes never depends on how it was run:
``-j N`` output is byte for byte the output of ``-j 1``.

- ``workers``: the worker pool and the ordered map over it;
- ``records``: what becomes of one record (``Outcome``) and of one block of lines;
- ``files``: whole files, written atomically, with rejects set aside;
- ``cluster`` and ``staged``: a Dask cluster as the workers, which write the outputs
  themselves;
- ``rows``: in-memory rows (mappings), handed back outcome by outcome;
- ``options``: ``RunOptions`` and ``Listeners``.
"""

from __future__ import annotations

from collections.abc import Sequence

from cleaner.io.codecs import TxtMeta
from cleaner.io.plan import FileJob
from cleaner.pipeline.files import run_files
from cleaner.pipeline.options import DEFAULT_OPTIONS, NO_LISTENERS, Listeners, RunOptions
from cleaner.pipeline.records import (
    ON_ERROR,
    SKIP_HINT,
    Listener,
    OnError,
    Outcome,
    Progress,
    check_pool,
)
from cleaner.pipeline.rows import Rows, run_rows
from cleaner.pipeline.workers import SupportsClean, WorkerPool, available_cpus, resolve_jobs
from cleaner.report import Report
from cleaner.types import DEFAULT_FIELDS, Fields

__all__ = [
    "ON_ERROR",
    "SKIP_HINT",
    "Fields",
    "Listener",
    "Listeners",
    "OnError",
    "Outcome",
    "Progress",
    "Rows",
    "RunOptions",
    "SupportsClean",
    "TxtMeta",
    "WorkerPool",
    "available_cpus",
    "resolve_jobs",
    "run",
]


def run(
    source: Sequence[FileJob] | Rows,
    cleaner: SupportsClean,
    fields: Fields = DEFAULT_FIELDS,
    options: RunOptions = DEFAULT_OPTIONS,
    listeners: Listeners = NO_LISTENERS,
) -> Report:
    """Clean ``source`` with ``cleaner`` and return the run's report.

    ``source`` is planned files (``cleaner.io.plan_files``), each written to its target (or
    nowhere, for a check), whose listeners hear of every changed or rejected record; or
    ``Rows``, whose listeners hear of every row, in order, to write it back. ``fields`` name
    where records and rows keep their text, url, title and id. Errors from the cleaner itself
    (bugs) always propagate, with the record they happened on.
    """
    check_pool(options.pool, cleaner)
    if isinstance(source, Rows):
        return run_rows(source, cleaner, fields, options, listeners)
    return run_files(source, cleaner, fields, options, listeners)
