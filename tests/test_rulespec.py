"""A malformed rule pack is refused with file, rule id, field and what is wrong."""

from __future__ import annotations

import pytest

from cleaner import Cleaner, RuleFileError

GOOD_RULE = """
[[rule]]
id = "ad"
kind = "line"
pattern = 'ADVERTISEMENT'
requires = ["ADVERTISEMENT"]
"""


def refusal(write_pack, body: str) -> str:
    path = write_pack(body)
    with pytest.raises(RuleFileError) as err:
        Cleaner.load([path], default_rules=False)
    return str(err.value).replace(str(path), "PACK")


def test_a_valid_pack_loads(write_pack):
    cleaner = Cleaner.load([write_pack('[pack]\nid = "mine"\n' + GOOD_RULE)], default_rules=False)
    assert [r.id for r in cleaner.ruleset.rules] == ["mine.ad"]


def test_bad_regex_names_rule_field_and_position(write_pack):
    body = '[pack]\nid = "x"\n[[rule]]\nid = "tooltip"\nkind = "span"\npattern = \'abc(def\'\n'
    assert refusal(write_pack, body) == ("PACK: rule x.tooltip -> pattern: missing ) at 7")


def test_unknown_key_is_named(write_pack):
    body = '[pack]\nid = "x"\n' + GOOD_RULE + "treshold = 80\n"
    message = refusal(write_pack, body)
    assert message.startswith("PACK: rule x.ad -> treshold: unknown key for a line rule; allowed:")


def test_per_line_is_for_span_rules_and_must_be_true_or_false(write_pack):
    on_a_line_rule = '[pack]\nid = "x"\n' + GOOD_RULE + "per_line = true\n"
    assert "per_line: unknown key for a line rule" in refusal(write_pack, on_a_line_rule)
    span = (
        '[pack]\nid = "x"\n[[rule]]\nid = "s"\nkind = "span"\npattern = \'ab\'\nper_line = "yes"\n'
    )
    assert refusal(write_pack, span) == "PACK: rule x.s -> per_line: must be true or false"


def test_wrapping_cannot_make_a_broken_line_pattern_valid(write_pack):
    """A line rule's pattern is checked as written, before it is wrapped to match a line."""
    body = '[pack]\nid = "x"\n[[rule]]\nid = "l"\nkind = "line"\npattern = \'a)|(b\'\n'
    assert refusal(write_pack, body).startswith("PACK: rule x.l -> pattern: unbalanced parenthesis")


def test_duplicate_rule_id(write_pack):
    body = '[pack]\nid = "x"\n' + GOOD_RULE + GOOD_RULE
    assert refusal(write_pack, body) == (
        "PACK: rule x.ad -> id: duplicate rule id in this pack (rules #1 and #2); rename one"
    )


def test_pattern_matching_the_empty_string(write_pack):
    body = '[pack]\nid = "x"\n[[rule]]\nid = "e"\nkind = "span"\npattern = \'\\s*\'\n'
    assert refusal(write_pack, body).startswith(
        "PACK: rule x.e -> pattern: pattern matches the empty string"
    )


def test_threshold_out_of_range(write_pack):
    body = '[pack]\nid = "x"\n[[rule]]\nid = "p"\nkind = "phrase"\nphrases = ["a b"]\nthreshold = 120\n'
    assert refusal(write_pack, body) == (
        "PACK: rule x.p -> threshold: must be a number from 0 to 100, got 120"
    )


def test_unknown_kind(write_pack):
    body = '[pack]\nid = "x"\n[[rule]]\nid = "k"\nkind = "magic"\n'
    assert refusal(write_pack, body) == (
        "PACK: rule x.k -> kind: kind must be one of span, line, phrase, repeated-title; got 'magic'"
    )


def test_group_reference_to_a_missing_group(write_pack):
    body = (
        '[pack]\nid = "x"\n[[rule]]\nid = "g"\nkind = "span"\n'
        "pattern = '(?P<name>a)b'\nreplace = '\\g<nom>'\n"
    )
    assert refusal(write_pack, body) == (
        "PACK: rule x.g -> replace: replace refers to group 'nom', which the pattern does not define"
    )


def test_invalid_toml_says_where(write_pack):
    message = refusal(write_pack, '[pack]\nid = "x\n')
    assert message.startswith("PACK: not valid TOML:")
    assert "line 2" in message


def test_missing_pack_table(write_pack):
    assert refusal(write_pack, GOOD_RULE) == (
        "PACK -> pack: missing [pack] table with id and description"
    )


def test_duplicate_pack_ids_across_files(write_pack):
    first = write_pack('[pack]\nid = "x"\n' + GOOD_RULE, "a.toml")
    second = write_pack('[pack]\nid = "x"\n' + GOOD_RULE, "b.toml")
    with pytest.raises(RuleFileError, match="pack id 'x' is already used by"):
        Cleaner.load([first, second], default_rules=False)


def test_missing_file(tmp_path):
    with pytest.raises(RuleFileError, match="no such rule pack"):
        Cleaner.load([tmp_path / "nope.toml"], default_rules=False)


# -- named fragments: [pack.define] ----------------------------------------------------------

DEFINED = """
[pack]
id = "p"
[pack.define]
{define}

[[rule]]
id = "r"
kind = "span"
pattern = '''{pattern}'''
requires = ["MORE"]
"""


def _with_fragments(write_pack, define: str, pattern: str) -> Cleaner:
    body = DEFINED.replace("{define}", define).replace("{pattern}", pattern)
    return Cleaner.load([write_pack(body)], default_rules=False)


def test_fragments_are_pasted_in_each_in_its_own_mode(write_pack):
    cleaner = _with_fragments(
        write_pack,
        "WORD = '''\\p{Lu}\\p{Ll}+'''\nCARD = '''(?x) {WORD} \\  {WORD}   # a name: two words\n'''",
        "(?x) \\b {CARD} [ ] MORE   # spaces are the verbose pattern's own",
    )
    text = "Our senator Ann Lee MORE said so."
    assert cleaner.clean(text) == "Our senator said so."


@pytest.mark.parametrize(
    ("define", "pattern", "message"),
    [
        ("A = 'x'", "{B} MORE", "{B} is not defined in [pack.define]"),
        ("lower = 'x'", "MORE", "fragment names are upper case letters"),
        ("A = '{B}'\nB = '{A}'", "{A} MORE", "fragments use each other in a cycle: A -> B -> A"),
        ("A = ''", "MORE", "must be a non-empty string"),
    ],
)
def test_bad_fragments_are_refused(write_pack, define: str, pattern: str, message: str):
    with pytest.raises(RuleFileError) as err:
        _with_fragments(write_pack, define, pattern)
    assert message in str(err.value)


def test_unicode_classes_and_escaped_braces_are_not_fragments(write_pack):
    cleaner = _with_fragments(write_pack, "A = 'x'", "\\{A\\}\\p{L} MORE")
    text = "The sign on the door of the shop said {A}b MORE two days ago."
    assert cleaner.clean(text) == "The sign on the door of the shop said two days ago."
