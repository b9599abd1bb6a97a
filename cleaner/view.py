"""A document as matchers see it: its text, and derived forms (lines) computed on demand.

All state per document lives here, computed lazily, so a document that no rule can touch costs
nothing beyond the prefilter.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any, TypeVar

import regex

T = TypeVar("T")

_NON_WORD = regex.compile(r"[\W_]+")

#: White space within a line: what ``regex`` counts as ``\s``, the newline aside (a test checks
#: the two agree). A line rule's match may be surrounded by it; a line of nothing else is blank.
LINE_SPACE = (
    "\t\v\f\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)


# normalise's fast path, on UTF-8 bytes: ASCII letters and digits to lower case, other ASCII
# to a space; then the punctuation of news text (curly quotes, dashes, no-break space) to a
# space. Bytes translate at memory speed, where str.translate looks up every character.
_FOLD = bytes(
    c if c >= 0x80 else ord(chr(c).lower()) if chr(c).isalnum() else 0x20 for c in range(256)
)
_NEWS_PUNCTUATION = tuple(c.encode() for c in "‘’“”–—…•·«»\u00a0")


def normalise(text: str) -> str:
    """Case and punctuation folded away, for fuzzy comparison of boilerplate lines."""
    try:
        folded = text.encode("utf-8").translate(_FOLD)
    except UnicodeEncodeError:  # a lone surrogate
        return _normalise_any(text)
    if not folded.isascii():
        for mark in _NEWS_PUNCTUATION:
            folded = folded.replace(mark, b" ")
        if not folded.isascii():
            return _normalise_any(text)
    # What _normalise_any gives, at translate speed: most lines of news text get here.
    return " ".join(folded.decode("ascii").split())


def _normalise_any(text: str) -> str:
    return _NON_WORD.sub(" ", text.lower()).strip()


def find_all(text: str, literal: str) -> Iterator[int]:
    """Start offsets of every occurrence of ``literal`` in ``text``, overlapping ones included."""
    at = text.find(literal)
    while at != -1:
        yield at
        at = text.find(literal, at + 1)


_UNSEEN: Any = object()


class DocView:
    """A document as matchers see it; derived forms are computed at most once, on demand."""

    def __init__(
        self, text: str, title: str | None, timeout: float, memo: dict[Any, Any] | None = None
    ) -> None:
        self.text = text
        self.title = title
        self.timeout = timeout
        # Shared by the passes over one document: what a matcher learnt that depends only on
        # what it keys by (line text, title), never on offsets.
        self.memo: dict[Any, Any] = {} if memo is None else memo
        self._all_nonblank: list[tuple[int, int]] | None = None

    def recall(self, key: Hashable, make: Callable[..., T], *args: Any) -> T:
        """``make(*args)``, computed once per key for every pass over this document."""
        # get, not try/except: most lookups in a first pass miss, and raising costs twice more.
        value: T = self.memo.get(key, _UNSEEN)
        if value is _UNSEEN:
            value = self.memo[key] = make(*args)
        return value

    @property
    def nonblank_lines(self) -> list[tuple[int, int]]:
        """(start, end) of every line that holds more than white space."""
        if self._all_nonblank is None:
            self._all_nonblank = self._nonblank_lines(None)
        return self._all_nonblank

    def lines_at(self, starts: Sequence[int] | None) -> list[tuple[int, int]]:
        """(start, end) of every line holding one of these offsets, in order; every line when
        ``starts`` is None."""
        text = self.text
        heads = (
            {text.rfind("\n", 0, at) + 1 for at in starts}
            if starts is not None
            else itertools.chain((0,), (at + 1 for at in find_all(text, "\n")))
        )
        lines = []
        for start in sorted(heads):
            end = text.find("\n", start)
            lines.append((start, len(text) if end == -1 else end))
        return lines

    def first_nonblank_lines(self, n: int) -> list[tuple[int, int]]:
        """The first ``n`` non-blank lines, without scanning the rest of the text."""
        if self._all_nonblank is not None:
            return self._all_nonblank[:n]
        return self._nonblank_lines(n)

    def _nonblank_lines(self, limit: int | None) -> list[tuple[int, int]]:
        # str.find, not a regex: lines are whole paragraphs, which a regex walks a character
        # at a time. A line that starts with text needs no other look.
        text = self.text
        lines: list[tuple[int, int]] = []
        start = 0
        while (limit is None or len(lines) < limit) and start < len(text):
            end = text.find("\n", start)
            if end == -1:
                end = len(text)
            if end > start and (text[start] not in LINE_SPACE or text[start:end].strip(LINE_SPACE)):
                lines.append((start, end))
            start = end + 1
        return lines

    def window(self, first: int | None, last: int | None) -> tuple[int, int]:
        """The character range covered by the first or last N non-blank lines."""
        if first is None and last is None:
            return 0, len(self.text)
        lines = self.nonblank_lines
        if not lines:
            return 0, 0
        if first is not None:
            return 0, lines[min(first, len(lines)) - 1][1]
        assert last is not None
        return lines[max(0, len(lines) - last)][0], len(self.text)
