"""Clean Dask collections: bags of dict records and dataframes, partition by partition.

>>> from cleaner.integrations.dask import clean_bag_with_report
>>> cleaned, report = clean_bag_with_report(db.read_text("raw/*.jsonl").map(json.loads))  # doctest: +SKIP
>>> cleaned, report = dask.compute(cleaned, report)  # doctest: +SKIP  (one pass: shared graph)

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

from cleaner.integrations import clean_texts, resolve_cleaner
from cleaner.pipeline import SupportsClean
from cleaner.report import Report

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
    bag: db.Bag,
    cleaner: SupportsClean | None = None,
    *,
    text_key: str = "text",
    url_key: str | None = "url",
    title_key: str | None = "title",
) -> db.Bag:
    """The bag with each dict's ``text_key`` cleaned (changed records are new dicts)."""
    keys = (text_key, url_key, title_key)
    cleaned = cast(Any, bag).map_partitions(_records_only, _shipped(cleaner), keys)
    return cast(db.Bag, cleaned)


def clean_bag_with_report(
    bag: db.Bag,
    cleaner: SupportsClean | None = None,
    *,
    text_key: str = "text",
    url_key: str | None = "url",
    title_key: str | None = "title",
    source: str = "dask",
) -> tuple[db.Bag, db.Item]:
    """``(cleaned bag, lazy Report)``; ``source`` names the input in the report."""
    keys = (text_key, url_key, title_key)
    # One task per partition makes (records, report); both outputs are bags over it, so one
    # dask.compute runs it once (bag optimisation would copy it into a Delayed's graph).
    pairs = cast(Any, bag).map_partitions(_clean_partition, _shipped(cleaner), keys, source)
    cleaned = pairs.map_partitions(_first_records)
    report = pairs.reduction(_first_report, merge_reports)
    return cast(db.Bag, cleaned), cast(db.Item, report)


_Keys = tuple[str, str | None, str | None]


def _clean_records(
    records: Iterable[Any], cleaner: SupportsClean, keys: _Keys, source: str = "dask"
) -> tuple[list[Any], Report]:
    text_key, url_key, title_key = keys
    records = list(records)
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise TypeError(
                f"clean_bag needs dict records, got {type(record).__name__} at item {i} "
                "of a partition; map the bag to dicts first (e.g. .map(json.loads))"
            )
    texts = [r.get(text_key) for r in records]
    urls = [r.get(url_key) for r in records] if url_key else None
    titles = [r.get(title_key) for r in records] if title_key else None
    report = Report()
    out: list[Any] = []
    for record, result in zip(records, clean_texts(cleaner, texts, urls, titles), strict=True):
        if result is None:
            out.append(record)
            continue
        report.add_result(source, result)
        out.append({**record, text_key: result.text} if result.changed else record)
    return out, report


def _clean_partition(
    records: Iterable[Any], cleaner: SupportsClean, keys: _Keys, source: str
) -> list[tuple[list[Any], Report]]:
    """A partition of one item: the cleaned records and their report."""
    return [_clean_records(records, cleaner, keys, source)]


def _first_records(part: Sequence[tuple[list[Any], Report]]) -> list[Any]:
    return part[0][0]


def _first_report(part: Iterable[tuple[list[Any], Report]]) -> Report:
    return next(iter(part))[1]


def _records_only(records: Iterable[Any], cleaner: SupportsClean, keys: _Keys) -> list[Any]:
    return _clean_records(records, cleaner, keys)[0]


# -- dataframes ------------------------------------------------------------------------------


def clean_dataframe(
    ddf: dd.DataFrame,
    cleaner: SupportsClean | None = None,
    *,
    text_column: str = "text",
    url_column: str | None = "url",
    title_column: str | None = "title",
) -> dd.DataFrame:
    """The dataframe with ``text_column`` cleaned; same columns, dtypes, index and divisions.

    URL and title columns are used when present and ignored when absent.
    """
    columns = _columns(ddf, text_column, url_column, title_column)
    cleaned = cast(Any, ddf).map_partitions(
        _frame_only, _shipped(cleaner), columns, meta=_make_meta(ddf)
    )
    return cast(dd.DataFrame, cleaned)


def clean_dataframe_with_report(
    ddf: dd.DataFrame,
    cleaner: SupportsClean | None = None,
    *,
    text_column: str = "text",
    url_column: str | None = "url",
    title_column: str | None = "title",
    source: str = "dask",
) -> tuple[dd.DataFrame, Delayed]:
    """``(cleaned dataframe, Delayed[Report])``; ``source`` names the input in the report."""
    columns = _columns(ddf, text_column, url_column, title_column)
    shipped = _shipped(cleaner)
    clean = _delayed(_clean_frame, nout=2, pure=True)
    outs = [clean(part, shipped, columns, source) for part in cast(Any, ddf).to_delayed()]
    divisions = ddf.divisions if ddf.known_divisions else None
    cleaned = _frame_from_delayed(
        [frame for frame, _ in outs], meta=_make_meta(ddf), divisions=divisions
    )
    return cast(dd.DataFrame, cleaned), _merged([report for _, report in outs])


def _columns(
    ddf: dd.DataFrame, text_column: str, url_column: str | None, title_column: str | None
) -> _Keys:
    present = list(ddf.columns)
    if text_column not in present:
        raise ValueError(
            f"the dataframe has no column {text_column!r} (columns: "
            f"{', '.join(map(str, present))}); pass text_column="
        )
    return (
        text_column,
        url_column if url_column in present else None,
        title_column if title_column in present else None,
    )


def _clean_frame(
    frame: Any, cleaner: SupportsClean, columns: _Keys, source: str = "dask"
) -> tuple[Any, Report]:
    """One pandas partition: the text column replaced (same dtype), and its report."""
    text_column, url_column, title_column = columns
    texts: list[Any] = frame[text_column].tolist()
    urls = frame[url_column].tolist() if url_column else None
    titles = frame[title_column].tolist() if title_column else None
    report = Report()
    cleaned: list[Any] = []
    for text, result in zip(texts, clean_texts(cleaner, texts, urls, titles), strict=True):
        if result is not None:
            report.add_result(source, result)
        cleaned.append(text if result is None else result.text)
    if not report.documents_changed:
        return frame, report
    dtype = frame[text_column].dtype
    return frame.assign(**{text_column: cleaned}).astype({text_column: dtype}), report


def _frame_only(frame: Any, cleaner: SupportsClean, columns: _Keys) -> Any:
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
