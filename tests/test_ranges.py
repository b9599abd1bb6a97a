"""Byte ranges cut anywhere partition a line file's lines exactly, read by a worker alone."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.io.ranges import line_ranges, read_range, split_ranges
from cleaner.io.readers import read_records

# Text lines (with CRs inside, and empty ones): binary could look like a compressed file.
LINES = st.lists(st.text("ab\r{}é ", max_size=30).map(str.encode), max_size=40)


def _write(tmp_path: Path, lines: list[bytes], crlf: bool, final_newline: bool) -> Path:
    end = b"\r\n" if crlf else b"\n"
    data = end.join(lines) + (end if final_newline and lines else b"")
    path = tmp_path / "part.jsonl"
    path.write_bytes(data)
    return path


@settings(max_examples=200, deadline=None)
@given(LINES, st.booleans(), st.booleans(), st.integers(1, 64), st.integers(1, 16))
def test_ranges_hold_every_line_once_in_order(
    tmp_path_factory: object, lines: list[bytes], crlf: bool, final: bool, length: int, block: int
) -> None:
    tmp_path = tmp_path_factory.mktemp("ranges")  # type: ignore[attr-defined]
    path = _write(tmp_path, lines, crlf, final)
    whole = list(read_records(path))
    found, offset = [], 0
    for start, end in split_ranges(path.stat().st_size, length):
        seen = 0
        for b in read_range(path, start, end, block):
            for record in b.records():
                found.append((record.line + offset, record.raw, record.end))
            seen += b.data.count(b"\n")
        offset += seen
    assert found == [(r.line, r.raw, r.end) for r in whole]


def test_a_range_inside_one_long_line_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_bytes(b"x" * 100 + b"\n" + b"y\n")
    assert list(read_range(path, 10, 50)) == []
    assert [b.data for b in read_range(path, 50, 102)] == [b"y\n"]


@settings(max_examples=200, deadline=None)
@given(LINES, st.booleans(), st.booleans(), st.integers(1, 64))
def test_line_ranges_end_at_line_ends_and_cover_the_file(
    tmp_path_factory: object, lines: list[bytes], crlf: bool, final: bool, length: int
) -> None:
    tmp_path = tmp_path_factory.mktemp("ranges")  # type: ignore[attr-defined]
    path = _write(tmp_path, lines, crlf, final)
    data = path.read_bytes()
    ranges = line_ranges(path, length, scan=3)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert all(data[end - 1 : end] == b"\n" for _, end in ranges[:-1])
    # Each range reads as exactly its own bytes: no line is read twice.
    assert b"".join(b.data for r in ranges for b in read_range(path, *r)) == data


def test_a_line_longer_than_a_range_makes_one_range(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_bytes(b"x" * 1000 + b"\n" + b"y\n" * 3)
    assert line_ranges(path, 10, scan=7) == [(0, 1001), (1001, 1007)]


def test_ranges_cover_an_empty_file_with_one_empty_range() -> None:
    assert split_ranges(0, 10) == [(0, 0)]
    assert split_ranges(25, 10) == [(0, 10), (10, 20), (20, 25)]


def test_workers_reading_their_own_ranges_match_one_process(tmp_path: Path) -> None:
    """-j 2 cuts the file into ranges that workers read; output, told outcomes, line numbers
    and rejections are those of -j 1."""
    from cleaner import Cleaner
    from cleaner.io import plan_files
    from cleaner.pipeline import Listeners, RunOptions, run

    dirty = '{"text": "Bridge reopens.\\n\\nADVERTISEMENT\\n\\nIt carries 40,000 cars a day."}'
    clean = '{"text": "The library opened on Saturday."}'
    lines = [dirty if i % 3 == 0 else clean if i % 7 else "{not json" for i in range(600)]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    cleaner = Cleaner.load()
    results = []
    for jobs in (1, 2):
        told: list[tuple[int, bool]] = []
        target = tmp_path / f"out-{jobs}.jsonl"
        report = run(
            plan_files([source], target),
            cleaner,
            options=RunOptions(jobs=jobs, on_error="skip", block_bytes=4096),
            listeners=Listeners(lambda o, told=told: told.append((o.line, o.rejected))),
        )
        rejected = [(r.line, r.reason) for r in report.rejections]
        results.append((target.read_bytes(), told, rejected, report.documents_read))
    assert results[0] == results[1]
    assert results[0][3] == 600
    assert (8, True) in results[0][1] and (598, False) in results[0][1]
