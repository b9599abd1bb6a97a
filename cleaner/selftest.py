"""Run every rule's own examples and keeps: the contract each rule states about itself."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from cleaner.compile import compile_packs
from cleaner.engine import Cleaner
from cleaner.rulespec import PackSpec, RuleSpec


@dataclass(frozen=True, slots=True)
class Failure:
    rule_id: str
    source: str
    what: str  # "example" or "keep"
    given: str
    expected: str
    got: str
    why: str = ""  # what explains it, where something does

    def __str__(self) -> str:
        why = f"\n  why      {self.why}" if self.why else ""
        return (
            f"{self.source}: rule {self.rule_id} -> {self.what}: "
            f"given {self.given!r}\n  expected {self.expected!r}\n  got      {self.got!r}{why}"
        )


def url_for(pack: PackSpec) -> str | None:
    """A url the pack applies to, so site rules are tried on their own examples."""
    return f"https://www.{pack.domains[0]}/article" if pack.domains else None


def rule_alone(cleaner: Cleaner, pack: PackSpec, spec: RuleSpec) -> Cleaner:
    """``cleaner``'s settings with ``spec`` as the only rule and no over-removal guard: what a
    rule's examples and keeps are held to. A disabled rule is enabled here: its examples still
    say what it would do."""
    on = replace(spec, enabled=True)
    alone = compile_packs([PackSpec(pack.id, "", pack.domains, (on,), pack.source)])
    return cleaner.with_ruleset(alone, max_removal=1.0)


def run_selftest(cleaner: Cleaner) -> Iterator[tuple[RuleSpec, Failure | None]]:
    """Yield (rule, failure or None) for every example and keep of every loaded rule.

    An example runs with its rule alone and without the over-removal guard (examples are
    short, so the rule's own edit is most of them); a keep must survive every loaded pack.
    """
    for pack in cleaner.packs:
        url = url_for(pack)
        for spec in pack.rules:
            alone = rule_alone(cleaner, pack, spec)
            for example in spec.examples:
                got = alone.clean(example.raw, url=url)
                failure = _failure(spec, "example", example.raw, example.clean, got)
                if failure is not None and got == example.raw:
                    failure = replace(failure, why=_skipped(spec, example.raw))
                yield spec, failure
            for kept in spec.keep:
                # The rule alone, without the guard: a keep the guard saves in a full run is
                # still one the rule would take.
                alone_got = alone.clean(kept, url=url)
                if alone_got != kept:
                    why = "the rule itself matches it (a full run may hide that behind the guard)"
                    yield (
                        spec,
                        Failure(spec.qualified_id, spec.source, "keep", kept, kept, alone_got, why),
                    )
                    continue
                yield spec, _failure(spec, "keep", kept, kept, cleaner.clean(kept, url=url))


def _skipped(spec: RuleSpec, raw: str) -> str:
    """Why a rule left an example alone, where the prefilter explains it."""
    if spec.requires and not any(literal in raw for literal in spec.requires):
        listed = ", ".join(repr(literal) for literal in spec.requires)
        return (
            f"the prefilter skipped the rule: the example holds none of its requires literals "
            f"({listed}), matched exactly as written"
        )
    return "the rule found nothing in it"


def _failure(spec: RuleSpec, what: str, given: str, expected: str, got: str) -> Failure | None:
    if got == expected:
        return None
    return Failure(spec.qualified_id, spec.source, what, given, expected, got)
