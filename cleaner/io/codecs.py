"""Codecs: raw record bytes <-> ``Document``, and a cleaned result back to bytes.

The promise is "the cleaner touches the text and nothing else". A record the cleaner did not
change is never re-encoded (the pipeline writes its raw bytes). A changed JSONL record is
*spliced*: only the bytes of the text value are replaced, so key order, whitespace, big
integers, float spellings, escapes and duplicate keys elsewhere in the line survive exactly.

Codecs are small frozen dataclasses so they pickle cheaply to worker processes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any, NoReturn, Protocol, TypeVar

from cleaner.errors import ConfigError, InputError
from cleaner.io.formats import Format
from cleaner.io.readers import Record
from cleaner.types import DEFAULT_FIELDS, CleanResult, Document, Fields, rebuilt_by_fields

BOM = "\ufeff"
BOM_BYTES = BOM.encode("utf-8")
_OPEN = re.compile("\ufeff?[ \t\n\r]*\\{[ \t\n\r]*")
_COLON = re.compile(r"[ \t\n\r]*:[ \t\n\r]*")
_AFTER = re.compile(r"[ \t\n\r]*([,}])[ \t\n\r]*")
_DECODER = json.JSONDecoder()


R_contra = TypeVar("R_contra", contravariant=True)


class Codec(Protocol[R_contra]):
    """Turns records into documents and cleaned results back into record bytes."""

    def decode(self, record: R_contra, /) -> Document | None:
        """The document in ``record``; ``None`` if it holds none (a blank line), which the
        pipeline passes through untouched and does not count. Raises InputError."""
        ...

    def encode(self, record: R_contra, result: CleanResult, /) -> bytes:
        """The bytes (without terminator) for ``record`` after cleaning changed its text."""
        ...


def json_kind(value: object) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def metadata_str(value: object) -> str | None:
    """Metadata for rules: strings as they are, integer ids as text, anything else ignored."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def lookup(obj: dict[str, Any], key: str | None) -> object:
    """``obj[key]``, else a dotted path (``metadata.url``) into nested objects, else None
    (always None for no key)."""
    if key is None:
        return None
    if key in obj:
        return obj[key]
    node: object = obj
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _check_key(name: str, value: str | None) -> None:
    if value is not None and not value:
        raise ConfigError(f"{name} must not be empty")


def check_fields(fields: Fields) -> None:
    """Refuse empty keys and column names (ConfigError), by the names the CLI gives them."""
    names = ("text_key", "url_key", "title_key", "id_key")
    values = (fields.text, fields.url, fields.title, fields.id)
    for name, value in zip(names, values, strict=True):
        _check_key(name, value)


@dataclass(frozen=True, slots=True)
class JsonlCodec:
    """One JSON object per line; the text under ``text_key`` (a top-level key).

    ``url_key``, ``title_key`` and ``id_key`` may also be dotted paths into nested objects, or
    ``None`` (not read); absent or non-string metadata is simply not given to the rules.
    """

    text_key: str = "text"
    url_key: str | None = "url"
    title_key: str | None = "title"
    id_key: str | None = "id"

    def __reduce__(self) -> tuple[Any, ...]:
        return rebuilt_by_fields(self)

    def __post_init__(self) -> None:
        for name in ("text_key", "url_key", "title_key", "id_key"):
            _check_key(name, getattr(self, name))

    def decode(self, record: Record) -> Document | None:
        if not record.raw.strip():
            return None
        obj = self._parse(record)
        if not isinstance(obj, dict):
            self._fail(
                record,
                f"a JSON line must be an object with a {self.text_key!r} field, "
                f"found {json_kind(obj)}",
            )
        text = obj.get(self.text_key, _MISSING)
        if text is _MISSING:
            self._fail(record, self._missing_message(obj))
        if not isinstance(text, str):
            self._fail(record, f"field {self.text_key!r} is {json_kind(text)}, not a string")
        return Document(
            text=text,
            url=metadata_str(lookup(obj, self.url_key)),
            title=metadata_str(lookup(obj, self.title_key)),
            id=metadata_str(lookup(obj, self.id_key)),
        )

    def encode(self, record: Record, result: CleanResult) -> bytes:
        line = record.raw.decode("utf-8")
        span = _value_span(line, self.text_key)
        if span is None:  # decode() accepted this record, so the key is there
            raise ValueError(f"{record.where}: no {self.text_key!r} member to replace")
        start, end = span
        value = _encode_string(result.text, ascii_only=record.raw.isascii())
        return line[:start].encode("utf-8") + value + line[end:].encode("utf-8")

    def _parse(self, record: Record) -> object:
        try:
            line = record.raw.decode("utf-8")
        except UnicodeDecodeError as e:
            self._fail(
                record,
                f"invalid UTF-8 at byte offset {e.start} of the line ({e.reason}); "
                "re-encode the file as UTF-8",
            )
        try:
            return json.loads(line.removeprefix(BOM))
        except json.JSONDecodeError as e:
            whole = " (a .json file is read as JSON Lines, one object per line)"
            self._fail(
                record,
                f"malformed JSON at column {e.colno}: {e.msg}; fix the line"
                + (whole if ".json" in record.path and ".jsonl" not in record.path else ""),
            )
        except RecursionError:
            self._fail(record, "JSON nested too deeply to read")

    def _missing_message(self, obj: dict[str, Any]) -> str:
        keys = ", ".join(repr(k) for k in list(obj)[:8]) or "none"
        more = ", ..." if len(obj) > 8 else ""
        return (
            f"no {self.text_key!r} field (keys: {keys}{more}); "
            "pass --text-key if the text is under another key"
        )

    @staticmethod
    def _fail(record: Record, message: str) -> NoReturn:
        raise InputError(record.path, message, line=record.line)


_MISSING: Any = object()


def _encode_string(text: str, *, ascii_only: bool) -> bytes:
    """``text`` as a JSON string literal in UTF-8, byte for byte what ``json.dumps`` writes.

    An all-ASCII line keeps its ``\\uXXXX`` style. Otherwise characters are written as
    themselves, except that a lone surrogate (legal in JSON via ``\\ud800``, not encodable as
    UTF-8) forces the escaped form so the output stays valid JSON and valid UTF-8.
    """
    if not ascii_only:
        try:
            return _utf8_literal(text)
        except UnicodeEncodeError:
            pass
    return json.dumps(text, ensure_ascii=True).encode("ascii")


def _utf8_literal(text: str) -> bytes:
    # json.dumps(ensure_ascii=False) walks the text a character at a time, at a quarter of the
    # speed of this: the same escapes, made by bytes.replace on the UTF-8 form.
    data = text.encode("utf-8")
    if data.translate(None, _NOT_RARE_CONTROL):
        return json.dumps(text, ensure_ascii=False).encode("utf-8")
    for char, escape in _COMMON_ESCAPES:
        if char in data:
            data = data.replace(char, escape)
    return b'"' + data + b'"'


# What json.dumps escapes, the backslash first so that no escape is escaped again. The other
# control characters are rare and left to json.dumps. In UTF-8, every byte below 0x80 is the
# character itself.
_COMMON_ESCAPES = (
    (b"\\", b"\\\\"),
    (b'"', b'\\"'),
    (b"\n", b"\\n"),
    (b"\r", b"\\r"),
    (b"\t", b"\\t"),
)
_NOT_RARE_CONTROL = bytes(b for b in range(256) if b >= 0x20 or b in b"\n\r\t")


def _match(pattern: re.Pattern[str], line: str, i: int) -> re.Match[str]:
    match = pattern.match(line, i)
    if match is None:  # pragma: no cover - the line was parsed as a JSON object already
        raise ValueError(f"not a JSON object at column {i + 1}")
    return match


def _value_span(line: str, key: str) -> tuple[int, int] | None:
    """Character span of the value of the last top-level member ``key`` (last, as in json.loads).

    Walks the members of a line already known to be a valid JSON object, decoding keys with
    ``scanstring`` and skipping values with ``raw_decode`` (both C-accelerated), with one
    regex match per separator.
    """
    i = _match(_OPEN, line, 0).end()
    if line[i] == "}":
        return None
    found = None
    while True:
        name, i = scanstring(line, i + 1, True)
        i = _match(_COLON, line, i).end()
        _, end = _DECODER.raw_decode(line, i)
        if name == key:
            found = (i, end)
        after = _match(_AFTER, line, end)
        if after.group(1) == "}":
            return found
        i = after.end()


def text_column(raw: bytes, key: str, offset: int) -> int | None:
    """The 1-based column, in the JSON line ``raw``, of the text value's character at
    ``offset``: escapes (``\\n``, ``\\u00e9``, surrogate pairs) widen the line, so the
    offset alone points elsewhere. None where the line or key cannot be mapped."""
    try:
        line = raw.decode("utf-8").removeprefix(BOM)
        found = _value_span(line, key)
    except (UnicodeDecodeError, ValueError, IndexError):
        return None
    if found is None or line[found[0]] != '"':
        return None
    j = found[0] + 1
    for _ in range(offset):
        if line[j] != "\\":
            j += 1
        elif line[j + 1] != "u":
            j += 2
        elif 0xD800 <= int(line[j + 2 : j + 6], 16) < 0xDC00 and line[j + 6 : j + 8] == "\\u":
            j += 12  # a surrogate pair is one character of the text
        else:
            j += 6
    return j + 1 + (len(BOM) if raw.startswith(BOM_BYTES) else 0)


def _crlf(data: bytes) -> bool:
    """True if every newline is CRLF (the text is then cleaned with ``\\n`` and restored)."""
    newlines = data.count(b"\n")
    return newlines > 0 and newlines == data.count(b"\r\n")


@dataclass(frozen=True, slots=True)
class TextCodec:
    """A whole .txt file is one document, UTF-8.

    A BOM is kept out of the text the rules see and put back on output. A file whose line
    breaks are all CRLF is cleaned as ``\\n`` text (so line rules behave the same on Windows
    files) and written back as CRLF; mixed line breaks are left exactly as they are. A text
    file holds no metadata: ``url`` and ``title``, when given, are the document's.
    """

    url: str | None = None
    title: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return rebuilt_by_fields(self)

    def decode(self, record: Record) -> Document:
        data = record.raw.removeprefix(BOM_BYTES)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            offset = e.start + len(record.raw) - len(data)
            raise InputError(
                record.path,
                f"invalid UTF-8 at byte offset {offset} ({e.reason}); convert the file to "
                "UTF-8 (e.g. iconv -f latin1 -t utf-8)",
                line=record.raw.count(b"\n", 0, offset) + 1,
            ) from None
        if _crlf(data):
            text = text.replace("\r\n", "\n")
        return Document(text=text, url=self.url, title=self.title)

    def encode(self, record: Record, result: CleanResult) -> bytes:
        text = result.text.replace("\n", "\r\n") if _crlf(record.raw) else result.text
        bom = BOM_BYTES if record.raw.startswith(BOM_BYTES) else b""
        return bom + text.encode("utf-8")


@dataclass(frozen=True, slots=True)
class TxtMeta:
    """The url and title of a single .txt document, which carries neither (records carry
    their own): what ``cleaner clean FILE.txt --url URL --title T`` gives."""

    url: str | None = None
    title: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return rebuilt_by_fields(self)

    @property
    def given(self) -> bool:
        return self.url is not None or self.title is not None


NO_TXT_META = TxtMeta()


def codec_for(
    fmt: Format, fields: Fields = DEFAULT_FIELDS, txt: TxtMeta = NO_TXT_META
) -> Codec[Record]:
    """The codec for a line format: ``fields`` name JSON keys; .txt ignores them, and takes
    ``txt`` as its document's url and title. Parquet rows have a codec of their own
    (``cleaner.io.parquet.ParquetCodec``)."""
    if fmt.kind == "parquet":
        raise ValueError("parquet rows are read with cleaner.io.parquet.ParquetCodec")
    if fmt.kind == "txt":
        return TextCodec(txt.url, txt.title)
    return JsonlCodec(fields.text, fields.url, fields.title, fields.id)
