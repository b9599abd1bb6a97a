"""Clean a Hugging Face ``datasets`` dataset with ``Dataset.map(batched=True)``.

>>> from cleaner.integrations.hf_datasets import clean_dataset
>>> cleaned = clean_dataset(ds, num_proc=4, spans_column="cleaner_spans")  # doctest: +SKIP

``ds`` may be a ``Dataset``, an ``IterableDataset`` or a ``DatasetDict`` / ``IterableDatasetDict``
(each split is cleaned). The text column is replaced by the cleaned text; other columns are
untouched. URL and title columns are used when present (site rules and the repeated-title rule
need them) and ignored when absent. A ``None`` text stays ``None``.

``spans_column`` adds a column holding each row's edits as a JSON list of
``{"rule", "start", "end", "removed", "replacement"}`` (offsets into the original text), the
shape of the CLI's ``--spans`` file; ``"[]"`` for an unchanged row.

Caching: ``datasets`` reuses a cached ``map`` result when the function hashes the same. The
function handed to ``map`` carries a digest of the loaded rule packs and of the cleaner's
version, so editing a rule file or upgrading cleaner computes afresh instead of returning
stale text.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any, TypeVar, cast

try:
    import datasets  # type: ignore[import-untyped]
except ImportError as e:  # pragma: no cover - exercised by the import-guard test
    from cleaner.integrations import missing_dependency

    raise missing_dependency("hf_datasets", "hf", e) from e

import cleaner as _cleaner_pkg
from cleaner.integrations import clean_rows, resolve_cleaner, spans_json
from cleaner.pipeline import Rows, SupportsClean
from cleaner.types import DEFAULT_FIELDS, Fields

__all__ = ["clean_dataset"]

D = TypeVar("D")


def clean_dataset(
    ds: D,
    cleaner: SupportsClean | None = None,
    *,
    fields: Fields = DEFAULT_FIELDS,
    num_proc: int | None = None,
    spans_column: str | None = None,
    batch_size: int = 1000,
    desc: str | None = "Cleaning",
) -> D:
    """The dataset with its ``fields.text`` column cleaned (and ``spans_column`` added if
    named); the ``fields.url`` and ``fields.title`` columns are read where present.

    ``cleaner`` defaults to the default packs. ``num_proc`` runs ``map`` in that many
    processes (the cleaner pickles as its packs' specs and is compiled again in each); it is not
    available for iterable datasets, which are cleaned lazily as they are read.
    """
    if isinstance(ds, datasets.DatasetDict | datasets.IterableDatasetDict):
        options: dict[str, Any] = {
            "fields": fields,
            "num_proc": num_proc,
            "spans_column": spans_column,
            "batch_size": batch_size,
            "desc": desc,
        }
        splits = {split: clean_dataset(part, cleaner, **options) for split, part in ds.items()}
        return cast(D, type(ds)(splits))
    if not isinstance(ds, datasets.Dataset | datasets.IterableDataset):
        raise TypeError(
            f"clean_dataset needs a datasets.Dataset or IterableDataset, got {type(ds).__name__}"
        )
    columns: list[str] | None = ds.column_names
    if columns is not None:
        if fields.text not in columns:
            raise ValueError(
                f"the dataset has no column {fields.text!r} (columns: {', '.join(columns)}); "
                "pass fields=Fields(text=...)"
            )
        if spans_column is not None and spans_column in columns:
            raise ValueError(
                f"the dataset already has a column {spans_column!r}; pick another spans_column"
            )
    resolved = resolve_cleaner(cleaner)
    function = functools.partial(
        _clean_batch, resolved, _rules_digest(resolved), fields, spans_column
    )
    kwargs: dict[str, Any] = {"batched": True, "batch_size": batch_size}
    if isinstance(ds, datasets.Dataset):
        kwargs["num_proc"] = num_proc
        kwargs["desc"] = desc
    elif num_proc is not None:
        raise ValueError(
            "num_proc is not available for an IterableDataset (it is cleaned as it is read)"
        )
    return cast(D, ds.map(function, **kwargs))


def _clean_batch(
    cleaner: SupportsClean,
    rules_digest: str,  # only for the map cache: part of this function's hash
    fields: Fields,
    spans_column: str | None,
    batch: dict[str, list[Any]],
) -> dict[str, list[Any]]:
    texts = batch[fields.text]
    read = [c for c in (fields.text, fields.url, fields.title) if c is not None and c in batch]
    outcomes, _ = clean_rows(Rows.from_columns({c: batch[c] for c in read}), cleaner, fields)
    results = [outcome.result for outcome in outcomes]
    out: dict[str, list[Any]] = {
        fields.text: [
            text if result is None else result.text
            for text, result in zip(texts, results, strict=True)
        ]
    }
    if spans_column is not None:
        out[spans_column] = [
            spans_json(text, result) if isinstance(text, str) else "[]"
            for text, result in zip(texts, results, strict=True)
        ]
    return out


def _rules_digest(cleaner: SupportsClean) -> str:
    """A digest of what decides the output beyond the cleaner's settings: its rules and version."""
    packs = getattr(cleaner, "packs", None)
    blob = f"{_cleaner_pkg.__version__}\n{packs!r}\n{getattr(cleaner, 'max_removal', '')}"
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
