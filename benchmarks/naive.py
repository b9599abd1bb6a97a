"""A naive reference engine: the same rules, none of the engine's shortcuts.

Why: it answers two questions at once. *How much do the shortcuts buy?* (naive time /
cleaner time), and *are they safe?* (the outputs must be byte-identical; a difference means a
shortcut changed behaviour: a ``requires`` literal the pattern does not imply, a phrase length
filter that is too tight, a line window computed differently).

What "naive" means here, rule kind by rule kind:

- no prefilter: every rule of every pack whose domains apply is tried on every document;
- content signatures: every signature of every other pack is tried on every document (a
  literal by ``in``, a rule by its naive matcher), not only where a literal occurs;
- ``span``: the rule's regex (compiled here from the spec, same flags) over the whole text,
  or with ``per_line`` over every line, literal or not;
- ``line``: a Python loop over the lines (split on ``\\n``), one ``fullmatch`` of the pattern
  per line, the white space around it stripped (within the rule's first/last non-blank lines);
- ``phrase``: every line of the window is normalised and compared with every phrase with
  ``rapidfuzz.fuzz.ratio``, with no length filter and no ``extractOne`` cut-off tricks;
- ``repeated-title``: the engine's own matcher (it only ever looks at the first few lines,
  so there is no shortcut to take away); so is any kind this file does not know yet.

The naive matchers are handed to the engine in place of its rule table
(``Cleaner.with_ruleset``), so the raw spans go through the very same fixpoint passes,
over-removal guard and span resolution (``resolve``/``compose``): what differs is only how
spans are found, which is what the comparison is about. Regex timeouts are not applied to the
naive matchers: a document on which the cleaner reports a timeout is expected to differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import regex
from rapidfuzz import fuzz

from cleaner.compile import Activation, Candidate, CompiledSignature, Look, RuleSet
from cleaner.engine import Cleaner
from cleaner.matchers import Matcher, PhraseMatcher
from cleaner.rulespec import RuleSpec
from cleaner.types import CleanResult, Document, Span
from cleaner.view import LINE_SPACE, DocView

_NON_WORD = regex.compile(r"[\W_]+")
_HAS_TEXT = regex.compile(r"\S")

Lines = list[tuple[int, int]]


def lines_of(doc: DocView) -> Lines:
    """(start, end) of every line, the ``\\n`` excluded (a trailing ``\\r`` stays in the line).

    Split once per document and pass, not once per rule: naive, not wasteful.
    """
    # Keyed by the text: the memo is shared by the passes over a document, and each pass has
    # its own text.
    return doc.recall(("naive-lines", doc.text), _split_lines, doc.text)


def _split_lines(text: str) -> Lines:
    lines = []
    pos = 0
    for part in text.split("\n"):
        lines.append((pos, pos + len(part)))
        pos += len(part) + 1
    return lines


def window(text: str, lines: Lines, first: int | None, last: int | None) -> Lines:
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


class NaiveSpan:
    """Every match of the rule's regex over the whole text (or every line, ``per_line``),
    tried on every document."""

    def __init__(self, spec: RuleSpec) -> None:
        assert spec.pattern is not None
        self.spec, self.id = spec, spec.qualified_id
        self.pattern = regex.compile(spec.pattern, _flags(spec))
        self.literal = "\\" not in spec.replace

    def find(self, doc: DocView, starts: Sequence[int] | None = None) -> list[Span]:
        if not self.spec.per_line:
            return self._spans(doc.text, 0)
        spans = []
        for start, end in lines_of(doc):  # every line on its own, literal or not
            spans.extend(self._spans(doc.text[start:end], start))
        return spans

    def _spans(self, text: str, offset: int) -> list[Span]:
        spans = []
        for m in self.pattern.finditer(text):
            start, end = m.span()
            if start == end:
                continue
            new = self.spec.replace if self.literal else m.expand(self.spec.replace)
            spans.append(_trimmed(text, start, end, new, self.id, offset))
        return spans


def _trimmed(text: str, start: int, end: int, new: str, rule_id: str, offset: int) -> Span:
    """The edit without what the replacement keeps at either end (as the engine reports it)."""
    old = text[start:end]
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    return Span(offset + start + head, offset + end - tail, rule_id, new[head : len(new) - tail])


class NaiveLine:
    """One ``fullmatch`` per line, in a Python loop."""

    def __init__(self, spec: RuleSpec) -> None:
        assert spec.pattern is not None
        self.spec, self.id = spec, spec.qualified_id
        self.pattern = regex.compile(spec.pattern, _flags(spec))

    def find(self, doc: DocView, starts: Sequence[int] | None = None) -> list[Span]:
        spans = []
        for start, end in window(
            doc.text, lines_of(doc), self.spec.first_lines, self.spec.last_lines
        ):
            line = doc.text[start:end].strip(LINE_SPACE)
            if end > start and self.pattern.fullmatch(line) is not None:
                spans.append(Span(start, end, self.id))
        return spans


def normalise(text: str) -> str:
    """Case and punctuation folded away (written out again, as a reference should be)."""
    return _NON_WORD.sub(" ", text.lower()).strip()


class NaivePhrase:
    """Every line of the window against every phrase with ``fuzz.ratio``; no length filter."""

    def __init__(self, spec: RuleSpec) -> None:
        self.spec, self.id = spec, spec.qualified_id
        default = PhraseMatcher.default_threshold
        self.threshold = spec.threshold if spec.threshold is not None else default
        self.phrases = sorted({normalise(p) for p in spec.phrases} - {""})

    def find(self, doc: DocView, starts: Sequence[int] | None = None) -> list[Span]:
        spans = []
        for start, end in window(
            doc.text, lines_of(doc), self.spec.first_lines, self.spec.last_lines
        ):
            line = normalise(doc.text[start:end])
            if line and any(fuzz.ratio(line, p) >= self.threshold for p in self.phrases):
                spans.append(Span(start, end, self.id))
        return spans


_NAIVE: dict[str, Callable[[RuleSpec], NaiveSpan | NaiveLine | NaivePhrase]] = {
    "span": NaiveSpan,
    "line": NaiveLine,
    "phrase": NaivePhrase,
}


class NaiveTable:
    """Stands in for the engine's ``RuleTable``: every rule is a candidate, always."""

    def __init__(self, rules: Sequence[Matcher]) -> None:
        self.rules = tuple(rules)

    def candidates(self, doc: DocView) -> list[Candidate]:
        return [(rule, None) for rule in self.rules]


class NaiveRuleSet(RuleSet):
    """The engine's ``RuleSet`` with the naive matchers of the packs for a host."""

    def __init__(self, ruleset: RuleSet, specs: dict[str, RuleSpec]) -> None:
        super().__init__(ruleset.packs, ruleset.domain_aliases, ruleset.specs, ruleset.disabled)
        self._naive = {
            rule.id: (
                _NAIVE[specs[rule.id].kind](specs[rule.id])
                if specs[rule.id].kind in _NAIVE
                else rule
            )
            for pack in self.packs
            for rule in pack.rules
        }
        self.rules = tuple(self._naive.values())
        self._naive_tables: dict[tuple[int, ...], NaiveTable] = {}

    def first_look(
        self,
        url: str | None,
        doc: DocView,
        before: Look | None = None,
        edits: Sequence[Span] = (),
    ) -> Look:
        # Every pass looks at the whole text again: the edits are not needed.
        host = self.host(url)
        earlier = before.activation.packs if before else ()
        packs = tuple(
            i
            for i, p in enumerate(self.packs)
            if i in earlier
            or p.applies_to(host)
            or any(self._holds(sig, doc) for sig in p.signatures)
        )
        return Look(self._naive_table(packs).candidates(doc), Activation(packs))

    def _naive_table(self, packs: tuple[int, ...]) -> NaiveTable:
        if packs not in self._naive_tables:
            self._naive_tables[packs] = NaiveTable(
                [self._naive[r.id] for i in packs for r in self.packs[i].rules]
            )
        return self._naive_tables[packs]

    def _holds(self, sig: CompiledSignature, doc: DocView) -> bool:
        if sig.matcher is None:
            return any(literal in doc.text for literal in sig.literals)
        # A disabled rule or a pattern signature has no naive form: the engine's matcher, told
        # of no literal, tries every line.
        naive = self._naive.get(sig.matcher.id, sig.matcher)
        return bool(naive.find(doc, None))


class NaiveCleaner:
    """Cleans like ``cleaner`` (same rules, same passes, guard and resolution), without its
    shortcuts. Rule kinds without a naive form here (``repeated-title``, which only reads the
    first few lines anyway, and any kind added later) keep the engine's matcher."""

    def __init__(self, cleaner: Cleaner) -> None:
        specs = {r.qualified_id: r for p in cleaner.packs for r in p.rules}
        self.ruleset = NaiveRuleSet(cleaner.ruleset, specs)
        self._cleaner = cleaner.with_ruleset(self.ruleset)

    def clean_document(self, doc: Document) -> CleanResult:
        return self._cleaner.clean_document(doc)
