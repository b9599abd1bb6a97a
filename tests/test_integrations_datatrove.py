"""CleanerStep as a real datatrove step: run directly, and in a LocalPipelineExecutor."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datatrove")

from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

from cleaner import Cleaner, Span, apply_spans
from cleaner.integrations.datatrove import CleanerStep

TOOLTIP_ARTICLE = (
    "Harbour bridge reopens after a year of repairs\n\n"
    "The news comes as Mayor Jane DoeJane DoeCouncil votes on budget Storm closes schools MORE "
    "and the city council meet on Friday.\n\nADVERTISEMENT\n\nThe bridge carries 40,000 cars a day."
)
ROWS: list[dict[str, Any]] = [
    {
        "id": "hill-1",
        "text": TOOLTIP_ARTICLE,
        "url": "https://thehill.com/homenews/bridge",
        "title": "Harbour bridge reopens after a year of repairs",
    },
    {
        "id": "globe-1",
        "text": "Researchers sampled 40 lakes across the province.\n\nAdvertisement\n\n"
        "They found the highest levels near farms.\n\nAdvertisement:\n\nThe study was published.",
        "url": "https://www.example-globe.ca/science/lakes",
    },
    {
        "id": "clean-1",
        "text": "The city opened its newest library branch on Saturday, with a rooftop garden.",
        "url": "https://www.example-news.com/library",
    },
    {
        "id": "ap-1",
        "text": "A voter fills out a ballot on Tuesday. (AP Photo/Jo Example)\n\nVoters approved it.",
    },
]


def documents() -> list[Document]:
    return [
        Document(
            text=row["text"],
            id=row["id"],
            metadata={k: v for k, v in row.items() if k not in ("text", "id")},
        )
        for row in ROWS
    ]


@pytest.fixture(scope="module")
def cleaner() -> Cleaner:
    return Cleaner.load()


def expected(cleaner: Cleaner, row: dict[str, Any]) -> str:
    return cleaner.clean(row["text"], url=row.get("url"), title=row.get("title"))


def test_step_cleans_documents_and_counts_per_rule(cleaner: Cleaner) -> None:
    step = CleanerStep(cleaner, spans_key="cleaner_spans")
    out = list(step.run(iter(documents())))
    assert [d.id for d in out] == [row["id"] for row in ROWS]
    assert [d.text for d in out] == [expected(cleaner, row) for row in ROWS]
    assert "MORE" not in out[0].text and "(AP Photo" not in out[3].text
    assert out[2].text == ROWS[2]["text"]

    for doc, row in zip(out, ROWS, strict=True):
        spans = json.loads(doc.metadata["cleaner_spans"])
        rebuilt = [Span(s["start"], s["end"], s["rule"], s["replacement"]) for s in spans]
        assert apply_spans(row["text"], rebuilt) == doc.text
        assert doc.metadata.get("url") == row.get("url")

    stats = step.stats
    assert stats["total"].total == 4
    assert stats["changed"].total == 3 and stats["unchanged"].total == 1
    assert stats["edits/thehill.person-tooltip"].total == 1
    assert stats["edits/generic.ap-photo"].total == 1
    assert stats["edits/generic.advertisement"].n == 2  # documents
    assert stats["chars_removed"].total == sum(
        len(row["text"]) - len(doc.text) for doc, row in zip(out, ROWS, strict=True)
    )
    assert repr(step) == "✂️ - FORMAT: 🧹 Cleaner"


def test_the_over_removal_guard_is_counted() -> None:
    step = CleanerStep(Cleaner.load())
    text = "Short line.\n\nADVERTISEMENT\n\nADVERTISEMENT"
    [doc] = step.run(iter([Document(text=text, id="x")]))
    assert doc.text == text
    assert step.stats["unchanged"].total == 1
    assert step.stats["held_back/generic.advertisement"].total == 1


def test_in_a_local_executor_with_two_tasks(tmp_path: Path, cleaner: Cleaner) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for i, rows in enumerate((ROWS[:2], ROWS[2:])):
        with gzip.open(raw / f"part-{i}.jsonl.gz", "wt", encoding="utf-8") as f:
            f.writelines(json.dumps(row) + "\n" for row in rows)
    executor = LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(raw)),
            CleanerStep(cleaner),
            JsonlWriter(str(tmp_path / "clean"), compression=None),
        ],
        tasks=2,
        workers=2,
        logging_dir=str(tmp_path / "logs"),
        start_method="spawn",  # the step and its cleaner travel to fresh processes
    )
    executor.run()

    written = [
        json.loads(line)
        for path in sorted((tmp_path / "clean").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert [d["id"] for d in written] == [row["id"] for row in ROWS]
    assert [d["text"] for d in written] == [expected(cleaner, row) for row in ROWS]

    merged = json.loads((tmp_path / "logs" / "stats.json").read_text(encoding="utf-8"))
    [ours] = [s for s in merged if s["name"] == "✂️ - FORMAT: 🧹 Cleaner"]
    assert ours["stats"]["total"] == 4
    assert ours["stats"]["changed"] == 3
    assert ours["stats"]["edits/thehill.person-tooltip"] == 1
