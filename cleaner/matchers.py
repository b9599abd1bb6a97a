"""Matchers: one class per rule kind, each turning a document into raw spans.

A matcher is compiled once from its :class:`RuleSpec` and then only reads documents
(:class:`~cleaner.view.DocView`). ``find(doc, starts)`` is told where the rule's required
literals start in the text, as the prefilter found them (``None`` for a rule without literals):
a line rule need only try the lines that hold one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import ClassVar, Protocol

import regex
from rapidfuzz import fuzz, process

from cleaner.errors import RuleFileError
from cleaner.rulespec import RuleSpec
from cleaner.types import Span
from cleaner.view import LINE_SPACE, DocView, normalise

_GROUP_REF = regex.compile(r"\\g<([^>]*)>|\\(\d+)")
_TITLE_SUFFIX = regex.compile(r"\s+(?:\||-|–|—)\s+[^|\-–—]{1,60}$")


class Matcher(Protocol):
    spec: RuleSpec
    id: str

    def find(self, doc: DocView, starts: Sequence[int] | None = None) -> list[Span]:
        """Raw spans in ``doc``; ``starts`` are where the rule's literals start (None: it has
        none, or they were not looked for)."""
        ...


def compile_pattern(spec: RuleSpec) -> regex.Pattern[str]:
    """Compile a rule's pattern; a bad pattern is refused with its position."""
    assert spec.pattern is not None
    try:
        compiled = regex.compile(spec.pattern, _flags(spec))
    except regex.error as exc:
        pos = getattr(exc, "pos", None)
        where = f" at {pos}" if pos is not None else ""
        message = str(exc).split(" at position")[0]
        raise RuleFileError(
            spec.source, f"{message}{where}", rule_id=spec.qualified_id, field="pattern"
        ) from None
    if compiled.search("") is not None or compiled.search("\n") is not None:
        raise RuleFileError(
            spec.source,
            "pattern matches the empty string, so it would match everywhere; make it require text",
            rule_id=spec.qualified_id,
            field="pattern",
        )
    return compiled


def _flags(spec: RuleSpec) -> int:
    return regex.VERSION0 | (regex.IGNORECASE if spec.ignore_case else 0)


class SpanMatcher:
    """Every match of a regex is replaced by ``replace`` (group references allowed)."""

    kind: ClassVar[str] = "span"

    def __init__(self, spec: RuleSpec) -> None:
        self.spec = spec
        self.id = spec.qualified_id
        self.pattern = compile_pattern(spec)
        self.template = spec.replace
        self.literal = "\\" not in spec.replace
        for ref in _GROUP_REF.finditer(spec.replace):
            name = ref.group(1) or ref.group(2)
            known = name in self.pattern.groupindex or (
                name.isdigit() and int(name) <= self.pattern.groups
            )
            if not known:
                raise RuleFileError(
                    spec.source,
                    f"replace refers to group {name!r}, which the pattern does not define",
                    rule_id=self.id,
                    field="replace",
                )

    def find(self, doc: DocView, starts: Sequence[int] | None = None) -> list[Span]:
        deadline = time.monotonic() + doc.timeout
        if not self.spec.per_line:
            return self._spans(doc.text, deadline)
        # Each line on its own, as if it were the whole text; a match holds a literal, so only
        # the lines holding one are tried. The timeout is shared by the lines of a document.
        # What a line yields depends on its text alone: other passes look it up.
        spans: list[Span] = []
        for start, end in doc.lines_at(starts):
            line = doc.text[start:end]
            found = doc.recall((self.id, line), self._spans, line, deadline)
            spans.extend(
                Span(s.start + start, s.end + start, s.rule_id, s.replacement) for s in found
            )
        return spans

    def _spans(self, text: str, deadline: float) -> list[Span]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"{self.id}: regex time limit reached")
        spans = []
        for m in self.pattern.finditer(text, timeout=left):
            start, end = m.span()
            if start == end:
                continue
            new = self.template if self.literal else m.expand(self.template)
            spans.append(_minimal(text, start, end, new, self.id))
        return spans


def _minimal(text: str, start: int, end: int, new: str, rule_id: str) -> Span:
    """Trim what the replacement keeps of the match, so the span shows only the change."""
    old = text[start:end]
    head = 0
    limit = min(len(old), len(new))
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return Span(start + head, end - tail, rule_id, new[head : len(new) - tail])


class LineMatcher:
    """A regex that must match a whole line, once the white space around it is set aside
    (``^`` and ``$`` are the ends of what is left); the line is dropped."""

    kind: ClassVar[str] = "line"

    def __init__(self, spec: RuleSpec) -> None:
        self.spec = spec
        self.id = spec.qualified_id
        self.pattern = compile_pattern(spec)

    def find(self, doc: DocView, starts: Sequence[int] | None = None) -> list[Span]:
        lo, hi = doc.window(self.spec.first_lines, self.spec.last_lines)
        # A matching line holds one of the rule's literals: only those lines are tried. The
        # verdict depends on the line's text alone: other passes look it up.
        spans = []
        for start, end in doc.lines_at(starts):
            if not lo <= start < end <= hi:
                continue
            line = doc.text[start:end]
            if doc.recall((self.id, line), self._fits, line, doc.timeout):
                spans.append(Span(start, end, self.id))
        return spans

    def _fits(self, line: str, timeout: float) -> bool:
        return self.pattern.fullmatch(line.strip(LINE_SPACE), timeout=timeout) is not None


class PhraseMatcher:
    """A line that fuzzy-matches one of a list of boilerplate phrases is dropped."""

    kind: ClassVar[str] = "phrase"
    default_threshold: ClassVar[float] = 90.0

    def __init__(self, spec: RuleSpec) -> None:
        self.spec = spec
        self.id = spec.qualified_id
        self.threshold = spec.threshold if spec.threshold is not None else self.default_threshold
        self.phrases = sorted({normalise(p) for p in spec.phrases} - {""})
        if not self.phrases:
            raise RuleFileError(
                spec.source, "phrases hold no letters or digits", rule_id=self.id, field="phrases"
            )
        share = max(self.threshold, 1.0) / 100.0
        # fuzz.ratio >= t needs 2*min(a, b) / (a + b) >= t: lines outside these lengths cannot match.
        self.min_len = int(min(len(p) for p in self.phrases) * share / (2 - share))
        self.max_len = int(max(len(p) for p in self.phrases) * (2 - share) / share) + 1
        self.candidates = regex.compile(
            rf"(?m)^[^\n]{{{max(1, self.min_len)},{2 * self.max_len + 16}}}$"
        )

    def find(self, doc: DocView, starts: Sequence[int] | None = None) -> list[Span]:
        lo, hi = doc.window(self.spec.first_lines, self.spec.last_lines)
        spans = []
        for m in self.candidates.finditer(doc.text, lo, hi):
            line = normalise(m.group())
            if not self.min_len <= len(line) <= self.max_len:
                continue
            if process.extractOne(
                line, self.phrases, scorer=fuzz.ratio, score_cutoff=self.threshold
            ):
                spans.append(Span(*m.span(), self.id))
        return spans


class RepeatedTitleMatcher:
    """The headline again near the top: later copies of the first line or of the title go."""

    kind: ClassVar[str] = "repeated-title"
    default_threshold: ClassVar[float] = 90.0
    min_words: ClassVar[int] = 3

    def __init__(self, spec: RuleSpec) -> None:
        self.spec = spec
        self.id = spec.qualified_id
        self.threshold = spec.threshold if spec.threshold is not None else self.default_threshold
        self.within = spec.within or 5

    def find(self, doc: DocView, starts: Sequence[int] | None = None) -> list[Span]:
        lines = doc.first_nonblank_lines(self.within)
        if len(lines) < 2:
            return []
        text = doc.text
        first_line = text[lines[0][0] : lines[0][1]]
        # The verdicts depend on lines and title only: later passes over the same document
        # (which mostly keep its top lines) look them up instead of normalising again.
        refs = doc.recall((self.id, first_line), self._references, first_line, doc.title)
        first, title, bands, title_seen = refs
        if not first and not title:
            return []  # nothing to compare with: no later line can match
        spans: list[Span] = []
        for start, end in lines[1:]:
            line = text[start:end]
            is_first, is_title = doc.recall(
                (self.id, first_line, line), self._verdict, line, first, title, bands
            )
            if is_first or (is_title and title_seen):
                spans.append(Span(start, end, self.id))
            title_seen = title_seen or is_title
        return spans

    def _references(
        self, first_line: str, doc_title: str | None
    ) -> tuple[list[str], list[str], list[tuple[int, int]], bool]:
        """The forms to compare with (first line, title), the band of lengths a form needs to
        reach the threshold against each, and whether the first line is itself the title."""
        head = _title_forms(first_line)
        first = self._long_enough(head)
        title = self._long_enough(_title_forms(doc_title)) if doc_title else []
        # fuzz.ratio <= 200*min(a, b)/(a + b), so a form of length a can reach t against a
        # reference of length b only if t*b/(200 - t) <= a <= (200 - t)*b/t (widened by one
        # for rounding).
        t = max(self.threshold, 1.0)
        bands = [
            (int(t * len(r) / (200 - t)) - 1, int((200 - t) * len(r) / t) + 1)
            for r in (*first, *title)
        ]
        return first, title, bands, bool(title) and self._matches(head, title)

    def _verdict(
        self, line: str, first: list[str], title: list[str], bands: list[tuple[int, int]]
    ) -> tuple[bool, bool]:
        """(matches the first line, matches the title)."""
        stripped = line.strip()
        cut = _without_site_suffix(stripped)
        # Both forms' lengths lie between the ASCII letters and digits of the cut one
        # (normalising keeps each) and the length of the lower-cased line (it never grows
        # more): outside every reference's band, no comparison is needed.
        shortest = _ascii_alnum_count(cut)
        longest = len(stripped) if stripped.isascii() else len(stripped.lower())
        if all(hi < shortest or lo > longest for lo, hi in bands):
            return False, False
        forms = _forms(stripped, cut)
        return self._matches(forms, first), self._matches(forms, title)

    def _long_enough(self, forms: set[str]) -> list[str]:
        # A normalised form is words joined by single spaces.
        return [f for f in forms if f.count(" ") + 1 >= self.min_words]

    def _matches(self, forms: set[str], refs: list[str]) -> bool:
        for ref in refs:
            for form in forms:
                if fuzz.ratio(form, ref, score_cutoff=self.threshold):
                    return True
        return False


def _title_forms(line: str) -> set[str]:
    """A headline as written and without a trailing site name ("… | The Hill")."""
    stripped = line.strip()
    return _forms(stripped, _without_site_suffix(stripped))


def _forms(stripped: str, cut: str) -> set[str]:
    whole = normalise(stripped)
    # Unchanged text normalises the same: skip the second pass over it.
    forms = {whole, whole if cut == stripped else normalise(cut)}
    return forms - {""}


def _without_site_suffix(stripped: str) -> str:
    # The suffix follows the last separator and holds at most 60 characters after the white
    # space that opens it (which str.lstrip removes at least of): without that, no regex run.
    last = max(stripped.rfind("|"), stripped.rfind("-"), stripped.rfind("–"), stripped.rfind("—"))
    if last == -1 or len(stripped[last + 1 :].lstrip()) > 60:
        return stripped
    return _TITLE_SUFFIX.sub("", stripped)


_NOT_ASCII_ALNUM = bytes(b for b in range(256) if not (chr(b).isascii() and chr(b).isalnum()))


def _ascii_alnum_count(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass").translate(None, _NOT_ASCII_ALNUM))


MATCHERS: dict[str, type[SpanMatcher | LineMatcher | PhraseMatcher | RepeatedTitleMatcher]] = {
    cls.kind: cls for cls in (SpanMatcher, LineMatcher, PhraseMatcher, RepeatedTitleMatcher)
}
