"""Per-site packs mined from a corpus: the lines a host repeats across its documents.

Boilerplate is what a site prints on many of its pages: a sign-up widget, a caption credit, a
standing footer. ``learn`` counts, per URL host, the documents in which each line occurs, in
its *template* form (case folded, punctuation and white space folded, every run of digits as
``0``: "Updated 2:48 p.m." and "Updated 9:15 a.m." are one template), and makes the templates
that reach the thresholds into rules for people to review:

- a template becomes a ``line`` rule whose pattern is the template itself (words as written,
  case ignored, digit runs as ``\\d+``, any punctuation between them);
- near-identical templates of one host (the same widget with another newsletter name) are
  grouped with rapidfuzz and become one ``phrase`` rule, not one rule each;
- what looks like article prose, or like a recurring section heading, is written with
  ``enabled = false`` and the reason, for a reviewer to decide.

Counting is exact and mergeable: :class:`LineStats` keys templates by 64-bit hashes, and two
statistics over parts of a corpus add up to those of the whole. Examples are collected in a
second pass over the corpus, for the surviving templates only. A line seen in one document
is never learned.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import regex
from rapidfuzz import fuzz, process

from cleaner.hosts import host_of
from cleaner.io.plan import FileJob
from cleaner.io.readers import BLOCK_BYTES
from cleaner.pipeline.parts import map_parts
from cleaner.pipeline.workers import Pool
from cleaner.types import Fields
from cleaner.view import LINE_SPACE, normalise

NO_HOST = "(no host)"
DEFAULT_MIN_DOCS = 3
DEFAULT_MIN_SHARE = 0.05
MAX_LINE = 300  # longer lines are paragraphs: never a template
FUZZY_THRESHOLD = 90.0
MAX_FUZZY = 2000  # templates per host compared pairwise for grouping (the most frequent)

_DIGITS = regex.compile(r"\d+")
_LETTER = regex.compile(r"\p{L}")
_LETTERS = regex.compile(r"\p{L}+")
# The words of page furniture: prompts, credits, labels. A line holding one is not prose.
_FURNITURE = regex.compile(
    r"(?i)\b(?:newsletters?|sign up|subscribe|inbox|copyright|all rights reserved|reprint"
    r"|permission|opinions? expressed|views expressed|contributors?|editor'?s note|follow us"
    r"|download|click|advertisement|sponsored|related|read more|watch|share|link copied"
    r"|e-?mail|twitter|facebook|instagram|podcast|photo|image|getty|reuters|associated press"
    r"|story continue[sd]?|continue reading|slideshow|print|whatsapp|pocket|linkedin|reddit)\b"
    r"|©"
)
_BIO = regex.compile(r"^(?:\p{Lu}[\p{L}.'’\-]*\s){1,4}(?:is|was|has been)\s(?:a|an|the)\b")
_SURROGATE = regex.compile(r"[\ud800-\udfff]")
_WORD = regex.compile(r"[^\W_]+")
_SENTENCE_END = regex.compile(r"[.!?…][\"'”’)]?$")


def template(line: str) -> str:
    """A line's template: normalised, every run of digits as 0.

    >>> template("Updated 2:48 p.m."), template("updated 9:15 P.M.")
    ('updated 0 0 p m', 'updated 0 0 p m')
    """
    return _DIGITS.sub("0", normalise(line))


def template_hash(tpl: str) -> int:
    """A 64-bit hash of a template, the same in every process (unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(tpl.encode(), digest_size=8).digest(), "big")


def candidate_lines(text: str) -> list[str]:
    """The lines that could be templates: not blank, not paragraphs, with a letter, and no
    lone surrogate (which no pack file could hold)."""
    lines = []
    for line in text.split("\n"):
        stripped = line.strip(LINE_SPACE)
        if (
            stripped
            and len(stripped) <= MAX_LINE
            and _LETTER.search(stripped)
            and not _SURROGATE.search(stripped)
        ):
            lines.append(stripped)
    return lines


@dataclass
class LineStats:
    """Per host: how many documents were read, and in how many each template occurs."""

    documents: Counter[str] = field(default_factory=Counter)
    lines: dict[str, Counter[int]] = field(default_factory=dict)

    def add(self, text: str, url: str | None) -> None:
        host = host_of(url) or NO_HOST
        self.documents[host] += 1
        if host == NO_HOST:  # counted and reported, never learned from
            return
        found = {template_hash(template(line)) for line in candidate_lines(text)}
        self.lines.setdefault(host, Counter()).update(found)

    def merge(self, other: LineStats) -> LineStats:
        """The statistics of both parts, as if counted in one pass."""
        return LineStats().update(self).update(other)

    def update(self, other: LineStats) -> LineStats:
        """Add ``other``'s counts to these (in place) and return them."""
        self.documents.update(other.documents)
        for host, counts in other.lines.items():
            self.lines.setdefault(host, Counter()).update(counts)
        return self

    def floor(self, host: str, min_docs: int, min_share: float) -> float:
        """How many of ``host``'s documents a template must occur in to be learned: at least
        ``min_docs``, and ``min_share`` of them, and never fewer than 2."""
        return max(2, min_docs, min_share * self.documents[host])

    def frequent(self, host: str, min_docs: int, min_share: float) -> dict[int, int]:
        """Templates of ``host`` that reach the floor, with their document counts."""
        floor = self.floor(host, min_docs, min_share)
        return {h: n for h, n in self.lines.get(host, Counter()).items() if n >= floor}

    def repeated(self, host: str) -> dict[int, int]:
        """Templates of ``host`` in two documents or more: the material of fuzzy groups."""
        return {h: n for h, n in self.lines.get(host, Counter()).items() if n >= 2}


def count(documents: Iterable[tuple[str, str | None]]) -> LineStats:
    """First pass: the statistics of (text, url) pairs."""
    stats = LineStats()
    for text, url in documents:
        stats.add(text, url)
    return stats


@dataclass
class Sighting:
    """The first document line of a template, with the lines around it."""

    line: str
    before: str
    after: str


def sightings(
    documents: Iterable[tuple[str, str | None]], wanted: dict[str, set[int]]
) -> dict[str, dict[int, Sighting]]:
    """Second pass: for each host, the first sighting of each wanted template."""
    found: dict[str, dict[int, Sighting]] = {host: {} for host in wanted}
    for text, url in documents:
        host = host_of(url) or NO_HOST
        want = wanted.get(host)
        if not want:
            continue
        lines = candidate_lines(text)
        for i, line in enumerate(lines):
            key = template_hash(template(line))
            if key in want and key not in found[host]:
                before = lines[i - 1] if i else ""
                after = lines[i + 1] if i + 1 < len(lines) else ""
                found[host][key] = Sighting(line, before, after)
    return found


@dataclass
class Learned:
    """One rule for a reviewer: what it matches, how often, and whether it starts enabled."""

    kind: str  # "line" or "phrase"
    lines: list[str]  # the sighted line(s) it stands for, most frequent first
    documents: int
    share: float
    sighting: Sighting
    unsure: str = ""  # why it is written disabled, if it is


def group(
    stats: LineStats,
    host: str,
    seen: dict[int, Sighting],
    min_docs: int,
    min_share: float,
) -> list[Learned]:
    """The rules for one host: frequent templates alone, near-identical ones together."""
    total = stats.documents[host]
    counts = stats.repeated(host)
    keys = sorted((k for k in seen if k in counts), key=lambda k: (-counts[k], seen[k].line))
    keys = keys[:MAX_FUZZY]
    forms = [template(seen[k].line) for k in keys]
    floor = stats.floor(host, min_docs, min_share)
    taken: set[int] = set()
    rules: list[Learned] = []
    for i, key in enumerate(keys):
        if i in taken:
            continue
        # process.extract, not cdist: cdist needs numpy, which cleaner does not depend on.
        near = process.extract(
            forms[i], forms, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD, limit=None
        )
        alike = sorted(j for _, _, j in near if j > i and j not in taken)
        members = [i, *alike]
        documents = sum(counts[keys[j]] for j in members)
        if documents < floor:
            continue
        taken.update(members)
        lines = [seen[keys[j]].line for j in members]
        rules.append(
            Learned(
                "line" if len(members) == 1 else "phrase",
                lines,
                min(documents, total),
                min(documents, total) / total,
                seen[key],
            )
        )
    for rule in rules:
        rule.unsure = _doubt(rule, host)
    return rules


def _doubt(rule: Learned, host: str) -> str:
    """Why a learned rule might take article text, or "" when it looks like boilerplate: a
    line that names its site or speaks the words of page furniture is never in doubt."""
    line = rule.lines[0]
    if _FURNITURE.search(line) or _names_site(line, host):
        return ""
    words = _WORD.findall(line)
    lower = sum(w[:1].islower() for w in words)
    if _BIO.search(line):
        return "reads like a standing author bio; check it is not part of the articles"
    sentence = len(words) >= 10 and _SENTENCE_END.search(line) and lower >= len(words) / 2
    if sentence and rule.share < 0.5:
        return f"reads like prose ({len(words)} words, a full sentence); check it is boilerplate"
    if len(words) <= 6 and not _DIGITS.search(line) and not line.endswith("."):
        return "may be a recurring section heading or attribution of the articles"
    return ""


def _names_site(line: str, host: str) -> bool:
    """Whether the line names the site: "Daily Caller" on dailycaller.com."""
    labels = [part for part in host.split(".")[:-1] if part not in ("www", "m", "news", "amp")]
    squeezed = "".join(_LETTERS.findall(line)).lower()
    return any(len(label) >= 4 and label in squeezed for label in labels)


def line_pattern(line: str) -> str:
    """A pattern for a line's template: its words as written (case is ignored by the rule),
    digit runs as ``\\d+``, any punctuation and space between them.

    >>> line_pattern("Updated 2:48 p.m.")
    '[\\\\W_]*Updated[\\\\W_]+\\\\d+[\\\\W_]+\\\\d+[\\\\W_]+p[\\\\W_]+m[\\\\W_]*'
    """
    parts = []
    for token in _WORD.findall(line):
        chunks = _DIGITS.split(token)
        digits = _DIGITS.findall(token)
        piece = ""
        for n, chunk in enumerate(chunks):
            piece += regex.escape(chunk)
            if n < len(digits):
                piece += r"\d+"
        parts.append(piece)
    return r"[\W_]*" + r"[\W_]+".join(parts) + r"[\W_]*"


def literal_of(line: str) -> str:
    """The longest run of letters of a line: the literal the prefilter looks for."""
    return max(_LETTERS.findall(line), key=len, default="")


def learn(
    read: Callable[[], Iterable[tuple[str, str | None]]],
    *,
    min_docs: int = DEFAULT_MIN_DOCS,
    min_share: float = DEFAULT_MIN_SHARE,
    hosts: Iterable[str] = (),
) -> tuple[LineStats, dict[str, list[Learned]]]:
    """Count ``read()``'s (text, url) pairs, read them again for examples, and return the
    statistics and the rules of every host (or of ``hosts`` only)."""
    stats = count(read())
    wanted = _wanted(stats, min_docs, min_share, hosts)
    return stats, _rules(stats, sightings(read(), wanted), wanted, min_docs, min_share)


def learn_files(
    planned: Sequence[FileJob],
    fields: Fields,
    *,
    min_docs: int = DEFAULT_MIN_DOCS,
    min_share: float = DEFAULT_MIN_SHARE,
    hosts: Iterable[str] = (),
    jobs: int = 1,
    pool: Pool | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> tuple[LineStats, dict[str, list[Learned]]]:
    """``learn`` over the documents of planned files (read twice: counts, then examples),
    in process, on ``jobs`` local workers or on ``pool``'s. Each worker counts or looks
    through a part of the corpus (a file, or a byte range it reads itself); the parts'
    results add up, in corpus order, to those of one pass, so the rules are the same.
    ``block_bytes`` is about how big a range of a file one worker reads."""
    stats = LineStats()
    for part in map_parts(planned, count, (), fields, jobs=jobs, pool=pool, size=block_bytes):
        stats.update(part)
    wanted = _wanted(stats, min_docs, min_share, hosts)
    seen: dict[str, dict[int, Sighting]] = {host: {} for host in wanted}
    looked = map_parts(
        planned, sightings, (wanted,), fields, jobs=jobs, pool=pool, size=block_bytes
    )
    for found in looked:
        for host, first in found.items():
            for key, sighting in first.items():
                seen[host].setdefault(key, sighting)  # an earlier part's sighting comes first
    return stats, _rules(stats, seen, wanted, min_docs, min_share)


def _wanted(
    stats: LineStats, min_docs: int, min_share: float, hosts: Iterable[str]
) -> dict[str, set[int]]:
    """The templates to find examples of, per host that has any frequent one."""
    chosen = set(hosts)
    wanted: dict[str, set[int]] = {}
    for host in sorted(stats.lines):
        if (chosen and host not in chosen) or not stats.frequent(host, min_docs, min_share):
            continue
        # Examples are kept for the most repeated templates only: memory is bounded per host.
        repeated = stats.repeated(host)
        wanted[host] = set(sorted(repeated, key=lambda k: (-repeated[k], k))[:MAX_FUZZY])
    return wanted


def _rules(
    stats: LineStats,
    seen: dict[str, dict[int, Sighting]],
    wanted: dict[str, set[int]],
    min_docs: int,
    min_share: float,
) -> dict[str, list[Learned]]:
    return {
        host: found
        for host in sorted(wanted)
        if (found := group(stats, host, seen[host], min_docs, min_share))
    }
