"""Records at the edges of JSON Lines: numbers past 64 bits, lone surrogates, NUL, a BOM, CRLF,
no final newline, one 100 MB document, a million tiny ones, deep nesting, lines that are not
objects, text that is not a string.

A record the cleaner leaves alone comes back byte for byte. In a changed record only the text
value differs: the raw bytes before it and after it are the input's. A record that cannot be
read stops the run with its file and line (exit 2, nothing written), or, with
``--on-error skip``, is set aside verbatim and counted: documents in = documents out + set aside.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faultkit import Ledger, count_documents, outputs, run_cleaner

STORY = "The council met on Tuesday night to weigh the plan for the new harbour bridge."
RESIDUE = "Share this story"
TAIL = b', "tail": 123456789012345678901234567890}'  # a number past 64 bits, after the text


def _record(n: int, text: str, *, escape_all: bool = True) -> tuple[bytes, bytes, bytes]:
    """A JSON line as (bytes before the text value, the value, bytes after it)."""
    head = b'{"id": %d, "n": -98765432109876543210987654321, "text": ' % n
    return head, json.dumps(text, ensure_ascii=escape_all).encode(), TAIL


def _changed_only_in_text(before: bytes, after: bytes, head: bytes, expected: str) -> None:
    assert after.startswith(head) and after.endswith(TAIL), after[:80]
    assert json.loads(after[len(head) : len(after) - len(TAIL)]) == expected


ODD = {
    "numbers past 64 bits": ("", b"\n", b""),
    "lone surrogate escapes": (" \ud800 and \udfff", b"\n", b""),
    "NUL characters": (" \x00 here", b"\n", b""),
    "raw UTF-8 and curly quotes": (" \u2019quoted\u2019 \u00e9", b"\n", b""),
    "a UTF-8 BOM": ("", b"\n", b"\xef\xbb\xbf"),
    "CRLF line ends": ("", b"\r\n", b""),
    "no final newline": ("", b"\n", b"NOFINAL"),
}


@pytest.mark.parametrize("case", ODD)
def test_odd_records_come_back_as_read_or_changed_only_in_their_text(
    tmp_path: Path, ledger: Ledger, case: str
) -> None:
    odd, end, prefix = ODD[case]
    escape_all = case != "raw UTF-8 and curly quotes"
    kept = _record(1, STORY + odd, escape_all=escape_all)
    dirty = _record(2, f"{STORY}{odd}\n{RESIDUE}", escape_all=escape_all)
    lines = [b"".join(kept), b"".join(dirty)]
    data = (b"" if prefix == b"NOFINAL" else prefix) + end.join(lines)
    data += b"" if prefix == b"NOFINAL" else end
    (tmp_path / "in.jsonl").write_bytes(data)
    with ledger.injecting("records", case, documents=2) as cost:
        done = run_cleaner("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out.jsonl", "-q")
        assert done.returncode == 0, done.stderr
        written = (tmp_path / "out.jsonl").read_bytes()
        cost.lost = 2 - count_documents(written)
        first, second = written.split(end)[:2]
        start = prefix if prefix not in (b"", b"NOFINAL") else b""
        assert first == start + lines[0]  # unchanged: byte for byte, BOM included
        _changed_only_in_text(lines[1], second, dirty[0], STORY + odd)
        assert written.endswith(end) == (prefix != b"NOFINAL")
        assert cost.lost == 0


def test_a_single_100_mb_document_is_cleaned_whole(tmp_path: Path, ledger: Ledger) -> None:
    body = (STORY + " ") * (100_000_000 // (len(STORY) + 1))
    head, value, tail = _record(1, f"{body}\n{RESIDUE}")
    (tmp_path / "in.jsonl").write_bytes(head + value + tail + b"\n")
    with ledger.injecting("records", "one 100 MB document", documents=1) as cost:
        done = run_cleaner("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out.jsonl", "-q")
        assert done.returncode == 0, done.stderr
        written = (tmp_path / "out.jsonl").read_bytes()
        cost.lost = 1 - count_documents(written)
        assert written.endswith(tail + b"\n") and written.startswith(head)
        assert len(written) == len(head + value + tail) + 1 - len("\\n" + RESIDUE)
        assert cost.lost == 0


def test_a_million_tiny_documents_are_each_written_once(tmp_path: Path, ledger: Ledger) -> None:
    tiny = [b'{"id": %d, "text": "x"}' % n for n in range(1_000_000)]
    dirty = {n: f"{STORY}\n{RESIDUE}" for n in range(0, 1_000_000, 10_000)}
    for n, text in dirty.items():
        tiny[n] = b'{"id": %d, "text": %s}' % (n, json.dumps(text).encode())
    (tmp_path / "in.jsonl").write_bytes(b"\n".join(tiny) + b"\n")
    with ledger.injecting("records", "a million tiny documents, -j 2", documents=len(tiny)) as cost:
        done = run_cleaner(
            "clean", tmp_path / "in.jsonl", "-o", tmp_path / "out.jsonl", "-q", "-j", "2",
            "--report", tmp_path / "report.json",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        written = (tmp_path / "out.jsonl").read_bytes().split(b"\n")[:-1]
        cost.lost = len(tiny) - len(written)
        assert cost.lost == 0
        changed = [n for n, (a, b) in enumerate(zip(tiny, written, strict=True)) if a != b]
        assert changed == sorted(dirty)
        report = json.loads((tmp_path / "report.json").read_text())
        assert report["documents"] == {
            "read": 1_000_000,
            "written": 1_000_000,
            "changed": len(dirty),
            "unchanged": 1_000_000 - len(dirty),
            "rejected": 0,
        }


UNREADABLE = {
    "deep JSON nesting": (
        b'{"id": 2, "meta": ' + b"[" * 100_000 + b"]" * 100_000 + b', "text": "x"}',
        "JSON nested too deeply to read",
    ),
    "a line that is an array": (b"[1, 2]", "must be an object with a 'text' field, found an array"),
    "a line that is a string": (b'"just text"', "must be an object with a 'text' field"),
    "text that is a number": (b'{"id": 2, "text": 5}', "'text'"),
    "text that is null": (b'{"id": 2, "text": null}', "'text'"),
    "text that is a list": (b'{"id": 2, "text": ["a"]}', "'text'"),
}


@pytest.mark.parametrize("case", UNREADABLE)
def test_an_unreadable_record_stops_the_run_or_is_set_aside_and_counted(
    tmp_path: Path, ledger: Ledger, case: str
) -> None:
    bad, reason = UNREADABLE[case]
    good = [b"".join(_record(1, STORY)), b"".join(_record(3, f"{STORY}\n{RESIDUE}"))]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join([good[0], bad, good[1]]) + b"\n")
    with ledger.injecting("records", case, documents=3) as cost:
        stopped = run_cleaner("clean", source, "-o", tmp_path / "stopped", "-q")
        stderr = stopped.stderr.decode()
        assert stopped.returncode == 2, stderr
        assert f"{source}:2: " in stderr and reason in stderr, stderr
        assert "--on-error skip" in stderr and "Traceback" not in stderr
        cost.partial = len(outputs(tmp_path / "stopped"))
        assert cost.partial == 0
        # Set aside: the other records are written, the bad one kept verbatim.
        skipped = run_cleaner(
            "clean", source, "-o", tmp_path / "out.jsonl", "-q",
            "--on-error", "skip", "--rejects", tmp_path / "rejects.jsonl",
        )  # fmt: skip
        assert skipped.returncode == 2, skipped.stderr  # exit 2 still tells of it
        written = (tmp_path / "out.jsonl").read_bytes()
        rejected = (tmp_path / "rejects.jsonl").read_bytes()
        cost.lost = 3 - count_documents(written) - count_documents(rejected)
        assert rejected == bad + b"\n"
        assert written.split(b"\n")[0] == good[0] and count_documents(written) == 2
        assert cost.lost == 0
