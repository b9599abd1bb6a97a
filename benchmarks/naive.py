"""A naive reference engine: the same rules, none of the engine's shortcuts.

Why: it answers two questions at once. *How much do the shortcuts buy?* (naive time /
cleaner time), and *are they safe?* (the outputs must be byte-identical; a difference means a
shortcut changed behaviour: a ``requires`` literal the pattern does not imply, a phrase length
filter that is too tight, a line window computed differently).

What "naive" means here, rule kind by rule kind:

- no prefilter: every rule of every pack whose domains apply is tried on every document;
- ``span``: the rule's regex (compiled here from the spec, same flags) over the whole text;
- ``line``: a Python loop over the lines (split on ``\\n``), one ``fullmatch`` per line of
  ``[ \\t]*(?:pattern)[ \\t]*`` (within the rule's first/last non-blank lines);
- ``phrase``: every line of the window is normalised and compared with every phrase with
  ``rapidfuzz.fuzz.ratio``, with no length filter and no ``extractOne`` cut-off tricks;
- ``repeated-title``: the engine's own matcher (it only ever looks at the first few lines,
  so there is no shortcut to take away); so is any kind this file does not know yet.

The raw spans then go through the same public span functions (``resolve``, ``apply_spans``,
``compose``, ``lift``) in a fixpoint loop and over-removal guard written out again here, so the
reference does not share the engine's control flow either. Regex timeouts are not applied:
a document on which the cleaner reports a timeout is expected to differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import regex
from rapidfuzz import fuzz

from cleaner.compile import CompiledPack, host_of
from cleaner.engine import MAX_PASSES, Cleaner
from cleaner.matchers import MATCHERS, DocView, PhraseMatcher
from cleaner.rulespec import RuleSpec
from cleaner.spans import apply_spans, compose, lift, resolve
from cleaner.types import CleanResult, Document, Span

_NON_WORD = regex.compile(r"[\W_]+")
_HAS_TEXT = regex.compile(r"\S")
_NO_TIMEOUT = 1e9

Finder = Callable[[str, str | None, list[tuple[int, int]]], list[Span]]


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, the ``\\n`` excluded (a trailing ``\\r`` stays in the line)."""
    out = []
    pos = 0
    for part in text.split("\n"):
        out.append((pos, pos + len(part)))
        pos += len(part) + 1
    return out


def _window(
    text: str, lines: list[tuple[int, int]], first: int | None, last: int | None
) -> list[tuple[int, int]]:
    """The lines a line or phrase rule may look at: all, or those of the first/last N non-blank."""
    if first is None and last is None:
        return lines
    nonblank = [(s, e) for s, e in lines if _HAS_TEXT.search(text, s, e)]
    if not nonblank:
        return []
    if first is not None:
        hi = nonblank[min(first, len(nonblank)) - 1][1]
        return [(s, e) for s, e in lines if e <= hi]
    assert last is not None
    lo = nonblank[max(0, len(nonblank) - last)][0]
    return [(s, e) for s, e in lines if s >= lo]


def _flags(spec: RuleSpec) -> int:
    return regex.VERSION0 | (regex.IGNORECASE if spec.ignore_case else 0)


def _span_finder(spec: RuleSpec) -> Finder:
    assert spec.pattern is not None
    pattern = regex.compile(spec.pattern, _flags(spec))
    template = spec.replace
    literal = "\\" not in template

    def find(text: str, title: str | None, lines: list[tuple[int, int]]) -> list[Span]:
        spans = []
        for m in pattern.finditer(text):
            start, end = m.span()
            if start == end:
                continue
            new = template if literal else m.expand(template)
            spans.append(_trimmed(text, start, end, new, spec.qualified_id))
        return spans

    return find


def _trimmed(text: str, start: int, end: int, new: str, rule_id: str) -> Span:
    """The edit without what the replacement keeps at either end (as the engine reports it)."""
    old = text[start:end]
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(old), len(new)) - head
        and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]
    ):
        tail += 1
    return Span(start + head, end - tail, rule_id, new[head : len(new) - tail])


def _line_finder(spec: RuleSpec) -> Finder:
    assert spec.pattern is not None
    pattern = regex.compile(rf"[^\S\n]*(?:{spec.pattern})[^\S\n]*", _flags(spec) | regex.MULTILINE)

    def find(text: str, title: str | None, lines: list[tuple[int, int]]) -> list[Span]:
        spans = []
        for start, end in _window(text, lines, spec.first_lines, spec.last_lines):
            m = pattern.fullmatch(text, start, end)
            if m is not None and end > start:
                spans.append(Span(start, end, spec.qualified_id))
        return spans

    return find


def normalise(text: str) -> str:
    """Case and punctuation folded away (written out again, as the reference must be)."""
    return _NON_WORD.sub(" ", text.lower()).strip()


def _phrase_finder(spec: RuleSpec) -> Finder:
    threshold = spec.threshold if spec.threshold is not None else PhraseMatcher.default_threshold
    phrases = sorted({normalise(p) for p in spec.phrases} - {""})

    def find(text: str, title: str | None, lines: list[tuple[int, int]]) -> list[Span]:
        spans = []
        for start, end in _window(text, lines, spec.first_lines, spec.last_lines):
            line = normalise(text[start:end])
            if line and any(fuzz.ratio(line, phrase) >= threshold for phrase in phrases):
                spans.append(Span(start, end, spec.qualified_id))
        return spans

    return find


def _engine_finder(spec: RuleSpec) -> Finder:
    matcher = MATCHERS[spec.kind](spec)

    def find(text: str, title: str | None, lines: list[tuple[int, int]]) -> list[Span]:
        return matcher.find(DocView(text, title, _NO_TIMEOUT))

    return find


_FINDERS: dict[str, Callable[[RuleSpec], Finder]] = {
    "span": _span_finder,
    "line": _line_finder,
    "phrase": _phrase_finder,
}


class NaiveCleaner:
    """Cleans like ``cleaner`` (same rules, same span resolution), without its shortcuts."""

    def __init__(self, cleaner: Cleaner) -> None:
        self.max_removal = cleaner.max_removal
        self._packs: list[tuple[CompiledPack, list[tuple[RuleSpec, Finder]]]] = []
        by_id = {r.qualified_id: r for p in cleaner.packs for r in p.rules}
        for pack in cleaner.ruleset.packs:
            rules = []
            for matcher in pack.rules:
                spec = by_id[matcher.id]
                rules.append((spec, _FINDERS.get(spec.kind, _engine_finder)(spec)))
            self._packs.append((pack, rules))
        self._tables: dict[str | None, list[tuple[RuleSpec, Finder]]] = {}

    def _rules_for(self, url: str | None) -> list[tuple[RuleSpec, Finder]]:
        host = host_of(url)
        if host not in self._tables:
            self._tables[host] = [
                rule for pack, rules in self._packs if pack.applies_to(host) for rule in rules
            ]
        return self._tables[host]

    def clean_document(self, doc: Document) -> CleanResult:
        rules = self._rules_for(doc.url)
        text = doc.text
        spans: list[Span] = []
        held: list[Span] = []
        for _ in range(MAX_PASSES):
            found, held_now = self._pass(text, doc.title, rules)
            held.extend(lift(spans, held_now, text) if spans else held_now)
            if not found:
                break
            following = apply_spans(text, found)
            spans = compose(spans, found, text) if spans else found
            text = following
        return CleanResult(text, tuple(spans), tuple(held), ())

    def _pass(
        self, text: str, title: str | None, rules: list[tuple[RuleSpec, Finder]]
    ) -> tuple[list[Span], list[Span]]:
        lines = _lines(text)
        raw: list[Span] = []
        guarded: set[str] = set()
        for spec, find in rules:
            found = find(text, title, lines)
            raw.extend(found)
            if found and spec.guard:
                guarded.add(spec.qualified_id)
        if not raw:
            return [], []
        resolved = resolve(text, raw)
        if _union(s for s in raw if s.rule_id in guarded) <= self.max_removal * len(text):
            return resolved, []
        held = [s for s in resolved if s.rule_id in guarded]
        return resolve(text, [s for s in raw if s.rule_id not in guarded]), held


def _union(spans: Iterable[Span]) -> int:
    """Characters covered by the union of ``spans``."""
    total = reach = 0
    for span in sorted(spans):
        start = max(span.start, reach)
        if span.end > start:
            total += span.end - start
            reach = span.end
    return total
