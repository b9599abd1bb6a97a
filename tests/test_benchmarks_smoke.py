"""The benchmark tools stay trustworthy: the corpus is reproducible and the naive reference
engine agrees with the cleaner. Behaviour only, never timing (speed lives in benchmarks/)."""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # benchmarks/ is not installed with the package
    sys.path.insert(0, str(ROOT))

from benchmarks.corpus import documents, parse_size, write_corpus  # noqa: E402
from benchmarks.naive import NaiveCleaner  # noqa: E402
from benchmarks.rule_costs import REST, rule_costs  # noqa: E402
from benchmarks.throughput import STAGES, benchmark  # noqa: E402
from cleaner import Cleaner, Document  # noqa: E402


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    write_corpus(a, 200_000, seed=3)
    write_corpus(b, 200_000, seed=3)
    write_corpus(c, 200_000, seed=4)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_smaller_corpus_is_a_prefix(tmp_path: Path) -> None:
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    write_corpus(small, 50_000, seed=1)
    write_corpus(big, 150_000, seed=1)
    assert big.read_bytes().startswith(small.read_bytes())


def test_records_look_like_the_news_set(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    records, written = write_corpus(path, 300_000, seed=0)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == records and written >= 300_000
    assert all(set(r) == {"id", "source", "url", "title", "date", "text"} for r in rows)
    assert len({r["id"] for r in rows}) == len(rows)
    assert any("thehill.com" in r["url"] for r in rows)


@pytest.mark.parametrize(
    ("text", "size"), [("10MB", 10**7), ("1.5GB", 15 * 10**8), ("500kB", 5 * 10**5)]
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_naive_engine_agrees_with_the_cleaner() -> None:
    cleaner = Cleaner.load()
    naive = NaiveCleaner(cleaner)
    changed = 0
    for row in itertools.islice(documents(seed=11), 300):
        doc = Document(row["text"], row["url"], row["title"], row["id"])
        expected = cleaner.clean_document(doc)
        got = naive.clean_document(doc)
        if expected.timed_out:
            continue
        assert got.text == expected.text, row["id"]
        assert got.spans == expected.spans, row["id"]
        assert got.held_back == expected.held_back, row["id"]
        changed += expected.changed
    assert changed > 50  # the corpus carries residue, so the comparison means something


def test_naive_engine_agrees_on_hand_written_edge_cases() -> None:
    """Shapes where a shortcut (prefilter, line window, phrase length filter) could differ."""
    cleaner = Cleaner.load()
    naive = NaiveCleaner(cleaner)
    texts = [
        "",
        "\n\n",
        "ADVERTISEMENT",
        "Body.\r\n\r\nADVERTISEMENT\r\n\r\nMore body.\r\n",
        "A headline here today\n\nA headline here today\n\nThe body starts.",
        "Rep. Alma PryceAlma PryceCouncil weighs levy Voters split MORE (D-Ore.) said so.",
        "  ADVERTISEMENT  \n\nText with no final newline",
        "ADVERTISEMENT\n\n" * 8 + "Short.",  # over the guard's share: held back
    ]
    for text in texts:
        for url in (None, "https://thehill.com/x", "https://www.bbc.com/news/1"):
            doc = Document(text, url, "A headline here today")
            expected, got = cleaner.clean_document(doc), naive.clean_document(doc)
            assert (got.text, got.spans, got.held_back) == (
                expected.text,
                expected.spans,
                expected.held_back,
            ), (text, url)


def test_rule_costs_account_for_the_whole_engine_time(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    records, _ = write_corpus(path, 300_000, seed=2)
    report = rule_costs(path)
    rows = {row["rule"]: row for row in report["rules"]}
    assert report["documents"] == records
    assert sum(row["seconds"] for row in rows.values()) == pytest.approx(report["engine_seconds"])
    assert rows[REST]["seconds"] > 0
    assert rows["generic.repeated-title"]["calls"] >= records  # it needs no literal
    # Edits are counted per rule as the cleaner reports them.
    cleaner = Cleaner.load()
    lines = path.read_text(encoding="utf-8").splitlines()
    spans = [
        cleaner.explain(r["text"], url=r["url"], title=r["title"]).spans
        for r in map(json.loads, lines)
    ]
    assert sum(row["edits"] for row in rows.values()) == sum(map(len, spans))


def test_the_throughput_harness_runs_every_stage_and_compares_their_outputs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.jsonl"
    records, _ = write_corpus(path, 300_000, seed=3)
    # The Dask stage runs where `cleaner[dask]` is installed (CI installs it).
    with_dask = importlib.util.find_spec("distributed") is not None
    stages = [s for s in STAGES if with_dask or s != "cli-dask"]
    report = benchmark(path, stages, jobs=2, repeat=1, out_dir=tmp_path)
    assert report["records"] == records
    assert report["identical"], report["differences"]
    for stage, result in report["stages"].items():
        assert "error" not in result, (stage, result["error"])
        assert result["wall_seconds"] > 0 and result["peak_rss_mb"] > 0
    assert set(report["ratios"]) >= {
        "cli_j1_time_over_floor_time",
        "cli_jN_speedup_over_j1",
        "naive_time_over_cli_j1_time",
        "hostpacks_time_over_cli_j1_time",
        *(["dask_time_over_cli_jN_time"] if with_dask else []),
        "machine_jN_ceiling",
    }
    assert report["ratios"]["machine_jN_ceiling"] > 0
    assert not list(tmp_path.glob("*.out.jsonl"))  # outputs are removed unless kept


def test_the_reliability_table_counts_each_kind_of_fault_and_replaces_only_its_block():
    from benchmarks.reliability import END, START, table, with_table

    faults = [
        {"family": "kills", "fault": "kill -9 to -j 1", "lost": 0, "partial": 0, "failed": False},
        {"family": "kills", "fault": "kill -9 to -j 1", "lost": 0, "partial": 1, "failed": True},
        {"family": "write failures", "fault": "stdout on /dev/full", "lost": 2, "partial": 0},
        {"family": "rule packs", "fault": "(a|aa)+$ times out", "lost": 0, "partial": 0},
    ]
    detail = table(faults, by_fault=True)
    assert "| kills | kill -9 to -j 1 | 2 | 1 | 0 | 1 |" in detail
    assert "| write failures | stdout on /dev/full | 1 | 0 | 2 | 0 |" in detail
    assert "| rule packs | (a\\|aa)+$ times out | 1 | 0 | 0 | 0 |" in detail  # one cell
    rendered = table(faults)
    assert "| kills | 1 | 2 | 1 | 0 | 1 |" in rendered
    assert "| write failures | 1 | 1 | 0 | 2 | 0 |" in rendered
    readme = f"before\n{START}\nold\n{END}\nafter\n"
    assert with_table(readme, rendered) == f"before\n{START}\n{rendered}{END}\nafter\n"
