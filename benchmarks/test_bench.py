"""Micro-benchmarks (pytest-benchmark): where a change to the engine shows up first.

Not part of the test run (``testpaths = ["tests"]``); run them on purpose:

    pytest benchmarks/test_bench.py --benchmark-autosave          # saves to .benchmarks/
    pytest benchmarks/test_bench.py --benchmark-compare           # against the last save
    pytest benchmarks/test_bench.py --benchmark-compare=0001 --benchmark-compare-fail=mean:10%

Documents come from the deterministic generator (``benchmarks.corpus``), so numbers compare
across machines and commits: a typical thehill.com article (tooltips, ad lines), a ~1 MB
document, and a document no rule touches (the prefilter-only path). The matchers are also
timed alone: the fuzzy phrase matcher (no default pack has phrase rules yet, so a made-up
boilerplate list is used) and the repeated-title matcher.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import regex

from benchmarks.corpus import documents
from cleaner import Cleaner, Document
from cleaner.compile import compile_packs
from cleaner.matchers import PhraseMatcher, RepeatedTitleMatcher
from cleaner.rulespec import RuleSpec, default_pack_paths, load_packs
from cleaner.view import DocView

_ROWS = list(itertools.islice(documents(seed=5), 400))


@pytest.fixture(scope="module")
def cleaner() -> Cleaner:
    return Cleaner.load()


def _pick(cleaner: Cleaner, *, host: str, changed: bool) -> Document:
    """The generated document of median length among those from ``host`` that the cleaner
    changes (or leaves alone)."""
    docs = [
        Document(r["text"], r["url"], r["title"], r["id"])
        for r in _ROWS
        if host in r["url"]
        and cleaner.clean_document(Document(r["text"], r["url"])).changed == changed
    ]
    docs.sort(key=lambda d: len(d.text))
    return docs[len(docs) // 2]


def test_compile_default_packs(benchmark: Any) -> None:
    """Start-up cost paid once per process (and once per worker with -j N): read, validate and
    compile the packs. ``regex`` caches compiled patterns, so the cache is purged each round
    to time a cold start."""
    benchmark.pedantic(Cleaner.load, setup=regex.purge, rounds=20)


def test_load_packs_only(benchmark: Any) -> None:
    """Reading and validating the TOML files, without compiling."""
    benchmark(load_packs, default_pack_paths())


def test_compile_only(benchmark: Any) -> None:
    """Compiling alone (cold regex cache), without reading the TOML files."""
    packs = load_packs(default_pack_paths())
    benchmark.pedantic(compile_packs, (packs,), setup=regex.purge, rounds=20)


def test_clean_typical_thehill(benchmark: Any, cleaner: Cleaner) -> None:
    doc = _pick(cleaner, host="thehill.com", changed=True)
    assert benchmark(cleaner.clean_document, doc).changed


def test_clean_typical_other(benchmark: Any, cleaner: Cleaner) -> None:
    doc = _pick(cleaner, host=".com", changed=True)
    benchmark(cleaner.clean_document, doc)


def test_clean_no_artifacts(benchmark: Any, cleaner: Cleaner) -> None:
    doc = _pick(cleaner, host=".com", changed=False)
    assert not benchmark(cleaner.clean_document, doc).changed


def test_clean_long_document(benchmark: Any, cleaner: Cleaner) -> None:
    """~1 MB in one document: cost must stay linear in length (no quadratic span handling)."""
    hill = [r["text"] for r in _ROWS if "thehill.com" in r["url"]]
    parts: list[str] = []
    size = 0
    for text in itertools.cycle(hill):
        parts.append(text)
        size += len(text) + 2
        if size >= 1_000_000:
            break
    doc = Document("\n\n".join(parts), "https://thehill.com/long", "A long document")
    benchmark.pedantic(cleaner.clean_document, (doc,), rounds=3, iterations=1)


def test_explain_and_spans(benchmark: Any, cleaner: Cleaner) -> None:
    """What ``cleaner check`` / ``explain`` do per document: clean, then list every edit."""
    doc = _pick(cleaner, host="thehill.com", changed=True)

    def explain() -> list[tuple[str, int, str]]:
        result = cleaner.explain(doc.text, url=doc.url, title=doc.title)
        return [(s.rule_id, s.start, doc.text[s.start : s.end]) for s in result.spans]

    assert benchmark(explain)


_PHRASES = (
    "Sign up for our daily newsletter",
    "Get the best of the week delivered to your inbox",
    "We use cookies to give you the best experience",
    "Share this article with a friend",
    "Follow us on all our social channels",
    "Download our free app today",
    "This story has been shared many times",
    "Comments are closed for this article",
    "Report a typo or an error",
    "Our journalism depends on readers like you",
    "Subscribe now and save on your first year",
    "Listen to this story",
)


def test_phrase_matcher_alone(benchmark: Any, cleaner: Cleaner) -> None:
    spec = RuleSpec(
        pack="bench", id="boilerplate", kind="phrase", source="<bench>", phrases=_PHRASES
    )
    matcher = PhraseMatcher(spec)
    doc = _pick(cleaner, host=".com", changed=False)
    text = doc.text.replace("\n\n", "\n\nSign up for our daily newsletter!\n\n", 2)
    found = benchmark(lambda: matcher.find(DocView(text, doc.title, 1.0)))
    assert len(found) == 2


def test_repeated_title_matcher_alone(benchmark: Any, cleaner: Cleaner) -> None:
    spec = RuleSpec(pack="bench", id="repeated-title", kind="repeated-title", source="<bench>")
    matcher = RepeatedTitleMatcher(spec)
    doc = _pick(cleaner, host=".com", changed=False)
    text = f"{doc.title}\n\n{doc.title}\n\n{doc.text}"
    found = benchmark(lambda: matcher.find(DocView(text, doc.title, 1.0)))
    assert len(found) == 1


def test_prefilter_alone(benchmark: Any, cleaner: Cleaner) -> None:
    """The Aho-Corasick pass that decides which rules run: paid by every document."""
    doc = _pick(cleaner, host=".com", changed=False)
    table = cleaner.ruleset.table_for_host(cleaner.ruleset.host(doc.url))
    benchmark(lambda: table.candidates(DocView(doc.text, doc.title, 1.0)))
