"""Every shipped rule keeps its own promises: its examples clean as stated, its keeps survive."""

from __future__ import annotations

import pytest

from cleaner import Cleaner
from cleaner.rulespec import default_pack_paths
from cleaner.selftest import run_selftest

DEFAULT = Cleaner.load()
CASES = list(run_selftest(DEFAULT))


def test_default_packs_are_shipped():
    names = {p.name for p in default_pack_paths()}
    assert {"generic.toml", "thehill.toml"} <= names


def test_every_rule_has_examples_and_keeps():
    for pack in DEFAULT.packs:
        for rule in pack.rules:
            assert rule.examples, f"{rule.qualified_id} has no examples"
            assert rule.keep, f"{rule.qualified_id} has no keep"


@pytest.mark.parametrize(
    "failure",
    [f for _, f in CASES],
    ids=[f"{rule.qualified_id}-{n}" for n, (rule, _) in enumerate(CASES)],
)
def test_rule_promise(failure):
    assert failure is None, str(failure)
