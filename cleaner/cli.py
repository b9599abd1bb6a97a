"""The command line: a few lines per command over the library; one place maps errors to exits.

Exit codes: 0 ok; 1 findings or changes (check, fix, --diff); 2 usage, config or input errors,
or records set aside (which win over findings); 3 an internal error (a bug: please report it
with the traceback). A cleaning command exits with its report's ``return_code``.

The options the commands share are declared once (``cleaner.cli_options``); what the
commands print is made in ``cleaner.render``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from cleaner import render
from cleaner.audit import SAMPLES_PER_RULE, Audit
from cleaner.cli_options import (
    CLEANING_RUN,
    CONFIG,
    DOCUMENT,
    KEYS,
    RULES,
    ColorChoice,
    ColorOpt,
    CompressionChoice,
    EngineChoice,
    EngineOpt,
    FormatOpt,
    Inputs,
    JobsOpt,
    OnErrorChoice,
    OnErrorOpt,
    OutputFormat,
    QuietOpt,
    RejectsOpt,
    SchedulerOpt,
    fields_of,
    shared,
)
from cleaner.config import Settings
from cleaner.engine import Cleaner
from cleaner.errors import CleanerError, InputError
from cleaner.io import storage
from cleaner.io.atomic import AtomicOutput
from cleaner.io.codecs import TxtMeta
from cleaner.io.documents import refuse_stdin
from cleaner.io.plan import FileJob, plan_files
from cleaner.learn import DEFAULT_MIN_DOCS, DEFAULT_MIN_SHARE, learn_files
from cleaner.learned_pack import summary, write_packs
from cleaner.pipeline import Listener, Listeners, Outcome, RunOptions, run
from cleaner.pipeline.cluster import SCHEDULER_ENV, DaskPool
from cleaner.report import Report
from cleaner.rulespec import pack_files
from cleaner.selftest import run_selftest

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3

app = typer.Typer(
    name="cleaner",
    help="Remove scraping residue from text corpora, and say what was removed and why.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from cleaner import __version__

        print(f"cleaner {__version__}")
        raise typer.Exit()


@app.callback()
def _main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Remove scraping residue from text corpora, and say what was removed and why."""


rules_app = typer.Typer(help="List the loaded rule packs, or run their examples and keeps.")
app.add_typer(rules_app, name="rules")
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


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


# -- cleaning ---------------------------------------------------------------------------------


@app.command()
@handled
@shared(*CLEANING_RUN, DOCUMENT)
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
    engine: EngineOpt = EngineChoice.local,
    scheduler: SchedulerOpt = None,
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
        str | None, typer.Option("--report", help="Write the run's report as JSON here.")
    ] = None,
    spans_path: Annotated[
        str | None,
        typer.Option("--spans", help="Write every edit (JSONL: id, rule, offsets, removed text)."),
    ] = None,
    html_path: Annotated[
        str | None,
        typer.Option("--html", help="Write an HTML audit report of what was removed here."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Skip files whose output already exists complete.")
    ] = False,
    on_error: OnErrorOpt = OnErrorChoice.fail,
    rejects: RejectsOpt = None,
    quiet: QuietOpt = False,
    *,
    settings: Settings,
    txt: TxtMeta,
) -> int:
    """Clean files or directories into OUTPUT, with a summary and per-rule counts."""
    if output is None and not diff:
        if inputs != ["-"]:
            raise typer.BadParameter("give -o OUTPUT (a file, a directory or -)", param_hint="-o")
        output = "-"
    planned, not_read = _plan(
        inputs,
        None if diff else output,
        True,  # the summary lists them
        compression=compression.value if compression else None,
    )
    options = RunOptions(
        jobs=jobs, on_error=on_error.value, rejects=rejects, resume=resume, check=diff, txt=txt
    )
    audit = Audit() if html_path is not None else None
    with _spans_file(spans_path) as write_spans:
        show_diff = _write(render.diff) if diff else None
        audit_row = (lambda o: audit.add_row(render.spans_row(o))) if audit else None
        listeners = [f for f in (write_spans, show_diff, audit_row) if f is not None]
        report = _run(
            planned,
            settings,
            options,
            listeners,
            quiet=quiet,
            held=not diff,
            cluster=_cluster(engine, scheduler, quiet),
        )
    report.files_not_read = not_read
    if report_path is not None:
        _write_json(report_path, report.to_dict())
    if audit is not None and html_path is not None:
        _write_html(html_path, audit.html(report.to_dict()))
    if not quiet:
        stderr.print(str(report))
    return report.return_code


@app.command()
@handled
@shared(*CLEANING_RUN, DOCUMENT)
def check(
    inputs: Inputs,
    output_format: FormatOpt = OutputFormat.text,
    jobs: JobsOpt = 1,
    engine: EngineOpt = EngineChoice.local,
    scheduler: SchedulerOpt = None,
    quiet: QuietOpt = False,
    color: ColorOpt = ColorChoice.auto,
    *,
    settings: Settings,
    txt: TxtMeta,
) -> int:
    """Report residue as path:line:col: rule-id: snippet; write nothing. Exit 1 on findings,
    2 if a record or a file could not be read (every file's findings are printed first)."""
    found: list[dict[str, Any]] = []
    # Skip, not fail: a bad record or file must not hide the findings of the others.
    report = _run(
        _plan(inputs, None, quiet)[0],
        settings,
        RunOptions(jobs=jobs, check=True, txt=txt, on_error="skip"),
        [lambda outcome: found.extend(render.findings(outcome, settings.text_key))],
        cluster=_cluster(engine, scheduler, quiet),
    )
    out = render.console(color)
    if output_format is OutputFormat.text and out.is_terminal and not out.no_color:
        render.print_findings(out, found)
    else:
        sys.stdout.writelines(render.findings_text(found, output_format))
    for problem in [*report.rejections, *report.errors]:
        stderr.print(f"cleaner: error: {escape(str(problem))}")
    if not quiet and output_format is OutputFormat.text:
        stderr.print(
            f"{len(found)} finding(s) in {report.documents_changed} of "
            f"{report.documents_read} document(s)"
        )
    return report.return_code


@app.command()
@handled
@shared(*CLEANING_RUN)
def fix(inputs: Inputs, jobs: JobsOpt = 1, quiet: QuietOpt = False, *, settings: Settings) -> int:
    """Clean files in place, atomically. Exit 1 if anything changed (re-stage and commit)."""
    options = RunOptions(jobs=jobs, check=True)
    report = _run(_plan(inputs, None, quiet, in_place=True)[0], settings, options, [])
    if not quiet:
        for path, stats in report.files.items():
            if stats.changed:
                stderr.print(f"fixed {path} ({stats.changed} document(s) changed)")
    return report.return_code


@app.command()
@handled
@shared(*CLEANING_RUN, DOCUMENT)
def explain(
    path: Annotated[str, typer.Argument(help="A .txt or .jsonl file, or - for stdin.")],
    rule: Annotated[
        str | None, typer.Option("--rule", help="Show only this rule's edits (a rule id).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Show at most this many documents.")
    ] = None,
    color: ColorOpt = ColorChoice.auto,
    *,
    settings: Settings,
    txt: TxtMeta,
) -> int:
    """Show every edit in context, with the rule behind it, and the edits the guard held back.

    On a terminal removals are struck through; piped, with NO_COLOR or --color never, they are
    marked [-like this-]."""
    out = render.console(color)
    shown: list[Outcome] = []
    held = 0

    def show(outcome: Outcome) -> None:
        nonlocal held
        held += len(outcome.result.held_back) if outcome.result else 0
        if (limit is None or len(shown) < limit) and render.explain(out, outcome, rule):
            shown.append(outcome)

    report = _run(plan_files([path], None), settings, RunOptions(txt=txt), [show], held=True)
    stderr.print(render.explained(report, len(shown), held, rule))
    return report.return_code


@app.command()
@handled
@shared(RULES, CONFIG, KEYS)
def learn(
    inputs: Inputs,
    output: Annotated[
        str,
        typer.Option("--output", "-o", help="Directory (or URL) for the packs, one per host."),
    ],
    min_docs: Annotated[
        int, typer.Option("--min-docs", min=2, help="Documents of a host a line must occur in.")
    ] = DEFAULT_MIN_DOCS,
    min_share: Annotated[
        float,
        typer.Option("--min-share", min=0.0, max=1.0, help="Share of a host's documents, too."),
    ] = DEFAULT_MIN_SHARE,
    hosts: Annotated[
        list[str] | None, typer.Option("--hosts", help="Learn only for this host (repeatable).")
    ] = None,
    report_path: Annotated[
        str | None, typer.Option("--report", help="Write what was learned as JSON here.")
    ] = None,
    jobs: JobsOpt = 1,
    engine: EngineOpt = EngineChoice.local,
    scheduler: SchedulerOpt = None,
    quiet: QuietOpt = False,
    *,
    settings: Settings,
) -> int:
    """Write a pack per host of the lines it repeats across its documents, for review."""
    planned = _plan(inputs, None, quiet)[0]
    refuse_stdin(planned, "learn reads its input twice (counts, then examples)")
    cleaner = settings.cleaner()
    cluster = _cluster(engine, scheduler, quiet)
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(cluster(cleaner)) if cluster is not None else None
        stats, found = learn_files(
            planned,
            fields_of(settings),
            min_docs=min_docs,
            min_share=min_share,
            hosts=hosts or (),
            jobs=jobs,
            pool=pool,
        )
    write_packs(found, stats, output, cleaner)
    learned = summary(found, stats)
    if report_path is not None:
        _write_json(report_path, learned, ascii_only=False)
    if not quiet:
        stderr.print(escape(render.learned(learned, output)), end="")
    return EXIT_OK


@app.command("report")
@handled
def report_html(
    spans: Annotated[Path, typer.Argument(help="A --spans file of an earlier run.")],
    output: Annotated[str, typer.Option("--output", "-o", help="The HTML file to write.")],
    run_report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="That run's --report JSON: exact totals and per-host shares."
        ),
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", min=1, help="Edits shown per rule (a seeded sample).")
    ] = SAMPLES_PER_RULE,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sample.")] = 0,
) -> int:
    """Write the HTML audit report of an earlier run from its spans file."""
    audit = Audit(samples=samples, seed=seed)
    audit.add_rows(_json_lines(spans))
    totals = _read_json(run_report) if run_report is not None else None
    _write_html(output, audit.html(totals))
    return EXIT_OK


# -- rules ------------------------------------------------------------------------------------


@rules_app.command("list")
@handled
@shared(RULES, CONFIG)
def rules_list(*, settings: Settings) -> int:
    """List every loaded rule: id, kind, domains and what it removes."""
    sys.stdout.writelines(render.rules_table(settings.cleaner().packs))
    return EXIT_OK


@rules_app.command("test")
@handled
def rules_test(
    packs: Annotated[
        list[str] | None,
        typer.Argument(help="Pack files or directories to test (default: the loaded packs)."),
    ] = None,
    no_default_rules: Annotated[
        bool, typer.Option("--no-default-rules", help="Load only the packs given as arguments.")
    ] = False,
) -> int:
    """Run every rule's examples (alone) and keeps (with all packs). Exit 1 on a failure."""
    cleaner = Settings(rules=tuple(packs or ()), default_rules=not no_default_rules).cleaner()
    tested = {_resolved(p) for p in pack_files(packs or ())}
    failures = checked = 0
    for rule, failure in run_selftest(cleaner):
        if tested and _resolved(rule.source) not in tested:
            continue
        checked += 1
        if failure is not None:
            failures += 1
            stderr.print(f"[red]FAIL[/] {escape(str(failure))}")
    stderr.print(f"{checked - failures} passed, {failures} failed")
    return EXIT_FINDINGS if failures else EXIT_OK


# -- shared plumbing --------------------------------------------------------------------------


def _resolved(pack: str) -> str:
    """A pack's name to compare with another's: a URL as it is, a path made absolute."""
    return pack if storage.is_url(pack) else str(Path(pack).resolve())


def _run(
    planned: Sequence[FileJob],
    settings: Settings,
    options: RunOptions,
    listeners: list[Listener],
    *,
    quiet: bool = True,
    held: bool = False,
    cluster: Callable[[Cleaner], DaskPool] | None = None,
) -> Report:
    """Clean planned files; each listener hears of every changed document (rejected ones are
    the report's to tell), with its original text; with ``held``, also of every document
    whose edits the guard held back. ``cluster`` makes the workers a Dask cluster's."""

    def tell(outcome: Outcome) -> None:
        if outcome.changed or (held and outcome.held):
            for listener in listeners:
                listener(outcome)

    cleaner = settings.cleaner()
    with contextlib.ExitStack() as stack:
        if cluster is not None:
            options = dataclasses.replace(options, pool=stack.enter_context(cluster(cleaner)))
        with render.progress([job.source for job in planned], stderr, quiet) as advance:
            told = Listeners(tell if listeners else None, advance)
            return run(planned, cleaner, fields_of(settings), options, told)


def _cluster(
    engine: EngineChoice, scheduler: str | None, quiet: bool
) -> Callable[[Cleaner], DaskPool] | None:
    """What starts the Dask workers, for ``--engine dask``; None for the local engine."""
    if engine is EngineChoice.local:
        if scheduler is not None and os.environ.get(SCHEDULER_ENV) != scheduler:
            raise typer.BadParameter(
                "--scheduler goes with --engine dask", param_hint="--scheduler"
            )
        return None

    def start(cleaner: Cleaner) -> DaskPool:
        pool = DaskPool(cleaner, scheduler)
        if not quiet:
            stderr.print(
                f"dask: {pool.jobs} worker(s) at {escape(pool.scheduler or 'a LocalCluster')}; "
                f"dashboard {escape(pool.dashboard or '(none)')}"
            )
        return pool

    return start


def _plan(
    inputs: Sequence[str], output: str | None, quiet: bool, **options: Any
) -> tuple[list[FileJob], list[str]]:
    """The planned files, and the files of input directories that are of no known type (said
    on stderr here unless ``quiet``: they are not hidden)."""
    skipped: list[str] = []
    planned = plan_files(inputs, output, skipped=skipped, **options)
    if skipped and not quiet:
        stderr.print(escape(render.skipped(skipped)))
    return planned, skipped


def _write_json(path: str | Path, data: dict[str, Any], *, ascii_only: bool = True) -> None:
    """A command's JSON report, written atomically (a path or a URL: the report options
    are strings, as Path would fold ``s3://`` into ``s3:/``)."""
    with AtomicOutput(path) as out:
        out.write(json.dumps(data, indent=2, ensure_ascii=ascii_only).encode() + b"\n")


def _write_html(path: str | Path, page: str) -> None:
    with AtomicOutput(path) as out:
        out.write(page.encode("utf-8", "surrogatepass"))


def _json_lines(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a JSONL file, each checked to be an object; errors name file and line."""
    try:
        with path.open("rb") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as e:
                    raise InputError(
                        path, f"not a JSON line ({e}); give a --spans file", line=number
                    ) from None
                if not isinstance(row, dict) or "spans" not in row:
                    raise InputError(
                        path, "not a --spans row (no 'spans'); give a --spans file", line=number
                    )
                yield row
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror or e}") from None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror or e}") from None
    except ValueError as e:
        raise InputError(path, f"not JSON ({e}); give a --report file") from None
    if not isinstance(data, dict) or "documents" not in data or "characters" not in data:
        raise InputError(path, "not a --report file (no 'documents' and 'characters')")
    return data


def _write(lines: Callable[[Outcome], Iterator[str]]) -> Listener:
    """A listener writing what ``lines`` makes of each outcome to stdout."""
    return lambda outcome: sys.stdout.writelines(lines(outcome))


@contextlib.contextmanager
def _spans_file(path: str | None) -> Iterator[Listener | None]:
    """A listener writing every edit of every changed document to a JSONL file."""
    if path is None:
        yield None
        return
    with AtomicOutput(path) as out:
        yield lambda outcome: out.write(render.spans_line(outcome))


def main() -> None:
    app()
