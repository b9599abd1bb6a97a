"""clean_dataset over real ``datasets`` objects (built in memory or on local disk, never the hub)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"
datasets = pytest.importorskip("datasets")

from cleaner import Cleaner, Fields, Span, apply_spans  # noqa: E402 (after the offline switch)
from cleaner.integrations.hf_datasets import clean_dataset  # noqa: E402

ROWS: dict[str, list[Any]] = {
    "id": [1, 2, 3, 4, 5],
    "url": [
        "https://thehill.com/homenews/bridge",
        "https://www.example-globe.ca/science/lakes",
        None,
        "https://www.example-news.com/library",
        "https://www.example-gazette.com/news/vote",
    ],
    "title": [
        "Harbour bridge reopens after a year of repairs",
        "Lake study finds chemical near farms",
        None,
        "City opens new library branch",
        None,
    ],
    "text": [
        "Harbour bridge reopens after a year of repairs\n\nHarbour bridge reopens after a year of "
        "repairs\n\nThe news comes as Mayor Jane DoeJane DoeCouncil votes on budget Storm closes "
        "schools MORE and the city council meet on Friday.\n\nADVERTISEMENT\n\nThe bridge carries "
        "40,000 cars a day.",
        "Researchers collected water samples from 40 lakes across the province.\n\nAdvertisement"
        "\n\nThey found the highest levels in lakes near farms and golf courses.\n",
        None,
        "The city opened its newest library branch on Saturday, with a rooftop garden.",
        "A voter fills out a ballot on Tuesday, in Springfield. (AP Photo/Jo Example)\n\nVoters "
        "approved the measure.",
    ],
}


def expected(cleaner: Cleaner, rows: dict[str, list[Any]] = ROWS) -> list[str | None]:
    return [
        None if text is None else cleaner.clean(text, url=url, title=title)
        for text, url, title in zip(rows["text"], rows["url"], rows["title"], strict=True)
    ]


@pytest.fixture(scope="module")
def cleaner() -> Cleaner:
    return Cleaner.load()


def test_cleans_the_text_column_like_the_library(cleaner: Cleaner) -> None:
    ds = datasets.Dataset.from_dict(ROWS)
    out = clean_dataset(ds, cleaner, batch_size=2)
    assert out.column_names == ds.column_names
    assert out["text"] == expected(cleaner)
    assert out["id"] == ROWS["id"] and out["url"] == ROWS["url"]
    assert out["text"][0] is not None and "MORE" not in out["text"][0]
    assert out["text"][2] is None
    assert out["text"][3] == ROWS["text"][3]
    assert ds["text"] == ROWS["text"]  # the input dataset is not modified


def test_spans_column_holds_each_rows_edits(cleaner: Cleaner) -> None:
    out = clean_dataset(datasets.Dataset.from_dict(ROWS), cleaner, spans_column="edits")
    assert out.features["edits"].dtype == "string"
    for raw, clean, edits in zip(ROWS["text"], out["text"], out["edits"], strict=True):
        spans = json.loads(edits)
        if raw is None:
            assert spans == []
            continue
        assert all(raw[s["start"] : s["end"]] == s["removed"] for s in spans)
        rebuilt = [Span(s["start"], s["end"], s["rule"], s["replacement"]) for s in spans]
        assert apply_spans(raw, rebuilt) == clean
    assert {s["rule"] for s in json.loads(out["edits"][0])} >= {"thehill.person-tooltip"}
    assert json.loads(out["edits"][3]) == []


def test_num_proc_gives_the_same_rows_in_order(cleaner: Cleaner) -> None:
    ds = datasets.Dataset.from_dict({k: v * 4 for k, v in ROWS.items()})
    out = clean_dataset(ds, cleaner, num_proc=2, batch_size=3)
    assert out["text"] == expected(cleaner) * 4


def test_other_column_names_and_absent_metadata(cleaner: Cleaner) -> None:
    ds = datasets.Dataset.from_dict({"body": ROWS["text"], "link": ROWS["url"]})
    out = clean_dataset(ds, cleaner, fields=Fields(text="body", url="link", title="title"))
    without_titles = [
        None if text is None else cleaner.clean(text, url=url)
        for text, url in zip(ROWS["text"], ROWS["url"], strict=True)
    ]
    assert out["body"] == without_titles


def test_dataset_dict_and_iterable_dataset(cleaner: Cleaner) -> None:
    ds = datasets.Dataset.from_dict(ROWS)
    splits = clean_dataset(datasets.DatasetDict({"train": ds, "test": ds.select([0, 1])}), cleaner)
    assert splits["train"]["text"] == expected(cleaner)
    assert splits["test"]["text"] == expected(cleaner)[:2]
    streamed = clean_dataset(ds.to_iterable_dataset(), cleaner, spans_column="edits")
    rows = list(streamed)
    assert [row["text"] for row in rows] == expected(cleaner)
    assert all(isinstance(row["edits"], str) for row in rows)
    with pytest.raises(ValueError, match="num_proc"):
        clean_dataset(ds.to_iterable_dataset(), cleaner, num_proc=2)


def test_clear_errors_for_wrong_columns(cleaner: Cleaner) -> None:
    ds = datasets.Dataset.from_dict(ROWS)
    with pytest.raises(ValueError, match=r"no column 'body'.*fields=Fields\(text="):
        clean_dataset(ds, cleaner, fields=Fields(text="body"))
    with pytest.raises(ValueError, match="already has a column 'url'"):
        clean_dataset(ds, cleaner, spans_column="url")
    with pytest.raises(TypeError, match=r"datasets\.Dataset"):
        clean_dataset(ROWS, cleaner)


PACK = """
[pack]
id = "local"
[[rule]]
id = "sponsor"
kind = "line"
pattern = '{pattern}'
"""


def test_editing_a_rule_file_is_not_hidden_by_the_map_cache(tmp_path: Path) -> None:
    """A dataset on disk caches map results; a changed rule pack must not reuse them."""
    text = "The council met on Monday night to debate.\nSponsored by Acme.\nPresented by Bolt.\n"
    datasets.Dataset.from_dict({"text": [text]}).save_to_disk(tmp_path / "ds")
    pack = tmp_path / "local.toml"

    def run(pattern: str) -> str:
        pack.write_text(PACK.format(pattern=pattern), encoding="utf-8")
        ds = datasets.load_from_disk(str(tmp_path / "ds"))
        cleaner = Cleaner.load([pack], default_rules=False)
        return str(clean_dataset(ds, cleaner)["text"][0])

    assert run("Sponsored by Acme\\.") == text.replace("Sponsored by Acme.\n", "")
    assert list((tmp_path / "ds").glob("cache-*.arrow")), "the map result was cached on disk"
    assert run("Presented by Bolt\\.") == text.replace("Presented by Bolt.\n", "")
