"""The command line, as a user meets it: outputs, findings, exit codes and error messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cleaner.cli import app

FIXTURES = Path(__file__).parent / "fixtures"

ARTICLE = (
    "Harbour bridge reopens after a year of repairs\n"
    "\n"
    "Harbour bridge reopens after a year of repairs\n"
    "The mayor cut the ribbon (AP Photo/Jo Doe) on Friday morning.\n"
    "\n"
    "ADVERTISEMENT\n"
    "\n"
    "Traffic is expected to return to normal by Monday.\n"
)
CLEAN_ARTICLE = (
    "Harbour bridge reopens after a year of repairs\n"
    "\n"
    "The mayor cut the ribbon on Friday morning.\n"
    "\n"
    "Traffic is expected to return to normal by Monday.\n"
)
PLAIN = "The council met on Tuesday and agreed the budget.\n"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def jsonl(*rows: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "news.jsonl"
    path.write_text(
        jsonl(
            {"id": "a", "url": "https://example.org/a", "text": ARTICLE, "date": "2019-02-27"},
            {"id": "b", "url": "https://example.org/b", "text": PLAIN, "n": 12345678901234567890},
        ),
        encoding="utf-8",
    )
    return path


def test_clean_a_text_file(tmp_path: Path):
    src = tmp_path / "article.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    result = run("clean", str(src), "-o", str(tmp_path / "clean.txt"), "--quiet")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "clean.txt").read_text(encoding="utf-8") == CLEAN_ARTICLE


def test_clean_jsonl_keeps_fields_and_unchanged_lines_byte_for_byte(corpus: Path, tmp_path: Path):
    out = tmp_path / "clean.jsonl"
    result = run("clean", str(corpus), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    first, second = out.read_bytes().splitlines(keepends=True)
    row = json.loads(first)
    assert row == {
        "id": "a",
        "url": "https://example.org/a",
        "text": CLEAN_ARTICLE,
        "date": "2019-02-27",
    }
    assert second == corpus.read_bytes().splitlines(keepends=True)[1]
    assert "documents" in result.stderr  # the summary


def test_check_prints_findings_and_exits_1(corpus: Path):
    result = run("check", str(corpus))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    # The column is in the file's line (as annotations need), not an offset in the text value.
    first_line = corpus.read_text(encoding="utf-8").splitlines()[0]
    col = first_line.index("Harbour bridge", first_line.index("Harbour bridge") + 1) + 1
    assert (
        f"{corpus}:1:{col}: generic.repeated-title: Harbour bridge reopens after a year of repairs"
        in lines
    )
    assert any(
        line.startswith(f"{corpus}:1:") and "generic.advertisement" in line for line in lines
    )
    assert not any(f"{corpus}:2:" in line for line in lines)


def test_check_on_a_clean_file_exits_0(tmp_path: Path):
    path = tmp_path / "ok.jsonl"
    path.write_text(jsonl({"text": PLAIN}))
    result = run("check", str(path))
    assert result.exit_code == 0
    assert result.stdout == ""


def test_check_in_github_and_json_formats(corpus: Path):
    github = run("check", str(corpus), "--output-format", "github")
    assert github.stdout.startswith(f"::warning file={corpus},line=1,col=")
    findings = json.loads(run("check", str(corpus), "--output-format", "json").stdout)
    assert {f["rule"] for f in findings} >= {"generic.repeated-title", "generic.advertisement"}
    # col is where the edit starts in the file's line; offset, where it starts in the text.
    lines = corpus.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines]
    for f in findings:
        start = texts[f["line"] - 1][f["offset"] :]
        assert json.dumps(start)[1:9] == lines[f["line"] - 1][f["col"] - 1 :][:8]


def test_check_in_sarif_validates_against_the_2_1_0_schema(corpus: Path):
    from jsonschema import Draft4Validator

    schema = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text())
    result = run("check", str(corpus), "--output-format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    Draft4Validator(schema).validate(log)
    (sarif_run,) = log["runs"]
    rules = [rule["id"] for rule in sarif_run["tool"]["driver"]["rules"]]
    findings = json.loads(run("check", str(corpus), "--output-format", "json").stdout)
    assert len(sarif_run["results"]) == len(findings)
    for found, result_ in zip(findings, sarif_run["results"], strict=True):
        assert rules[result_["ruleIndex"]] == result_["ruleId"] == found["rule"]
        location = result_["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == corpus.as_uri()
        assert location["region"] == {"startLine": found["line"], "startColumn": found["col"]}


def test_sarif_is_valid_with_no_findings_too(tmp_path: Path):
    from jsonschema import Draft4Validator

    schema = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text())
    path = tmp_path / "ok.jsonl"
    path.write_text(jsonl({"text": PLAIN}))
    result = run("check", str(path), "--output-format", "sarif")
    assert result.exit_code == 0
    log = json.loads(result.stdout)
    Draft4Validator(schema).validate(log)
    assert log["runs"][0]["results"] == []


def test_check_writes_nothing(corpus: Path):
    before = sorted(corpus.parent.iterdir())
    run("check", str(corpus))
    assert sorted(corpus.parent.iterdir()) == before


def test_a_malformed_line_names_file_and_line_and_leaves_no_output(tmp_path: Path):
    src = tmp_path / "bad.jsonl"
    src.write_text(jsonl({"text": ARTICLE}) + '{"text": "unterminated\n')
    out = tmp_path / "out.jsonl"
    result = run("clean", str(src), "-o", str(out))
    assert result.exit_code == 2
    assert f"{src}:2:" in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [src]


def test_a_missing_text_field_says_which_key_to_pass(tmp_path: Path):
    src = tmp_path / "body.jsonl"
    src.write_text(jsonl({"body": ARTICLE}))
    result = run("check", str(src))
    assert result.exit_code == 2
    assert f"{src}:1:" in result.stderr and "--text-key" in result.stderr
    assert run("check", str(src), "--text-key", "body").exit_code == 1


def test_skip_mode_sets_bad_lines_aside_and_counts_them(tmp_path: Path):
    src = tmp_path / "mixed.jsonl"
    src.write_text(jsonl({"text": ARTICLE}) + "not json\n" + jsonl({"text": PLAIN}))
    out, rejects = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    result = run("clean", str(src), "-o", str(out), "--on-error", "skip", "--rejects", str(rejects))
    assert result.exit_code == 2  # data was set aside: someone should look
    assert len(out.read_text().splitlines()) == 2
    assert rejects.read_text() == "not json\n"
    assert "rejected" in result.stderr


def test_diff_prints_a_unified_diff_and_writes_nothing(corpus: Path, tmp_path: Path):
    result = run("clean", str(corpus), "--diff")
    assert result.exit_code == 1
    assert f"--- a/{corpus}:1" in result.stdout
    assert "-ADVERTISEMENT" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["news.jsonl"]


def test_a_diff_with_records_set_aside_exits_2_not_1(tmp_path: Path):
    """Rejects win over findings: data was set aside, which matters more than a change."""
    src = tmp_path / "mixed.jsonl"
    src.write_text(jsonl({"text": ARTICLE}) + '{"text": "unterminated\n')
    result = run("clean", str(src), "--diff", "--on-error", "skip")
    assert result.exit_code == 2
    assert "-ADVERTISEMENT" in result.stdout  # the changed record is still shown
    assert f"{src}:2: malformed JSON" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mixed.jsonl"]


def test_explain_exits_0_when_it_shows_edits_and_2_when_records_are_bad(tmp_path: Path):
    src = tmp_path / "article.txt"
    src.write_text(ARTICLE)
    assert run("explain", str(src)).exit_code == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text(jsonl({"text": ARTICLE}) + "not json\n")
    assert run("explain", str(bad)).exit_code == 2


def test_report_and_spans_files(corpus: Path, tmp_path: Path):
    report, spans = tmp_path / "report.json", tmp_path / "spans.jsonl"
    out = tmp_path / "out.jsonl"
    result = run(
        "clean", str(corpus), "-o", str(out), "--report", str(report), "--spans", str(spans)
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(report.read_text())
    assert data["schema_version"] == 1
    assert data["documents"]["read"] == 2
    (row,) = [json.loads(line) for line in spans.read_text().splitlines()]
    assert row["id"] == "a"
    removed = {s["rule"]: s["removed"] for s in row["spans"]}
    assert removed["generic.advertisement"].startswith("ADVERTISEMENT")


def test_stdin_to_stdout_prints_only_data():
    result = run("clean", "-", input=jsonl({"text": ARTICLE}))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"text": CLEAN_ARTICLE}


def test_fix_rewrites_in_place_and_exits_1_then_0(tmp_path: Path):
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE)
    first = run("fix", str(path))
    assert first.exit_code == 1
    assert path.read_text() == CLEAN_ARTICLE
    assert "fixed" in first.stderr
    assert run("fix", str(path)).exit_code == 0


def test_parallel_output_is_identical(tmp_path: Path):
    src = tmp_path / "many.jsonl"
    # Over 2 MB, so that -j 2 hands blocks to worker processes.
    rows = [{"id": i, "text": ARTICLE if i % 3 else PLAIN} for i in range(12_000)]
    src.write_text(jsonl(*rows))
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert run("clean", str(src), "-o", str(one), "-q").exit_code == 0
    assert run("clean", str(src), "-o", str(two), "-j", "2", "-q").exit_code == 0
    assert one.read_bytes() == two.read_bytes()


def test_explain_shows_each_edit_and_its_rule(tmp_path: Path):
    src = tmp_path / "article.txt"
    src.write_text(ARTICLE)
    result = run("explain", str(src))
    assert result.exit_code == 0
    assert "generic.ap-photo 4:26 removed '(AP Photo/Jo Doe) '" in result.stdout
    assert "generic.advertisement" in result.stdout


def test_rules_list_and_test():
    listed = run("rules", "list")
    assert listed.exit_code == 0
    assert "thehill.person-tooltip" in listed.stdout
    # Where each rule applies: its pack's domains, and by content where the pack has signatures.
    assert "thehill.com + by content" in listed.stdout
    assert " + by content" not in next(
        line for line in listed.stdout.splitlines() if line.startswith("nytimes.")
    )
    tested = run("rules", "test")
    assert tested.exit_code == 0, tested.stderr
    assert " 0 failed" in tested.stderr


PACK = """
[pack]
id = "mine"
description = "my site"

[[rule]]
id = "promo"
kind = "line"
pattern = 'Buy the paper today!'
requires = ["Buy the paper"]
examples = [{ raw = "a\\nBuy the paper today!\\nb", clean = "a\\nb" }]
keep = ["Buy the paper, he said."]
"""


def test_user_packs_with_and_without_defaults(tmp_path: Path):
    pack = tmp_path / "mine.toml"
    pack.write_text(PACK)
    src = tmp_path / "a.txt"
    src.write_text(CLEAN_ARTICLE + "Buy the paper today!\n" + PLAIN + "ADVERTISEMENT\n")
    both = run("check", str(src), "--rules", str(pack))
    assert {line.split(": ")[1] for line in both.stdout.splitlines()} == {
        "mine.promo",
        "generic.advertisement",
    }
    only = run("check", str(src), "--rules", str(pack), "--no-default-rules")
    assert [line.split(": ")[1] for line in only.stdout.splitlines()] == ["mine.promo"]
    assert run("rules", "test", str(pack)).exit_code == 0


def test_rules_test_reports_a_broken_example(tmp_path: Path):
    pack = tmp_path / "mine.toml"
    pack.write_text(PACK.replace('clean = "a\\nb"', 'clean = "a\\nc"'))
    result = run("rules", "test", str(pack))
    assert result.exit_code == 1
    assert "rule mine.promo -> example" in result.stderr


def test_a_bad_rule_pack_exits_2_with_the_exact_place(tmp_path: Path):
    pack = tmp_path / "bad.toml"
    pack.write_text(PACK.replace("'Buy the paper today!'", "'Buy (the paper'"))
    src = tmp_path / "a.txt"
    src.write_text(ARTICLE)
    result = run("check", str(src), "--rules", str(pack))
    assert result.exit_code == 2
    assert f"{pack}: rule mine.promo -> pattern: missing ) at 14" in result.stderr


def test_config_file_disables_a_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "cleaner.toml").write_text('disable = ["generic.advertisement"]\n')
    src = tmp_path / "a.txt"
    src.write_text(CLEAN_ARTICLE + "\nADVERTISEMENT\n\n" + PLAIN)
    monkeypatch.chdir(tmp_path)
    assert run("check", "a.txt").exit_code == 0
    assert run("check", "a.txt", "--isolated").exit_code == 1


def test_unknown_input_is_a_usage_error(tmp_path: Path):
    result = run("check", str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 2
    assert "missing.jsonl" in result.stderr


def test_every_command_has_complete_help():
    for command in (
        ["clean"],
        ["check"],
        ["fix"],
        ["explain"],
        ["rules", "list"],
        ["rules", "test"],
    ):
        result = run(*command, "--help")
        assert result.exit_code == 0
        assert "Usage:" in result.stdout


RULE_OPTIONS = ["--rules", "--no-default-rules", "--config", "--isolated"]
CLEANING_OPTIONS = [*RULE_OPTIONS, "--disable", "--max-removal", "--text-key", "--id-key"]


@pytest.mark.parametrize(
    ("command", "takes", "lacks"),
    [
        (["clean"], [*CLEANING_OPTIONS, "--url", "--title"], []),
        (["check"], [*CLEANING_OPTIONS, "--url", "--title"], []),
        (["explain"], [*CLEANING_OPTIONS, "--url", "--title"], []),
        (["fix"], CLEANING_OPTIONS, ["--url", "--title"]),  # in place: files keep their own
        (["rules", "list"], RULE_OPTIONS, ["--disable", "--text-key"]),
    ],
)
def test_commands_share_the_options_that_concern_them(
    command: list[str], takes: list[str], lacks: list[str]
):
    shown = set(re.findall(r"--[\w-]+", run(*command, "--help").stdout))
    assert [option for option in takes if option not in shown] == []
    assert [option for option in lacks if option in shown] == []


def test_progress_shows_on_a_terminal_and_never_on_stdout(tmp_path: Path):
    import os
    import pty
    import subprocess
    import sys

    src = tmp_path / "many.jsonl"
    src.write_text(jsonl(*({"id": i, "text": ARTICLE} for i in range(20000))))
    master, slave = pty.openpty()
    out = (tmp_path / "stdout").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cleaner", "clean", str(src), "-o", "-"],
        stdout=out,
        stderr=slave,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
    )
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=120)
    out.close()
    os.close(master)
    stdout = (tmp_path / "stdout").read_bytes()
    assert proc.returncode == 0
    assert b"docs" in seen and b"/s" in seen
    assert len(stdout.splitlines()) == 20000
    assert all(line.startswith(b'{"id"') for line in stdout.splitlines())


def test_resume_skips_outputs_already_complete(tmp_path: Path):
    (tmp_path / "in").mkdir()
    for name in ("a", "b"):
        (tmp_path / "in" / f"{name}.txt").write_text(ARTICLE)
    out = tmp_path / "out"
    assert run("clean", str(tmp_path / "in"), "-o", str(out), "-q").exit_code == 0
    (out / "a.txt").write_text("kept as it was\n")
    (out / "b.txt").unlink()
    assert run("clean", str(tmp_path / "in"), "-o", str(out), "--resume", "-q").exit_code == 0
    assert (out / "a.txt").read_text() == "kept as it was\n"
    assert (out / "b.txt").read_text() == CLEAN_ARTICLE
    (out / "b.txt").unlink()
    resumed = run("clean", str(tmp_path / "in"), "-o", str(out), "--resume")
    assert "1 files skipped as already complete (--resume)" in resumed.stderr


def test_an_unknown_file_type_names_what_is_read_without_a_missing_option(tmp_path: Path):
    (tmp_path / "notes.md").write_text("Notes.\n")
    result = run("check", str(tmp_path / "notes.md"), "--isolated")
    assert result.exit_code == 2
    assert "unknown file type" in result.stderr and "stdin is read as JSONL" in result.stderr
    assert "--format" not in result.stderr


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_an_interrupted_run_leaves_no_partial_output(tmp_path: Path, signal_name: str):
    import signal
    import subprocess
    import sys
    import time

    src = tmp_path / "big.jsonl"
    src.write_text(jsonl(*({"id": i, "text": ARTICLE} for i in range(200_000))))
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cleaner", "clean", str(src), "-o", str(out), "-q"],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not any(p.name != src.name for p in tmp_path.iterdir()):  # the temp file appears
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(getattr(signal, signal_name))
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.jsonl"]


def test_a_missing_output_is_a_usage_error_not_a_bug(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text('{"text": "One."}\n', encoding="utf-8")
    result = run("clean", str(tmp_path / "in.jsonl"), "--isolated")
    assert result.exit_code == 2
    assert "give -o OUTPUT" in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


# -- explain: piped, held back, filtered ------------------------------------------------------

TWO_AD_ARTICLE = (
    "The bridge reopened on Friday after a year of repairs, and traffic was light all day.\n\n"
    "ADVERTISEMENT\n\n"
    "Crews will return in the spring to repaint the railings, the city said on Friday.\n\n"
    "-Updated 7:32 p.m.\n"
)


def test_piped_explain_marks_removals_in_plain_text(tmp_path: Path):
    (tmp_path / "a.txt").write_text(TWO_AD_ARTICLE)
    result = run("explain", str(tmp_path / "a.txt"), "--isolated")  # CliRunner: not a terminal
    assert result.exit_code == 0
    assert "[-ADVERTISEMENT\n\n-]" in result.stdout
    assert "[-\n-Updated 7:32 p.m.\n-]" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour codes either


def test_explain_shows_edits_the_guard_held_back_and_why(tmp_path: Path):
    (tmp_path / "short.txt").write_text("Short.\n\nADVERTISEMENT\n\nSign up for our newsletter\n")
    result = run("explain", str(tmp_path / "short.txt"), "--isolated")
    assert result.exit_code == 0
    assert (
        "held back generic.advertisement 2:1 would remove '\\nADVERTISEMENT\\n\\n'" in result.stdout
    )
    assert "more than max_removal of the document" in result.stdout
    assert "nothing to remove in 1 document(s); 2 edit(s) held back" in result.stderr


def test_explain_filters_by_rule_and_limits_the_documents(tmp_path: Path):
    rows = [{"id": str(n), "text": TWO_AD_ARTICLE} for n in range(3)]
    (tmp_path / "in.jsonl").write_text(jsonl(*rows))
    result = run(
        "explain",
        str(tmp_path / "in.jsonl"),
        "--isolated",
        "--rule",
        "generic.update-stamp",
        "--limit",
        "2",
    )
    assert result.exit_code == 0
    assert result.stdout.count("generic.update-stamp ") == 2
    assert result.stdout.count("removed '\\n-Updated 7:32 p.m.\\n'") == 2
    assert "generic.advertisement" not in result.stdout
    assert "3 of 3 document(s) would change; 2 shown by generic.update-stamp" in result.stderr


def test_rules_test_help_names_only_its_own_options():
    result = run("rules", "test", "-h")
    assert "--rules" not in result.stdout
    assert "Load only the packs given as arguments." in result.stdout


def test_json_bz2_and_xz_shards_are_read_and_unknown_files_are_said_not_hidden(tmp_path: Path):
    import bz2
    import gzip
    import lzma

    shards = tmp_path / "shards"
    shards.mkdir()
    data = jsonl({"id": "1", "text": ARTICLE}).encode()
    packed = {"part-0.json.gz": gzip.compress, "part-1.jsonl.bz2": bz2.compress}
    packed["part-2.json.xz"] = lzma.compress
    for name, compress in packed.items():
        (shards / name).write_bytes(compress(data))
    (shards / "notes.csv").write_text("a,b\n")
    result = run("clean", str(shards), "-o", str(tmp_path / "out"), "--isolated")
    assert result.exit_code == 0, result.stderr
    unpack = {"part-0.json.gz": gzip, "part-1.jsonl.bz2": bz2, "part-2.json.xz": lzma}
    for name, module in unpack.items():  # each written back in its own compression
        cleaned = module.decompress((tmp_path / "out" / name).read_bytes()).decode()
        assert json.loads(cleaned)["text"] == CLEAN_ARTICLE, name
    assert "not read (no known type): " in result.stderr and "notes.csv" in result.stderr
    report = tmp_path / "report.json"
    again = run("clean", str(shards), "-o", str(tmp_path / "o2"), "--report", str(report), "-q")
    assert again.exit_code == 0
    assert json.loads(report.read_text())["files_not_read"] == [str(shards / "notes.csv")]
    checked = run("check", str(shards), "--isolated")
    assert "skipped 1 file(s) of no known type" in checked.stderr


def test_a_truncated_xz_file_is_an_error_not_a_shorter_corpus(tmp_path: Path):
    import lzma

    whole = lzma.compress(jsonl(*({"text": ARTICLE} for _ in range(200))).encode())
    (tmp_path / "cut.jsonl.xz").write_bytes(whole[: len(whole) // 2])
    result = run("clean", str(tmp_path / "cut.jsonl.xz"), "-o", str(tmp_path / "out.jsonl.xz"))
    assert result.exit_code == 2
    assert "cut.jsonl.xz" in result.stderr
    assert not (tmp_path / "out.jsonl.xz").exists()


def test_a_json_file_holding_one_document_says_it_is_read_as_json_lines(tmp_path: Path):
    (tmp_path / "doc.json").write_text('{\n  "text": "One."\n}\n')
    result = run("check", str(tmp_path / "doc.json"), "--isolated")
    assert result.exit_code == 2
    assert "doc.json:1" in result.stderr and "read as JSON Lines" in result.stderr


def test_check_prints_every_files_findings_past_a_bad_one_then_exits_2(tmp_path: Path):
    (tmp_path / "a-bad.jsonl").write_text(jsonl({"text": PLAIN}) + "not json\n")
    (tmp_path / "b-good.jsonl").write_text(jsonl({"text": ARTICLE}))
    result = run(
        "check", str(tmp_path / "a-bad.jsonl"), str(tmp_path / "b-good.jsonl"), "--isolated"
    )
    assert result.exit_code == 2
    assert "b-good.jsonl:1:" in result.stdout  # the good file's findings are all there
    assert "a-bad.jsonl:2: malformed JSON" in result.stderr


def test_version_is_printed_by_the_command_and_by_python_m(tmp_path: Path):
    import subprocess
    import sys

    from cleaner import __version__

    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"cleaner {__version__}\n"
    module = subprocess.run(
        [sys.executable, "-m", "cleaner", "--version"], capture_output=True, text=True, check=True
    )
    assert module.stdout == f"cleaner {__version__}\n"


def test_shell_completion_is_offered_as_typer_provides_it():
    import subprocess
    import sys

    # Completion is for the installed ``cleaner`` script, the one a shell runs.
    script = Path(sys.executable).parent / "cleaner"
    shown = subprocess.run(
        [str(script), "--show-completion", "bash"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "_cleaner_completion" in shown.stdout
    assert "complete -o default -F _cleaner_completion cleaner" in shown.stdout


ESCAPE = "\x1b["


@pytest.mark.parametrize("command", ["explain", "check"])
def test_color_always_colours_a_pipe_and_never_writes_no_escape_codes(tmp_path: Path, command):
    src = tmp_path / "article.txt"
    src.write_text(ARTICLE)
    coloured = run(command, str(src), "--color", "always")
    assert ESCAPE in coloured.stdout
    plain = run(command, str(src), "--color", "never")
    assert ESCAPE not in plain.stdout
    assert "generic.ap-photo" in plain.stdout


def test_check_without_colour_prints_the_findings_exactly(tmp_path: Path):
    src = tmp_path / "article.txt"
    src.write_text(ARTICLE)
    plain = run("check", str(src), "--color", "never").stdout
    assert plain == run("check", str(src)).stdout  # piped: auto is never
    assert re.search(r"^\S+article\.txt:4:26: generic\.ap-photo: ", plain, re.M)


def test_explain_honours_no_color_on_a_terminal(tmp_path: Path, monkeypatch):
    src = tmp_path / "article.txt"
    src.write_text(ARTICLE)
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich: behave as on a terminal
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "[-" not in run("explain", str(src)).stdout  # struck through instead
    monkeypatch.setenv("NO_COLOR", "1")
    marked = run("explain", str(src)).stdout
    assert "[-(AP Photo/Jo Doe) -]" in marked
    # An explicit --color always wins over NO_COLOR.
    assert "[-" not in run("explain", str(src), "--color", "always").stdout


def test_ctrl_c_while_the_command_starts_is_exit_130_without_a_trace(monkeypatch, capsys):
    """The fault suite's kills found it: SIGINT during the imports printed a traceback."""
    import sys
    import types

    from cleaner.__main__ import main

    starting = types.ModuleType("cleaner.cli")

    def interrupted(name: str) -> None:
        raise KeyboardInterrupt

    starting.__getattr__ = interrupted  # type: ignore[method-assign]
    monkeypatch.setitem(sys.modules, "cleaner.cli", starting)
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 130
    assert capsys.readouterr().err == "cleaner: interrupted while starting; nothing was written\n"
