"""`rules test`: a rule's examples and keeps hold it to what it says, and a failure says why."""

from __future__ import annotations

from cleaner import Cleaner
from cleaner.selftest import run_selftest

PACK = """
[pack]
id = "mine"

[[rule]]
id = "promo"
kind = "line"
pattern = 'Buy the paper today!?'
requires = ["{literal}"]
examples = [{{ raw = "Story.\\nBuy the paper today!\\nMore.", clean = "Story.\\nMore." }}]
keep = ["{keep}"]
"""


def failures(write_pack, literal: str = "Buy the paper", keep: str = "A quiet line.") -> list:
    pack = write_pack(PACK.format(literal=literal, keep=keep))
    cleaner = Cleaner.load([pack], default_rules=False)
    return [f for _, f in run_selftest(cleaner) if f is not None]


def test_a_rule_that_keeps_its_word_passes(write_pack):
    assert failures(write_pack) == []


def test_a_misspelt_literal_is_named_as_the_reason_an_example_is_left_alone(write_pack):
    (failure,) = failures(write_pack, literal="Buy teh paper")
    assert failure.what == "example"
    assert "the prefilter skipped the rule" in failure.why
    assert "'Buy teh paper'" in str(failure)


def test_a_keep_fails_when_the_rule_matches_it_even_if_the_guard_would_hold_it(write_pack):
    # Alone on its line the keep is all of the text, so a full run's guard would save it.
    (failure,) = failures(write_pack, keep="Buy the paper today!")
    assert failure.what == "keep"
    assert failure.got == ""
    assert "the rule itself matches it" in failure.why
