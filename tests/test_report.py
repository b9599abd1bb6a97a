"""cleaner.report: counting, merging, serialising and the return-code contract."""

from __future__ import annotations

import json
import pickle
from functools import reduce
from pathlib import Path

import pytest

from cleaner.engine import Cleaner
from cleaner.io import Record
from cleaner.pipeline import Outcome
from cleaner.report import MAX_LISTED, SCHEMA_VERSION, Report
from cleaner.types import CleanResult, Span


def result(
    original: str, *spans: Span, held: tuple[Span, ...] = (), slow: tuple[str, ...] = ()
) -> CleanResult:
    text = original
    for span in sorted(spans, reverse=True):
        text = text[: span.start] + span.replacement + text[span.end :]
    return CleanResult(text, tuple(sorted(spans)), held, slow)


def outcome(path: str, line: int, res: CleanResult | None, reason: str | None = None) -> Outcome:
    return Outcome(Record(path, line, b"{}"), None if reason else b"{}", res, reason)


def sample() -> Report:
    report = Report()
    report.add(outcome("a.jsonl", 1, result("Hello world (AP)", Span(11, 16, "t.credit"))))
    report.add(outcome("a.jsonl", 2, result("untouched")))
    report.add(outcome("a.jsonl", 3, None, "malformed JSON at column 2"))
    report.add(outcome("a.jsonl", 4, None))  # a blank line: not a document
    report.add(
        outcome(
            "b.jsonl",
            1,
            result(
                "xx AD yy AD",
                Span(2, 5, "t.ad"),
                Span(8, 11, "t.ad", "!"),
                held=(Span(0, 2, "t.greedy"),),
                slow=("t.slow",),
            ),
        )
    )
    return report


def test_counts_documents_characters_and_rules() -> None:
    report = sample()
    assert (report.documents_read, report.documents_changed) == (4, 2)
    assert (report.documents_unchanged, report.documents_rejected) == (1, 1)
    assert report.documents_read == report.documents_written + report.documents_rejected
    assert report.chars_read == len("Hello world (AP)") + len("untouched") + len("xx AD yy AD")
    assert report.chars_removed == 5 + 3 + 2
    ad = report.rules["t.ad"]
    assert (ad.spans, ad.chars_removed, ad.documents) == (2, 5, 1)
    assert report.rules["t.greedy"].held_back == 1 and report.rules["t.greedy"].spans == 0
    assert report.rules["t.slow"].timeouts == 1
    a = report.files["a.jsonl"]
    assert (a.read, a.changed, a.rejected, a.written) == (3, 1, 1, 2)
    assert [str(r) for r in report.rejections] == ["a.jsonl:3: malformed JSON at column 2"]


def test_return_code_contract() -> None:
    """0 nothing to report; 1 changes, only when checking; 2 rejections or failed files."""
    clean = Report()
    clean.add_result("f", result("fine"))
    assert clean.return_code == 0
    changed = Report()
    changed.add_result("f", result("ab", Span(0, 1, "r")))
    assert changed.return_code == 0
    changed.check = True
    assert changed.return_code == 1
    rejected = Report(check=True)
    rejected.add_rejection("f", 3, "bad")
    assert rejected.return_code == 2
    failed = Report()
    failed.add_error("g.jsonl.gz", "g.jsonl.gz:7: gzip data is truncated")
    assert failed.return_code == 2 and failed.failed


def test_merge_adds_everything_and_is_associative() -> None:
    parts = [sample(), sample(), Report()]
    parts[1].add_error("c.jsonl", "boom")
    parts[2].files_skipped = 2
    total = reduce(Report.merge, parts, Report())
    assert total.documents_read == 8 and total.documents_rejected == 2
    assert total.rules["t.ad"].spans == 4 and total.files["a.jsonl"].read == 6
    assert total.files_skipped == 2 and len(total.errors) == 1
    other = Report().merge(parts[0]).merge(Report().merge(parts[1]).merge(parts[2]))
    assert other.to_dict() == total.to_dict()


def test_rejections_are_counted_all_but_listed_up_to_a_cap() -> None:
    report = Report()
    for i in range(MAX_LISTED + 5):
        report.add_rejection("f", i + 1, "bad")
    assert report.documents_rejected == MAX_LISTED + 5 and len(report.rejections) == MAX_LISTED
    assert report.to_dict()["rejections_not_listed"] == 5
    merged = Report().merge(report).merge(report)
    assert len(merged.rejections) == MAX_LISTED and merged.documents_rejected == 2 * (
        MAX_LISTED + 5
    )


def test_to_dict_is_versioned_json() -> None:
    data = sample().to_dict()
    assert data["schema_version"] == SCHEMA_VERSION == 1
    assert data["documents"] == {
        "read": 4,
        "written": 3,
        "changed": 2,
        "unchanged": 1,
        "rejected": 1,
    }
    assert data["characters"] == {"read": 36, "removed": 10}
    assert list(data["rules"]) == sorted(data["rules"])
    assert data["rules"]["t.credit"] == {
        "spans": 1,
        "chars_removed": 5,
        "documents": 1,
        "held_back": 0,
        "timeouts": 0,
    }
    assert data["files"]["a.jsonl"]["written"] == 2 and data["return_code"] == 2
    assert json.loads(json.dumps(data)) == data


def test_str_is_a_short_summary() -> None:
    report = sample()
    report.add_time("total", 2.25)
    text = str(report)
    assert text.splitlines()[0] == (
        "4 documents, 2 files: 2 changed, 1 unchanged, 1 rejected in 2.2 s"
    )
    assert "10 of 36 characters removed (27.78%)" in text
    assert "t.ad: 2 edits in 1 documents, 5 chars" in text
    assert "held back by the over-removal guard: t.greedy x1" in text
    assert "timed out (skipped): t.slow x1" in text
    assert "rejected: a.jsonl:3: malformed JSON at column 2" in text
    assert len(text.splitlines()) <= 12
    assert str(Report()) == "0 documents: 0 changed, 0 unchanged"


def test_timer_adds_to_timings_and_the_file() -> None:
    report = Report()
    with report.timer("clean", "a.jsonl"):
        pass
    with pytest.raises(RuntimeError), report.timer("clean", "a.jsonl"):
        raise RuntimeError
    assert report.timings["clean"] >= 0 and report.files["a.jsonl"].seconds >= 0


def test_reports_pickle(tmp_path: Path) -> None:
    report = sample()
    assert pickle.loads(pickle.dumps(report)).to_dict() == report.to_dict()


def test_a_real_cleaner_feeds_the_report(tmp_path: Path) -> None:
    pack = tmp_path / "t.toml"
    pack.write_text(
        '[pack]\nid = "t"\ndescription = "d"\n\n[[rule]]\nid = "ad"\nkind = "line"\n'
        "pattern = 'ADVERTISEMENT'\nrequires = [\"ADVERTISEMENT\"]\n",
        encoding="utf-8",
    )
    cleaner = Cleaner.load([pack], default_rules=False)
    report = Report()
    report.add_result("f", cleaner.explain("Body.\nADVERTISEMENT\nMore body text here.\n"))
    assert report.rules["t.ad"].spans == 1 and report.chars_removed > 0


def test_hosts_count_documents_and_the_share_removed() -> None:
    def on(host: str | None, original: str, *spans: Span) -> Outcome:
        done = outcome("a.jsonl", 1, result(original, *spans))
        return Outcome(done.record, done.data, done.result, host=host)

    report = Report()
    report.add(on("thehill.com", "Hello world (AP)", Span(11, 16, "t.credit")))
    report.add(on("thehill.com", "untouched"))
    report.add(on(None, "no url here"))
    assert report.to_dict()["hosts"] == {
        "(no URL)": {"read": 1, "changed": 0, "chars_read": 11, "chars_removed": 0},
        "thehill.com": {"read": 2, "changed": 1, "chars_read": 25, "chars_removed": 5},
    }
    assert Report().merge(report).merge(report).hosts["thehill.com"].chars_removed == 10


def test_past_max_hosts_the_rest_count_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cleaner.report.MAX_HOSTS", 2)
    report = Report()
    for host in ("a.com", "b.com", "c.com", "d.com"):
        report.add_result("a.jsonl", result("text"), host)
    assert sorted(report.hosts) == ["(other hosts)", "a.com", "b.com"]
    assert report.hosts["(other hosts)"].read == 2
