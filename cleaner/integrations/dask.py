"""Clean Dask collections: bags of dict records and dataframes, partition by partition.

>>> from cleaner.integrations.dask import clean_bag_with_report
>>> cleaned, report = clean_bag_with_report(db.read_text("raw/*.jsonl").map(json.loads))  # doctest: +SKIP
>>> cleaned, report = dask.compute(cleaned, report)  # doctest: +SKIP

``clean_bag`` / ``clean_dataframe`` return the cleaned collection (lazy, same partitions, same
order). The ``*_with_report`` forms also return a lazy ``Report`` (a bag ``Item``, or a
``Delayed`` for dataframes), merged from one report per partition. Compute both in one
``dask.compute(cleaned, report)`` call, which cleans each partition once; computed one after
the other, the partitions are cleaned twice. For dataframes that call warns "Computing mixed
collections ..." (a dataframe expression and a Delayed): harmless here, as the dataframe is
built from delayed partitions anyway. ``merge_reports`` adds up reports of your own.

The cleaner (the default packs when None) travels to the workers once per computation, as
its settings, and is rebuilt there. Records whose text is missing or not a string (``None``,
``NaN``) pass through untouched and are not counted; a bag item that is not a dict is an error.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, cast

try:
    import dask.bag as db
    import dask.dataframe as dd
    from dask.dataframe.dispatch import make_meta
    from dask.delayed import Delayed, delayed
except ImportError as e:  # pragma: no cover - exercised by the import-guard test
    from cleaner.integrations import missing_dependency

    raise missing_dependency("dask", "dask", e) from e

from cleaner.integrations import clean_rows, resolve_cleaner
from cleaner.pipeline import Rows, SupportsClean
from cleaner.report import Report
from cleaner.types import DEFAULT_FIELDS, Fields

# Dask's typing is partial: its untyped entry points are called through these names.
_delayed: Any = delayed
_make_meta: Any = make_meta
_frame_from_delayed: Any = dd.from_delayed

__all__ = [
    "clean_bag",
    "clean_bag_with_report",
    "clean_dataframe",
    "clean_dataframe_with_report",
    "merge_reports",
]


def merge_reports(reports: Iterable[Report]) -> Report:
    """One report adding up ``reports`` (a new object; the inputs are left as they are)."""
    return functools.reduce(Report.merge, reports, Report())


# -- bags ------------------------------------------------------------------------------------


def clean_bag(
    bag: db.Bag, cleaner: SupportsClean | None = None, *, fields: Fields = DEFAULT_FIELDS
) -> db.Bag:
    """The bag with each dict's ``fields.text`` cleaned (changed records are new dicts)."""
    cleaned = cast(Any, bag).map_partitions(_records_only, _shipped(cleaner), fields)
    return cast(db.Bag, cleaned)


def clean_bag_with_report(
    bag: db.Bag,
    cleaner: SupportsClean | None = None,
    *,
    fields: Fields = DEFAULT_FIELDS,
    source: str = "dask",
) -> tuple[db.Bag, db.Item]:
    """``(cleaned bag, lazy Report)``; ``source`` names the input in the report."""
    # One task per partition makes (records, report); both outputs are bags over it, so one
    # dask.compute runs it once (bag optimisation would copy it into a Delayed's graph).
    pairs = cast(Any, bag).map_partitions(_clean_partition, _shipped(cleaner), fields, source)
    cleaned = pairs.map_partitions(_first_records)
    report = pairs.reduction(_first_report, merge_reports)
    return cast(db.Bag, cleaned), cast(db.Item, report)


def _clean_records(
    records: Iterable[Any], cleaner: SupportsClean, fields: Fields, source: str = "dask"
) -> tuple[list[Any], Report]:
    records = list(records)
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise TypeError(
                f"clean_bag needs dict records, got {type(record).__name__} at item {i} "
                "of a partition; map the bag to dicts first (e.g. .map(json.loads))"
            )
    outcomes, report = clean_rows(Rows(records, source), cleaner, fields)
    out = [
        {**record, fields.text: outcome.result.text}
        if outcome.result is not None and outcome.changed
        else record
        for record, outcome in zip(records, outcomes, strict=True)
    ]
    return out, report


def _clean_partition(
    records: Iterable[Any], cleaner: SupportsClean, fields: Fields, source: str
) -> list[tuple[list[Any], Report]]:
    """A partition of one item: the cleaned records and their report."""
    return [_clean_records(records, cleaner, fields, source)]


def _first_records(part: Sequence[tuple[list[Any], Report]]) -> list[Any]:
    return part[0][0]


def _first_report(part: Iterable[tuple[list[Any], Report]]) -> Report:
    return next(iter(part))[1]


def _records_only(records: Iterable[Any], cleaner: SupportsClean, fields: Fields) -> list[Any]:
    return _clean_records(records, cleaner, fields)[0]


# -- dataframes ------------------------------------------------------------------------------


def clean_dataframe(
    ddf: dd.DataFrame, cleaner: SupportsClean | None = None, *, fields: Fields = DEFAULT_FIELDS
) -> dd.DataFrame:
    """The dataframe with its ``fields.text`` column cleaned; same columns, dtypes, index and
    divisions.

    URL and title columns are used when present and ignored when absent.
    """
    columns = _columns(ddf, fields)
    cleaned = cast(Any, ddf).map_partitions(
        _frame_only, _shipped(cleaner), columns, meta=_make_meta(ddf)
    )
    return cast(dd.DataFrame, cleaned)


def clean_dataframe_with_report(
    ddf: dd.DataFrame,
    cleaner: SupportsClean | None = None,
    *,
    fields: Fields = DEFAULT_FIELDS,
    source: str = "dask",
) -> tuple[dd.DataFrame, Delayed]:
    """``(cleaned dataframe, Delayed[Report])``; ``source`` names the input in the report."""
    columns = _columns(ddf, fields)
    shipped = _shipped(cleaner)
    clean = _delayed(_clean_frame, nout=2, pure=True)
    outs = [clean(part, shipped, columns, source) for part in cast(Any, ddf).to_delayed()]
    divisions = ddf.divisions if ddf.known_divisions else None
    cleaned = _frame_from_delayed(
        [frame for frame, _ in outs], meta=_make_meta(ddf), divisions=divisions
    )
    return cast(dd.DataFrame, cleaned), _merged([report for _, report in outs])


def _columns(ddf: dd.DataFrame, fields: Fields) -> Fields:
    """``fields`` with the url and title columns the dataframe lacks left unread."""
    present = list(ddf.columns)
    if fields.text not in present:
        raise ValueError(
            f"the dataframe has no column {fields.text!r} (columns: "
            f"{', '.join(map(str, present))}); pass fields=Fields(text=...)"
        )
    return Fields(
        fields.text,
        fields.url if fields.url in present else None,
        fields.title if fields.title in present else None,
        None,
    )


def _clean_frame(
    frame: Any, cleaner: SupportsClean, columns: Fields, source: str = "dask"
) -> tuple[Any, Report]:
    """One pandas partition: the text column replaced (same dtype), and its report."""
    read = [c for c in (columns.text, columns.url, columns.title) if c is not None]
    rows = Rows.from_columns({c: frame[c].tolist() for c in read}, source)
    outcomes, report = clean_rows(rows, cleaner, columns)
    if not report.documents_changed:
        return frame, report
    texts = frame[columns.text].tolist()
    cleaned = [
        text if o.result is None else o.result.text for text, o in zip(texts, outcomes, strict=True)
    ]
    dtype = frame[columns.text].dtype
    return frame.assign(**{columns.text: cleaned}).astype({columns.text: dtype}), report


def _frame_only(frame: Any, cleaner: SupportsClean, columns: Fields) -> Any:
    return _clean_frame(frame, cleaner, columns)[0]


# -- shared ----------------------------------------------------------------------------------


def _shipped(cleaner: SupportsClean | None) -> Delayed:
    """The cleaner as one graph node: sent to each worker once, not once per partition.

    Not ``pure``: a fresh key per call, so a cleaner rebuilt after a rule file changed is
    never mistaken for one cached under the same settings.
    """
    return cast(Delayed, _delayed(resolve_cleaner(cleaner), pure=False))


def _merged(reports: Sequence[Delayed]) -> Delayed:
    return cast(Delayed, _delayed(merge_reports, pure=True)(list(reports)))
