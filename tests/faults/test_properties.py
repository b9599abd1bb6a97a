"""The promises as properties, over generated documents and real-shaped mutations.

The checks are the long fuzz run's (``benchmarks/fuzz.py``), one piece of code for both: no
crash; spans sorted, disjoint, in bounds and replaying to the text; idempotence; the guard's
bound; and, for a batch through the pipeline and through the command line, ``-j 1`` and
``-j 2`` byte-identical with documents in = documents out. Hypothesis draws the documents and
shrinks a failure to a small one; a seeded slice of the long run runs here too.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pytest
from faultkit import count_documents, run_cleaner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.corpus import documents
from benchmarks.fuzz import (
    ODD,
    RESIDUE,
    URLS,
    Guard,
    check_batch,
    check_case,
    fuzz,
    jsonl_line,
    mutate,
)
from cleaner import Cleaner
from cleaner.pipeline import WorkerPool
from cleaner.types import Document

BASES = list(islice(documents(41), 40))


@pytest.fixture(scope="module")
def cleaner() -> Cleaner:
    return Cleaner.load()


@pytest.fixture(scope="module")
def guard(cleaner: Cleaner) -> Guard:
    return Guard(cleaner)


@pytest.fixture(scope="module")
def pool(cleaner: Cleaner) -> Iterator[WorkerPool]:
    with WorkerPool(cleaner, 2) as workers:
        yield workers


#: A news-like document mutated the way scrapes go wrong (the long run's mutations).
mutated = st.builds(lambda base, rng: mutate(rng, base), st.sampled_from(BASES), st.randoms())

#: Lines of residue, odd characters and free text, in any order: shapes no generator planned.
free_line = st.one_of(st.sampled_from(RESIDUE), st.sampled_from(ODD), st.text(max_size=120))
free = st.builds(
    lambda lines, url, title: Document("\n".join(lines), url, title),
    st.lists(free_line, max_size=25),
    st.sampled_from(URLS),
    st.one_of(st.none(), st.text(max_size=60), st.sampled_from(RESIDUE)),
)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(doc=st.one_of(mutated, free))
def test_every_document_keeps_the_cleaning_promises(cleaner, guard, doc: Document) -> None:
    assert check_case(cleaner, guard, doc) == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(st.one_of(mutated, free), min_size=1, max_size=40), ascii_only=st.booleans())
def test_a_batch_through_the_pipeline_is_the_same_with_one_or_two_workers(
    cleaner, pool, docs: list[Document], ascii_only: bool
) -> None:
    with tempfile.TemporaryDirectory() as work:
        assert check_batch(cleaner, pool, docs, Path(work), ascii_only) == []


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(st.one_of(mutated, free), min_size=1, max_size=30), seed=st.integers(0, 99))
def test_the_command_line_writes_the_same_bytes_with_one_or_two_workers(
    docs: list[Document], seed: int
) -> None:
    rng = random.Random(seed)
    lines = [
        jsonl_line({"id": n, "url": d.url, "title": d.title, "text": d.text}, rng.random() < 0.5)
        for n, d in enumerate(docs)
    ]
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "batch.jsonl"
        source.write_bytes(b"\n".join(lines) + b"\n")
        written = {}
        for jobs in ("1", "2"):
            target = Path(work) / f"out-{jobs}.jsonl"
            done = run_cleaner("clean", source, "-o", target, "-q", "-j", jobs)
            assert done.returncode == 0, done.stderr
            written[jobs] = target.read_bytes()
        assert written["1"] == written["2"]
        assert count_documents(written["1"]) == len(docs)
        for before, after in zip(lines, written["1"].split(b"\n"), strict=False):
            assert json.loads(before).keys() == json.loads(after).keys()


def test_a_seeded_slice_of_the_long_fuzz_run_finds_nothing() -> None:
    report = fuzz(3000, seed=7, batch=1500)
    assert report["cases"] == 3000 and report["batches"] == 2
    assert report["failures"] == 0, report["examples"]
