"""Rule packs: a user's pack holds a catastrophic regex, an enormous alternation or phrase list,
or is not a pack that can be used at all.

A runaway regex runs out of its time on each document it would stall on, is skipped there and
reported (which rule, on how many documents), and the run goes on: every document is written.
A huge alternation or phrase list compiles and cleans in bounded time, with the right results.
A pack that cannot be used is refused before anything is read: the whole message says which
file, where in it, what is wrong and what to do; exit 2, and no output file is created.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from faultkit import (
    ROOT,
    Ledger,
    count_documents,
    outputs,
    partial_outputs,
    run_cleaner,
    write_corpus,
)

#: Backtracks exponentially in the `regex` module on a run of a's that ends in b. (The textbook
#: ``(a+)+$`` does not: regex's guards against nested repeats finish it at once; see the test.)
RUNAWAY = "(a|aa)+$"
#: Seconds a rule may run on a document (small documents get this much).
TIMEOUT = 0.1


def _pack(pack_id: str, rules: str) -> str:
    return f'[pack]\nid = "{pack_id}"\ndescription = "a user pack"\n{rules}'


def _span_rule(rule_id: str, pattern: str) -> str:
    return f'[[rule]]\nid = "{rule_id}"\nkind = "span"\npattern = \'{pattern}\'\n'


def _run_configured(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    """A real ``cleaner`` process that reads configuration files (``run_cleaner`` ignores them)."""
    command = [sys.executable, "-m", "cleaner", *map(str, args)]
    return subprocess.run(command, capture_output=True, cwd=cwd, timeout=300)


def _records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _clean_with(
    pack: Path, tmp_path: Path
) -> tuple[subprocess.CompletedProcess[bytes], list[dict[str, object]], dict[str, Any]]:
    """``in.jsonl`` cleaned with the defaults and ``pack``: the process, the records written
    and the report's per-rule counts. The run's own timeout bounds how long it may take."""
    out, report = tmp_path / "out.jsonl", tmp_path / "report.json"
    done = run_cleaner(
        "clean", tmp_path / "in.jsonl", "-o", out, "-q", "--rules", pack, "--report", report
    )
    cleaned = _records(out) if out.exists() else []
    rules = json.loads(report.read_text(encoding="utf-8"))["rules"] if report.exists() else {}
    return done, cleaned, rules


def _write_records(path: Path, records: list[dict[str, object]]) -> int:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(records)


def _runaway_document(n: int) -> dict[str, object]:
    """A run of a's that ends in b (which RUNAWAY stalls on), and an ad slot the default packs
    remove."""
    text = f"Bulletin {n}\n\n{'a' * (30 + n)}b\n\nADVERTISEMENT\n\nThe council met on Tuesday."
    return {"id": f"runaway-{n}", "url": "https://example.org/b", "text": text}


@pytest.fixture(scope="module")
def stalling_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """Two shards of ordinary news documents, each with four that stall RUNAWAY."""
    root = tmp_path_factory.mktemp("stalling")
    write_corpus(root / "in", files=2, documents_per_file=10, seed=31)
    for k, shard in enumerate(sorted((root / "in").iterdir())):
        records = _records(shard)
        for n in range(4):
            records.insert(2 * n + 1, _runaway_document(4 * k + n))
        _write_records(shard, records)
    return root / "in", 28


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_runaway_regex_times_out_per_document_is_reported_and_every_document_is_written(
    stalling_corpus, tmp_path: Path, ledger: Ledger, jobs: str
):
    source, documents = stalling_corpus
    pack = tmp_path / "slow.toml"
    pack.write_text(_pack("slow", _span_rule("runaway", RUNAWAY)), encoding="utf-8")
    config = tmp_path / "cleaner.toml"
    config.write_text(f"timeout = {TIMEOUT}\n", encoding="utf-8")
    # What the other rules make of the corpus: the timed-out rule is skipped, nothing else.
    without = run_cleaner("clean", source, "-o", tmp_path / "without", "-q")
    assert without.returncode == 0, without.stderr
    expected = outputs(tmp_path / "without")
    out, report = tmp_path / "out", tmp_path / "report.json"
    fault = f"catastrophic regex {RUNAWAY} on 8 documents, -j {jobs}"
    with ledger.injecting("rule packs", fault, documents=documents) as cost:
        # --config, not --isolated: the time limit is a setting of the configuration file.
        done = _run_configured(
            "clean", source, "-o", out, "-j", jobs, "--rules", pack, "--config", config,
            "--report", report,
        )  # fmt: skip
        found = outputs(out)
        cost.lost = documents - sum(count_documents(data) for data in found.values())
        cost.partial = len(partial_outputs(found, expected))
        stderr = done.stderr.decode()
        assert done.returncode == 0, stderr  # a timeout is reported, not an error
        assert "timed out (skipped): slow.runaway x8" in stderr, stderr
        assert "Traceback" not in stderr
        stats = json.loads(report.read_text(encoding="utf-8"))
        assert stats["rules"]["slow.runaway"]["timeouts"] == 8
        assert [r for r, s in stats["rules"].items() if s["timeouts"]] == ["slow.runaway"]
        assert stats["documents"]["read"] == stats["documents"]["written"] == documents
        assert cost.lost == 0 and cost.partial == 0
        # The stalled documents are still cleaned by the other rules: their ad slots are gone.
        assert found == expected
        stalled = [r for shard in sorted(out.iterdir()) for r in _records(shard)]
        stalled = [r for r in stalled if str(r["id"]).startswith("runaway-")]
        assert len(stalled) == 8
        assert all("ADVERTISEMENT" not in str(r["text"]) for r in stalled)
        assert all("a" * 30 + "b" in str(r["text"]) for r in stalled)


def test_the_textbook_nested_quantifier_finishes_without_a_timeout(stalling_corpus, tmp_path):
    """``(a+)+$`` on the same documents: regex's repeat guards make it linear, so it matches
    nothing (every run ends in b) and times out nowhere."""
    source, _ = stalling_corpus
    pack = tmp_path / "nested.toml"
    pack.write_text(_pack("nested", _span_rule("plus-plus", "(a+)+$")), encoding="utf-8")
    report = tmp_path / "report.json"
    done = run_cleaner(
        "clean", source, "-o", tmp_path / "out", "-q", "--rules", pack, "--report", report
    )
    assert done.returncode == 0, done.stderr
    stats = json.loads(report.read_text(encoding="utf-8"))
    assert all(not s["timeouts"] for s in stats["rules"].values())


# -- enormous rules ------------------------------------------------------------------------------

HUGE = 50_000


def _code(n: int) -> str:
    return f"zq{n:05d}x"


def test_a_50000_way_alternation_compiles_and_cleans_in_bounded_time(tmp_path, ledger: Ledger):
    alternation = "|".join(_code(n) for n in range(HUGE))
    pack = tmp_path / "codes.toml"
    pack.write_text(_pack("codes", _span_rule("tracking", rf" ?\b(?:{alternation})\b")))
    records = [
        {
            "id": n,
            "text": f"Story {n} {_code(n * 997 % HUGE)} ends here.\nSecond line {_code(HUGE + n)}.",
        }
        for n in range(100)
    ]
    documents = _write_records(tmp_path / "in.jsonl", records)
    fault = f"{HUGE:,}-way regex alternation"
    with ledger.injecting("rule packs", fault, documents=documents) as cost:
        done, cleaned, stats = _clean_with(pack, tmp_path)
        cost.lost = documents - len(cleaned)
        assert done.returncode == 0, done.stderr
        # Each listed code goes (with the space before it); codes not in the list stay.
        assert cleaned == [
            {**r, "text": str(r["text"]).replace(" " + _code(r["id"] * 997 % HUGE), "")}
            for r in records
        ]
        assert stats["codes.tracking"] == {
            "spans": documents,
            "chars_removed": documents * 9,
            "documents": documents,
            "held_back": 0,
            "timeouts": 0,
        }


def test_a_50000_entry_phrase_list_compiles_and_cleans_in_bounded_time(tmp_path, ledger: Ledger):
    def coupon(n: int) -> str:
        return f"Use code PROMO{n} for {n % 90 + 10}% off your next order"

    pack = tmp_path / "coupons.toml"
    phrases = json.dumps([coupon(n) for n in range(HUGE)])
    rule = f'[[rule]]\nid = "coupon"\nkind = "phrase"\nphrases = {phrases}\n'
    pack.write_text(_pack("coupons", rule), encoding="utf-8")
    body = "The council met on Tuesday to discuss the budget for the coming year.\n\n" * 3
    records = [
        {"id": n, "text": f"Story {n}\n\n{body}{coupon(n * 997 % HUGE)}\n\nThe vote is next week."}
        for n in range(100)
    ]
    documents = _write_records(tmp_path / "in.jsonl", records)
    fault = f"{HUGE:,}-entry phrase list"
    with ledger.injecting("rule packs", fault, documents=documents) as cost:
        done, cleaned, stats = _clean_with(pack, tmp_path)
        cost.lost = documents - len(cleaned)
        assert done.returncode == 0, done.stderr
        # The coupon line goes with the blank line after it; the story stays.
        assert cleaned == [
            {**r, "text": str(r["text"]).replace(coupon(r["id"] * 997 % HUGE) + "\n\n", "")}
            for r in records
        ]
        coupons = stats["coupons.coupon"]
        assert (coupons["documents"], coupons["held_back"], coupons["timeouts"]) == (
            documents,
            0,
            0,
        )


# -- packs that cannot be used -------------------------------------------------------------------

GOOD = _pack("mine", _span_rule("stamp", r"\s?\[scraped\]"))
#: Each broken pack (file name -> text), the whole message it gets ({dir}: where the packs
#: are), and the fixed packs with which the same command writes every document.
REFUSALS = {
    "invalid TOML": (
        {"mine.toml": GOOD.replace('kind = "span"', "kind = span")},  # the quotes forgotten
        "{dir}/mine.toml: not valid TOML: Invalid value (at line 6, column 8)",
        {"mine.toml": GOOD},
    ),
    "unknown key": (
        {"mine.toml": GOOD + 'require = ["[scraped]"]\n'},
        "{dir}/mine.toml: rule mine.stamp -> require: unknown key for a span rule; allowed: "
        "description, enabled, examples, guard, id, ignore_case, keep, kind, pattern, per_line, "
        "replace, requires",
        {"mine.toml": GOOD + 'requires = ["[scraped]"]\n'},
    ),
    "duplicate rule ids": (
        {"mine.toml": GOOD + _span_rule("other", "qqx") + _span_rule("stamp", "qqy")},
        "{dir}/mine.toml: rule mine.stamp -> id: duplicate rule id in this pack "
        "(rules #1 and #3); rename one",
        {"mine.toml": GOOD + _span_rule("other", "qqx") + _span_rule("third", "qqy")},
    ),
    "duplicate pack ids across files": (
        {"a.toml": GOOD, "b.toml": GOOD.replace("stamp", "other")},
        "{dir}/b.toml: pack id 'mine' is already used by {dir}/a.toml; rename one",
        {"a.toml": GOOD, "b.toml": GOOD.replace("stamp", "other").replace('"mine"', '"theirs"')},
    ),
}


def _write_packs(directory: Path, packs: dict[str, str]) -> None:
    directory.mkdir(exist_ok=True)
    for stale in directory.glob("*.toml"):
        stale.unlink()
    for name, text in packs.items():
        (directory / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_an_unusable_pack_is_refused_with_the_whole_message_exit_2_and_no_output(
    tmp_path: Path, ledger: Ledger, case: str
):
    broken, message, fixed = REFUSALS[case]
    source = tmp_path / "in.jsonl"
    records = [{"id": n, "text": f"Paragraph {n} [scraped] of the story."} for n in range(5)]
    documents = _write_records(source, records)
    packs, out = tmp_path / "packs", tmp_path / "out" / "clean.jsonl"
    _write_packs(packs, broken)
    with ledger.injecting("rule packs", case, documents=documents) as cost:
        done = run_cleaner("clean", source, "-o", out, "-q", "--rules", packs)
        assert done.returncode == 2, done.stderr
        assert done.stderr.decode() == f"cleaner: error: {message.format(dir=packs)}\n"
        assert not out.parent.exists()
        # Fixed as the message says, the same command writes every document, cleaned.
        _write_packs(packs, fixed)
        rerun = run_cleaner("clean", source, "-o", out, "-q", "--rules", packs)
        cleaned = _records(out) if out.exists() else []
        cost.lost = documents - len(cleaned)
        assert rerun.returncode == 0, rerun.stderr
        assert [r["text"] for r in cleaned] == [f"Paragraph {n} of the story." for n in range(5)]


# -- a configuration file found by discovery -------------------------------------------------------

#: How a discovered file may try to reach a pack outside its directory: (the config file's name,
#: what it holds; {out}: the pack outside, {rel}: the same, relative), the entry as the message
#: quotes it, and the links the project holds.
REACHES = {
    "../ path in cleaner.toml": ("cleaner.toml", 'rules = ["{rel}"]\n', "{rel}", {}),
    "absolute path in cleaner.toml": ("cleaner.toml", 'rules = ["{out}"]\n', "{out}", {}),
    "../ path in [tool.cleaner]": (
        "pyproject.toml",
        '[project]\nname = "crawl"\n\n[tool.cleaner]\nrules = ["{rel}"]\n',
        "{rel}",
        {},
    ),
    "symlink out, named": (
        "cleaner.toml",
        'rules = ["packs/mine.toml"]\n',
        "packs/mine.toml",
        {"packs/mine.toml": "{out}"},
    ),
    "symlink out, in a named directory": (
        "cleaner.toml",
        'rules = ["packs"]\n',
        "packs",
        {"packs/mine.toml": "{out}"},
    ),
}

SCRAPED = [{"id": n, "text": f"Paragraph {n} [scraped] of the story."} for n in range(5)]
CLEANED = [f"Paragraph {n} of the story." for n in range(5)]


def _project(tmp_path: Path) -> tuple[Path, Path]:
    """A repository (``project/``, whose data is in ``project/data/``) and a pack outside it."""
    root = tmp_path.resolve()
    (root / "project" / ".git").mkdir(parents=True)
    (root / "project" / "data").mkdir()
    _write_records(root / "project" / "data" / "in.jsonl", SCRAPED)
    (root / "elsewhere").mkdir()
    (root / "elsewhere" / "mine.toml").write_text(GOOD, encoding="utf-8")
    return root / "project", root / "elsewhere" / "mine.toml"


@pytest.mark.parametrize("case", sorted(REACHES))
def test_a_discovered_config_cannot_name_packs_outside_its_directory(
    tmp_path: Path, ledger: Ledger, case: str
):
    name, body, entry, links = REACHES[case]
    project, outside = _project(tmp_path)
    fill = {"out": str(outside), "rel": "../elsewhere/mine.toml"}
    config = project / name
    config.write_text(body.format(**fill), encoding="utf-8")
    for link, target in links.items():
        (project / link).parent.mkdir(exist_ok=True)
        (project / link).symlink_to(target.format(**fill))
    data = project / "data"
    out = data / "clean" / "in.jsonl"
    with ledger.injecting("rule packs", f"discovered config: {case}", documents=5) as cost:
        done = _run_configured("clean", "in.jsonl", "-o", out, "-q", cwd=data)
        assert done.returncode == 2, done.stderr
        assert done.stderr.decode() == (
            f"cleaner: error: {config}: rules entry {entry.format(**fill)!r} reaches {outside}, "
            f"outside {project}; a configuration file found by discovery may name only packs "
            "under its own directory: move the pack there, or name this file with --config\n"
        )
        assert not out.parent.exists()
        # Named by the user, the same file is trusted: every document is written, cleaned.
        rerun = _run_configured("clean", "in.jsonl", "-o", out, "-q", "--config", config, cwd=data)
        cleaned = _records(out) if out.exists() else []
        cost.lost = 5 - len(cleaned)
        assert rerun.returncode == 0, rerun.stderr
        assert [r["text"] for r in cleaned] == CLEANED


def test_a_discovered_config_loads_the_packs_under_its_directory(tmp_path: Path):
    """Symlinks that stay inside are followed like any path: only where they lead counts."""
    project, _ = _project(tmp_path)
    (project / "shared").mkdir()
    (project / "shared" / "mine.toml").write_text(GOOD, encoding="utf-8")
    (project / "packs").mkdir()
    (project / "packs" / "mine.toml").symlink_to("../shared/mine.toml")
    (project / "cleaner.toml").write_text('rules = ["packs/mine.toml"]\n', encoding="utf-8")
    data, out = project / "data", project / "data" / "clean.jsonl"
    done = _run_configured("clean", "in.jsonl", "-o", out, "-q", cwd=data)
    assert done.returncode == 0, done.stderr
    assert [r["text"] for r in _records(out)] == CLEANED
