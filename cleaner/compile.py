"""Compile validated packs into per-domain rule tables with a literal prefilter.

The prefilter is the reason cleaning is cheap: one Aho-Corasick pass over a document finds
which rules' required literals occur, and only those rules' regexes run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from ahocorasick_rs import AhoCorasick, Implementation

from cleaner.errors import ConfigError
from cleaner.matchers import MATCHERS, DocView, Matcher, find_all
from cleaner.rulespec import PackSpec


@dataclass(frozen=True, slots=True)
class CompiledPack:
    id: str
    domains: tuple[str, ...]
    rules: tuple[Matcher, ...]
    source: str

    def applies_to(self, host: str | None) -> bool:
        if not self.domains:
            return True
        return host is not None and any(host == d or host.endswith("." + d) for d in self.domains)


class Prefilter:
    """Which rules may match a text, decided by the literals each rule requires."""

    def __init__(self, rules: Sequence[Matcher]) -> None:
        self.always = frozenset(i for i, r in enumerate(rules) if not r.spec.requires)
        self.ids = [r.id for r in rules]
        self._literals = _Literals((lit, i) for i, r in enumerate(rules) for lit in r.spec.requires)

    def candidates(self, doc: DocView) -> set[int]:
        """Indexes of the rules that may match; where their literals start goes to ``doc.hits``."""
        hits: defaultdict[int, list[int]] = defaultdict(list)
        for owners, start in self._literals.occurrences(doc.text):
            for i in owners:
                hits[i].append(start)
        doc.hits = {self.ids[i]: starts for i, starts in hits.items()}
        found = set(hits)
        found |= self.always
        return found


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
        # A DFA: several times faster than the default NFA on news text, for a few kB of memory.
        self._automaton = (
            AhoCorasick(self.literals, implementation=Implementation.DFA)
            if len(self.literals) > self.FEW
            else None
        )

    def occurrences(self, text: str) -> list[tuple[frozenset[int], int]]:
        """(owners, start offset) of every occurrence, overlapping ones included."""
        if self._automaton is None:
            return [
                (owners, at)
                for literal, owners in zip(self.literals, self.owners, strict=True)
                for at in find_all(text, literal)
            ]
        try:
            found = self._automaton.find_matches_as_indexes(text, overlapping=True)
        except UnicodeEncodeError:
            # Lone surrogates (from scraped JSON) cannot cross into the automaton. No literal
            # holds one, so each may become "?" without moving an offset or losing a match.
            text = text.encode("utf-8", "replace").decode("utf-8")
            found = self._automaton.find_matches_as_indexes(text, overlapping=True)
        return [(self.owners[i], start) for i, start, _ in found]


class RuleTable:
    """The rules that apply to one host, in pack order, with their prefilter."""

    def __init__(self, rules: Sequence[Matcher]) -> None:
        self.rules = tuple(rules)
        self.prefilter = Prefilter(self.rules)

    def candidates(self, doc: DocView) -> list[Matcher]:
        found = self.prefilter.candidates(doc)
        return [self.rules[i] for i in sorted(found)]


class RuleSet:
    """All compiled packs; hands out the cached table for a document's host."""

    def __init__(self, packs: Sequence[CompiledPack]) -> None:
        self.packs = tuple(packs)
        self.rules = tuple(r for p in self.packs for r in p.rules)
        self.table_for_host = lru_cache(maxsize=4096)(self._table)
        # Most hosts get the same packs (the generic ones): one table, one automaton, for all.
        self._tables: dict[tuple[int, ...], RuleTable] = {}

    def _table(self, host: str | None) -> RuleTable:
        applying = tuple(i for i, p in enumerate(self.packs) if p.applies_to(host))
        if applying not in self._tables:
            self._tables[applying] = RuleTable([r for i in applying for r in self.packs[i].rules])
        return self._tables[applying]

    def table_for_url(self, url: str | None) -> RuleTable:
        return self.table_for_host(host_of(url))


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    if url.startswith(("http://", "https://")):
        # Cached by what precedes the path: URLs are mostly unique, their hosts are not.
        cut = min((i for i in (url.find(c, 8) for c in "/?#") if i != -1), default=len(url))
        return _host(url[:cut])
    return _host.__wrapped__(url)


@lru_cache(maxsize=4096)
def _host(url: str) -> str | None:
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


def compile_packs(packs: Iterable[PackSpec], disable: Iterable[str] = ()) -> RuleSet:
    """Compile every rule of every pack, except those disabled by rule or pack id."""
    packs = list(packs)
    disabled = set(disable)
    compiled: list[CompiledPack] = []
    for pack in packs:
        if pack.id in disabled:
            continue
        rules = tuple(
            MATCHERS[spec.kind](spec) for spec in pack.rules if spec.qualified_id not in disabled
        )
        compiled.append(CompiledPack(pack.id, pack.domains, rules, pack.source))
    known = {p.id for p in compiled} | {r.id for p in compiled for r in p.rules}
    known |= {p.id for p in packs} | {r.qualified_id for p in packs for r in p.rules}
    unknown = sorted(disabled - known)
    if unknown:
        raise ConfigError(
            f"cannot disable {unknown[0]!r}: no loaded pack or rule has that id; "
            "see `cleaner rules list`"
        )
    return RuleSet(compiled)
