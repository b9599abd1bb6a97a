"""Run every rule's own examples and keeps: the contract each rule states about itself."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cleaner.compile import compile_packs
from cleaner.engine import Cleaner
from cleaner.rulespec import PackSpec


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


def run_selftest(cleaner: Cleaner) -> Iterator[tuple[str, Failure | None]]:
    """Yield (rule id, failure or None) for every example and keep of every loaded rule.

    An example runs with its rule alone; a keep must survive every loaded pack.
    """
    for pack in cleaner.packs:
        url = url_for(pack)
        for spec in pack.rules:
            alone = compile_packs([PackSpec(pack.id, "", pack.domains, (spec,), pack.source)])
            for example in spec.examples:
                got = cleaner.with_ruleset(alone).clean(example.raw, url=url)
                ok = got == example.clean
                yield (
                    spec.qualified_id,
                    None
                    if ok
                    else Failure(
                        spec.qualified_id, pack.source, "example", example.raw, example.clean, got
                    ),
                )
            for kept in spec.keep:
                got = cleaner.clean(kept, url=url)
                yield (
                    spec.qualified_id,
                    None
                    if got == kept
                    else Failure(spec.qualified_id, pack.source, "keep", kept, kept, got),
                )
