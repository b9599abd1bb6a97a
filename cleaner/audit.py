"""The HTML audit report: what a run removed, rule by rule and site by site, in one file.

An ``Audit`` reads ``--spans`` rows (live from a run, or from a spans file afterwards) and
keeps exact counts plus a bounded, deterministic sample: per rule, the ``samples`` edits
whose seeded hash is smallest (a bottom-k sample: the same edits whatever the order of the
rows or the number of workers), and per host the heaviest documents. ``html`` renders it,
with the run's JSON report where there is one, as a self-contained page: inline CSS, SVG and
a little JS, no network. Every piece of scraped text is escaped; the script only shows and
hides rows and sorts tables, and never turns text into markup.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import html
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from cleaner.report import HostStats, RuleStats

__all__ = ["Audit"]

SAMPLES_PER_RULE = 20
HELD_SAMPLES = 100
HEAVIEST_PER_HOST = 5
HOSTS_SHOWN = 30
NO_HOST = "(no URL)"


@dataclass(frozen=True, order=True, slots=True)
class _Sample:
    key: bytes  # the seeded hash: the smallest ``samples`` of each rule are kept
    rule: str
    path: str
    line: int
    doc_id: str
    host: str
    before: str
    removed: str
    replacement: str
    after: str


class Audit:
    """Counts and samples of the edits of a run, for ``html``."""

    def __init__(self, samples: int = SAMPLES_PER_RULE, seed: int = 0) -> None:
        self.samples = samples
        self.seed = seed
        self.rows = 0
        self.rules: dict[str, RuleStats] = {}
        self.hosts: dict[str, HostStats] = {}
        self.heaviest: dict[str, list[tuple[int, str, str, int]]] = {}  # min-heaps per host
        self._kept: dict[str, list[tuple[bytes, _Sample]]] = {}  # max-heaps by negated key
        self._held: list[tuple[bytes, _Sample]] = []

    def add_rows(self, rows: Iterable[dict[str, Any]]) -> Audit:
        for row in rows:
            self.add_row(row)
        return self

    def add_row(self, row: dict[str, Any]) -> None:
        """One ``--spans`` row: a document that changed, or whose edits the guard held back."""
        self.rows += 1
        host = row.get("host") or NO_HOST
        site = self.hosts.setdefault(host, HostStats())
        removed_here = 0
        touched = set()
        for edit in row.get("spans", ()):
            counts = self.rules.setdefault(edit["rule"], RuleStats())
            removed = len(edit["removed"]) - len(edit["replacement"])
            counts.spans += 1
            counts.chars_removed += removed
            removed_here += removed
            touched.add(edit["rule"])
            self._keep(self._kept.setdefault(edit["rule"], []), self.samples, row, host, edit)
        for rule in touched:
            self.rules[rule].documents += 1
        for edit in row.get("held", ()):
            self.rules.setdefault(edit["rule"], RuleStats()).held_back += 1
            self._keep(self._held, HELD_SAMPLES, row, host, edit)
        if removed_here:
            site.changed += 1
            site.read += 1
            site.chars_read += int(row.get("chars", 0))
            site.chars_removed += removed_here
            entry = (removed_here, str(row["path"]), str(row.get("id") or ""), int(row["line"]))
            heaviest = self.heaviest.setdefault(host, [])
            if len(heaviest) < HEAVIEST_PER_HOST:
                heapq.heappush(heaviest, entry)
            else:
                heapq.heappushpop(heaviest, entry)

    def _keep(
        self,
        heap: list[tuple[bytes, _Sample]],
        limit: int,
        row: dict[str, Any],
        host: str,
        edit: dict[str, Any],
    ) -> None:
        where = f"{self.seed}\0{row['path']}\0{row['line']}\0{edit['start']}\0{edit['rule']}"
        key = hashlib.blake2b(where.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        if len(heap) >= limit and key >= _unnegate(heap[0][0]):
            return
        sample = _Sample(
            key,
            edit["rule"],
            str(row["path"]),
            int(row["line"]),
            str(row.get("id") or ""),
            host,
            edit.get("before", ""),
            edit["removed"],
            edit["replacement"],
            edit.get("after", ""),
        )
        item = (_negate(key), sample)
        if len(heap) < limit:
            heapq.heappush(heap, item)
        else:
            heapq.heapreplace(heap, item)

    def samples_of(self, rule: str) -> list[_Sample]:
        return sorted(s for _, s in self._kept.get(rule, []))

    def held(self) -> list[_Sample]:
        return sorted(s for _, s in self._held)

    # -- rendering ----------------------------------------------------------------------

    def html(self, report: dict[str, Any] | None = None, title: str = "cleaner audit") -> str:
        """The page. ``report`` (a run's ``--report`` JSON) gives the exact overview and the
        per-host shares of all documents; without it they come from the rows alone."""
        rules = self._rule_table(report)
        hosts = self._host_table(report)
        body = [
            f"<h1>{_e(title)}</h1>",
            self._overview(report),
            _FILTERS.format(
                rules="".join(f"<option>{_e(r)}</option>" for r in sorted(rules)),
                hosts="".join(f"<option>{_e(h)}</option>" for h, _ in hosts),
            ),
            "<section id='rules'><h2>Per rule</h2>",
            "<label>Chart <select id='chart-metric'><option value='rule-chart'>characters "
            "removed</option><option value='rule-chart-spans'>spans</option>"
            "<option value='rule-chart-documents'>documents</option></select></label>",
            *(
                _bars(
                    [(r, measure(c)) for r, c in _top(rules, measure)],
                    unit,
                    chart_id,
                    hidden=chart_id != "rule-chart",
                )
                for chart_id, unit, measure in _RULE_CHARTS
            ),
            _table(
                "rule-table",
                ["rule", "spans", "documents", "characters removed", "held back", "timeouts"],
                [
                    [
                        r,
                        c.spans,
                        c.documents,
                        c.chars_removed,
                        c.held_back,
                        c.timeouts,
                    ]
                    for r, c in sorted(rules.items())
                ],
                key_column="rule",
            ),
            "</section>",
            "<section id='hosts'><h2>Per host</h2>",
            _bars(
                [(h, round(100 * _share(c), 2)) for h, c in hosts[:HOSTS_SHOWN]],
                "% of characters removed",
                "host-chart",
            ),
            _table(
                "host-table",
                ["host", "documents", "changed", "characters removed", "% removed"],
                [
                    [h, c.read, c.changed, c.chars_removed, f"{100 * _share(c):.2f}"]
                    for h, c in hosts
                ],
                key_column="host",
            ),
            self._heaviest(hosts),
            "</section>",
            "<section id='samples'><h2>Samples</h2>",
            f"<p class='note'>Up to {self.samples} edits per rule, a seeded sample "
            f"(seed {self.seed}): the same run gives the same sample.</p>",
            *(self._rule_samples(rule) for rule in sorted(self._kept)),
            "</section>",
            "<section id='held'><h2>Edits held back by the guard</h2>",
            "<p class='note'>The over-removal guard held these back: with the document's "
            "other guarded edits they would remove more than the allowed share of it "
            "(<code>--max-removal</code>). The text was kept.</p>",
            _samples_list(self.held()) if self._held else "<p>None.</p>",
            "</section>",
        ]
        return _PAGE.format(
            title=_e(title),
            style=_STYLE,
            body="\n".join(body),
            script=_SCRIPT,
            script_hash=_SCRIPT_HASH,
        )

    def _overview(self, report: dict[str, Any] | None) -> str:
        if report is not None:
            docs = report["documents"]
            chars = report["characters"]
            rules = report.get("rules", {}).values()
            cards = [
                ("documents read", docs["read"]),
                ("changed", docs["changed"]),
                ("unchanged", docs["unchanged"]),
                ("rejected", docs["rejected"]),
                ("characters removed", chars["removed"]),
                (
                    "% of characters removed",
                    f"{100 * chars['removed'] / max(chars['read'], 1):.2f}",
                ),
                ("edits held back", sum(r["held_back"] for r in rules)),
                ("rule timeouts", sum(r["timeouts"] for r in rules)),
            ]
        else:
            cards = [
                ("documents with edits", self.rows),
                ("characters removed", sum(c.chars_removed for c in self.rules.values())),
                ("edits held back", sum(c.held_back for c in self.rules.values())),
            ]
        items = "".join(
            f"<div class='card'><b>{_e(_n(v))}</b><span>{_e(k)}</span></div>" for k, v in cards
        )
        return f"<section id='overview'><h2>Overview</h2><div class='cards'>{items}</div></section>"

    def _rule_table(self, report: dict[str, Any] | None) -> dict[str, RuleStats]:
        if report is None:
            return self.rules
        return {rule: RuleStats(**c) for rule, c in report.get("rules", {}).items()}

    def _host_table(self, report: dict[str, Any] | None) -> list[tuple[str, HostStats]]:
        hosts = self.hosts
        if report is not None and report.get("hosts"):
            hosts = {host: HostStats(**c) for host, c in report["hosts"].items()}
        return sorted(hosts.items(), key=lambda kv: (-kv[1].chars_removed, kv[0]))

    def _heaviest(self, hosts: list[tuple[str, HostStats]]) -> str:
        parts = ["<h3>Heaviest documents</h3>"]
        for host, _ in hosts[:HOSTS_SHOWN]:
            if not self.heaviest.get(host):
                continue
            items = "".join(
                f"<li>{_e(_n(removed))} characters: {_e(doc_id or '(no id)')} "
                f"<code>{_e(path)}:{line}</code></li>"
                for removed, path, doc_id, line in sorted(self.heaviest[host], reverse=True)
            )
            parts.append(
                f"<details class='heavy' data-host='{_e(host)}'><summary>{_e(host)}</summary>"
                f"<ol>{items}</ol></details>"
            )
        return "".join(parts)

    def _rule_samples(self, rule: str) -> str:
        shown = self.samples_of(rule)
        total = self.rules[rule].spans
        return (
            f"<div class='rule-samples' data-rule='{_e(rule)}'><h3>{_e(rule)} "
            f"<small>{len(shown)} of {_n(total)} edits</small></h3>{_samples_list(shown)}</div>"
        )


def _samples_list(samples: list[_Sample]) -> str:
    rows = []
    for s in samples:
        replacement = f"<ins>{_e(s.replacement)}</ins>" if s.replacement else ""
        rows.append(
            f"<li class='sample' data-rule='{_e(s.rule)}' data-host='{_e(s.host)}'>"
            f"<div class='where'>{_e(s.rule)} · {_e(s.doc_id or '(no id)')} · {_e(s.host)} · "
            f"<code>{_e(s.path)}:{s.line}</code></div>"
            f"<div class='text'>{_e(s.before)}<del>{_e(s.removed)}</del>{replacement}"
            f"{_e(s.after)}</div></li>"
        )
    return f"<ul class='samples'>{''.join(rows)}</ul>"


_RULE_CHARTS: tuple[tuple[str, str, Callable[[RuleStats], int]], ...] = (
    ("rule-chart", "characters removed", lambda c: c.chars_removed),
    ("rule-chart-spans", "spans", lambda c: c.spans),
    ("rule-chart-documents", "documents", lambda c: c.documents),
)


def _bars(values: list[tuple[str, float]], unit: str, chart_id: str, hidden: bool = False) -> str:
    """A horizontal bar chart as inline SVG."""
    if not values:
        shown = " hidden" if hidden else ""
        return (
            f"<p id='{chart_id}' class='chart' data-chart='{chart_id}'{shown}>Nothing removed.</p>"
        )
    top = max(v for _, v in values) or 1
    label_w, bar_w, row_h = 260, 420, 22
    rows = []
    for i, (label, value) in enumerate(values):
        y = i * row_h
        width = max(1.0, bar_w * value / top)
        rows.append(
            f"<g class='bar' data-key='{_e(label)}'><title>{_e(label)}: {_e(_n(value))} "
            f"{_e(unit)}</title>"
            f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end'>{_e(_clip(label, 36))}</text>"
            f"<rect x='{label_w}' y='{y + 3}' width='{width:.1f}' height='{row_h - 6}'/>"
            f"<text x='{label_w + width + 4:.1f}' y='{y + 15}'>{_e(_n(value))}</text></g>"
        )
    height = row_h * len(values)
    return (
        f"<figure class='chart' data-chart='{chart_id}'{' hidden' if hidden else ''}>"
        f"<svg id='{chart_id}' role='img' aria-label='{_e(unit)}' "
        f"width='{label_w + bar_w + 90}' height='{height}' "
        f"viewBox='0 0 {label_w + bar_w + 90} {height}'>{''.join(rows)}</svg>"
        f"<figcaption>{_e(unit)}</figcaption></figure>"
    )


def _table(table_id: str, headers: list[str], rows: list[list[Any]], key_column: str) -> str:
    head = "".join(
        f"<th data-col='{i}' data-numeric='{int(i > 0)}'>{_e(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        f"<tr data-{key_column}='{_e(str(row[0]))}'>"
        + "".join(
            f"<td>{_e(str(c))}</td>"
            if i == 0
            else f"<td data-value='{_e(str(c))}'>{_e(_n(c))}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f"<table id='{table_id}' class='sortable'><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _top(
    rules: dict[str, RuleStats], by: Callable[[RuleStats], int], n: int = 30
) -> Iterator[tuple[str, RuleStats]]:
    ranked = sorted(rules.items(), key=lambda kv: (-by(kv[1]), kv[0]))
    yield from (kv for kv in ranked[:n] if by(kv[1]))


def _share(c: HostStats) -> float:
    return c.chars_removed / c.chars_read if c.chars_read else 0.0


def _negate(key: bytes) -> bytes:
    return bytes(255 - b for b in key)


_unnegate = _negate


def _e(text: str) -> str:
    """Escaped for HTML text and quoted attributes; lone surrogates shown as U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return html.escape(text, quote=True)


def _n(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def read_spans(lines: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """The rows of a spans file (blank lines skipped)."""
    for line in lines:
        if line.strip():
            yield json.loads(line)


_FILTERS = """<section id='filters'><h2>Filters</h2>
<label>Rule <select id='filter-rule'><option value=''>all rules</option>{rules}</select></label>
<label>Host <select id='filter-host'><option value=''>all hosts</option>{hosts}</select></label>
<label>Text <input id='filter-text' type='search' placeholder='removed text, id, file'></label>
<span id='filter-count'></span></section>"""

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1d1d1f;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
.cards{display:flex;flex-wrap:wrap;gap:.8em}.card{border:1px solid #ddd;border-radius:6px;
padding:.6em 1em;min-width:9em}.card b{display:block;font-size:1.4em}.card span{color:#555}
table{border-collapse:collapse;width:100%;margin:1em 0}th,td{padding:.25em .6em;
border-bottom:1px solid #eee;text-align:right}th:first-child,td:first-child{text-align:left}
th{cursor:pointer;background:#f6f6f6;user-select:none}th.sorted-asc:after{content:" ▲"}
th.sorted-desc:after{content:" ▼"}svg text{font-size:12px;fill:#333}svg rect{fill:#3b6ea8}
.samples{list-style:none;padding:0}.sample{border-left:3px solid #3b6ea8;margin:.6em 0;
padding:.3em .8em;background:#fafafa}.where{color:#555;font-size:.9em}
.text{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:.9em}
del{background:#fdd;color:#900}ins{background:#dfd;text-decoration:none}
.note{color:#555}#filters label{margin-right:1.2em}[hidden]{display:none!important}
small{color:#777;font-weight:normal}
"""

# Filtering and sorting only: rows are shown or hidden, never rewritten from text.
_SCRIPT = """
(function(){
  var rule=document.getElementById('filter-rule'),host=document.getElementById('filter-host'),
      text=document.getElementById('filter-text'),count=document.getElementById('filter-count');
  function apply(){
    var r=rule.value,h=host.value,t=text.value.toLowerCase(),shown=0;
    document.querySelectorAll('.sample').forEach(function(el){
      var ok=(!r||el.dataset.rule===r)&&(!h||el.dataset.host===h)&&
             (!t||el.textContent.toLowerCase().indexOf(t)!==-1);
      el.hidden=!ok;if(ok)shown++;});
    document.querySelectorAll('.rule-samples').forEach(function(el){
      el.hidden=!!r&&el.dataset.rule!==r||!el.querySelector('.sample:not([hidden])');});
    document.querySelectorAll('#rule-table tbody tr').forEach(function(el){
      el.hidden=!!r&&el.dataset.rule!==r;});
    document.querySelectorAll('#host-table tbody tr').forEach(function(el){
      el.hidden=!!h&&el.dataset.host!==h;});
    document.querySelectorAll('.heavy').forEach(function(el){
      el.hidden=!!h&&el.dataset.host!==h;});
    count.textContent=shown+' sample(s) shown';
  }
  [rule,host].forEach(function(el){el.addEventListener('change',apply);});
  var metric=document.getElementById('chart-metric');
  metric.addEventListener('change',function(){
    document.querySelectorAll('#rules .chart').forEach(function(el){
      el.hidden=el.dataset.chart!==metric.value;});});
  text.addEventListener('input',apply);
  document.querySelectorAll('table.sortable th').forEach(function(th){
    th.addEventListener('click',function(){
      var table=th.closest('table'),body=table.tBodies[0],col=+th.dataset.col,
          numeric=th.dataset.numeric==='1',asc=!th.classList.contains('sorted-asc');
      table.querySelectorAll('th').forEach(function(o){o.classList.remove('sorted-asc','sorted-desc');});
      th.classList.add(asc?'sorted-asc':'sorted-desc');
      var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){
        var x=a.cells[col],y=b.cells[col];
        var p=numeric?parseFloat(x.dataset.value)-parseFloat(y.dataset.value)
                     :x.textContent.localeCompare(y.textContent);
        return asc?p:-p;});
      rows.forEach(function(row){body.appendChild(row);});
    });
  });
  apply();
})();
"""

# The page's own script is the only one the browser may run (a hash-source CSP): were some
# scraped text ever to escape the escaping, a script in it would still not run.
_SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '{script_hash}'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{style}</style></head>
<body>
{body}
<script>{script}</script>
</body></html>
"""
