"""The pipeline: records in, ordered outcomes out, in one process or many.

The same per-record function runs in process (``jobs=1``) and in workers (``jobs>1``), and
results come back in input order, so what a record becomes never depends on how it was run:
``-j N`` output is byte for byte the output of ``-j 1``.

- ``workers``: the worker pool and the ordered map over it;
- ``records``: what becomes of one record (``Outcome``) and of one block of lines;
- ``files``: whole files, written atomically, with rejects set aside.
"""

from __future__ import annotations

from cleaner.pipeline.files import clean_file, clean_files
from cleaner.pipeline.records import (
    ON_ERROR,
    SKIP_HINT,
    BlockOutcome,
    Listener,
    OnError,
    Outcome,
    Progress,
    clean_documents,
    clean_stream,
)
from cleaner.pipeline.workers import SupportsClean, WorkerPool, available_cpus, resolve_jobs

__all__ = [
    "ON_ERROR",
    "SKIP_HINT",
    "BlockOutcome",
    "Listener",
    "OnError",
    "Outcome",
    "Progress",
    "SupportsClean",
    "WorkerPool",
    "available_cpus",
    "clean_documents",
    "clean_file",
    "clean_files",
    "clean_stream",
    "resolve_jobs",
]
