"""The values that cross into worker processes and Dask workers pickle as a call of their
constructor: the same bytes from the Python build and the compiled one, so a client and workers
of different builds understand each other."""

from __future__ import annotations

import pickle

import pytest

from cleaner.io.codecs import JsonlCodec, TextCodec, TxtMeta
from cleaner.io.readers import Record
from cleaner.pipeline.records import BlockOutcome, Outcome
from cleaner.report import FileError, FileStats, HostStats, Rejection, Report, RuleStats
from cleaner.types import CleanResult, Document, Fields, Span

SPAN = Span(3, 9, "generic.credit", "")
RESULT = CleanResult("Body.", (SPAN,), (Span(0, 2, "t.greedy"),), ("t.slow",))
OUTCOME = Outcome(Record("a.jsonl", 7, b'{"text": "x"}'), b"{}", RESULT, document=Document("x"))
REPORT = Report(documents_read=2, rules={"t.ad": RuleStats(spans=1)}, files={"a": FileStats(1)})

VALUES = [
    Document("Body text.", "https://example.com/a", "A title", "id-1"),
    Fields("body", "meta.url", None, "uid"),
    SPAN,
    RESULT,
    JsonlCodec("body", "meta.url", None, "uid"),
    TextCodec("https://example.com/a", "A title"),
    TxtMeta("https://example.com/a", None),
    Rejection("a.jsonl", 3, "malformed JSON at column 2"),
    FileError("b.jsonl", "b.jsonl: not UTF-8"),
    OUTCOME,
    BlockOutcome(b"{}\n", REPORT, (OUTCOME,)),
    REPORT,
    RuleStats(spans=2, chars_removed=40, documents=1, held_back=0, timeouts=1),
    FileStats(read=3, changed=1, rejected=1, seconds=0.5),
    HostStats(read=3, changed=1, chars_read=900, chars_removed=40),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_a_value_sent_to_workers_pickles_as_a_call_of_its_constructor(value: object) -> None:
    rebuild, args = value.__reduce__()[:2]
    assert rebuild is type(value) and rebuild(*args) == value
    assert pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)) == value
