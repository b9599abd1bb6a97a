"""The engine: which rules run where, what they remove, and the guards around them."""

from __future__ import annotations

import importlib.machinery
import os
import pickle
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner import Cleaner, Document, apply_spans, clean, engine_compiled
from cleaner import engine as engine_module

PACK = """
[pack]
id = "site"
description = "test site"
domains = ["example.com"]

[[rule]]
id = "tooltip"
kind = "span"
pattern = '(?<=\\b(?P<shown>[A-Z][a-z]+))(?P=shown)[^\\n]{1,400}? MORE\\b'
requires = [" MORE"]
guard = false

[[rule]]
id = "ad"
kind = "line"
pattern = 'ADVERTISEMENT'
requires = ["ADVERTISEMENT"]
"""

GENERIC = """
[pack]
id = "generic"
description = "everywhere"

[[rule]]
id = "credit"
kind = "span"
pattern = '\\(AP Photo/[^()\\n]{1,60}\\)'
requires = ["AP Photo/"]

[[rule]]
id = "newsletter"
kind = "phrase"
phrases = ["Sign up for our daily newsletter", "Follow us on Twitter"]
threshold = 88

[[rule]]
id = "stamp"
kind = "line"
pattern = '-?Updated \\d{1,2}:\\d\\d [ap]\\.m\\.'
requires = ["Updated"]
last_lines = 2

[[rule]]
id = "title"
kind = "repeated-title"
"""


@pytest.fixture
def cleaner(write_pack) -> Cleaner:
    return Cleaner.load(
        [write_pack(PACK, "site.toml"), write_pack(GENERIC, "generic.toml")], default_rules=False
    )


def test_site_rules_apply_only_to_their_domain(cleaner):
    text = "Intro.\nADVERTISEMENT\nOutro.\n"
    assert cleaner.clean(text, url="https://www.example.com/a") == "Intro.\nOutro.\n"
    assert cleaner.clean(text, url="https://news.example.com/a") == "Intro.\nOutro.\n"
    assert cleaner.clean(text, url="https://notexample.com/a") == text
    assert cleaner.clean(text) == text


def test_generic_rules_apply_everywhere(cleaner):
    text = "Crowds gathered (AP Photo/Jo Doe) outside.\n"
    assert cleaner.clean(text, url="https://elsewhere.org/x") == "Crowds gathered outside.\n"


def test_a_lone_surrogate_hides_no_literal_from_the_prefilter(cleaner):
    """Scraped JSON can carry lone surrogates; the literals around them are still found."""
    text = "The harbour bridge \ud800 reopened.\nADVERTISEMENT\nCrowds (AP Photo/Jo Doe) left.\n"
    cleaned = cleaner.clean(text, url="https://example.com/a")
    assert cleaned == "The harbour bridge \ud800 reopened.\nCrowds left.\n"


def test_group_references_keep_text_and_the_span_shows_only_the_removal(cleaner):
    text = "Senator SmithSmith says things MORE and others.\n"
    result = cleaner.explain(text, url="https://example.com/")
    assert result.text == "Senator Smith and others.\n"
    (span,) = result.spans
    assert text[span.start : span.end] == "Smith says things MORE"
    assert span.rule_id == "site.tooltip"
    assert apply_spans(text, result.spans) == result.text


def test_fuzzy_phrases_catch_variants_but_not_sentences(cleaner):
    text = "Body.\n\nSign up for our daily newsletters!\n\nWe did not sign up for this.\n"
    assert cleaner.clean(text) == "Body.\n\nWe did not sign up for this.\n"


def test_a_line_rule_respects_its_window(cleaner):
    body = "-Updated 7:32 p.m.\n\nOne.\n\nTwo.\n\nThree.\n\n-Updated 9:15 a.m.\n"
    assert cleaner.clean(body) == "-Updated 7:32 p.m.\n\nOne.\n\nTwo.\n\nThree.\n"


def test_repeated_title_keeps_the_first_copy(cleaner):
    text = "Big news about the harbour bridge\n\nBig news about the harbour bridge\nBody.\n"
    assert cleaner.clean(text) == "Big news about the harbour bridge\n\nBody.\n"


def test_repeated_title_matches_the_title_field_with_a_site_suffix(cleaner):
    text = "Big news about the harbour bridge\n\nbig news about the harbour bridge.\nBody.\n"
    title = "Big News About The Harbour Bridge | Example Times"
    assert cleaner.clean(text, title=title) == "Big news about the harbour bridge\n\nBody.\n"


def test_a_headline_quoted_later_in_the_body_survives(cleaner):
    text = "Big news about the harbour bridge\n\n" + "Para.\n\n" * 6
    text += "Big news about the harbour bridge\n"
    assert cleaner.clean(text) == text


def test_over_removal_guard_holds_back_guarded_rules(cleaner):
    text = "Sign up for our daily newsletter\nFollow us on Twitter\nShort.\n"
    result = cleaner.explain(text)
    assert result.text == text
    assert {s.rule_id for s in result.held_back} == {"generic.newsletter"}


def test_rules_exempt_from_the_guard_still_apply(cleaner):
    text = "Senator SmithSmith " + "headline words " * 20 + "MORE said.\n"
    result = cleaner.explain(text, url="https://example.com/")
    assert result.text == "Senator Smith said.\n"
    assert not result.held_back


def test_a_catastrophic_regex_times_out_and_the_document_survives(write_pack):
    pack = write_pack(
        '[pack]\nid = "slow"\n[[rule]]\nid = "bad"\nkind = "span"\npattern = \'(a|aa)+$\'\n'
    )
    cleaner = Cleaner.load([pack], default_rules=False, timeout=0.05)
    text = "a" * 60 + "b"
    result = cleaner.explain(text)
    assert result.text == text
    assert result.timed_out == ("slow.bad",)


PER_LINE = """
[pack]
id = "p"
[[rule]]
id = "note"
kind = "span"
pattern = '^Note: [^.]*\\. ?'
requires = ["Note:"]
per_line = true
"""


def test_a_per_line_rule_sees_each_line_as_a_whole_text(write_pack):
    """``^`` without ``(?m)`` anchors at every line start; the match never leaves its line."""
    cleaner = Cleaner.load([write_pack(PER_LINE)], default_rules=False)
    text = "Note: drafted. The plan stands.\nThe council met.\nNote: revised. Votes follow.\n"
    assert cleaner.clean(text) == "The plan stands.\nThe council met.\nVotes follow.\n"


def test_a_per_line_rule_shares_its_timeout_across_lines(write_pack):
    pack = write_pack(
        '[pack]\nid = "slow"\n[[rule]]\nid = "bad"\nkind = "span"\n'
        "pattern = '(a|aa)+$'\nrequires = [\"a\"]\nper_line = true\n"
    )
    cleaner = Cleaner.load([pack], default_rules=False, timeout=0.05)
    text = ("a" * 40 + "b\n") * 20
    result = cleaner.explain(text)
    assert result.text == text
    assert result.timed_out == ("slow.bad",)


BODY = "The council met on Tuesday and voted on the budget for the coming year.\n"


def one_line_rule(write_pack, pattern: str, literal: str, *, ignore_case: bool = False):
    """A cleaner with a single line rule, ``p.rule``."""
    pack = write_pack(
        f'[pack]\nid = "p"\n[[rule]]\nid = "rule"\nkind = "line"\npattern = \'{pattern}\'\n'
        f'requires = ["{literal}"]\nignore_case = {str(ignore_case).lower()}\n'
    )
    return Cleaner.load([pack], default_rules=False)


def test_a_line_rule_matches_the_line_without_the_space_around_it(write_pack):
    """``^`` and ``$`` are the ends of the line's text, however it is indented."""
    cleaner = one_line_rule(write_pack, "^Advertisement$", "Advertisement")
    assert cleaner.clean(BODY + " \t Advertisement\u00a0 \n" + BODY) == BODY + BODY
    assert cleaner.clean(BODY + "Advertisement: read on\n") == BODY + "Advertisement: read on\n"


def test_required_literals_match_as_written_and_ignore_case_is_for_the_pattern(write_pack):
    cleaner = one_line_rule(write_pack, "sponsored content", "Sponsored", ignore_case=True)
    assert cleaner.clean(BODY + "Sponsored CONTENT\n") == BODY
    assert cleaner.clean(BODY + "SPONSORED CONTENT\n") == BODY + "SPONSORED CONTENT\n"


def test_disable_by_rule_or_pack(write_pack):
    paths = [write_pack(PACK, "site.toml"), write_pack(GENERIC, "generic.toml")]
    text = "A shot (AP Photo/Jo Doe) here.\n"
    assert Cleaner.load(paths, default_rules=False, disable=["generic.credit"]).clean(text) == text
    assert Cleaner.load(paths, default_rules=False, disable=["generic"]).clean(text) == text


def test_a_cleaner_survives_pickling(cleaner):
    clone = pickle.loads(pickle.dumps(cleaner))
    text = "Crowds gathered (AP Photo/Jo Doe) outside.\n"
    assert clone.clean(text) == cleaner.clean(text)


def test_results_survive_pickling_as_workers_send_them(cleaner):
    result = cleaner.explain("Crowds gathered (AP Photo/Jo Doe) outside.\n")
    assert pickle.loads(pickle.dumps(result)) == result


def test_unchanged_documents_report_no_spans(cleaner):
    result = cleaner.clean_document(Document("Nothing to see here.\n"))
    assert result.text == "Nothing to see here.\n"
    assert result.spans == ()
    assert not result.changed


# --- properties over documents built from artifact and prose lines ------------------------------

FRAGMENTS = [
    "Crowds gathered (AP Photo/Jo Doe) outside.",
    "(AP Photo/Jo Doe)",
    "Sign up for our daily newsletter",
    "ADVERTISEMENT",
    "-Updated 7:32 p.m.",
    "Senator SmithSmith says things MORE and others.",
    "Big news about the harbour bridge",
    "The council met on Tuesday to discuss the budget.",
    "No more wars, they said.",
    "",
    "  ",
]
documents = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12).map("\n".join)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(text=documents, trailing=st.booleans())
def test_cleaning_is_idempotent_and_spans_replay(cleaner, text, trailing):
    text += "\n" if trailing else ""
    url = "https://example.com/story"
    first = cleaner.explain(text, url=url)
    assert apply_spans(text, first.spans) == first.text
    assert cleaner.clean(first.text, url=url) == first.text


def test_seed_like_article_reads_as_an_editor_would_leave_it(cleaner):
    raw = textwrap.dedent(
        """\
        Big news about the harbour bridge

        Big news about the harbour bridge
        The mayor SmithSmith Mayor opens new park MORE and the council agreed (AP Photo/Jo Doe).

        ADVERTISEMENT

        Work starts in May.

        -Updated 7:32 p.m.
        """
    )
    assert cleaner.clean(raw, url="https://example.com/x") == textwrap.dedent(
        """\
        Big news about the harbour bridge

        The mayor Smith and the council agreed.

        Work starts in May.
        """
    )


# --- the guard on real-shaped documents, with the default packs ---------------------------------


def test_tooltip_cards_over_half_of_an_article_are_still_removed():
    card = "Jane Q. DoeSenate weighs farm bill | Governor signs budget | Talks stall on roads MORE"
    raw = (
        f"Sen. Jane Doe {card} said on Monday that the vote would wait.\n\n"
        f"Her colleague Sen. Jane Doe {card} disagreed.\n\n"
        f"Aides to Sen. Jane Doe {card} declined to comment.\n"
    )
    result = Cleaner.load().explain(raw, url="https://thehill.com/homenews/senate/1")
    assert result.removed_chars() > len(raw) / 2
    assert result.text == (
        "Sen. Jane Doe said on Monday that the vote would wait.\n\n"
        "Her colleague Sen. Jane Doe disagreed.\n\n"
        "Aides to Sen. Jane Doe declined to comment.\n"
    )
    assert not result.held_back


@pytest.mark.parametrize(
    ("run", "before_more", "removed"),
    [(900, " ", True), (901, " ", False), (900, "", True), (901, "", False)],
)
def test_a_tooltip_card_holds_at_most_900_characters_of_headlines(run, before_more, removed):
    # MORE ends the card after a space or straight after a lowercase letter; either way the
    # headlines before it are bounded, so a stray MORE far down a paragraph is not a card end.
    headlines = ("Senators weigh farm bill | Talks stall on roads | " * 30)[:run]
    if not before_more:
        headlines = headlines[:-1] + "s"
    raw = f"Sen. Jane DoeJane Q. Doe{headlines}{before_more}MORE said on Monday.\n"
    cleaned = clean(raw, url="https://thehill.com/homenews/senate/1")
    assert cleaned == ("Sen. Jane Doe said on Monday.\n" if removed else raw)


def test_a_stub_page_of_mostly_prompts_is_left_whole_and_reported():
    raw = (
        "Advertisement\n\n"
        "Sign up for our daily newsletter\n\n"
        "Follow us on Twitter\n\n"
        "Share this article\n\n"
        "The page has moved.\n"
    )
    result = Cleaner.load().explain(raw, url="https://example.org/page")
    assert result.text == raw
    assert result.spans == ()
    assert len(result.held_back) >= 3


# -- building a cleaner ----------------------------------------------------------------------


def test_a_cleaner_is_built_from_compiled_packs_without_reading_a_file(tmp_path):
    from cleaner.compile import compile_packs
    from cleaner.rulespec import load_pack

    path = tmp_path / "site.toml"
    path.write_text(PACK, encoding="utf-8")
    ruleset = compile_packs([load_pack(path)])
    path.unlink()  # from here on, nothing may read it: not the cleaner, not a pickled copy
    cleaner = Cleaner(ruleset, max_removal=0.9)
    copy = pickle.loads(pickle.dumps(cleaner))
    text = "Intro line of the story.\nADVERTISEMENT\nThe rest of the story."
    expected = "Intro line of the story.\nThe rest of the story."
    assert cleaner.clean(text, url="https://example.com/a") == expected
    assert copy.clean(text, url="https://example.com/a") == expected
    assert (copy.max_removal, copy.timeout) == (0.9, cleaner.timeout)


def test_settings_and_load_give_the_same_cleaner():
    from cleaner import Settings

    by_settings = Cleaner.from_settings(Settings(disable=("thehill",), max_removal=0.4))
    by_keywords = Cleaner.load(disable=["thehill"], max_removal=0.4)
    assert [r.id for r in by_settings.ruleset.rules] == [r.id for r in by_keywords.ruleset.rules]
    assert "thehill.person-tooltip" not in {r.id for r in by_settings.ruleset.rules}
    assert by_settings.max_removal == 0.4


@pytest.mark.parametrize("limits", [{"max_removal": 0.0}, {"max_removal": 1.5}, {"timeout": 0}])
def test_limits_that_cannot_work_are_refused(limits):
    from cleaner.compile import compile_packs

    with pytest.raises(ValueError, match="must be"):
        Cleaner(compile_packs([]), **limits)


def test_a_cleaner_from_a_relative_pack_path_unpickles_in_another_directory(tmp_path, monkeypatch):
    """What a remote worker does with a task: no pack path is read there, so a path that only
    made sense where the client ran cannot kill it."""
    import subprocess
    import sys

    here, elsewhere = tmp_path / "client", tmp_path / "worker"
    here.mkdir()
    elsewhere.mkdir()
    (here / "site.toml").write_text(PACK, encoding="utf-8")
    monkeypatch.chdir(here)
    (tmp_path / "cleaner.pickle").write_bytes(pickle.dumps(Cleaner.load(["site.toml"])))
    script = (
        "import pickle, sys; c = pickle.load(open(sys.argv[1], 'rb')); "
        "print(c.clean('Intro line of the story.\\nADVERTISEMENT\\nThe rest of it.', "
        "url='https://example.com/a'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "cleaner.pickle")],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Intro line of the story.\nThe rest of it.\n"


def test_engine_compiled_says_whether_the_engine_was_loaded_as_a_c_extension():
    # CI runs the suite a second time on a mypyc build and says so in CLEANER_EXPECT_COMPILED,
    # so that run cannot pass on the Python sources by mistake.
    loader = engine_module.__loader__
    assert engine_compiled() is isinstance(loader, importlib.machinery.ExtensionFileLoader)
    expected = os.environ.get("CLEANER_EXPECT_COMPILED")
    if expected is not None:
        assert engine_compiled() is (expected == "1")
