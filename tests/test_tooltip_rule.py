"""The person-tooltip rule, written as commented fragments, matches exactly what its earlier
one-line form matched: the same spans and the same replacements, on every line of the real
sets and the samples that holds MORE, and on generated name-and-headline strings."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner import Cleaner
from cleaner.matchers import SpanMatcher

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
ONE_LINE = (Path(__file__).parent / "fixtures" / "person-tooltip-one-line.regex").read_text()


@pytest.fixture(scope="module")
def rule() -> SpanMatcher:
    found = next(r for r in Cleaner.load().ruleset.rules if r.id == "thehill.person-tooltip")
    assert isinstance(found, SpanMatcher)
    return found


@pytest.fixture(scope="module")
def one_line() -> regex.Pattern[str]:
    return regex.compile(ONE_LINE.rstrip("\n"), regex.VERSION0)


def matches(pattern: regex.Pattern[str], template: str, line: str) -> list[tuple[int, int, str]]:
    return [(*m.span(), m.expand(template)) for m in pattern.finditer(line, timeout=10)]


def more_lines() -> Iterator[str]:
    """Every line holding MORE: in the samples, and in the real sets where they are here."""
    texts: list[str] = [
        p.read_text(encoding="utf-8") for p in (ROOT / "corpus_samples").rglob("*.txt")
    ]
    texts += [
        json.loads(line)["text"]
        for line in (ROOT / "corpus_samples" / "news.jsonl").read_text().splitlines()
    ]
    for name in ("news-abp-dev.jsonl.gz", "readability-pages.jsonl.gz"):
        path = SHARED_DATA / name
        if path.exists():
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                for row in map(json.loads, fh):
                    texts += [
                        row[k] for k in ("text", "text_fullpage", "text_trafilatura") if k in row
                    ]
    for text in texts:
        yield from (line for line in text.split("\n") if "MORE" in line)


def test_the_fragments_expand_to_a_pattern_matching_as_the_one_line_form(
    rule: SpanMatcher, one_line: regex.Pattern[str]
) -> None:
    lines = list(more_lines())
    assert len(lines) > 20
    differ = [
        line
        for line in lines
        if matches(rule.pattern, rule.template, line) != matches(one_line, rule.template, line)
    ]
    assert differ == []
    assert any(matches(one_line, rule.template, line) for line in lines)


PIECES = [
    "Tom", "Cotton", "CottonTom", "Trump", "TrumpDonald", "Donald", "John", "Sarah", "Huckabee",
    "Sanders", "SandersWhite", "Mitch", "McConnell", "Addison", "(Mitch)", "Mitchell", "O'Rourke",
    "Beto", "Jr.", "III", "de", "Al", "Ed", "Pelosi", "PelosiHouse", "House", "passes", "bill",
    "Senate", "says", "MORE", "MORE’s", "MORE,", "(R-Ky.)", "FROM", "I", "|", "2020", "“Quote”",
    "’s", "St.", "Kennedy", "x" * 300,
]  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(PIECES), st.sampled_from(["", " ", " ", " ", "\n"])),
        min_size=2,
        max_size=24,
    )
)
def test_generated_names_and_headlines_match_alike(
    rule: SpanMatcher, one_line: regex.Pattern[str], parts: list[tuple[str, str]]
) -> None:
    line = "".join(word + gap for word, gap in parts)
    assert matches(rule.pattern, rule.template, line) == matches(one_line, rule.template, line)


NAMES = ["Tom", "Mitch", "Sarah", "Beto", "Al", "Nancy", "Addison (Mitch)", "J.", "de", "Ben"]
SURNAMES = ["Cotton", "McConnell", "Sanders", "O'Rourke", "Ocasio-Cortez", "Pallone Jr.", "Kim"]
HEADLINES = ["Senate passes bill", "2020 race tightens", "“Quote” of the day", "GOP | Dems", ""]
TAILS = ["", " and", "’s", ", who", " (R-Ky.)", "]", " FROM", " III said", " Sanders told"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shown=st.tuples(st.sampled_from(NAMES), st.sampled_from(SURNAMES)),
    card=st.lists(st.sampled_from(NAMES), max_size=3),
    surname=st.sampled_from(SURNAMES),
    gaps=st.tuples(*[st.sampled_from(["", " "])] * 2),
    headlines=st.lists(st.sampled_from(HEADLINES), max_size=3),
    tail=st.sampled_from(TAILS),
)
def test_generated_cards_match_alike(
    rule: SpanMatcher,
    one_line: regex.Pattern[str],
    shown: tuple[str, str],
    card: list[str],
    surname: str,
    gaps: tuple[str, str],
    headlines: list[str],
    tail: str,
) -> None:
    name = " ".join([*card, surname])
    line = f"Sen. {shown[0]} {shown[1]}{gaps[0]}{name}{gaps[1]}{' '.join(headlines)} MORE{tail}."
    assert matches(rule.pattern, rule.template, line) == matches(one_line, rule.template, line)
