"""Matcher shortcuts: each fast path gives exactly what its plain definition gives."""

from __future__ import annotations

import regex
from hypothesis import given
from hypothesis import strategies as st

from cleaner.compile import _Literals
from cleaner.matchers import (
    _TITLE_SUFFIX,
    RepeatedTitleMatcher,
    _ascii_alnum_count,
    _title_forms,
    _without_site_suffix,
)
from cleaner.rulespec import RuleSpec
from cleaner.spans import Edits, apply_spans, resolve
from cleaner.types import Span
from cleaner.view import LINE_SPACE, DocView, normalise

# Text that looks like headlines and credits, with the characters the shortcuts care about.
_ALPHABET = st.sampled_from([*"aZ09 _-|–—.,’“”…'\t\u00a0\u2003é", "İ", "ß", "\u0301", "²"])
_texts = st.text(_ALPHABET, max_size=120) | st.text(max_size=60)


def test_line_space_is_the_white_space_of_regex_without_the_newline():
    space = regex.compile(r"[^\S\n]")
    assert sorted(LINE_SPACE) == [c for c in map(chr, range(0x110000)) if space.match(c)]


_lines = st.text(st.sampled_from([*"ab \t\r\n\x0b\x1c\u2028\u3000\u00a0"]), max_size=40)


@given(_lines, st.integers(1, 6))
def test_non_blank_lines_are_the_lines_holding_what_regex_calls_non_space(text, n):
    """Windows and repeated-title see the same lines, whether the whole text or its top is read."""
    expected = [m.span() for m in regex.finditer(r"(?m)^[^\S\n]*\S[^\n]*", text)]
    assert DocView(text, None, 1.0).nonblank_lines == expected
    assert DocView(text, None, 1.0).first_nonblank_lines(n) == expected[:n]


@given(_texts)
def test_normalise_folds_case_and_punctuation_like_its_definition(text):
    assert normalise(text) == regex.sub(r"[\W_]+", " ", text.lower()).strip()


@given(_texts)
def test_the_site_suffix_shortcut_cuts_what_the_pattern_cuts(text):
    stripped = text.strip()
    assert _without_site_suffix(stripped) == _TITLE_SUFFIX.sub("", stripped)


_literals = st.lists(st.text(st.sampled_from("abAB -é"), min_size=1, max_size=4), max_size=8)


@given(_literals, st.text(st.sampled_from("abAB -é\ud800"), max_size=80))
def test_literal_search_finds_every_occurrence_overlaps_included(literals, text):
    # Up to _Literals.FEW literals are found with str.find, more with the automaton.
    automaton = _Literals((lit, i) for i, lit in enumerate(literals))
    occurrences = automaton.occurrences(text)
    assert all(text[start:end] == automaton.literals[i] for i, start, end in occurrences)
    found = {(owner, start) for i, start, _ in occurrences for owner in automaton.owners[i]}
    expected = {
        (i, at)
        for i, lit in enumerate(literals)
        for at in range(len(text))
        if text.startswith(lit, at)
    }
    assert found == expected


@given(_texts)
def test_counting_ascii_letters_and_digits_never_overestimates_a_normalised_length(text):
    """Repeated-title skips lines by this count; it must be a lower bound to skip safely."""
    assert _ascii_alnum_count(text) <= len(normalise(text))


_words = st.lists(st.sampled_from(["Senate", "vote", "bill", "É", "a", "the", "—", "|", "Hill"]))


@given(_words, _words, st.text(_ALPHABET, max_size=6))
def test_repeated_title_length_bands_only_skip_lines_that_cannot_match(head, title, noise):
    """The band check answers as the full comparison does, near the edges of the bands too:
    copies of the references grown or cut by up to a third."""
    matcher = RepeatedTitleMatcher(RuleSpec(pack="p", id="t", kind="repeated-title", source="-"))
    first_line, doc_title = " ".join(head) + noise, " ".join(title)
    first, titles, bands, _ = matcher._references(first_line, doc_title)
    for ref in (first_line, doc_title):
        for k in range(len(ref) // 3 + 2):
            for line in (f"{ref} {'x' * k}", ref[: len(ref) - k], f"{'é' * k} {ref}"):
                forms = _title_forms(line)
                expected = (matcher._matches(forms, first), matcher._matches(forms, titles))
                assert matcher._verdict(line, first, titles, bands) == expected


@given(_literals, st.text(st.sampled_from("abAB -é"), max_size=80), st.data())
def test_searching_only_near_the_edits_finds_what_a_full_search_finds(literals, text, data):
    automaton = _Literals((lit, i) for i, lit in enumerate(literals))
    raw = []
    for _ in range(data.draw(st.integers(0, 4))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 8)))
        raw.append(Span(start, end, "r", data.draw(st.sampled_from(["", " ", "a", "bA", "-é"]))))
    spans = resolve(text, raw)
    new = apply_spans(text, spans)
    rescanned = automaton.occurrences(new, automaton.occurrences(text), Edits(spans))
    assert sorted(rescanned) == sorted(automaton.occurrences(new))
