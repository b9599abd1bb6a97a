"""The cleaner: document in, spans and clean text out. No I/O, no printing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cleaner.compile import Candidate, RuleSet, compile_packs
from cleaner.rulespec import PackSpec, default_pack_paths, load_packs
from cleaner.settings import DEFAULT_MAX_REMOVAL, DEFAULT_TIMEOUT, Settings, check_limits
from cleaner.spans import apply_spans, compose, lift, resolve
from cleaner.types import CleanResult, Document, Span
from cleaner.view import DocView

__all__ = ["DEFAULT_MAX_REMOVAL", "DEFAULT_TIMEOUT", "MAX_PASSES", "Cleaner"]

MAX_PASSES = 10  # a removal can bring new lines into a rule's reach; passes end when none does


class Cleaner:
    """Removes scraping residue with compiled rule packs; reads no file.

    ``Cleaner.load()`` (or ``Cleaner.from_settings``) loads and compiles the packs: the
    default ones and any others. ``max_removal`` and ``timeout`` are those of ``Settings``.
    """

    def __init__(
        self,
        ruleset: RuleSet,
        *,
        max_removal: float = DEFAULT_MAX_REMOVAL,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        check_limits(max_removal, timeout)
        self.ruleset = ruleset
        self.max_removal = max_removal
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> Cleaner:
        """The packs that ``settings`` name, loaded and compiled."""
        shipped: list[str | Path] = list(default_pack_paths()) if settings.default_rules else []
        paths = [*shipped, *settings.rules]
        ruleset = compile_packs(load_packs(paths), settings.disable, settings.domain_aliases)
        return cls(ruleset, max_removal=settings.max_removal, timeout=settings.timeout)

    @classmethod
    def load(
        cls,
        rules: Iterable[str | Path] = (),
        *,
        default_rules: bool = True,
        disable: Iterable[str] = (),
        max_removal: float = DEFAULT_MAX_REMOVAL,
        timeout: float = DEFAULT_TIMEOUT,
        domain_aliases: Mapping[str, str] | None = None,
    ) -> Cleaner:
        """The default packs and ``rules`` (files or directories), loaded and compiled; the
        keywords are those of ``Settings``."""
        settings = Settings(
            rules=tuple(str(r) for r in rules),
            default_rules=default_rules,
            disable=tuple(disable),
            max_removal=max_removal,
            timeout=timeout,
            domain_aliases=dict(domain_aliases or {}),
        )
        return cls.from_settings(settings)

    @property
    def packs(self) -> tuple[PackSpec, ...]:
        """Every loaded pack, disabled ones included."""
        return self.ruleset.specs

    def with_ruleset(self, ruleset: RuleSet, *, max_removal: float | None = None) -> Cleaner:
        """These settings over other compiled rules (used to try one rule on its own)."""
        share = self.max_removal if max_removal is None else max_removal
        return Cleaner(ruleset, max_removal=share, timeout=self.timeout)

    def __reduce__(self) -> tuple[Any, ...]:
        # The rule set pickles as its specs and compiles again in the worker process.
        return (_rebuild, (self.ruleset, self.max_removal, self.timeout))

    def __repr__(self) -> str:
        return f"Cleaner({len(self.ruleset.rules)} rules from {len(self.packs)} packs)"

    def clean(self, text: str, *, url: str | None = None, title: str | None = None) -> str:
        return self.clean_document(Document(text, url, title)).text

    def explain(
        self, text: str, *, url: str | None = None, title: str | None = None
    ) -> CleanResult:
        return self.clean_document(Document(text, url, title))

    def clean_document(self, doc: Document) -> CleanResult:
        """Clean one document; passes repeat until nothing changes, so cleaning is idempotent."""
        text = doc.text
        spans: list[Span] = []
        held: list[Span] = []
        memo: dict[Any, Any] = {}
        # Each pass's scan finds both the packs that apply and its rules. A pack once applying
        # stays (a removal cannot take a document out of a site's reach), and a removal can
        # bring a signature into reach, so every pass looks again.
        view = DocView(text, doc.title, self._time_limit(text), memo)
        look = self.ruleset.first_look(doc.url, view)
        timed_out = list(look.activation.timed_out)
        found: list[Span] = []
        for n in range(MAX_PASSES):
            if n:
                view = DocView(text, doc.title, self._time_limit(text), memo)
                look = self.ruleset.first_look(doc.url, view, look, found)
                timed_out.extend(t for t in look.activation.timed_out if t not in timed_out)
            found, held_now, timed_now = self._one_pass(view, look.candidates)
            held.extend(lift(spans, held_now, text) if spans else held_now)
            timed_out.extend(t for t in timed_now if t not in timed_out)
            if not found:
                break
            following = apply_spans(text, found)
            spans = compose(spans, found, text) if spans else found
            text = following
        return CleanResult(text, tuple(spans), tuple(held), tuple(timed_out))

    def _one_pass(
        self, view: DocView, candidates: list[Candidate]
    ) -> tuple[list[Span], list[Span], list[str]]:
        text = view.text
        raw: list[Span] = []
        guarded_ids: set[str] = set()
        timed_out: list[str] = []
        for rule, starts in candidates:
            try:
                found = rule.find(view, starts)
            except TimeoutError:
                timed_out.append(rule.id)
                continue
            raw.extend(found)
            if found and rule.spec.guard:
                guarded_ids.add(rule.id)
        if not raw:
            return [], [], timed_out
        spans = resolve(text, raw)
        allowed = self.max_removal * len(text)
        if _removed(spans) <= allowed:
            return spans, [], timed_out
        # What the guarded rules add beyond the exempt ones decides, seams included.
        exempt = resolve(text, [s for s in raw if s.rule_id not in guarded_ids])
        if _removed(spans) - _removed(exempt) <= allowed:
            return spans, [], timed_out
        held = [s for s in spans if s.rule_id in guarded_ids]
        return exempt, held, timed_out

    def _time_limit(self, text: str) -> float:
        return self.timeout * max(1.0, len(text) / 1_000_000)


def _removed(spans: list[Span]) -> int:
    return sum(s.end - s.start - len(s.replacement) for s in spans)


def _rebuild(ruleset: RuleSet, max_removal: float, timeout: float) -> Cleaner:
    return Cleaner(ruleset, max_removal=max_removal, timeout=timeout)
