"""Which packs apply to a document: by its host, and by content signatures when the host
does not say (no URL, a mirror, a syndicated copy, a web-archive snapshot)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cleaner import Cleaner, clean
from cleaner.errors import ConfigError, RuleFileError
from cleaner.hosts import host_of
from cleaner.rulespec import load_pack
from cleaner.view import DocView

# The README's example, saved as a text file: nothing but the text says it is The Hill's.
ARTICLE = (
    "Harbour bridge reopens after a year of repairs\n\n"
    "Harbour bridge reopens after a year of repairs\n"
    "© Getty Images\n"
    "The news comes as Mayor Jane DoeJane DoeCouncil votes on budget Storm closes schools MORE "
    "and the city council meet on Friday.\n\n"
    "ADVERTISEMENT\n\n"
    "-Updated 7:32 p.m.\n"
)
CLEANED = (
    "Harbour bridge reopens after a year of repairs\n\n"
    "The news comes as Mayor Jane Doe and the city council meet on Friday.\n"
)
STORY = (
    "The council met on Tuesday night to weigh the plan, which would add bike lanes to four "
    "streets downtown and close one of them to cars on weekends."
)
CARD = "Sen. Tom CottonTom CottonLawmakers press agency on drone rules MORE (R-Ark.) objected."


@pytest.fixture(scope="module")
def default() -> Cleaner:
    return Cleaner.load()


def detected(cleaner: Cleaner, text: str, url: str | None = None) -> list[str]:
    activation = cleaner.ruleset.activation(url, DocView(text, None, 1.0))
    return [cleaner.ruleset.packs[i].id for i in activation.detected]


# -- the tooltip card is The Hill's signature ------------------------------------------------


def test_the_readme_example_without_a_url_is_cleaned_as_the_hill(default: Cleaner) -> None:
    assert clean(ARTICLE) == CLEANED
    assert default.clean(ARTICLE) == default.clean(ARTICLE, url="https://thehill.com/a")


@pytest.mark.parametrize(
    "url",
    [
        None,
        "http://127.0.0.1:8080/news/bridge.html",
        "https://www.example-regional.com/news/bridge",
        "file:///home/me/crawl/bridge.html",
    ],
)
def test_a_card_activates_the_pack_on_any_other_host(default: Cleaner, url: str | None) -> None:
    assert detected(default, CARD, url) == ["thehill"]
    assert default.clean(CARD, url=url) == "Sen. Tom Cotton (R-Ark.) objected."


def test_the_pack_s_own_host_needs_no_signature(default: Cleaner) -> None:
    text = "First sentence of the story. ADVERTISEMENT The second sentence follows here."
    assert detected(default, text, "https://thehill.com/a") == []
    assert "ADVERTISEMENT" not in default.clean(text, url="https://thehill.com/a")
    # Elsewhere a bare ad marker is no sign of The Hill: its inline rule does not run.
    assert default.clean(text) == text


def test_other_signatures_of_a_page_activate_the_whole_pack(default: Cleaner) -> None:
    text = (
        f"{STORY} ADVERTISEMENT The vote is expected next week.\n\n"
        "Read more from The Hill:\n\nCouncil weighs new budget\n"
    )
    assert detected(default, text) == ["thehill"]
    assert default.clean(text) == f"{STORY} The vote is expected next week.\n"


@pytest.mark.parametrize(
    "text",
    [
        "Protesters outside the Capitol carried signs reading NO MORE WARS for an hour.",
        "The coach said the team simply needs MORE. Then he left the field.",
        "Smith Smith, the firm, said Alan Smith Smith would lead it. Analysts expect MORE deals.",
        "Trump told Trump Tower staff to prepare for MORE visitors, the memo said.",
        "Ivanka Trump President Trump's daughter, said the app would launch with MORE features.",
        "The memo listed one word in capitals, MORE, and nothing else.",
        "The banner read: READ MORE BOOKS. It hung over the library door.",
    ],
)
def test_lookalikes_do_not_activate_the_hill(default: Cleaner, text: str) -> None:
    assert detected(default, text) == []
    assert default.clean(text) == text


def test_disabling_the_card_rule_keeps_it_as_a_signature() -> None:
    cleaner = Cleaner.load(disable=["thehill.person-tooltip"])
    text = "Mayor Jane DoeJane DoeCouncil votes on budget MORE spoke.\n\nADVERTISEMENT\n"
    assert detected(cleaner, text) == ["thehill"]
    assert cleaner.clean(text) == "Mayor Jane DoeJane DoeCouncil votes on budget MORE spoke.\n"


def test_cleaning_the_readme_example_twice_changes_nothing(default: Cleaner) -> None:
    once = default.clean(ARTICLE)
    assert default.clean(once) == once


# -- signatures in packs ---------------------------------------------------------------------

SITE = """
[pack]
id = "site"
domains = ["example.com"]
detect = {detect}

[[rule]]
id = "footer"
kind = "line"
pattern = 'Visit Example\\.com for more stories\\.'
requires = ["Visit Example.com"]

[[rule]]
id = "promo"
kind = "line"
pattern = 'Get the app'
requires = ["Get the app"]
"""
FOOTER = f"{STORY}\nVisit Example.com for more stories.\nGet the app\n"


@pytest.mark.parametrize(
    "detect",
    [
        '["Visit Example.com for more"]',
        '[{ rule = "footer" }]',
        '[{ pattern = "Example\\\\.com for more", requires = ["Example.com"] }]',
    ],
)
def test_a_literal_a_rule_or_a_pattern_can_be_a_signature(write_pack, detect: str) -> None:
    cleaner = Cleaner.load([write_pack(SITE.format(detect=detect))], default_rules=False)
    assert cleaner.clean(FOOTER) == f"{STORY}\n"
    assert cleaner.clean(f"{STORY}\nGet the app\n") == f"{STORY}\nGet the app\n"


@pytest.mark.parametrize(
    ("detect", "message"),
    [
        ('"Visit"', "must be a list"),
        ('[""]', "an empty literal would match everywhere"),
        ("[3]", "must be a literal string"),
        ('[{ rule = "nope" }]', "names no rule of this pack: 'nope'"),
        ('[{ pattern = "x+" }]', "must be a literal string"),
        ('[{ pattern = "x+", requires = [] }]', "a pattern signature needs requires"),
        ('[{ rule = "footer", pattern = "x" }]', "must be a literal string"),
    ],
)
def test_bad_signatures_are_refused_with_their_place(write_pack, detect: str, message: str) -> None:
    with pytest.raises(RuleFileError, match=r"pack\.detect") as err:
        load_pack(write_pack(SITE.format(detect=detect)))
    assert message in str(err.value)


def test_a_rule_signature_needs_a_literal(write_pack) -> None:
    body = SITE.format(detect='[{ rule = "any" }]') + (
        '\n[[rule]]\nid = "any"\nkind = "line"\npattern = "Get"\n'
    )
    with pytest.raises(RuleFileError, match="rule 'any' requires no literal"):
        load_pack(write_pack(body))


def test_a_signature_a_removal_brings_into_reach_activates_its_pack(write_pack) -> None:
    # The footer signature reads only the last line; the prompts after it hide it until the
    # generic pack removes them, and cleaning the result again must change nothing.
    site = write_pack(
        SITE.format(detect='[{ rule = "footer" }]').replace(
            'requires = ["Visit Example.com"]', 'requires = ["Visit Example.com"]\nlast_lines = 1'
        ),
        "site.toml",
    )
    cleaner = Cleaner.load([site])
    text = f"{STORY}\nVisit Example.com for more stories.\nShare this story\n"
    once = cleaner.clean(text)
    assert once == f"{STORY}\n"
    assert cleaner.clean(once) == once


# -- hosts: web archives and aliases ---------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://web.archive.org/web/20190301000000/https://thehill.com/a", "thehill.com"),
        ("http://web.archive.org/web/20190301id_/http://www.thehill.com/a", "www.thehill.com"),
        ("https://web.archive.org/web/2019/thehill.com/a", "thehill.com"),
        ("https://archive.ph/2019.03.01-120000/https://thehill.com/a", "thehill.com"),
        ("https://archive.today/newest/https://thehill.com/a", "thehill.com"),
        ("archive.is/o/AbC12/https://thehill.com:443/a", "thehill.com"),
        ("https://archive.ph/AbC12", "archive.ph"),  # a short link names no page
        ("https://web.archive.org/", "web.archive.org"),
        ("https://example.com/web/2019/https://thehill.com/a", "example.com"),
        ("thehill.com/a", "thehill.com"),
    ],
)
def test_web_archive_urls_resolve_to_the_page_they_hold(url: str, host: str) -> None:
    assert host_of(url) == host


def test_a_snapshot_gets_the_packs_of_its_page(default: Cleaner) -> None:
    text = "First sentence of the story. ADVERTISEMENT The second sentence follows here."
    snapshot = "https://web.archive.org/web/20190301000000/https://thehill.com/homenews/a"
    assert default.clean(text, url=snapshot) == default.clean(text, url="https://thehill.com/a")
    assert default.clean(text, url=snapshot) != text


def test_domain_aliases_map_a_mirror_and_its_subdomains_to_a_site() -> None:
    cleaner = Cleaner.load(domain_aliases={"Mirror.Example": "thehill.com"})
    text = "First sentence of the story. ADVERTISEMENT The second sentence follows here."
    for url in ("https://mirror.example/a", "https://www.mirror.example/a"):
        assert cleaner.ruleset.host(url) == "thehill.com"
        assert (
            cleaner.clean(text, url=url)
            == "First sentence of the story. The second sentence follows here."
        )
    assert cleaner.clean(text, url="https://other.example/a") == text


def test_an_alias_to_a_host_no_pack_names_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"'thehill\.co', which no loaded pack names"):
        Cleaner.load(domain_aliases={"mirror.example": "thehill.co"})


def test_a_cleaner_with_aliases_survives_pickling_into_workers() -> None:
    import pickle

    cleaner = pickle.loads(
        pickle.dumps(Cleaner.load(domain_aliases={"mirror.example": "thehill.com"}))
    )
    assert cleaner.ruleset.host("https://mirror.example/a") == "thehill.com"


# -- the command line ------------------------------------------------------------------------


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cleaner", *args], cwd=cwd, capture_output=True, text=True
    )


def test_cleaning_a_text_file_without_a_url_removes_the_card(tmp_path: Path) -> None:
    (tmp_path / "article.txt").write_text(ARTICLE, encoding="utf-8")
    done = run("clean", "article.txt", "-o", "out.txt", "--isolated", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == CLEANED
    assert "thehill.person-tooltip" in done.stderr


def test_url_and_title_describe_a_single_text_document(tmp_path: Path) -> None:
    text = "Bridge reopens\n\nThe span reopened on Friday. ADVERTISEMENT Crews left at noon.\n"
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    plain = run("clean", "a.txt", "-o", "-", "--isolated", cwd=tmp_path)
    assert plain.stdout == text
    given = run(
        "clean", "a.txt", "-o", "-", "--isolated",
        "--url", "https://thehill.com/a", "--title", "Bridge reopens",
        cwd=tmp_path,
    )  # fmt: skip
    assert given.returncode == 0, given.stderr
    assert given.stdout == "Bridge reopens\n\nThe span reopened on Friday. Crews left at noon.\n"


def test_url_with_several_files_or_jsonl_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("One.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Two.\n", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text('{"text": "Three."}\n', encoding="utf-8")
    for inputs in (["a.txt", "b.txt"], ["c.jsonl"]):
        done = run("clean", *inputs, "-o", "out", "--url", "https://x.org/", cwd=tmp_path)
        assert done.returncode == 2
        assert "--url and --title describe one document: give a single .txt file" in done.stderr
        assert not (tmp_path / "out").exists()


def test_domain_aliases_come_from_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [tool.cleaner]
            domain_aliases = { "mirror.example" = "thehill.com" }
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / ".git").mkdir()
    text = "The span reopened on Friday. ADVERTISEMENT Crews left at noon."
    (tmp_path / "in.jsonl").write_text(
        f'{{"url": "https://mirror.example/a", "text": "{text}"}}\n', encoding="utf-8"
    )
    done = run("clean", "in.jsonl", "-o", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ADVERTISEMENT" not in done.stdout


def test_a_config_alias_that_is_not_a_table_of_hosts_is_refused(tmp_path: Path) -> None:
    (tmp_path / "cleaner.toml").write_text('domain_aliases = { "m.example" = 3 }\n')
    done = run("clean", "-", "-o", "-", cwd=tmp_path)
    assert done.returncode == 2
    assert "domain_aliases must map hosts to hosts" in done.stderr
