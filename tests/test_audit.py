"""The HTML audit report: exact counts, a bounded and deterministic sample, every piece of
scraped text escaped, and a page that works in a real browser."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cleaner.audit import Audit

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "corpus_samples" / "news.jsonl"

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cleaner", *map(str, args), "--isolated"]
        if args[0] == "clean"
        else [sys.executable, "-m", "cleaner", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def row(n: int, rule: str, removed: str, host: str = "example.com", **extra) -> dict:
    text = f"Story line {n}.\n{removed}\nNext line."
    start = text.index(removed)
    return {
        "path": "in.jsonl",
        "line": n,
        "id": f"doc-{n}",
        "url": f"https://{host}/{n}",
        "host": host,
        "chars": len(text),
        "spans": [
            {
                "rule": rule,
                "start": start,
                "end": start + len(removed),
                "removed": removed,
                "replacement": "",
                "before": text[:start],
                "after": text[start + len(removed) :],
            }
        ],
        "held": [],
        **extra,
    }


# -- counts and samples ------------------------------------------------------------------------


def test_counts_are_exact_and_samples_bounded_per_rule() -> None:
    rows = [row(n, "a.ad", "ADVERTISEMENT") for n in range(500)]
    rows += [row(n, "b.credit", "(AP Photo)", host="news.example") for n in range(500, 530)]
    audit = Audit(samples=7).add_rows(rows)
    assert audit.rules["a.ad"].spans == 500 and audit.rules["a.ad"].documents == 500
    assert audit.rules["a.ad"].chars_removed == 500 * len("ADVERTISEMENT")
    assert len(audit.samples_of("a.ad")) == 7 and len(audit.samples_of("b.credit")) == 7
    assert audit.hosts["news.example"].changed == 30


def test_the_sample_is_the_same_whatever_the_order_of_the_rows() -> None:
    rows = [row(n, f"r.{n % 3}", f"residue {n}") for n in range(300)]
    shuffled = rows[:]
    random.Random(5).shuffle(shuffled)
    assert Audit(samples=5).add_rows(rows).html() == Audit(samples=5).add_rows(shuffled).html()
    # Another seed is another sample, of the same size.
    other = Audit(samples=5, seed=1).add_rows(rows)
    assert other.samples_of("r.0") != Audit(samples=5).add_rows(rows).samples_of("r.0")
    assert len(other.samples_of("r.0")) == 5


def test_held_back_edits_are_shown_apart_with_why() -> None:
    held = row(1, "g.prompt", "Sign up now")["spans"]
    page = Audit().add_rows([row(1, "a.ad", "AD", held=held)]).html()
    section = page[page.index("<section id='held'>") :]
    assert "Sign up now" in section and "--max-removal" in section


# -- escaping ------------------------------------------------------------------------------------


def test_hostile_text_is_escaped_everywhere_it_appears() -> None:
    evil = row(1, "a.ad", HOSTILE, host=f"{HOSTILE}.example", id=HOSTILE, path=HOSTILE)
    evil["spans"][0]["before"] = HOSTILE
    page = Audit().add_rows([evil]).html()
    assert "<script>window" not in page and "<img" not in page
    assert page.count("<script>") == 1  # the page's own
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page


def test_lone_surrogates_in_scraped_text_do_not_break_the_page() -> None:
    page = Audit().add_rows([row(1, "a.ad", "AD \ud800 here")]).html()
    page.encode("utf-8")  # writable as UTF-8
    assert "AD \ufffd here" in page


# -- the command line ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit")
    done = run(
        "clean", SAMPLES, "-o", out / "clean.jsonl", "--html", out / "audit.html",
        "--spans", out / "spans.jsonl", "--report", out / "report.json", "-q",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def test_clean_html_writes_one_self_contained_file(made: Path) -> None:
    page = (made / "audit.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for section in ("overview", "filters", "rules", "hosts", "samples", "held"):
        assert f"<section id='{section}'>" in page
    # Nothing to fetch: no URL in a src or href, no external stylesheet or script.
    assert "src=" not in page and "href=" not in page and "<link" not in page
    report = json.loads((made / "report.json").read_text())
    assert f"<b>{report['documents']['read']:,}</b><span>documents read</span>" in page


def test_the_report_made_twice_is_byte_identical_with_one_or_two_workers(
    made: Path, tmp_path: Path
) -> None:
    again = run(
        "clean", SAMPLES, "-o", tmp_path / "c.jsonl", "--html", tmp_path / "a.html", "-j", "2"
    )
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "a.html").read_bytes() == (made / "audit.html").read_bytes()


def test_cleaner_report_rebuilds_the_same_page_from_the_spans_file(
    made: Path, tmp_path: Path
) -> None:
    done = run(
        "report", made / "spans.jsonl", "--report", made / "report.json", "-o", tmp_path / "r.html"
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r.html").read_bytes() == (made / "audit.html").read_bytes()
    # Without the run's report it still has every rule, from the spans alone.
    alone = run("report", made / "spans.jsonl", "-o", tmp_path / "alone.html")
    assert alone.returncode == 0, alone.stderr
    page = (tmp_path / "alone.html").read_text(encoding="utf-8")
    report = json.loads((made / "report.json").read_text())
    for rule, counts in report["rules"].items():
        if counts["spans"]:
            assert f"<tr data-rule='{rule}'>" in page


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"path": "a"\n', "spans.jsonl:1: not a JSON line"),
        ("\n[1, 2]\n", "spans.jsonl:2: not a --spans row (no 'spans'); give a --spans file"),
    ],
)
def test_a_file_that_is_not_a_spans_file_is_exit_2_naming_the_line(
    tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / "spans.jsonl").write_text(content)
    done = run("report", tmp_path / "spans.jsonl", "-o", tmp_path / "r.html", cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "r.html").exists()


# -- in a real browser ---------------------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.skip("no Chromium on this machine (apt-get install chromium; .ci/run installs it)")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = _chromium()
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


def test_the_report_renders_and_its_filters_work_in_chromium(made: Path, browser) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto((made / "audit.html").as_uri())
    assert page.locator("#rule-table tbody tr").count() > 3
    assert page.locator("#rule-chart rect").count() > 3
    assert page.locator("#host-chart rect").count() >= 1
    samples = page.locator(".sample:visible").count()
    assert samples > 10
    # Filter by rule: only that rule's samples stay.
    rule = (
        page.locator("#filter-rule option").nth(1).get_attribute("value")
        or page.locator("#filter-rule option").nth(1).inner_text()
    )
    page.select_option("#filter-rule", rule)
    shown = page.locator(".sample:visible")
    assert 0 < shown.count() < samples
    assert {shown.nth(i).get_attribute("data-rule") for i in range(shown.count())} == {rule}
    page.select_option("#filter-rule", "")
    # Free text: a word that only some samples hold.
    first = page.locator(".sample del").first.inner_text()
    page.fill("#filter-text", first)
    assert 0 < page.locator(".sample:visible").count() <= samples
    assert all(
        first.lower() in page.locator(".sample:visible").nth(i).inner_text().lower()
        for i in range(page.locator(".sample:visible").count())
    )
    page.fill("#filter-text", "")
    # Sorting: a click on "spans" orders the rule table by it.
    page.click("#rule-table th:nth-child(2)")
    page.click("#rule-table th:nth-child(2)")  # descending
    values = [
        float(v)
        for v in page.eval_on_selector_all(
            "#rule-table tbody tr td:nth-child(2)", "cells => cells.map(c => c.dataset.value)"
        )
    ]
    assert values == sorted(values, reverse=True)
    # The per-rule chart shows characters removed, spans or documents, as chosen.
    assert page.locator("#rule-chart").is_visible()
    page.select_option("#chart-metric", "rule-chart-spans")
    assert page.locator("#rule-chart-spans rect").first.is_visible()
    assert not page.locator("#rule-chart").is_visible()
    page.select_option("#chart-metric", "rule-chart")
    page.screenshot(path=str(made / "audit.png"), full_page=False)
    assert (made / "audit.png").stat().st_size > 10_000
    assert errors == []


def test_hostile_text_runs_nothing_in_chromium(tmp_path: Path, browser) -> None:
    evil = row(1, "a.ad", HOSTILE, host=f"{HOSTILE}.example", id=HOSTILE)
    evil["spans"][0]["after"] = '"\'><svg onload="window.__pwned=3">'
    (tmp_path / "evil.html").write_text(Audit().add_rows([evil]).html(), encoding="utf-8")
    page = browser.new_page()
    page.goto((tmp_path / "evil.html").as_uri())
    page.fill("#filter-text", "pwned")  # the filter reads text, and must not run it either
    assert page.evaluate("window.__pwned === undefined")
    assert HOSTILE in page.locator(".sample .text").inner_text()
