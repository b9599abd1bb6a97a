"""What people read about a run: findings, diffs, spans files, marked-up edits, rule tables.

Everything here works from an ``Outcome`` (which carries the original ``document`` and the
``result``) or from plain values, so nothing is decoded twice and the library's integrations
write edits in the same shape as the CLI's ``--spans`` file.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from rich.markup import escape

from cleaner.io.codecs import text_column
from cleaner.io.formats import READABLE
from cleaner.pipeline import Outcome, Progress
from cleaner.report import Report
from cleaner.rulespec import PackSpec
from cleaner.types import CleanResult, Document, Span

if TYPE_CHECKING:
    from rich.console import Console


def _changed(outcome: Outcome) -> tuple[Document, CleanResult]:
    """The original document and the result of a changed outcome (what listeners hear of)."""
    if outcome.document is None or outcome.result is None:
        raise ValueError(f"{outcome.record.where}: not a changed record")
    return outcome.document, outcome.result


# -- edits as data ------------------------------------------------------------------------------


def edits(original: str, spans: Iterable[Span]) -> list[dict[str, object]]:
    """Each edit as ``{"rule", "start", "end", "removed", "replacement"}``, offsets into
    ``original``."""
    return [
        {
            "rule": s.rule_id,
            "start": s.start,
            "end": s.end,
            "removed": original[s.start : s.end],
            "replacement": s.replacement,
        }
        for s in spans
    ]


#: Characters of context kept on each side of an edit in a spans file: a line, at most this.
CONTEXT = 200


def in_context(text: str, spans: Iterable[Span]) -> list[dict[str, object]]:
    """``edits``, each with ``before`` and ``after``: the text from the start of the line
    before it to the end of the line after it (at most ``CONTEXT`` characters each side)."""
    rows = []
    for span, row in zip(spans, edits(text, spans), strict=True):
        line_start = text.rfind("\n", 0, span.start) + 1
        start = text.rfind("\n", 0, line_start - 1) + 1 if line_start else 0
        line_end = _line_end(text, span.end)
        end = _line_end(text, line_end + 1) if line_end < len(text) else line_end
        row["before"] = text[max(start, span.start - CONTEXT) : span.start]
        row["after"] = text[span.end : min(end, span.end + CONTEXT)]
        rows.append(row)
    return rows


def _line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end == -1 else end


def spans_row(outcome: Outcome) -> dict[str, Any]:
    """A ``--spans`` row: where the document is (file, line, id, URL, host), its length, every
    edit in context, and the edits the guard held back (offsets into the original text)."""
    doc = outcome.document
    result = outcome.result
    if doc is None or result is None:
        raise ValueError(f"{outcome.record.where}: not a changed record")
    spans = list(result.spans)
    return {
        "path": outcome.path,
        "line": outcome.line,
        "id": doc.id,
        "url": doc.url,
        "host": outcome.host,
        "chars": len(doc.text),
        "spans": in_context(doc.text, spans),
        "held": in_context(doc.text, list(result.held_back)),
    }


def spans_line(outcome: Outcome) -> bytes:
    """One line of a ``--spans`` file (``spans_row``)."""
    return json.dumps(spans_row(outcome), ensure_ascii=False).encode() + b"\n"


# -- findings -----------------------------------------------------------------------------------


def position(outcome: Outcome, span: Span) -> tuple[int, int]:
    """(line, column), 1-based: in the file for .txt; the JSONL line and text offset else."""
    text = _changed(outcome)[0].text
    if outcome.record.whole:
        line = text.count("\n", 0, span.start) + 1
        return line, span.start - (text.rfind("\n", 0, span.start) + 1) + 1
    return outcome.line, span.start + 1


def snippet(text: str, span: Span, width: int = 60) -> str:
    removed = " ".join(text[span.start : span.end].split())
    if len(removed) > width:
        removed = removed[: width - 1] + "…"
    return removed + (f" -> {span.replacement.strip()!r}" if span.replacement.strip() else "")


def findings(outcome: Outcome, text_key: str = "text") -> Iterator[dict[str, Any]]:
    """One finding per edit of a changed outcome: path, line, col (in the file's line, for
    annotations), offset (in the text), rule and snippet."""
    doc, result = _changed(outcome)
    for span in result.spans:
        line, col = position(outcome, span)
        if not outcome.record.whole:
            col = text_column(outcome.record.raw, text_key, span.start) or col
        yield {
            "path": outcome.path,
            "line": line,
            "col": col,
            "offset": span.start,
            "rule": span.rule_id,
            "snippet": snippet(doc.text, span),
        }


def console(color: str, *, stderr: bool = False) -> Console:
    """The console for ``--color``: ``auto`` colours a terminal unless NO_COLOR is set (rich
    reads it), ``always`` colours a pipe too, ``never`` writes no escape codes at all."""
    from rich.console import Console

    forced = {"always": True, "never": False}.get(color)
    return Console(
        stderr=stderr,
        highlight=False,
        soft_wrap=True,
        force_terminal=forced,
        no_color=None if forced is None else not forced,
    )


def print_findings(out: Console, found: list[dict[str, Any]]) -> None:
    """Text findings with the path in bold and the rule in yellow (plain where colour is off)."""
    for f in found:
        out.print(
            f"[bold]{escape(f['path'])}[/]:{f['line']}:{f['col']}: "
            f"[yellow]{escape(f['rule'])}[/]: {escape(f['snippet'])}"
        )


def findings_text(found: list[dict[str, Any]], fmt: str) -> Iterator[str]:
    """Findings as ``text`` (path:line:col: rule: snippet), ``json``, ``github`` annotations or
    a ``sarif`` 2.1.0 log (for code scanning)."""
    if fmt == "json":
        yield json.dumps(found, ensure_ascii=False, indent=2) + "\n"
        return
    if fmt == "sarif":
        yield json.dumps(sarif(found), ensure_ascii=False, indent=2) + "\n"
        return
    for f in found:
        if fmt == "github":
            message = f["snippet"].replace("%", "%25").replace("\n", "%0A")
            yield (
                f"::warning file={f['path']},line={f['line']},col={f['col']},"
                f"title={f['rule']}::{message}\n"
            )
        else:
            yield f"{f['path']}:{f['line']}:{f['col']}: {f['rule']}: {f['snippet']}\n"


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif(found: list[dict[str, Any]]) -> dict[str, Any]:
    """Findings as one SARIF 2.1.0 run: a rule per rule id seen, a warning per finding."""
    from cleaner import __version__

    rule_ids = sorted({f["rule"] for f in found})
    index = {rule: i for i, rule in enumerate(rule_ids)}
    results = [
        {
            "ruleId": f["rule"],
            "ruleIndex": index[f["rule"]],
            "level": "warning",
            "message": {"text": f"{f['rule']}: {f['snippet']}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _artifact_uri(f["path"])},
                        "region": {"startLine": f["line"], "startColumn": f["col"]},
                    }
                }
            ],
        }
        for f in found
    ]
    driver = {
        "name": "cleaner",
        "version": __version__,
        "rules": [{"id": rule, "shortDescription": {"text": rule}} for rule in rule_ids],
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }


def _artifact_uri(path: str) -> str:
    # SARIF wants a URI reference: absolute paths become file: URIs, relative ones are quoted.
    as_path = Path(path)
    return as_path.as_uri() if as_path.is_absolute() else quote(as_path.as_posix())


# -- diffs and explanations ---------------------------------------------------------------------


def diff(outcome: Outcome) -> Iterator[str]:
    """A unified diff of a changed outcome, ending in a newline."""
    doc, result = _changed(outcome)
    where = outcome.record.where
    yield from difflib.unified_diff(
        doc.text.splitlines(keepends=True),
        result.text.splitlines(keepends=True),
        fromfile=f"a/{where}",
        tofile=f"b/{where}",
    )
    if not result.text.endswith("\n"):
        yield "\n"


def marked(text: str, spans: Iterable[Span], plain: bool = False) -> str:
    """The original text with removals struck through in red and replacements in green; with
    ``plain``, as wdiff marks them: [-removed-]{+added+}."""
    parts: list[str] = []
    pos = 0
    for span in spans:
        parts.append(escape(text[pos : span.start]))
        removed, added = text[span.start : span.end], span.replacement
        if plain:
            parts.append(escape(f"[-{removed}-]" + (f"{{+{added}+}}" if added else "")))
        else:
            parts.append(f"[red strike]{escape(removed)}[/]")
            if added:
                parts.append(f"[green]{escape(added)}[/]")
        pos = span.end
    parts.append(escape(text[pos:]))
    return "".join(parts)


def explain(out: Console, outcome: Outcome, rule: str | None = None) -> bool:
    """Every edit of an outcome in context, with its rule and place, then the edits the guard
    held back; only ``rule``'s, where one is named. False if nothing was shown."""
    assert outcome.result is not None and outcome.document is not None
    result, text = outcome.result, outcome.document.text
    spans = [s for s in result.spans if rule is None or s.rule_id == rule]
    held = [s for s in result.held_back if rule is None or s.rule_id == rule]
    if not spans and not held:
        return False
    plain = not out.is_terminal or out.no_color
    out.rule(f"{outcome.record.where}", style="cyan")
    out.print(marked(text, spans, plain) if spans else escape(text))
    for span in spans:
        line, col = position(outcome, span)
        out.print(
            f"[bold]{escape(span.rule_id)}[/] {line}:{col} removed "
            f"{escape(repr(text[span.start : span.end]))}"
            + (f" -> {escape(repr(span.replacement))}" if span.replacement else "")
        )
    # Held edits are in the original's offsets too: the engine lifts them onto it.
    for span in held:
        line, col = position(outcome, span)
        out.print(
            f"[yellow]held back[/] [bold]{escape(span.rule_id)}[/] {line}:{col} would remove "
            f"{escape(repr(text[span.start : span.end]))}: the guarded rules together would "
            "remove more than max_removal of the document"
        )
    return True


def explained(report: Report, shown: int, held: int, rule: str | None) -> str:
    """explain's closing line: what would change, what the guard held back."""
    scope = f" by {rule}" if rule else ""
    head = (
        f"{report.documents_changed} of {report.documents_read} document(s) would change"
        if report.documents_changed
        else f"nothing to remove in {report.documents_read} document(s)"
    )
    held_note = f"; {held} edit(s) held back by the over-removal guard" if held else ""
    return f"{head}{held_note}; {shown} shown{scope}"


# -- rules and progress -------------------------------------------------------------------------


def rules_table(packs: Iterable[PackSpec]) -> Iterator[str]:
    """A line per rule: id, kind, where it applies and what it removes, in aligned columns."""
    rows = [
        (
            spec.qualified_id,
            spec.kind if spec.enabled else f"{spec.kind} (disabled)",
            _reach(pack),
            spec.description,
        )
        for pack in packs
        for spec in pack.rules
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        yield "  ".join([*cells, row[3]]).rstrip() + "\n"


def _reach(pack: PackSpec) -> str:
    """Where a pack applies: its domains, and "+ by content" where it has signatures."""
    return _domains(pack.domains) + (" + by content" if pack.detect else "")


def _domains(domains: tuple[str, ...], shown: int = 2) -> str:
    if not domains:
        return "all"
    more = f" +{len(domains) - shown} more" if len(domains) > shown else ""
    return ", ".join(domains[:shown]) + more


def skipped(paths: list[str], shown: int = 5) -> str:
    """The warning for files of a directory that are not read."""
    names = ", ".join(paths[:shown]) + (", ..." if len(paths) > shown else "")
    return f"cleaner: skipped {len(paths)} file(s) of no known type: {names} (read: {READABLE})"


def learned(summary: dict[str, Any], out: str | Path) -> str:
    """What ``learn`` wrote: a line per host, then the totals."""
    lines = []
    for host, row in summary["hosts"].items():
        lines.append(
            f"  {host}: {row['rules']} rules ({row['disabled']} disabled) from "
            f"{row['documents']} documents; the enabled ones take {row['lines_removed']} lines\n"
        )
    no_host = summary["documents_without_host"]
    lines.append(
        f"learned {summary['rules']} rules ({summary['disabled']} disabled, for review) for "
        f"{summary['hosts_learned']} of {summary['hosts_read']} hosts from "
        f"{summary['documents']} documents into {str(out).rstrip('/')}/"
        + (
            f"; {no_host} documents without a URL counted under (no host), not learned from"
            if no_host
            else ""
        )
        + "\n"
    )
    return "".join(lines)


@contextmanager
def progress(paths: Iterable[str], console: Console, quiet: bool) -> Iterator[Progress | None]:
    """A progress bar on ``console`` when it is a terminal: documents, MB, MB/s and ETA."""
    if quiet or not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.progress import Progress as Bar

    total = sum(_size(path) for path in paths) or None
    columns = (
        TextColumn("{task.fields[docs]} docs"),
        BarColumn(),
        TaskProgressColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Bar(*columns, console=console, transient=True) as bar:
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
