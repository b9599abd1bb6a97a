"""The command line: a few lines per command over the library; one place maps errors to exits.

Exit codes: 0 ok; 1 findings or changes (check, fix, --diff); 2 usage, config or input errors,
or records set aside (which win over findings); 3 an internal error (a bug: please report it
with the traceback). A cleaning command exits with its report's ``return_code``.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from cleaner.config import Settings, discover, load_settings
from cleaner.errors import CleanerError
from cleaner.io.atomic import AtomicOutput
from cleaner.io.plan import FileJob, plan_files
from cleaner.pipeline import (
    Fields,
    Listener,
    Listeners,
    Outcome,
    Progress,
    RunOptions,
    TxtMeta,
    run,
)
from cleaner.report import Report
from cleaner.rulespec import PackSpec
from cleaner.selftest import run_selftest
from cleaner.types import CleanResult, Span

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3

app = typer.Typer(
    name="cleaner",
    help="Remove scraping residue from text corpora, and say what was removed and why.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rules_app = typer.Typer(help="List the loaded rule packs, or run their examples and keeps.")
app.add_typer(rules_app, name="rules")
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


class CompressionChoice(StrEnum):
    none = "none"
    gzip = "gzip"
    zstd = "zstd"


class OnErrorChoice(StrEnum):
    fail = "fail"
    skip = "skip"


# -- options every cleaning command shares ----------------------------------------------------

Inputs = Annotated[
    list[str],
    typer.Argument(
        help="Files (.txt, .jsonl, .jsonl.gz, .jsonl.zst, .parquet), directories (searched "
        "recursively), or - for stdin.",
        show_default=False,
    ),
]
RulesOpt = Annotated[
    list[str] | None,
    typer.Option("--rules", "-r", help="Extra rule pack file or directory (repeatable)."),
]
NoDefaultRules = Annotated[
    bool, typer.Option("--no-default-rules", help="Load only the packs given with --rules.")
]
DisableOpt = Annotated[
    list[str] | None,
    typer.Option("--disable", help="Leave out a pack or rule id, e.g. generic.newsletter."),
]
MaxRemoval = Annotated[
    float | None,
    typer.Option(
        "--max-removal",
        min=0.01,
        max=1.0,
        help="Over-removal guard: hold back edits that would remove more than this share of "
        "a document [default: 0.5].",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Settings file (default: cleaner.toml or [tool.cleaner] in pyproject.toml, "
        "searched upward from here).",
    ),
]
Isolated = Annotated[bool, typer.Option("--isolated", help="Ignore every configuration file.")]
DocUrl = Annotated[
    str | None,
    typer.Option("--url", help="The URL of a single .txt document (its packs follow the host)."),
]
DocTitle = Annotated[
    str | None, typer.Option("--title", help="The title of a single .txt document.")
]
TextKey = Annotated[str | None, typer.Option("--text-key", help="JSON key of the text [text].")]
UrlKey = Annotated[str | None, typer.Option("--url-key", help="JSON key of the url [url].")]
TitleKey = Annotated[str | None, typer.Option("--title-key", help="JSON key of the title [title].")]
IdKey = Annotated[str | None, typer.Option("--id-key", help="JSON key of the id [id].")]
JobsOpt = Annotated[
    int, typer.Option("--jobs", "-j", min=0, help="Worker processes; 0 = every core.")
]
OnErrorOpt = Annotated[
    OnErrorChoice,
    typer.Option(
        "--on-error",
        help="fail: stop at the first bad record, writing nothing for its file; skip: set "
        "bad records aside (see --rejects), count them and go on.",
    ),
]
RejectsOpt = Annotated[
    Path | None,
    typer.Option("--rejects", help="With --on-error skip: write bad records here, verbatim."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no summary.")]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--output-format", help="text (path:line:col: rule: snippet), json or github."),
]


def handled(command: F) -> F:
    """Map errors to exit codes: what users can fix exits 2 with the message, a bug exits 3."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            code = command(*args, **kwargs)
        except CleanerError as exc:
            stderr.print(f"cleaner: error: {escape(str(exc))}")
            raise typer.Exit(EXIT_ERROR) from None
        except (typer.Exit, typer.Abort, typer.BadParameter):  # a usage error exits 2
            raise
        except BrokenPipeError:  # `cleaner check ... | head`: the reader has seen enough
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(141) from None
        except OSError as exc:  # disk full, permissions: temp files are already cleaned up
            stderr.print(f"cleaner: error: {escape(str(exc))}")
            raise typer.Exit(EXIT_ERROR) from None
        except KeyboardInterrupt:
            stderr.print("cleaner: interrupted; no partial output was left")
            raise typer.Exit(130) from None
        except Exception:
            stderr.print("cleaner: internal error (a bug; please report it with this trace):")
            stderr.print(escape(traceback.format_exc()))
            raise typer.Exit(EXIT_INTERNAL) from None
        raise typer.Exit(code or EXIT_OK)

    return run  # type: ignore[return-value]


def settings_from(options: dict[str, Any]) -> Settings:
    """Settings from the config file that applies, overridden by what the command line says.

    ``options`` are a command's parameters (its ``locals()``); those a command lacks are unset.
    """
    get = options.get
    base = Settings() if get("isolated") else load_settings(get("config") or discover())
    rules, disable = get("rules"), get("disable")
    return base.overridden(
        rules=(*base.rules, *rules) if rules else None,
        default_rules=False if get("no_default_rules") else None,
        disable=(*base.disable, *disable) if disable else None,
        max_removal=get("max_removal"),
        text_key=get("text_key"),
        url_key=get("url_key"),
        title_key=get("title_key"),
        id_key=get("id_key"),
    )


# -- cleaning ---------------------------------------------------------------------------------


@app.command()
@handled
def clean(
    inputs: Inputs,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Output file, directory (mirrors input directories) or - for stdout. "
            "Formats and compression follow the input.",
        ),
    ] = None,
    jobs: JobsOpt = 1,
    compression: Annotated[
        CompressionChoice | None,
        typer.Option(
            "--compression",
            help="Compress outputs so, whatever the input had [default: as the input].",
            show_default=False,
        ),
    ] = None,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print a unified diff, write nothing; exit 1 on changes.")
    ] = False,
    report_path: Annotated[
        Path | None, typer.Option("--report", help="Write the run's report as JSON here.")
    ] = None,
    spans_path: Annotated[
        Path | None,
        typer.Option("--spans", help="Write every edit (JSONL: id, rule, offsets, removed text)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Skip files whose output already exists complete.")
    ] = False,
    on_error: OnErrorOpt = OnErrorChoice.fail,
    rejects: RejectsOpt = None,
    quiet: QuietOpt = False,
    rules: RulesOpt = None,
    no_default_rules: NoDefaultRules = False,
    disable: DisableOpt = None,
    max_removal: MaxRemoval = None,
    config: ConfigOpt = None,
    isolated: Isolated = False,
    text_key: TextKey = None,
    url_key: UrlKey = None,
    title_key: TitleKey = None,
    id_key: IdKey = None,
    url: DocUrl = None,
    title: DocTitle = None,
) -> int:
    """Clean files or directories into OUTPUT, with a summary and per-rule counts."""
    settings = settings_from(locals())
    if output is None and not diff:
        if inputs != ["-"]:
            raise typer.BadParameter("give -o OUTPUT (a file, a directory or -)", param_hint="-o")
        output = "-"
    planned = plan_files(
        inputs, None if diff else output, compression=compression.value if compression else None
    )
    with _spans_sink(spans_path) as on_spans:
        show_diff = _diff_printer() if diff else None
        report = _run(
            planned,
            settings,
            jobs=jobs,
            on_error=on_error.value,
            rejects=rejects,
            resume=resume,
            check=diff,
            quiet=quiet,
            listeners=[f for f in (on_spans, show_diff) if f is not None],
            document=(url, title),
        )
    _finish(report, report_path, quiet)
    return report.return_code


@app.command()
@handled
def check(
    inputs: Inputs,
    output_format: FormatOpt = OutputFormat.text,
    jobs: JobsOpt = 1,
    quiet: QuietOpt = False,
    rules: RulesOpt = None,
    no_default_rules: NoDefaultRules = False,
    disable: DisableOpt = None,
    max_removal: MaxRemoval = None,
    config: ConfigOpt = None,
    isolated: Isolated = False,
    text_key: TextKey = None,
    url_key: UrlKey = None,
    title_key: TitleKey = None,
    id_key: IdKey = None,
    url: DocUrl = None,
    title: DocTitle = None,
) -> int:
    """Report residue as path:line:col: rule-id: snippet; write nothing. Exit 1 on findings."""
    settings = settings_from(locals())
    findings: list[dict[str, Any]] = []
    report = _run(
        plan_files(inputs, None),
        settings,
        jobs=jobs,
        check=True,
        quiet=True,
        listeners=[lambda outcome: findings.extend(_findings(outcome))],
        document=(url, title),
    )
    _print_findings(findings, output_format)
    if not quiet and output_format is OutputFormat.text:
        stderr.print(
            f"{len(findings)} finding(s) in {report.documents_changed} of "
            f"{report.documents_read} document(s)"
        )
    return report.return_code


@app.command()
@handled
def fix(
    inputs: Inputs,
    jobs: JobsOpt = 1,
    quiet: QuietOpt = False,
    rules: RulesOpt = None,
    no_default_rules: NoDefaultRules = False,
    disable: DisableOpt = None,
    max_removal: MaxRemoval = None,
    config: ConfigOpt = None,
    isolated: Isolated = False,
    text_key: TextKey = None,
    url_key: UrlKey = None,
    title_key: TitleKey = None,
    id_key: IdKey = None,
) -> int:
    """Clean files in place, atomically. Exit 1 if anything changed (re-stage and commit)."""
    settings = settings_from(locals())
    report = _run(plan_files(inputs, in_place=True), settings, jobs=jobs, check=True, quiet=True)
    if not quiet:
        for path, stats in report.files.items():
            if stats.changed:
                stderr.print(f"fixed {path} ({stats.changed} document(s) changed)")
    return report.return_code


@app.command()
@handled
def explain(
    path: Annotated[str, typer.Argument(help="A .txt or .jsonl file, or - for stdin.")],
    rules: RulesOpt = None,
    no_default_rules: NoDefaultRules = False,
    disable: DisableOpt = None,
    max_removal: MaxRemoval = None,
    config: ConfigOpt = None,
    isolated: Isolated = False,
    text_key: TextKey = None,
    url_key: UrlKey = None,
    title_key: TitleKey = None,
    id_key: IdKey = None,
    url: DocUrl = None,
    title: DocTitle = None,
) -> int:
    """Show every edit in context, with the rule behind it (coloured on a terminal)."""
    settings = settings_from(locals())
    out = Console(highlight=False, soft_wrap=True)
    shown = 0

    def show(outcome: Outcome) -> None:
        nonlocal shown
        assert outcome.result is not None and outcome.document is not None
        text = outcome.document.text
        shown += 1
        out.rule(f"{outcome.record.where}", style="cyan")
        out.print(_marked(text, outcome.result))
        for span in outcome.result.spans:
            line, col = _position(outcome, span)
            out.print(
                f"[bold]{escape(span.rule_id)}[/] {line}:{col} removed "
                f"{escape(repr(text[span.start : span.end]))}"
                + (f" -> {escape(repr(span.replacement))}" if span.replacement else "")
            )
        for span in outcome.result.held_back:
            out.print(f"[yellow]held back by the over-removal guard:[/] {escape(span.rule_id)}")

    report = _run(
        plan_files([path], None),
        settings,
        quiet=True,
        listeners=[show],
        document=(url, title),
    )
    stderr.print(
        f"{report.documents_changed} of {report.documents_read} document(s) would change"
        if shown
        else f"nothing to remove in {report.documents_read} document(s)"
    )
    return report.return_code


# -- rules ------------------------------------------------------------------------------------


@rules_app.command("list")
@handled
def rules_list(
    rules: RulesOpt = None,
    no_default_rules: NoDefaultRules = False,
    config: ConfigOpt = None,
    isolated: Isolated = False,
) -> int:
    """List every loaded rule: id, kind, domains and what it removes."""
    cleaner = settings_from(locals()).cleaner()
    rows = [
        (spec.qualified_id, spec.kind, _reach(pack), spec.description)
        for pack in cleaner.packs
        for spec in pack.rules
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        sys.stdout.write("  ".join([*cells, row[3]]).rstrip() + "\n")
    return EXIT_OK


@rules_app.command("test")
@handled
def rules_test(
    packs: Annotated[
        list[str] | None,
        typer.Argument(help="Pack files or directories to test (default: the loaded packs)."),
    ] = None,
    no_default_rules: NoDefaultRules = False,
) -> int:
    """Run every rule's examples (alone) and keeps (with all packs). Exit 1 on a failure."""
    cleaner = Settings(rules=tuple(packs or ()), default_rules=not no_default_rules).cleaner()
    tested = {str(Path(p).resolve()) for p in packs or ()}
    failures = checked = 0
    for rule, failure in run_selftest(cleaner):
        if tested and str(Path(rule.source).resolve()) not in tested:
            continue
        checked += 1
        if failure is not None:
            failures += 1
            stderr.print(f"[red]FAIL[/] {escape(str(failure))}")
    stderr.print(f"{checked - failures} passed, {failures} failed")
    return EXIT_FINDINGS if failures else EXIT_OK


# -- shared plumbing --------------------------------------------------------------------------


def _run(
    planned: list[FileJob],
    settings: Settings,
    *,
    jobs: int = 1,
    on_error: str = "fail",
    rejects: Path | None = None,
    resume: bool = False,
    check: bool = False,
    quiet: bool = False,
    listeners: list[Listener] | None = None,
    document: tuple[str | None, str | None] = (None, None),
) -> Report:
    """Clean planned files; hand each changed document (with its original text) to listeners.

    ``document`` is the (url, title) of a single .txt input, which carries neither."""
    fields = Fields(settings.text_key, settings.url_key, settings.title_key, settings.id_key)
    options = RunOptions(
        jobs=jobs,
        on_error=on_error,  # type: ignore[arg-type]
        rejects=rejects,
        resume=resume,
        check=check,
        txt=TxtMeta(*document),
    )

    def tell_listeners(outcome: Outcome) -> None:
        if not listeners or not outcome.changed:  # rejected ones are the report's to tell
            return
        for listener in listeners:
            listener(outcome)

    with _progress(planned, quiet) as advance:
        told = Listeners(tell_listeners if listeners else None, advance)
        return run(planned, settings.cleaner(), fields, options, told)


def _reach(pack: PackSpec) -> str:
    """Where a pack applies: its domains, and "+ by content" where it has signatures."""
    return _domains(pack.domains) + (" + by content" if pack.detect else "")


def _domains(domains: tuple[str, ...], shown: int = 2) -> str:
    if not domains:
        return "all"
    more = f" +{len(domains) - shown} more" if len(domains) > shown else ""
    return ", ".join(domains[:shown]) + more


def _finish(report: Report, report_path: Path | None, quiet: bool) -> None:
    if report_path is not None:
        with AtomicOutput(report_path) as out:
            out.write(json.dumps(report.to_dict(), indent=2).encode() + b"\n")
    if not quiet:
        stderr.print(str(report))


@contextmanager
def _spans_sink(path: Path | None) -> Iterator[Listener | None]:
    """A listener writing every edit of every changed document to a JSONL file."""
    if path is None:
        yield None
        return
    with AtomicOutput(path) as out:

        def write(outcome: Outcome) -> None:
            assert outcome.result is not None and outcome.document is not None
            doc = outcome.document
            text = doc.text
            row = {
                "path": outcome.path,
                "line": outcome.line,
                "id": doc.id,
                "spans": [
                    {
                        "rule": s.rule_id,
                        "start": s.start,
                        "end": s.end,
                        "removed": text[s.start : s.end],
                        "replacement": s.replacement,
                    }
                    for s in outcome.result.spans
                ],
            }
            out.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")

        yield write


def _diff_printer() -> Listener:
    def show(outcome: Outcome) -> None:
        assert outcome.result is not None and outcome.document is not None
        text = outcome.document.text
        where = outcome.record.where
        sys.stdout.writelines(
            difflib.unified_diff(
                text.splitlines(keepends=True),
                outcome.result.text.splitlines(keepends=True),
                fromfile=f"a/{where}",
                tofile=f"b/{where}",
            )
        )
        if not outcome.result.text.endswith("\n"):
            sys.stdout.write("\n")

    return show


def _position(outcome: Outcome, span: Span) -> tuple[int, int]:
    """(line, column), 1-based: in the file for .txt; the JSONL line and text offset else."""
    assert outcome.document is not None
    text = outcome.document.text
    if outcome.record.whole:
        line = text.count("\n", 0, span.start) + 1
        return line, span.start - (text.rfind("\n", 0, span.start) + 1) + 1
    return outcome.line, span.start + 1


def _snippet(text: str, span: Span, width: int = 60) -> str:
    removed = " ".join(text[span.start : span.end].split())
    if len(removed) > width:
        removed = removed[: width - 1] + "…"
    return removed + (f" -> {span.replacement.strip()!r}" if span.replacement.strip() else "")


def _findings(outcome: Outcome) -> Iterator[dict[str, Any]]:
    assert outcome.result is not None and outcome.document is not None
    text = outcome.document.text
    for span in outcome.result.spans:
        line, col = _position(outcome, span)
        yield {
            "path": outcome.path,
            "line": line,
            "col": col,
            "rule": span.rule_id,
            "snippet": _snippet(text, span),
        }


def _print_findings(findings: list[dict[str, Any]], fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(findings, ensure_ascii=False, indent=2) + "\n")
        return
    for f in findings:
        if fmt is OutputFormat.github:
            message = f["snippet"].replace("%", "%25").replace("\n", "%0A")
            sys.stdout.write(
                f"::warning file={f['path']},line={f['line']},col={f['col']},"
                f"title={f['rule']}::{message}\n"
            )
        else:
            sys.stdout.write(f"{f['path']}:{f['line']}:{f['col']}: {f['rule']}: {f['snippet']}\n")


def _marked(text: str, result: CleanResult) -> str:
    """The original text with removals struck through in red and replacements in green."""
    parts: list[str] = []
    pos = 0
    for span in result.spans:
        parts.append(escape(text[pos : span.start]))
        parts.append(f"[red strike]{escape(text[span.start : span.end])}[/]")
        if span.replacement:
            parts.append(f"[green]{escape(span.replacement)}[/]")
        pos = span.end
    parts.append(escape(text[pos:]))
    return "".join(parts)


@contextmanager
def _progress(planned: list[FileJob], quiet: bool) -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal: documents, MB, MB/s and ETA."""
    if quiet or not stderr.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    total = sum(_size(job.source) for job in planned) or None
    columns = (
        TextColumn("{task.fields[docs]} docs"),
        BarColumn(),
        TaskProgressColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr, transient=True) as bar:
        task = bar.add_task("clean", total=total, docs=0)
        docs = 0

        def advance(documents: int, nbytes: int) -> None:
            nonlocal docs
            docs += documents
            bar.update(task, advance=nbytes, docs=docs)

        yield advance


def _size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def main() -> None:
    app()
