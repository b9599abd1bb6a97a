"""Dask bags and dataframes cleaned on a real two-process LocalCluster, as in process."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("dask")
pytest.importorskip("distributed")
pytest.importorskip("pandas")

import dask
import dask.bag as db
import dask.dataframe as dd
import pandas as pd
from distributed import Client, LocalCluster

from cleaner import Cleaner, Fields
from cleaner.integrations.dask import (
    clean_bag,
    clean_bag_with_report,
    clean_dataframe,
    clean_dataframe_with_report,
    merge_reports,
)
from cleaner.report import Report

TIMEOUT = 60  # seconds for any one computation

BASE: list[dict[str, Any]] = [
    {
        "url": "https://thehill.com/homenews/bridge",
        "title": "Harbour bridge reopens after a year of repairs",
        "text": "Harbour bridge reopens after a year of repairs\n\nThe news comes as Mayor Jane "
        "DoeJane DoeCouncil votes on budget Storm closes schools MORE and the city council meet "
        "on Friday.\n\nADVERTISEMENT\n\nThe bridge carries 40,000 cars a day.",
    },
    {
        "url": "https://www.example-globe.ca/science/lakes",
        "title": "Lake study",
        "text": "Researchers sampled 40 lakes across the province.\n\nAdvertisement\n\n"
        "They found the highest levels near farms and golf courses.",
    },
    {
        "url": "https://www.example-news.com/library",
        "title": None,
        "text": "The city opened its newest library branch on Saturday, with a rooftop garden.",
    },
    {
        "url": None,
        "title": None,
        "text": "A voter fills out a ballot on Tuesday. (AP Photo/Jo Example)\n\nVoters approved it.",
    },
    {"url": None, "title": "No text here", "text": None},
]
RECORDS = [{"id": i, **BASE[i % len(BASE)]} for i in range(40)]


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # its HTTP server on loopback, any port
            silence_logs=40,
        ) as cluster,
        Client(cluster, timeout="30s") as client,
    ):
        yield client


@pytest.fixture(scope="module")
def cleaner() -> Cleaner:
    return Cleaner.load()


def in_process(cleaner: Cleaner, records: list[dict[str, Any]]) -> tuple[list[Any], Report]:
    report = Report()
    out = []
    for r in records:
        if not isinstance(r["text"], str):
            out.append(r)
            continue
        result = cleaner.explain(r["text"], url=r["url"], title=r["title"])
        report.add_result("dask", result)
        out.append({**r, "text": result.text})
    return out, report


def counts(report: Report) -> dict[str, Any]:
    summary = report.to_dict()
    summary.pop("timings")
    return summary


def compute(client: Client, *collections: Any) -> list[Any]:
    return [future.result(timeout=TIMEOUT) for future in client.compute(list(collections))]


def test_bag_on_the_cluster_equals_in_process(client: Client, cleaner: Cleaner) -> None:
    bag = db.from_sequence(RECORDS, npartitions=6)
    cleaned, report = clean_bag_with_report(bag, cleaner)
    assert cleaned.npartitions == 6
    out, merged = compute(client, cleaned, report)

    expected, expected_report = in_process(cleaner, RECORDS)
    assert out == expected  # same records, same order
    assert [r["id"] for r in out] == list(range(40))
    assert "MORE" not in out[0]["text"] and out[4]["text"] is None
    assert counts(merged) == counts(expected_report)
    assert merged.documents_read == 32 and merged.documents_changed == 24
    assert merged.rules["thehill.person-tooltip"].documents == 8
    # the work ran in the worker processes, which imported this module to do it
    seen = client.run(lambda: "cleaner.integrations.dask" in sys.modules)
    assert len(seen) == 2 and any(seen.values())


def test_clean_bag_alone_and_the_input_is_untouched(client: Client, cleaner: Cleaner) -> None:
    records = [dict(r) for r in RECORDS]
    [out] = compute(client, clean_bag(db.from_sequence(records, npartitions=3), cleaner))
    assert out == in_process(cleaner, RECORDS)[0]
    assert records == RECORDS


@pytest.mark.filterwarnings("ignore:Computing mixed collections")  # see cleaner.integrations.dask
def test_dataframe_on_the_cluster_equals_in_process(client: Client, cleaner: Cleaner) -> None:
    frame = pd.DataFrame(RECORDS)
    ddf = dd.from_pandas(frame, npartitions=4)
    cleaned, report = clean_dataframe_with_report(ddf, cleaner)
    assert cleaned.divisions == ddf.divisions
    out, merged = compute(client, cleaned, report)

    expected, expected_report = in_process(cleaner, RECORDS)
    assert list(out.index) == list(frame.index)
    assert list(out.columns) == list(frame.columns)
    assert out["text"].dtype == ddf["text"].dtype
    texts = [None if pd.isna(t) else t for t in out["text"]]
    assert texts == [r["text"] for r in expected]
    pd.testing.assert_series_equal(out["url"], ddf["url"].compute(scheduler="sync"))
    assert counts(merged) == counts(expected_report)

    [alone] = compute(client, clean_dataframe(ddf, cleaner))
    pd.testing.assert_frame_equal(alone, out)


def test_dataframe_without_url_or_title_columns(client: Client, cleaner: Cleaner) -> None:
    bodies = [r["text"] for r in RECORDS[:10]]
    ddf = dd.from_pandas(pd.DataFrame({"body": bodies}), npartitions=2)
    [out] = compute(client, clean_dataframe(ddf, cleaner, fields=Fields(text="body")))
    assert [None if pd.isna(t) else t for t in out["body"]] == [
        None if t is None else cleaner.clean(t) for t in bodies
    ]
    with pytest.raises(ValueError, match="no column 'text'"):
        clean_dataframe(ddf, cleaner)


def test_errors_and_merging_without_a_cluster(cleaner: Cleaner) -> None:
    bag = db.from_sequence(["not a dict"], npartitions=1)
    with pytest.raises(TypeError, match="dict records"):
        clean_bag(bag, cleaner).compute(scheduler="sync")
    one, two = Report(), Report()
    one.add_result("a", cleaner.explain("Crowds gathered (AP Photo/Jo Doe) outside the hall."))
    two.add_result("b", cleaner.explain("plain text"))
    total = merge_reports([one, two])
    assert (total.documents_read, total.documents_changed) == (2, 1)
    assert one.documents_read == 1  # inputs are not modified
    assert (
        dask.compute(
            clean_bag_with_report(db.from_sequence([], npartitions=1))[1], scheduler="sync"
        )[0].documents_read
        == 0
    )


class Counting:
    """A cleaner that counts documents (for the in-process scheduler only)."""

    def __init__(self, cleaner: Cleaner) -> None:
        self.cleaner, self.calls = cleaner, 0

    def clean_document(self, doc: Any) -> Any:
        self.calls += 1
        return self.cleaner.clean_document(doc)


def test_one_compute_cleans_each_partition_once(cleaner: Cleaner) -> None:
    counting = Counting(cleaner)
    bag, report = clean_bag_with_report(db.from_sequence(RECORDS, npartitions=4), counting)
    out, merged = dask.compute(bag, report, scheduler="sync")
    assert counting.calls == merged.documents_read == 32 and len(out) == 40

    counting = Counting(cleaner)
    ddf = dd.from_pandas(pd.DataFrame(RECORDS), npartitions=4)
    frame, report = clean_dataframe_with_report(ddf, counting)
    with pytest.warns(UserWarning, match="mixed collections"):
        out, merged = dask.compute(frame, report, scheduler="sync")
    assert counting.calls == merged.documents_read == 32 and len(out) == 40


def test_a_worker_in_another_directory_cleans_with_a_relative_pack_path(
    tmp_path: Any, monkeypatch: Any
) -> None:
    """A remote worker does not share the client's working directory: the pack a client loaded
    by a relative path reaches it as specs, not as a path it would fail to open."""
    import subprocess

    client_dir, worker_dir = tmp_path / "client", tmp_path / "worker"
    client_dir.mkdir()
    worker_dir.mkdir()
    (client_dir / "local.toml").write_text(
        '[pack]\nid = "local"\n[[rule]]\nid = "sponsor"\nkind = "line"\n'
        "pattern = 'Sponsored by [A-Z][a-z]+\\.'\nrequires = [\"Sponsored by\"]\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(client_dir)
    cleaner = Cleaner.load(["local.toml"], default_rules=False)
    with LocalCluster(
        n_workers=0,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # its HTTP server on loopback, any port
        silence_logs=40,
    ) as cluster:
        worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", cluster.scheduler_address,
             "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
            cwd=worker_dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            with Client(cluster) as c:
                c.wait_for_workers(1, timeout=TIMEOUT)
                text = "The race starts at noon on Saturday by the river.\nSponsored by Acme.\n"
                bag = db.from_sequence([{"text": text}], npartitions=1)
                (row,) = clean_bag(bag, cleaner).compute(timeout=TIMEOUT)
        finally:
            worker.terminate()
            worker.wait(30)
    assert row["text"] == "The race starts at noon on Saturday by the river.\n"
