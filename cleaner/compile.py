"""Compile validated packs into rule tables with a literal prefilter.

The prefilter is the reason cleaning is cheap: one Aho-Corasick pass over a document finds
which rules' required literals occur, and only those rules' regexes run. Which packs apply is
decided once per document: by its host (after archive unwrapping and domain aliases), and,
for packs the host does not name, by their content signatures, found the same way.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ahocorasick_rs import AhoCorasick, Implementation
from mypy_extensions import mypyc_attr

from cleaner.errors import ConfigError
from cleaner.hosts import domain, host_of, within
from cleaner.matchers import MATCHERS, Matcher
from cleaner.rulespec import PackSpec, RuleSpec, Signature
from cleaner.spans import Edits
from cleaner.types import Span
from cleaner.view import DocView, find_all

#: A rule to try on a document, with where its literals start there (None: it has none).
Candidate = tuple[Matcher, "list[int] | None"]

#: Where a literal occurs in a text: (literal index, start, end).
Occurrence = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class CompiledSignature:
    """Where one of ``literals`` occurs, the signature is present if ``matcher`` (when there
    is one) finds something."""

    literals: tuple[str, ...]
    matcher: Matcher | None


@dataclass(frozen=True, slots=True)
class CompiledPack:
    id: str
    domains: tuple[str, ...]
    rules: tuple[Matcher, ...]
    source: str
    signatures: tuple[CompiledSignature, ...] = ()

    def applies_to(self, host: str | None) -> bool:
        if not self.domains:
            return True
        return host is not None and within(host, self.domains)


class Prefilter:
    """Which rules may match a text, decided by the literals each rule requires; and which
    content signatures it holds, found in the same scan."""

    def __init__(
        self, rules: Sequence[Matcher], signatures: Sequence[tuple[str, ...]] = ()
    ) -> None:
        self.always = frozenset(i for i, r in enumerate(rules) if not r.spec.requires)
        self.ids = [r.id for r in rules]
        count = len(self.ids)
        self._literals = _Literals(
            itertools.chain(
                ((lit, i) for i, r in enumerate(rules) for lit in r.spec.requires),
                ((lit, count + j) for j, lits in enumerate(signatures) for lit in lits),
            )
        )

    def occurrences(
        self, text: str, before: list[Occurrence] | None = None, edits: Edits | None = None
    ) -> list[Occurrence]:
        """Every occurrence of a rule's or signature's literal in ``text`` (see ``_Literals``)."""
        return self._literals.occurrences(text, before, edits)

    def hits(
        self, occurrences: Iterable[Occurrence]
    ) -> tuple[list[tuple[int, list[int] | None]], dict[int, list[int]]]:
        """From the ``occurrences`` in a text: the rules that may match it (by index, in
        order), each with where its literals start (None for a rule without literals); and
        where each signature's literals start."""
        hits: defaultdict[int, list[int]] = defaultdict(list)
        owners_of = self._literals.owners
        for literal, start, _ in occurrences:
            for i in owners_of[literal]:
                hits[i].append(start)
        count = len(self.ids)
        found = sorted({*(i for i in hits if i < count), *self.always})
        rules = [(i, hits.get(i)) for i in found]
        return rules, {i - count: starts for i, starts in hits.items() if i >= count}


class _Literals:
    """Many literals searched at once: where each occurs in a text, and whose it is."""

    # Up to this many literals, str.find beats building and running an automaton.
    FEW = 4

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        owners: dict[str, set[int]] = defaultdict(set)
        for literal, index in pairs:
            owners[literal].add(index)
        self.literals = list(owners)
        self.owners = [frozenset(indexes) for indexes in owners.values()]
        self.longest = max(map(len, self.literals), default=1)
        # A DFA: several times faster than the default NFA on news text, for a few kB of memory.
        self._automaton = (
            AhoCorasick(self.literals, implementation=Implementation.DFA)
            if len(self.literals) > self.FEW
            else None
        )

    def occurrences(
        self, text: str, before: list[Occurrence] | None = None, edits: Edits | None = None
    ) -> list[Occurrence]:
        """(literal index, start, end) of every occurrence, overlapping ones included.

        Given ``before``, the occurrences in the text that ``edits`` turned into ``text``, only
        the text near the edits is searched again: an occurrence elsewhere is an old one, moved.
        """
        if before is None or edits is None:
            return self._search(text)
        found = []
        for i, start, end in before:
            at = edits.moved(start, end)
            if at is not None:
                found.append((i, at, at + end - start))
        for lo, hi in edits.around_images(self.longest - 1, len(text)):
            for i, start, end in self._search(text[lo:hi]):
                if edits.is_new(lo + start, lo + end):
                    found.append((i, lo + start, lo + end))
        return found

    def _search(self, text: str) -> list[Occurrence]:
        if self._automaton is None:
            return [
                (i, at, at + len(literal))
                for i, literal in enumerate(self.literals)
                for at in find_all(text, literal)
            ]
        try:
            found = self._automaton.find_matches_as_indexes(text, overlapping=True)
        except UnicodeEncodeError:
            # Lone surrogates (from scraped JSON) cannot cross into the automaton. No literal
            # holds one, so each may become "?" without moving an offset or losing a match.
            text = text.encode("utf-8", "replace").decode("utf-8")
            found = self._automaton.find_matches_as_indexes(text, overlapping=True)
        return found


class RuleTable:
    """The rules of some packs, in pack order, with their prefilter.

    A table may also hold packs that apply only where a document shows them: their
    signatures are found by the same prefilter scan (see ``first_look``).
    """

    def __init__(
        self, packs: Sequence[tuple[int, CompiledPack]], detectable: Iterable[int] = ()
    ) -> None:
        self.rules = tuple(r for _, p in packs for r in p.rules)
        self.pack_of = tuple(i for i, p in packs for _ in p.rules)
        shown = set(detectable)
        self.signatures = tuple((i, s) for i, p in packs if i in shown for s in p.signatures)
        self.prefilter = Prefilter(self.rules, [s.literals for _, s in self.signatures])

    def candidates(
        self, doc: DocView, occurrences: list[Occurrence] | None = None
    ) -> list[Candidate]:
        """The rules that may match ``doc``, in order, with where their literals start; from
        its literal ``occurrences`` where they are known."""
        if occurrences is None:
            occurrences = self.prefilter.occurrences(doc.text)
        found, _ = self.prefilter.hits(occurrences)
        return [(self.rules[i], starts) for i, starts in found]

    def first_look(
        self, doc: DocView, by_host: Iterable[int], occurrences: list[Occurrence]
    ) -> tuple[set[int], list[Candidate], list[str]]:
        """From one scan's ``occurrences``: the packs whose signature ``doc`` holds, the
        candidate rules of those and of the packs ``by_host``, and the signature checks that
        ran out of time."""
        found, signature_hits = self.prefilter.hits(occurrences)
        applying = set(by_host)
        detected: set[int] = set()
        timed_out: list[str] = []
        for j in sorted(signature_hits):
            pack, sig = self.signatures[j]
            if pack in applying:
                continue
            if sig.matcher is None:
                detected.add(pack)
                applying.add(pack)
                continue
            try:
                if sig.matcher.find(doc, signature_hits[j]):
                    detected.add(pack)
                    applying.add(pack)
            except TimeoutError:
                timed_out.append(sig.matcher.id)
        first = [(self.rules[i], starts) for i, starts in found if self.pack_of[i] in applying]
        return detected, first, timed_out


@dataclass(frozen=True, slots=True)
class Activation:
    """Which packs apply to one document: by its host, and by the signatures its text holds."""

    by_host: tuple[int, ...]
    detected: tuple[int, ...] = ()
    timed_out: tuple[str, ...] = ()

    @property
    def packs(self) -> tuple[int, ...]:
        return tuple(sorted({*self.by_host, *self.detected})) if self.detected else self.by_host


@dataclass(frozen=True, slots=True)
class Look:
    """What the prefilter scan of one pass tells of a document: the rules to try, with where
    their literals start, and why its packs apply. The next pass's scan starts from its
    literal occurrences."""

    candidates: list[Candidate]
    activation: Activation
    occurrences: list[Occurrence] | None = None


@dataclass(frozen=True, slots=True)
class _Reach:
    """For one host: the packs it applies, and (when other packs have signatures) the table
    that also holds those, to look for them."""

    applying: tuple[int, ...]
    wide: RuleTable | None


# Compiled with mypyc, a class takes subclasses written in Python only when it says so: the
# benchmarks' naive engine is one.
@mypyc_attr(allow_interpreted_subclasses=True)
class RuleSet:
    """All compiled packs; hands out the table of the packs that apply to a document.

    ``domain_aliases`` map hosts (and their subdomains) to the host whose packs they get: a
    mirror, a staging copy, a localhost crawl.
    """

    def __init__(
        self,
        packs: Sequence[CompiledPack],
        domain_aliases: Mapping[str, str] | None = None,
        specs: Sequence[PackSpec] = (),
        disabled: Iterable[str] = (),
    ) -> None:
        self.packs = tuple(packs)
        # What it was compiled from: listed by `rules list`, and pickled to rebuild it.
        self.specs = tuple(specs)
        self.disabled = tuple(disabled)
        self.rules = tuple(r for p in self.packs for r in p.rules)
        self.domain_aliases = {domain(k): domain(v) for k, v in (domain_aliases or {}).items()}
        self._reach = lru_cache(maxsize=4096)(self._reach_of)
        # Most hosts get the same packs (the generic ones): one table, one automaton, for all.
        self._tables: dict[tuple[tuple[int, ...], tuple[int, ...]], RuleTable] = {}

    def __reduce__(self) -> tuple[Any, ...]:
        # Compiled regexes and automata stay in their process: a worker compiles the specs.
        return (compile_packs, (self.specs, self.disabled, self.domain_aliases))

    def host(self, url: str | None) -> str | None:
        """The host whose packs a document from ``url`` gets."""
        host = host_of(url)
        if host is None or not self.domain_aliases:
            return host
        for alias, target in self.domain_aliases.items():
            if within(host, (alias,)):
                return target
        return host

    def first_look(
        self,
        url: str | None,
        doc: DocView,
        before: Look | None = None,
        edits: Sequence[Span] = (),
    ) -> Look:
        """The rules to try in this pass on a document, of the packs that apply to it (its
        host's, and those whose signature its text holds), and how the packs were chosen.
        One prefilter scan serves both: a document without a signature pays nothing.

        ``before`` is the look of the previous pass, whose ``edits`` made this text: its packs
        still apply, and only the text near the edits is scanned again. A removal may have
        brought another pack's signature into reach (a footer now among the last lines), so
        the packs not yet detected are looked for again."""
        reach = self._reach(self.host(url))
        table = reach.wide or self.table(reach.applying)
        occurrences = table.prefilter.occurrences(
            doc.text, before.occurrences if before else None, Edits(edits) if before else None
        )
        if reach.wide is None:
            return Look(table.candidates(doc, occurrences), Activation(reach.applying), occurrences)
        known = before.activation.detected if before else ()
        detected, first, timed_out = reach.wide.first_look(
            doc, (*reach.applying, *known), occurrences
        )
        activation = Activation(
            reach.applying, tuple(sorted({*known, *detected})), tuple(timed_out)
        )
        return Look(first, activation, occurrences)

    def activation(self, url: str | None, doc: DocView) -> Activation:
        """Which packs apply to a document, and why."""
        return self.first_look(url, doc).activation

    def table_for_host(self, host: str | None) -> RuleTable:
        """The packs that ``host`` names, whatever the text holds."""
        return self.table(self._reach(host).applying)

    def table(self, packs: tuple[int, ...], detectable: tuple[int, ...] = ()) -> RuleTable:
        """The rules of these packs (indexes into ``packs``), in pack order; with the
        signatures of ``detectable`` ones."""
        key = (packs, detectable)
        if key not in self._tables:
            indexes = sorted({*packs, *detectable})
            self._tables[key] = RuleTable([(i, self.packs[i]) for i in indexes], detectable)
        return self._tables[key]

    def _reach_of(self, host: str | None) -> _Reach:
        applying = tuple(i for i, p in enumerate(self.packs) if p.applies_to(host))
        detectable = tuple(
            i for i, p in enumerate(self.packs) if i not in applying and p.signatures
        )
        return _Reach(applying, self.table(applying, detectable) if detectable else None)


def compile_packs(
    packs: Iterable[PackSpec],
    disable: Iterable[str] = (),
    domain_aliases: Mapping[str, str] | None = None,
) -> RuleSet:
    """Compile every rule of every pack, except those disabled by rule or pack id."""
    packs = list(packs)
    disabled = set(disable)
    compiled: list[CompiledPack] = []
    for pack in packs:
        if pack.id in disabled:
            continue
        rules = tuple(
            MATCHERS[spec.kind](spec)
            for spec in pack.rules
            if spec.enabled and spec.qualified_id not in disabled
        )
        signatures = tuple(_signature(pack, n, sig, rules) for n, sig in enumerate(pack.detect, 1))
        compiled.append(CompiledPack(pack.id, pack.domains, rules, pack.source, signatures))
    _check_aliases(domain_aliases or {}, packs)
    known = {p.id for p in compiled} | {r.id for p in compiled for r in p.rules}
    known |= {p.id for p in packs} | {r.qualified_id for p in packs for r in p.rules}
    unknown = sorted(disabled - known)
    if unknown:
        raise ConfigError(
            f"cannot disable {unknown[0]!r}: no loaded pack or rule has that id; "
            "see `cleaner rules list`"
        )
    return RuleSet(compiled, domain_aliases, packs, sorted(disabled))


def _signature(
    pack: PackSpec, n: int, sig: Signature, rules: tuple[Matcher, ...]
) -> CompiledSignature:
    if sig.literal:
        return CompiledSignature(sig.literals, None)
    if sig.rule:
        # The pack's own rule, even where it is disabled: disabling stops removal, not detection.
        qualified = f"{pack.id}.{sig.rule}"
        matcher = next((r for r in rules if r.id == qualified), None)
        if matcher is None:
            spec = next(r for r in pack.rules if r.id == sig.rule)
            matcher = MATCHERS[spec.kind](spec)
        return CompiledSignature(sig.literals, matcher)
    spec = RuleSpec(
        pack.id, f"detect-{n}", "span", pack.source, pattern=sig.pattern, requires=sig.requires
    )
    return CompiledSignature(sig.literals, MATCHERS["span"](spec))


def _check_aliases(aliases: Mapping[str, str], packs: Sequence[PackSpec]) -> None:
    domains = [d for p in packs for d in p.domains]
    for alias, target in aliases.items():
        if not within(domain(target), domains):
            raise ConfigError(
                f"domain_aliases maps {alias!r} to {target!r}, which no loaded pack names in its "
                "domains; give a host of a pack (see `cleaner rules list`)"
            )
