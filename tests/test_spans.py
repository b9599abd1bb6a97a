"""Span resolution: the edits read like an editor made them, and replay exactly."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from cleaner.spans import Edits, apply_spans, resolve
from cleaner.types import Span


def clean_with(text: str, *cuts: tuple[str, str]) -> str:
    """Remove each (substring, rule) once, through resolve, and return the result."""
    spans = []
    for needle, rule in cuts:
        start = text.index(needle)
        spans.append(Span(start, start + len(needle), rule))
    return apply_spans(text, resolve(text, spans))


def test_a_removed_line_takes_its_line_break():
    assert clean_with("one\nADVERTISEMENT\ntwo\n", ("ADVERTISEMENT", "ad")) == "one\ntwo\n"


def test_a_removed_paragraph_leaves_one_blank_line_not_two():
    text = "First paragraph.\n\nADVERTISEMENT\n\nSecond paragraph.\n"
    assert clean_with(text, ("ADVERTISEMENT", "ad")) == "First paragraph.\n\nSecond paragraph.\n"


def test_removal_at_the_top_leaves_no_leading_blank_line():
    assert clean_with("Headline\n\nBody.\n", ("Headline", "t")) == "Body.\n"


def test_removal_at_the_end_leaves_no_trailing_blank_lines():
    assert clean_with("Body.\n\n-Updated 7:32 p.m.\n", ("-Updated 7:32 p.m.", "u")) == "Body.\n"


def test_a_text_without_final_line_break_keeps_that_shape():
    assert clean_with("Body.\n\n-Updated 7:32 p.m.", ("-Updated 7:32 p.m.", "u")) == "Body."


def test_blank_runs_the_original_had_are_kept():
    text = "One.\n\n\nTwo.\nAD\n\nThree.\n"
    assert clean_with(text, ("AD", "ad")) == "One.\n\n\nTwo.\n\nThree.\n"


def test_inline_removal_leaves_one_space():
    assert clean_with("a credit (AP Photo/Jo Doe) b", ("(AP Photo/Jo Doe)", "c")) == "a credit b"


def test_inline_removal_before_punctuation_drops_the_space():
    assert clean_with("Text (AP Photo/Jo Doe).", ("(AP Photo/Jo Doe)", "c")) == "Text."


def test_inline_removal_at_line_start_drops_the_space_after():
    assert clean_with("(AP Photo/Jo) Text.", ("(AP Photo/Jo)", "c")) == "Text."


def test_removal_that_would_glue_two_words_leaves_a_space():
    text = "word(credit)word"
    spans = resolve(text, [Span(4, 12, "c")])
    assert apply_spans(text, spans) == "word word"
    assert spans == [Span(4, 12, "c", " ")]


def test_neighbouring_removals_on_a_line_leave_one_space():
    text = "x (AP) (Getty) y"
    assert clean_with(text, ("(AP)", "a"), ("(Getty)", "b")) == "x y"


def test_a_span_that_empties_its_line_removes_the_line():
    text = "Body.\nPhoto: Jo Doe / Agency\nMore.\n"
    spans = resolve(text, [Span(6, 12, "a"), Span(13, 28, "b")])
    assert apply_spans(text, spans) == "Body.\nMore.\n"


def test_overlapping_deletions_become_their_union():
    text = "x aaaa bbbb y"
    assert resolve(text, [Span(2, 8, "a"), Span(5, 11, "b")]) == [Span(2, 12, "a")]


def test_a_replacement_loses_to_an_earlier_overlapping_edit():
    text = "x aaaa bbbb y"
    spans = resolve(text, [Span(2, 8, "a"), Span(5, 11, "b", "X")])
    assert [s.rule_id for s in spans] == ["a"]
    assert apply_spans(text, spans) == "x bbb y"


def test_crlf_lines_are_removed_whole():
    text = "one\r\nADVERTISEMENT\r\ntwo\r\n"
    assert clean_with(text, ("ADVERTISEMENT", "ad")) == "one\r\ntwo\r\n"


# --- properties ---------------------------------------------------------------------------------

ALPHABET = st.sampled_from([*list("ab .,\n\n  \t\r("), "word", "\n\n"])
texts = st.lists(ALPHABET, max_size=40).map("".join)
REPLACEMENTS = ["", "", "", "X", "yz"]


@st.composite
def text_and_spans(draw: st.DrawFn) -> tuple[str, list[Span]]:
    text = draw(texts)
    n = len(text)
    spans = []
    for _ in range(draw(st.integers(0, 5))):
        start = draw(st.integers(0, n))
        end = draw(st.integers(start, min(n, start + 12)))
        spans.append(
            Span(start, end, draw(st.sampled_from("abc")), draw(st.sampled_from(REPLACEMENTS)))
        )
    return text, spans


@given(text_and_spans())
def test_resolved_spans_are_sorted_disjoint_and_in_bounds(case):
    text, raw = case
    spans = resolve(text, raw)
    for span in spans:
        assert 0 <= span.start <= span.end <= len(text)
    for left, right in itertools.pairwise(spans):
        assert left.end <= right.start


@given(text_and_spans())
def test_no_text_is_inserted_beyond_declared_replacements(case):
    text, raw = case
    declared = {s.replacement for s in raw} | {"", " "}
    assert {s.replacement for s in resolve(text, raw)} <= declared


@given(text_and_spans())
def test_every_resolved_span_is_attributed_to_a_proposing_rule(case):
    text, raw = case
    assert {s.rule_id for s in resolve(text, raw)} <= {s.rule_id for s in raw}


@given(text_and_spans())
def test_deletions_only_ever_shorten_the_text(case):
    text, raw = case
    deletions = [s for s in raw if not s.replacement]
    out = apply_spans(text, resolve(text, deletions))
    assert len(out) <= len(text)


@given(texts)
def test_no_spans_change_nothing(text):
    assert resolve(text, []) == []
    assert apply_spans(text, []) == text


@given(text_and_spans(), st.data())
def test_composed_spans_do_what_two_passes_do(case, data):
    from cleaner.spans import compose

    text, raw = case
    first = resolve(text, raw)
    middle = apply_spans(text, first)
    n = len(middle)
    raw2 = []
    for _ in range(data.draw(st.integers(0, 4))):
        start = data.draw(st.integers(0, n))
        end = data.draw(st.integers(start, min(n, start + 10)))
        raw2.append(Span(start, end, "second", data.draw(st.sampled_from(REPLACEMENTS))))
    second = resolve(middle, raw2)
    both = compose(first, second, middle)
    assert apply_spans(text, both) == apply_spans(middle, second)


# --- edits seen from the text they produced -----------------------------------------------------


def test_old_text_untouched_by_an_edit_moves_by_what_the_edits_before_it_changed():
    # "one two three four" -> "one 2 three four": "three" moved back by two.
    edits = Edits([Span(4, 7, "r", "2")])
    assert edits.moved(0, 3) == 0
    assert edits.moved(8, 13) == 6
    assert edits.moved(5, 10) is None  # the edit changed part of it


def test_old_text_next_to_a_deletion_is_still_old_text():
    edits = Edits([Span(3, 6, "r")])  # "abcXYZdef" -> "abcdef"
    assert edits.moved(0, 3) == 0
    assert edits.moved(6, 9) == 3
    assert edits.moved(2, 7) is None


def test_new_text_is_what_crosses_a_replacement_or_a_deletion_point():
    edits = Edits([Span(3, 6, "r"), Span(8, 9, "r", "xy")])  # "abcXYZdeFgh" -> "abcdexygh"
    assert edits.images == [(3, 3), (5, 7)]
    assert not edits.is_new(0, 3)
    assert not edits.is_new(3, 5)
    assert edits.is_new(2, 4)  # "cd", which the deletion brought together
    assert edits.is_new(6, 7)
    assert not edits.is_new(7, 9)


def test_the_windows_around_edits_merge_where_they_meet():
    edits = Edits([Span(10, 12, "r"), Span(14, 15, "r"), Span(40, 41, "r", "x")])
    assert edits.images == [(10, 10), (12, 12), (37, 38)]
    assert edits.around_images(3, 40) == [(7, 15), (34, 40)]


@given(text_and_spans(), st.integers(0, 6))
def test_moved_old_text_reads_the_same_in_the_new_text(case, width):
    text, raw = case
    spans = resolve(text, raw)
    edits, new = Edits(spans), apply_spans(text, spans)
    for start in range(len(text) - width + 1):
        at = edits.moved(start, start + width)
        if at is not None:
            assert new[at : at + width] == text[start : start + width]
            assert not edits.is_new(at, at + width)
