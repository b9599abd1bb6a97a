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

    def __str__(self) -> str:
        return (
            f"{self.source}: rule {self.rule_id} -> {self.what}: "
            f"given {self.given!r}\n  expected {self.expected!r}\n  got      {self.got!r}"
        )


def url_for(pack: PackSpec) -> str | None:
    """A url the pack applies to, so site rules are tried on their own examples."""
    return f"https://www.{pack.domains[0]}/article" if pack.domains else None


def run_selftest(cleaner: Cleaner) -> Iterator[tuple[RuleSpec, Failure | None]]:
    """Yield (rule, failure or None) for every example and keep of every loaded rule.

    An example runs with its rule alone and without the over-removal guard (examples are
    short, so the rule's own edit is most of them); a keep must survive every loaded pack.
    """
    for pack in cleaner.packs:
        url = url_for(pack)
        for spec in pack.rules:
            # A disabled rule's examples still say what it would do once enabled.
            on = replace(spec, enabled=True)
            alone = compile_packs([PackSpec(pack.id, "", pack.domains, (on,), pack.source)])
            rule_alone = cleaner.with_ruleset(alone, max_removal=1.0)
            for example in spec.examples:
                got = rule_alone.clean(example.raw, url=url)
                yield spec, _failure(spec, "example", example.raw, example.clean, got)
            for kept in spec.keep:
                yield spec, _failure(spec, "keep", kept, kept, cleaner.clean(kept, url=url))


def _failure(spec: RuleSpec, what: str, given: str, expected: str, got: str) -> Failure | None:
    if got == expected:
        return None
    return Failure(spec.qualified_id, spec.source, what, given, expected, got)
