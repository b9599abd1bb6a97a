"""Golden tests over the hand-written corpus samples in ``corpus_samples/``.

* ``cases/<name>.raw.txt`` must clean to ``cases/<name>.clean.txt`` exactly with the default packs;
* ``negative/<name>.txt`` are look-alikes that must come through untouched;
* ``known_misses/`` are residue the packs do not handle yet (strict xfail: fixing one fails the
  test until the case is moved to ``cases/``);
* cleaning is idempotent on every sample;
* ``news.jsonl`` (the README's first example input) is well-formed.

A sibling ``<name>.meta.json`` may give the document's ``url`` (which selects site packs) and
``title``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaner import Cleaner, apply_spans

SAMPLES = Path(__file__).resolve().parent.parent / "corpus_samples"
CASES = SAMPLES / "cases"
NEGATIVE = SAMPLES / "negative"
KNOWN_MISSES = SAMPLES / "known_misses"


@pytest.fixture(scope="module")
def cleaner() -> Cleaner:
    return Cleaner.load()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _meta(directory: Path, name: str) -> dict[str, str]:
    path = directory / f"{name}.meta.json"
    if not path.exists():
        return {}
    meta = json.loads(_read(path))
    assert isinstance(meta, dict), f"{path}: expected a JSON object"
    return meta


def _names(directory: Path, suffix: str) -> list[str]:
    return sorted(p.name[: -len(suffix)] for p in directory.glob(f"*{suffix}"))


def _clean(cleaner: Cleaner, text: str, meta: dict[str, str]) -> str:
    return cleaner.clean(text, url=meta.get("url"), title=meta.get("title"))


CASE_NAMES = _names(CASES, ".raw.txt")
NEGATIVE_NAMES = _names(NEGATIVE, ".txt")
MISS_NAMES = _names(KNOWN_MISSES, ".raw.txt")


def test_samples_are_present():
    assert len(CASE_NAMES) >= 20
    assert len(NEGATIVE_NAMES) >= 5
    assert MISS_NAMES


@pytest.mark.parametrize("directory", [CASES, KNOWN_MISSES], ids=["cases", "known_misses"])
def test_every_raw_file_has_its_expected_output(directory: Path):
    for name in _names(directory, ".raw.txt"):
        assert (directory / f"{name}.clean.txt").exists(), f"{directory.name}/{name}: no .clean.txt"
    for name in _names(directory, ".clean.txt"):
        assert (directory / f"{name}.raw.txt").exists(), f"{directory.name}/{name}: no .raw.txt"


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_cleans_to_expected(cleaner: Cleaner, name: str):
    meta = _meta(CASES, name)
    raw = _read(CASES / f"{name}.raw.txt")
    expected = _read(CASES / f"{name}.clean.txt")
    assert raw != expected, f"{name}: a case must contain residue"
    assert _clean(cleaner, raw, meta) == expected


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_spans_rebuild_the_text(cleaner: Cleaner, name: str):
    meta = _meta(CASES, name)
    raw = _read(CASES / f"{name}.raw.txt")
    result = cleaner.explain(raw, url=meta.get("url"), title=meta.get("title"))
    assert result.spans, f"{name}: no rule fired"
    assert not result.held_back, f"{name}: the over-removal guard held edits back"
    assert apply_spans(raw, result.spans) == result.text


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_cleaning_is_idempotent(cleaner: Cleaner, name: str):
    meta = _meta(CASES, name)
    once = _clean(cleaner, _read(CASES / f"{name}.raw.txt"), meta)
    assert _clean(cleaner, once, meta) == once


@pytest.mark.parametrize("name", NEGATIVE_NAMES)
def test_negative_passes_through_untouched(cleaner: Cleaner, name: str):
    text = _read(NEGATIVE / f"{name}.txt")
    result = cleaner.explain(text, **_url_title(_meta(NEGATIVE, name)))
    assert result.text == text, [(s.rule_id, text[s.start : s.end]) for s in result.spans]
    assert not result.held_back


MISS_PARAMS = [
    pytest.param(
        name,
        marks=pytest.mark.xfail(
            strict=True, reason=_meta(KNOWN_MISSES, name).get("why", "known miss")
        ),
    )
    for name in MISS_NAMES
]


@pytest.mark.parametrize("name", MISS_PARAMS)
def test_known_miss(cleaner: Cleaner, name: str):
    meta = _meta(KNOWN_MISSES, name)
    raw = _read(KNOWN_MISSES / f"{name}.raw.txt")
    assert _clean(cleaner, raw, meta) == _read(KNOWN_MISSES / f"{name}.clean.txt")


@pytest.mark.parametrize("name", MISS_NAMES)
def test_known_miss_is_idempotent(cleaner: Cleaner, name: str):
    meta = _meta(KNOWN_MISSES, name)
    once = _clean(cleaner, _read(KNOWN_MISSES / f"{name}.raw.txt"), meta)
    assert _clean(cleaner, once, meta) == once


def test_news_jsonl_is_well_formed(cleaner: Cleaner):
    lines = _read(SAMPLES / "news.jsonl").splitlines()
    assert 25 <= len(lines) <= 40
    records = [json.loads(line) for line in lines]
    assert len({r["id"] for r in records}) == len(records)
    for record in records:
        assert {"id", "url", "title", "text", "date"} <= set(record), record.get("id")
    changed = [r for r in records if _clean(cleaner, r["text"], r) != r["text"]]
    assert 0 < len(changed) < len(records), "the sample should mix residue and clean documents"


def _url_title(meta: dict[str, str]) -> dict[str, str | None]:
    return {"url": meta.get("url"), "title": meta.get("title")}
