"""cleaner.io: formats, streaming readers, codecs, atomic output and planning, on real files."""

from __future__ import annotations

import datetime
import decimal
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.engine import Cleaner
from cleaner.errors import ConfigError, InputError
from cleaner.io import (
    TEMP_PREFIX,
    AtomicOutput,
    Format,
    JsonlCodec,
    Record,
    TextCodec,
    detect_format,
    find_stale_temps,
    is_complete,
    plan_files,
    read_blocks,
    read_records,
)
from cleaner.io.codecs import _encode_string
from cleaner.pipeline import RunOptions, run
from cleaner.pipeline.records import clean_stream
from cleaner.report import Report
from cleaner.types import CleanResult, Fields, Span

ROOT = Path(__file__).resolve().parent.parent

CREDIT = " (AP Photo/Susan Walsh)"


def unzstd(data: bytes) -> bytes:
    """Decompress every frame (streamed frames carry no content size for zstandard.decompress)."""
    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


def clean_one(
    src: Path, dst: Path | str, cleaner: Cleaner, options: RunOptions | None = None
) -> Report:
    return run(plan_files([src], dst), cleaner, options=options or RunOptions())


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(TEMP_PREFIX))


# A file of awkward lines: each must come back exactly as it was when the cleaner leaves it.
TRICKY = [
    b'{"id": 12345678901234567890123, "text": "caf\\u00e9 prices", "score": 1.10}',
    b'{"z": 1, "a": 2, "text": "odd key order", "m": {"b": [1e5, -0.0, null]}}',
    b'{"text": "\\ud800 a lone surrogate", "n": 1}',
    '{"text": "non-ASCII as itself: café ☕ 𝄞", "t": "é"}'.encode(),
    b'{ "text" : "spaced out" ,  "k" : true }',
    b'{"text": "dup key", "text": "last wins"}',
]


def tricky_bytes(newline: bytes = b"\n", final: bool = True) -> bytes:
    return newline.join(TRICKY) + (newline if final else b"")


# -- formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "compression"),
    [
        ("a.txt", "txt", "none"),
        ("a.jsonl", "jsonl", "none"),
        ("a.NDJSON", "jsonl", "none"),
        ("a.jsonl.gz", "jsonl", "gzip"),
        ("a.ndjson.gz", "jsonl", "gzip"),
        ("a.jsonl.zst", "jsonl", "zstd"),
        ("a.txt.gz", "txt", "gzip"),
        ("a.parquet", "parquet", "none"),
    ],
)
def test_format_from_extension(name: str, kind: str, compression: str) -> None:
    assert detect_format(name) == Format(kind, compression)  # type: ignore[arg-type]


def test_unknown_extension_says_what_is_known(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("x")
    with pytest.raises(InputError, match=r"a\.csv: unknown file type; cleaner reads .*\.jsonl\.gz"):
        list(read_records(path))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.jsonl.gz", b'{"text": "x"}\n', "named .gz but the bytes are not gzip"),
        ("a.jsonl.zst", gzip.compress(b"{}\n"), "named .zst but the bytes are not zstd"),
        ("a.jsonl", gzip.compress(b"{}\n"), "bytes are gzip data; rename it to end in .gz"),
        ("a.txt", zstandard.compress(b"hi"), "bytes are zstd data; rename it to end in .zst"),
    ],
)
def test_magic_bytes_must_confirm_the_name(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        list(read_records(path))
    assert info.value.path == str(path)


# -- readers -------------------------------------------------------------------------------


def test_records_carry_raw_bytes_line_numbers_and_terminators(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a":1}\r\n{"b":2}\n\n  {"c":3}  ')
    assert list(read_records(path)) == [
        Record(str(path), 1, b'{"a":1}', b"\r\n"),
        Record(str(path), 2, b'{"b":2}', b"\n"),
        Record(str(path), 3, b"", b"\n"),
        Record(str(path), 4, b'  {"c":3}  ', b""),
    ]


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.sampled_from([b"", b"a", b"bb\r", b"  {}  ", b"x" * 40, b"\r"]), max_size=40),
    final_newline=st.booleans(),
    size=st.integers(1, 64),
)
def test_blocks_hold_whole_lines_and_split_into_the_records_read_line_by_line(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], final_newline: bool, size: int
) -> None:
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    path = tmp_path_factory.mktemp("blocks") / "a.jsonl"
    path.write_bytes(data)
    blocks = list(read_blocks(path, size=size))
    assert b"".join(b.data for b in blocks) == data
    assert all(b.data.endswith(b"\n") for b in blocks[:-1])
    records = [r for b in blocks for r in b.records()]
    assert records == _records_line_by_line(str(path), data)


def _records_line_by_line(path: str, data: bytes) -> list[Record]:
    """The records, the plain way: a CR before a newline belongs to the terminator."""
    records = []
    for n, line in enumerate(io.BytesIO(data).readlines(), 1):
        if line.endswith(b"\r\n"):
            records.append(Record(path, n, line[:-2], b"\r\n"))
        elif line.endswith(b"\n"):
            records.append(Record(path, n, line[:-1], b"\n"))
        else:
            records.append(Record(path, n, line, b""))
    return records


def test_a_line_longer_than_a_block_is_never_split(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"short\n" + b"y" * 5000 + b"\nend\n")
    blocks = list(read_blocks(path, size=100))
    # The block grows until a newline comes, and ends at the last newline it holds.
    assert [(b.first_line, b.data[:6]) for b in blocks] == [(1, b"short\n"), (2, b"yyyyyy")]
    assert [r.raw for r in blocks[1].records()] == [b"y" * 5000, b"end"]


def test_empty_files_are_no_content(tmp_path: Path) -> None:
    """Decision: a 0-byte .jsonl (even .jsonl.gz) is 0 documents; a 0-byte .txt one empty one."""
    for name in ("a.jsonl", "a.jsonl.gz", "a.jsonl.zst"):
        (tmp_path / name).write_bytes(b"")
        assert list(read_records(tmp_path / name)) == []
    (tmp_path / "a.txt").write_bytes(b"")
    assert [r.raw for r in read_records(tmp_path / "a.txt")] == [b""]


def test_a_100_mb_single_line_document_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    body = b"x" * (100 << 20)
    path.write_bytes(b'{"text": "' + body + b'"}')
    [record] = list(read_records(path))
    assert len(record.raw) == len(body) + 12 and record.end == b""
    doc = JsonlCodec().decode(record)
    assert doc is not None and len(doc.text) == len(body)


def test_stdin_is_sniffed_and_read_as_a_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b'{"text": "a"}\n{"text": "b"}'
    stdin = io.TextIOWrapper(io.BytesIO(zstandard.compress(data)))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert [(r.path, r.line, r.raw) for r in read_records("-")] == [
        ("<stdin>", 1, b'{"text": "a"}'),
        ("<stdin>", 2, b'{"text": "b"}'),
    ]


def test_concatenated_gzip_members_and_zstd_frames_are_one_stream(tmp_path: Path) -> None:
    gz = tmp_path / "a.jsonl.gz"
    gz.write_bytes(gzip.compress(b"1\n2\n") + gzip.compress(b"3\n"))
    zst = tmp_path / "a.jsonl.zst"
    zst.write_bytes(zstandard.compress(b"1\n2\n") + zstandard.compress(b"3\n"))
    for path in (gz, zst):
        assert [r.raw for r in read_records(path)] == [b"1", b"2", b"3"]


def _truncated(path: Path, data: bytes) -> Path:
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_truncated_archive_is_an_input_error_naming_the_file(
    tmp_path: Path, suffix: str, cleaner: Cleaner
) -> None:
    content = b"".join(b'{"text": "row %d (AP Photo/X)"}\n' % i for i in range(5000))
    pack = gzip.compress if suffix.endswith("gz") else zstandard.compress
    src = _truncated(tmp_path / f"in{suffix}", pack(content))
    out = tmp_path / "out"
    with pytest.raises(InputError, match="truncated or corrupt") as info:
        clean_one(src, out / src.name, cleaner)
    assert info.value.path == str(src) and str(src) in str(info.value)
    assert info.value.line is not None and 1 <= info.value.line <= 5000
    assert not (out / src.name).exists() and leftovers(out) == []


def test_corrupt_zstd_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.zst"
    data = bytearray(zstandard.compress(b'{"text": "hello"}\n' * 1000))
    data[8:16] = b"\xff" * 8
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"a\.jsonl\.zst:1: zstd data is truncated or corrupt"):
        list(read_records(path))


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        list(read_records(tmp_path / "nope.jsonl"))


# -- JSONL codec ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("newline", "final"), [(b"\n", True), (b"\r\n", True), (b"\n", False), (b"\r\n", False)]
)
def test_unchanged_jsonl_is_written_back_byte_for_byte(
    tmp_path: Path, cleaner: Cleaner, newline: bytes, final: bool
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(tricky_bytes(newline, final) + newline + b"   " + newline)
    report = clean_one(src, tmp_path / "out.jsonl", cleaner)
    assert (tmp_path / "out.jsonl").read_bytes() == src.read_bytes()
    assert report.documents_read == len(TRICKY) and report.documents_changed == 0


def test_changed_records_keep_every_other_byte(tmp_path: Path, cleaner: Cleaner) -> None:
    """Only the text value is replaced: big ints, 1.10, escapes, order, spacing all survive."""
    src = tmp_path / "in.jsonl"
    lines = [
        line.replace(b'"text": "', b'"text": "Pictured' + CREDIT.encode() + b" ") for line in TRICKY
    ]
    lines[4] = lines[4].replace(b'"text" : "', b'"text" : "Seen' + CREDIT.encode() + b" ")
    src.write_bytes(b"\r\n".join(lines))
    clean_one(src, tmp_path / "out.jsonl", cleaner)
    out = (tmp_path / "out.jsonl").read_bytes()
    assert out.count(b"\r\n") == len(TRICKY) - 1 and not out.endswith(b"\n")
    for before, after in zip(lines, out.split(b"\r\n"), strict=True):
        expected = before[::-1].replace(CREDIT.encode()[::-1], b"", 1)[::-1]  # the last one
        assert after == expected, (before, after)
        old, new = json.loads(before), json.loads(after)
        assert list(old) == list(new)
        assert {k: v for k, v in old.items() if k != "text"} == {
            k: v for k, v in new.items() if k != "text"
        }
    assert json.loads(out.split(b"\r\n")[0])["id"] == 12345678901234567890123


def test_changed_lone_surrogate_text_stays_valid_json(tmp_path: Path, cleaner: Cleaner) -> None:
    """A line with raw non-ASCII is written with raw characters, except that a lone surrogate
    cannot be UTF-8: then the value falls back to \\u escapes."""
    src = tmp_path / "in.jsonl"
    src.write_bytes('{"title": "é", "text": "\\ud800 x (AP Photo/A B) ☕"}\n'.encode())
    clean_one(src, tmp_path / "out.jsonl", cleaner)
    out = (tmp_path / "out.jsonl").read_bytes()
    assert out == '{"title": "é", "text": "\\ud800 x \\u2615"}\n'.encode()
    assert json.loads(out)["text"] == "\ud800 x \u2615"


def test_non_ascii_lines_keep_raw_characters(tmp_path: Path, cleaner: Cleaner) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes('{"text": "café (AP Photo/A B)", "x": "\\u00e9"}\n'.encode())
    clean_one(src, tmp_path / "out.jsonl", cleaner)
    assert (tmp_path / "out.jsonl").read_bytes() == '{"text": "café", "x": "\\u00e9"}\n'.encode()


def test_bom_on_the_first_line_is_kept(tmp_path: Path, cleaner: Cleaner) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'\xef\xbb\xbf{"text": "a (AP Photo/B C)"}\n{"text": "b"}\n')
    clean_one(src, tmp_path / "out.jsonl", cleaner)
    assert (tmp_path / "out.jsonl").read_bytes() == b'\xef\xbb\xbf{"text": "a"}\n{"text": "b"}\n'


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"text": "caf\xe9"}', r"invalid UTF-8 at byte offset 13 of the line .*re-encode"),
        (b'{"text": "x",}', r"malformed JSON at column 14: Expecting property name"),
        (b'["text"]', r"must be an object with a 'text' field, found an array"),
        (b'{"body": "x", "id": 3}', r"no 'text' field \(keys: 'body', 'id'\); pass --text-key"),
        (b'{"text": 42}', r"field 'text' is a number, not a string"),
        (b'{"text": null}', r"field 'text' is null, not a string"),
    ],
)
def test_bad_records_fail_with_file_line_and_what_to_do(
    tmp_path: Path, cleaner: Cleaner, line: bytes, message: str
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"text": "ok"}\n' + line + b"\n")
    with pytest.raises(InputError, match=message) as info:
        list(clean_stream(read_records(src), JsonlCodec(), cleaner))
    assert str(info.value).startswith(f"{src}:2: ")
    assert (info.value.path, info.value.line) == (str(src), 2)
    assert "--on-error skip" in str(info.value)


def test_keys_are_configurable_and_metadata_may_be_nested() -> None:
    codec = JsonlCodec(text_key="content", url_key="meta.url", id_key="doc_id")
    raw = b'{"content": "x", "meta": {"url": "https://a.example/1"}, "doc_id": 7, "title": {}}'
    doc = codec.decode(Record("f", 1, raw))
    assert doc is not None
    assert (doc.text, doc.url, doc.id, doc.title) == ("x", "https://a.example/1", "7", None)
    with pytest.raises(ConfigError):
        JsonlCodec(text_key="")


# -- text codec ----------------------------------------------------------------------------


def test_txt_keeps_bom_and_crlf(tmp_path: Path, cleaner: Cleaner) -> None:
    src = tmp_path / "in.txt"
    src.write_bytes(b"\xef\xbb\xbfFirst line (AP Photo/A B)\r\nSecond line\r\n")
    report = clean_one(src, tmp_path / "out.txt", cleaner)
    assert (tmp_path / "out.txt").read_bytes() == b"\xef\xbb\xbfFirst line\r\nSecond line\r\n"
    assert report.documents_changed == 1
    doc = TextCodec().decode(Record(str(src), 1, src.read_bytes(), b""))
    assert doc.text == "First line (AP Photo/A B)\nSecond line\n"


def test_txt_with_mixed_newlines_is_left_as_is(tmp_path: Path, cleaner: Cleaner) -> None:
    src = tmp_path / "in.txt"
    src.write_bytes(b"a (AP Photo/A B)\r\nb\nc\r")
    clean_one(src, tmp_path / "out.txt", cleaner)
    assert (tmp_path / "out.txt").read_bytes() == b"a\r\nb\nc\r"


def test_txt_invalid_utf8_names_offset_and_line(tmp_path: Path, cleaner: Cleaner) -> None:
    src = tmp_path / "in.txt"
    src.write_bytes(b"fine\nstill fine\nbad \xff here\n")
    with pytest.raises(InputError, match=r"in\.txt:3: invalid UTF-8 at byte offset 20 .*iconv"):
        clean_one(src, tmp_path / "out.txt", cleaner)
    assert not (tmp_path / "out.txt").exists()


# -- round trips in every format -----------------------------------------------------------

PLAIN = [
    b'{"text": "keep me", "n": 12345678901234567890123}',
    b'{"text": "Shot' + CREDIT.encode() + b'"}',
]
EXPECTED = [PLAIN[0], b'{"text": "Shot"}']


@pytest.mark.parametrize(
    ("name", "pack", "unpack"),
    [
        ("a.jsonl", bytes, bytes),
        ("a.ndjson", bytes, bytes),
        ("a.jsonl.gz", gzip.compress, gzip.decompress),
        ("a.ndjson.gz", gzip.compress, gzip.decompress),
        ("a.jsonl.zst", zstandard.compress, unzstd),
    ],
)
def test_round_trip(tmp_path: Path, cleaner: Cleaner, name: str, pack, unpack) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in" / name
    src.parent.mkdir()
    src.write_bytes(pack(b"\n".join(PLAIN) + b"\n"))
    report = clean_one(src, tmp_path / "out" / name, cleaner)
    assert unpack((tmp_path / "out" / name).read_bytes()) == b"\n".join(EXPECTED) + b"\n"
    assert (report.documents_read, report.documents_changed) == (2, 1)


def test_gzip_output_is_reproducible(tmp_path: Path, cleaner: Cleaner) -> None:
    src = tmp_path / "a.jsonl.gz"
    src.write_bytes(gzip.compress(b"\n".join(PLAIN)))
    clean_one(src, tmp_path / "x" / "a.jsonl.gz", cleaner)
    clean_one(src, tmp_path / "y" / "a.jsonl.gz", cleaner)
    assert (tmp_path / "x/a.jsonl.gz").read_bytes() == (tmp_path / "y/a.jsonl.gz").read_bytes()


def test_output_compression_follows_the_output_name_or_override(
    tmp_path: Path, cleaner: Cleaner
) -> None:
    src = tmp_path / "in" / "a.jsonl.gz"
    src.parent.mkdir()
    src.write_bytes(gzip.compress(b"\n".join(PLAIN)))
    clean_one(src, tmp_path / "plain.jsonl", cleaner)
    assert (tmp_path / "plain.jsonl").read_bytes() == b"\n".join(EXPECTED)
    [job] = plan_files([src.parent], tmp_path / "z", compression="zstd")
    assert job.target == str(tmp_path / "z" / "a.jsonl.zst")
    run([job], cleaner)
    assert unzstd((tmp_path / "z/a.jsonl.zst").read_bytes()) == b"\n".join(EXPECTED)


def test_txt_round_trip_gz(tmp_path: Path, cleaner: Cleaner) -> None:
    src = tmp_path / "a.txt.gz"
    src.write_bytes(gzip.compress("Über (AP Photo/A B)\n".encode()))
    clean_one(src, tmp_path / "o" / "a.txt.gz", cleaner)
    assert gzip.decompress((tmp_path / "o/a.txt.gz").read_bytes()) == "Über\n".encode()


def test_stdin_to_stdout_in_a_real_process(credit_pack: Path) -> None:
    pack = credit_pack
    script = textwrap.dedent(
        f"""
        from cleaner.engine import Cleaner
        from cleaner.io import plan_files
        from cleaner.pipeline import run
        cleaner = Cleaner.load([{str(pack)!r}], default_rules=False)
        run(plan_files(["-"], "-"), cleaner)
        """
    )
    data = gzip.compress(b"\n".join(PLAIN) + b"\n")
    done = subprocess.run(
        [sys.executable, "-c", script], input=data, capture_output=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b"\n".join(EXPECTED) + b"\n"


# -- parquet -------------------------------------------------------------------------------


def test_parquet_round_trip_keeps_other_columns(tmp_path: Path, cleaner: Cleaner) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    n = 2500
    table = pa.table(
        {
            "id": pa.array(range(n), pa.int64()),
            "text": [f"row {i}" + (CREDIT if i % 3 == 0 else "") for i in range(n)],
            "tags": [[i, i + 1] for i in range(n)],
            "url": [None if i % 2 else f"https://a.example/{i}" for i in range(n)],
        }
    )
    src = tmp_path / "in.parquet"
    pq.write_table(table, src, compression="zstd", row_group_size=700)
    report = clean_one(src, tmp_path / "out" / "in.parquet", cleaner)
    out = pq.read_table(tmp_path / "out" / "in.parquet")
    assert out.schema == table.schema
    assert out.column("text").to_pylist() == [f"row {i}" for i in range(n)]
    for name in ("id", "tags", "url"):
        assert out.column(name).to_pylist() == table.column(name).to_pylist()
    assert (report.documents_read, report.documents_changed) == (n, len(range(0, n, 3)))
    meta = pq.ParquetFile(tmp_path / "out" / "in.parquet").metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"


def test_parquet_null_text_is_rejected_in_skip_mode(tmp_path: Path, cleaner: Cleaner) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": ["a", None, "b" + CREDIT], "k": [1, 2, 3]}), src)
    rejects = tmp_path / "rejects.jsonl"
    skip = RunOptions(on_error="skip", rejects=rejects)
    report = clean_one(src, tmp_path / "out.parquet", cleaner, skip)
    out = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert out == [{"text": "a", "k": 1}, {"text": "b", "k": 3}]
    assert (report.documents_read, report.documents_written, report.documents_rejected) == (3, 2, 1)
    assert report.rejections[0].line == 2 and "null" in report.rejections[0].reason
    assert json.loads(rejects.read_bytes()) == {"text": None}


@pytest.mark.parametrize(
    "value",
    [
        *(None, 42, "", "https://a.example/", True, 1.5, [1], {"url": "u"}, b"x"),
        *(datetime.date(2020, 1, 2), decimal.Decimal("1.10")),
    ],
)
def test_parquet_metadata_means_what_it_would_in_a_json_line(value: object) -> None:
    """A row's columns are read as the keys of the JSON object a rejects file holds for it
    (written with default=str, as pyarrow values like dates and decimals need)."""
    from cleaner.io.parquet import ParquetCodec, ParquetRow

    fields = Fields(url="url", title="meta.url", id="id")
    row = ParquetRow("in.parquet", 3, {"text": "t", "url": value, "meta": value, "id": value})
    jsonl = JsonlCodec("text", "url", "meta.url", "id")
    assert ParquetCodec(fields).decode(row) == jsonl.decode(Record(row.path, row.line, row.raw))


def test_parquet_missing_text_column(tmp_path: Path, cleaner: Cleaner) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"body": ["a"]}), src)
    with pytest.raises(InputError, match=r"no column 'text' \(columns: 'body'\); pass --text-key"):
        clean_one(src, tmp_path / "out.parquet", cleaner)
    assert not (tmp_path / "out.parquet").exists() and leftovers(tmp_path) == []


def test_parquet_without_pyarrow_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cleaner: Cleaner
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    src = tmp_path / "in.parquet"
    src.write_bytes(b"PAR1")
    with pytest.raises(ConfigError, match=r"pip install 'cleaner\[parquet\]'"):
        clean_one(src, tmp_path / "out.parquet", cleaner)


# -- atomic output -------------------------------------------------------------------------


def test_nothing_is_left_when_the_body_raises(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl.gz"
    with pytest.raises(RuntimeError), AtomicOutput(target, "gzip") as out:
        out.write(b"partial\n")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rewrite_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"old\n")
    with pytest.raises(KeyboardInterrupt), AtomicOutput(target) as out:
        out.write(b"new\n")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old\n" and leftovers(tmp_path) == []


def test_success_renames_into_place_and_discard_keeps_the_target(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.jsonl"
    with AtomicOutput(target) as out:
        out.write(b"one\n")
        assert not target.exists() and len(leftovers(target.parent)) == 1
    assert target.read_bytes() == b"one\n" and is_complete(target)
    os.chmod(target, 0o640)
    with AtomicOutput(target) as out:
        out.write(b"two\n")
    assert target.read_bytes() == b"two\n" and target.stat().st_mode & 0o777 == 0o640
    with AtomicOutput(target) as out:
        out.write(b"three\n")
        out.discard()
    assert target.read_bytes() == b"two\n" and leftovers(target.parent) == []


WRITER = """
import sys, time
from cleaner.io import AtomicOutput
with AtomicOutput(sys.argv[1], "zstd") as out:
    out.write(b'{"text": "x"}\\n' * 10000)
    print("writing", flush=True)
    time.sleep(30)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_write_leaves_no_file(tmp_path: Path, signum: int) -> None:
    target = tmp_path / "out.jsonl.zst"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, cwd=ROOT
    )
    assert child.stdout is not None and child.stdout.readline() == b"writing\n"
    assert len(leftovers(tmp_path)) == 1
    child.send_signal(signum)
    code = child.wait(timeout=20)
    assert code != 0
    assert list(tmp_path.iterdir()) == []
    if signum == signal.SIGTERM:
        assert code == 128 + signal.SIGTERM


FINALISER_WRITER = """
import os, signal, sys, time
from cleaner.io import AtomicOutput

class SignalledWhileFinalised:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10_000):  # the handler runs here, inside the finaliser
            pass

with AtomicOutput(sys.argv[1]) as out:
    out.write(b'{"text": "x"}\\n')
    SignalledWhileFinalised()  # dropped at once: its __del__ runs now
    time.sleep(20)
    print("ran on after the signal", flush=True)
"""


def test_a_signal_during_a_finaliser_still_stops_the_write(tmp_path: Path) -> None:
    # Python swallows what a __del__ raises: the signal must not be lost with it.
    target = tmp_path / "out.jsonl"
    child = subprocess.run(
        [sys.executable, "-c", FINALISER_WRITER, str(target)],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )
    assert child.returncode == 128 + signal.SIGTERM, child.stderr.decode()
    assert b"ran on" not in child.stdout
    assert b"Traceback" not in child.stderr, child.stderr.decode()
    assert list(tmp_path.iterdir()) == []


def test_temp_files_are_never_taken_for_outputs_or_inputs(tmp_path: Path) -> None:
    temp = tmp_path / f"{TEMP_PREFIX}1234-a.jsonl"
    temp.write_bytes(b"{}\n")
    (tmp_path / "b.jsonl").write_bytes(b"{}\n")
    assert not is_complete(temp) and is_complete(tmp_path / "b.jsonl")
    assert find_stale_temps(tmp_path) == [temp]
    assert [j.source for j in plan_files([tmp_path])] == [str(tmp_path / "b.jsonl")]


# -- planning ------------------------------------------------------------------------------


def make_tree(root: Path) -> None:
    for rel in [
        "b/z.jsonl",
        "a.jsonl.gz",
        "b/a.txt",
        "c/d/e.ndjson",
        "notes.md",
        ".hidden/x.jsonl",
    ]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


def test_directories_mirror_into_the_output_sorted(tmp_path: Path) -> None:
    make_tree(tmp_path / "in")
    jobs = plan_files([tmp_path / "in"], tmp_path / "out")
    rel = [(Path(j.source).relative_to(tmp_path / "in").as_posix(), j.target) for j in jobs]
    assert rel == [
        ("a.jsonl.gz", str(tmp_path / "out/a.jsonl.gz")),
        ("b/a.txt", str(tmp_path / "out/b/a.txt")),
        ("b/z.jsonl", str(tmp_path / "out/b/z.jsonl")),
        ("c/d/e.ndjson", str(tmp_path / "out/c/d/e.ndjson")),
    ]
    assert jobs == plan_files([tmp_path / "in"], tmp_path / "out")


def test_several_inputs_and_explicit_files(tmp_path: Path) -> None:
    make_tree(tmp_path / "in")
    (tmp_path / "x.txt").write_bytes(b"")
    jobs = plan_files([tmp_path / "x.txt", tmp_path / "in" / "c"], tmp_path / "out")
    assert [j.target for j in jobs] == [
        str(tmp_path / "out/x.txt"),
        str(tmp_path / "out/d/e.ndjson"),
    ]
    [single] = plan_files([tmp_path / "x.txt"], tmp_path / "y.txt")
    assert single.target == str(tmp_path / "y.txt")
    [into_dir] = plan_files([tmp_path / "x.txt"], tmp_path / "newdir")
    assert into_dir.target == str(tmp_path / "newdir" / "x.txt")
    [fix] = plan_files([tmp_path / "x.txt"], in_place=True)
    assert fix.in_place


@pytest.mark.parametrize(
    ("inputs", "output", "error", "message"),
    [
        (["in"], "in/out", ConfigError, "output directory is inside input directory"),
        (["in"], "in", ConfigError, "inside input directory"),
        (["missing.jsonl"], "out", InputError, "no such file or directory"),
        (["in/notes.md"], "out", InputError, "unknown file type"),
        (["empty"], "out", InputError, "no input files found"),
        (["in", "in/b"], "-", ConfigError, "stdout .* takes exactly one input"),
        (["in/b/z.jsonl"], "in/b/z.jsonl", ConfigError, "output is the input file"),
        (["in/b", "in/c/d"], "out", None, ""),
        (["-", "in"], "out", ConfigError, "stdin .* cannot be combined"),
        ([], "out", ConfigError, "no inputs"),
    ],
)
def test_planning_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    inputs: list[str],
    output: str,
    error: type[Exception] | None,
    message: str,
) -> None:
    make_tree(tmp_path / "in")
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    if error is None:
        plan_files(inputs, output)
        return
    with pytest.raises(error, match=message):
        plan_files(inputs, output)


def test_two_sources_for_one_target_is_an_error(tmp_path: Path) -> None:
    for rel in ["x/a.jsonl", "y/a.jsonl"]:
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    with pytest.raises(ConfigError, match="would be written here"):
        plan_files([tmp_path / "x", tmp_path / "y"], tmp_path / "out")


def test_unreadable_files_in_a_directory_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path / "in")
    real_access = os.access
    monkeypatch.setattr(
        "cleaner.io.plan.os.access",
        lambda p, mode: not str(p).endswith("z.jsonl") and real_access(p, mode),
    )
    with pytest.raises(InputError, match=r"cannot read 1 entries \(.*z\.jsonl\); fix permissions"):
        plan_files([tmp_path / "in"], tmp_path / "out")


def test_resume_knows_finished_targets(tmp_path: Path) -> None:
    make_tree(tmp_path / "in")
    jobs = plan_files([tmp_path / "in"], tmp_path / "out")
    assert not any(j.is_done() for j in jobs)
    Path(str(jobs[0].target)).parent.mkdir(parents=True)
    Path(str(jobs[0].target)).write_bytes(b"")
    assert [j.is_done() for j in jobs] == [True, False, False, False]


# -- the splice, as a property ---------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
any_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()))


@settings(max_examples=300, deadline=None)
@given(
    obj=st.dictionaries(st.text(), json_values, max_size=5),
    text=any_text,
    new=any_text,
    ascii_only=st.booleans(),
    separators=st.sampled_from([(", ", ": "), (",", ":"), (" , ", " : ")]),
)
def test_splice_replaces_only_the_text(
    obj: dict[str, object], text: str, new: str, ascii_only: bool, separators: tuple[str, str]
) -> None:
    obj = {**obj, "text": text}
    line = json.dumps(obj, ensure_ascii=ascii_only, separators=separators)
    try:
        raw = line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate written raw is not UTF-8: no such input
        return
    out = JsonlCodec().encode(Record("f", 1, raw), CleanResult(new, (Span(0, len(text), "r"),)))
    parsed = json.loads(out.decode("utf-8"))
    assert list(parsed) == list(obj) and parsed == {**obj, "text": new}
    if raw.isascii():
        assert out.isascii()  # an escaped (ensure_ascii) line stays escaped


@settings(max_examples=500, deadline=None)
@given(text=any_text | st.text(st.sampled_from('ab’é "\\\n\r\t\b\f\x00\x1f\x7f\u2028\ud800')))
def test_a_cleaned_text_is_written_as_json_dumps_writes_it(text: str) -> None:
    """The same bytes as the standard library, raw characters or escaped, surrogates too."""
    for ascii_only in (False, True):
        try:
            expected = json.dumps(text, ensure_ascii=ascii_only).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate can only be written escaped
            expected = json.dumps(text).encode("ascii")
        assert _encode_string(text, ascii_only=ascii_only) == expected


def test_an_unwritable_output_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with (
        pytest.raises(ConfigError, match="cannot write the output here"),
        AtomicOutput(tmp_path / "file" / "out.jsonl"),
    ):
        pass


def test_a_path_with_a_scheme_is_a_url_and_file_urls_are_local_paths():
    from cleaner.io.storage import is_url, local_path

    assert is_url("s3://bucket/shards/") and is_url("hf://datasets/me/news/data.jsonl")
    assert not is_url("crawl/part.jsonl") and not is_url("file:///data/x.jsonl")
    assert not is_url("C:/data/x.jsonl")  # a drive letter is not a scheme
    assert local_path("file:///data/x.jsonl") == "/data/x.jsonl"


def test_a_url_without_fsspec_installed_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "fsspec", None)  # import fsspec now fails
    with pytest.raises(
        ConfigError, match=r"s3://bucket/x\.jsonl: .*pip install 'cleaner\[fsspec\]'"
    ):
        plan_files(["s3://bucket/x.jsonl"])
