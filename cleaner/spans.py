"""Pure span arithmetic: order, overlaps, clean seams, and applying edits to a text.

Matchers propose raw spans; :func:`resolve` turns them into the final edit list, so that
``apply_spans(original, resolve(original, raw))`` reads like an editor did it: a removed line
takes its line break along, no run of blank lines is created, and an inline removal leaves one
space between words, not two.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from operator import add, not_

from cleaner.types import Span

_HSPACE = " \t"
_CLOSING = ",.;:!?)]}”’'\""


def apply_spans(text: str, spans: Iterable[Span]) -> str:
    """Apply sorted, non-overlapping spans to ``text``."""
    out: list[str] = []
    pos = 0
    for span in spans:
        if span.start < pos:
            raise ValueError(f"overlapping or unsorted span at {span.start} (previous ends {pos})")
        out.append(text[pos : span.start])
        out.append(span.replacement)
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


class Edits:
    """Applied spans seen from the text they produced: which parts of it are old text,
    moved, and which are new (the images of the replacements).

    What a scan of the old text found in its untouched parts holds, moved, for the new one;
    only the neighbourhood of the images needs a new look.
    """

    def __init__(self, spans: Sequence[Span]) -> None:
        # Spans are sorted and do not overlap: their ends are sorted too.
        self.ends = [s.end for s in spans]
        self.starts = [s.start for s in spans]
        self.shifts = [0]  # shifts[i]: how far old text after the first i spans moved
        self.images: list[tuple[int, int]] = []
        for span in spans:
            at = span.start + self.shifts[-1]
            self.images.append((at, at + len(span.replacement)))
            self.shifts.append(self.shifts[-1] + len(span.replacement) - (span.end - span.start))
        self._image_ends = [q for _, q in self.images]

    def moved(self, start: int, end: int) -> int | None:
        """Where old text ``[start, end)`` starts in the new text; None if an edit touched it."""
        before = bisect_right(self.ends, start)  # spans that end at or before it
        if before < len(self.starts) and self.starts[before] < end:
            return None
        return start + self.shifts[before]

    def is_new(self, start: int, end: int) -> bool:
        """Whether new text ``[start, end)`` is not wholly inside old text: it overlaps an image
        or straddles the place of a deletion."""
        after = bisect_right(self._image_ends, start)  # images that end at or before it
        return after < len(self.images) and self.images[after][0] < end

    def around_images(self, reach: int, length: int) -> list[tuple[int, int]]:
        """The new text within ``reach`` characters of an image, as merged ranges."""
        ranges: list[tuple[int, int]] = []
        for p, q in self.images:
            lo, hi = max(0, p - reach), min(length, q + reach)
            if ranges and lo <= ranges[-1][1]:
                ranges[-1] = (ranges[-1][0], max(ranges[-1][1], hi))
            else:
                ranges.append((lo, hi))
        return ranges


def resolve(text: str, spans: Iterable[Span]) -> list[Span]:
    """Sort, de-overlap and tidy raw spans into the edits that are applied and reported."""
    ordered = _without_overlaps(spans)
    if not ordered:
        return []
    lines = _Lines(text)
    whole, inline = _split_emptied_lines(text, lines, ordered)
    inline = _tidy_inline(text, lines, inline)
    whole = whole + _blank_line_spans(text, lines, whole)
    return _merge_touching(_without_overlaps(inline + whole))


def _without_overlaps(spans: Iterable[Span]) -> list[Span]:
    """Earliest, then longest, wins; two overlapping deletions become their union.

    Zero-width spans are dropped: an edit always replaces some text, it never only inserts.
    """
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.start == span.end:
            continue
        if kept and span.start < kept[-1].end:
            last = kept[-1]
            if not last.replacement and not span.replacement and span.end > last.end:
                kept[-1] = _with(last, end=span.end)
            continue
        kept.append(span)
    return kept


class _Lines:
    """Line boundaries of a text: ``starts[i]`` .. ``ends[i]`` is the content, ``nexts[i]``
    the start of the following line (after ``\\n``)."""

    def __init__(self, text: str) -> None:
        parts = text.split("\n")
        if parts[-1] == "":
            parts.pop()  # the text ends with a line break: no line after it
        # Built with map and accumulate, which loop in C: this runs on every changed text.
        lengths = list(map(len, parts))
        self.starts = list(itertools.accumulate(map(add, lengths, repeat(1)), initial=0))
        self.nexts = self.starts[1:]
        del self.starts[-1]
        if self.nexts and self.nexts[-1] > len(text):
            self.nexts[-1] = len(text)
        self.ends = list(map(add, self.starts, lengths))
        if "\r" in text:
            self.ends = [
                end - part.endswith("\r") for end, part in zip(self.ends, parts, strict=True)
            ]
        # A line without its "\r" is blank exactly when the line with it is.
        self.blank = list(map(not_, map(str.strip, parts)))

    def __len__(self) -> int:
        return len(self.starts)

    def index(self, offset: int) -> int:
        """The line holding ``offset`` (a line's break belongs to it)."""
        i = bisect_right(self.starts, offset) - 1
        return i if i > 0 else 0


def _split_emptied_lines(
    text: str, lines: _Lines, spans: list[Span]
) -> tuple[list[Span], list[Span]]:
    """Lines left with nothing but white space become whole-line removals (break included)."""
    touched: dict[int, list[Span]] = {}
    for span in spans:
        first = lines.index(span.start)
        last = lines.index(max(span.start, span.end - 1))
        for i in range(first, last + 1):
            touched.setdefault(i, []).append(span)
    emptied: dict[int, str] = {}
    for i, on_line in touched.items():
        if not lines.blank[i] and not _line_after(text, lines.starts[i], lines.ends[i], on_line):
            start, end = lines.starts[i], lines.ends[i]
            covering = max(on_line, key=lambda s: min(s.end, end) - max(s.start, start))
            emptied[i] = covering.rule_id
    whole = [Span(lines.starts[i], lines.nexts[i], rule) for i, rule in sorted(emptied.items())]
    inline: list[Span] = []
    for span in spans:
        inline.extend(_outside(span, whole))
    return whole, inline


def _line_after(text: str, start: int, end: int, spans: list[Span]) -> str:
    """What is left of the line ``text[start:end]`` once ``spans`` are applied, stripped."""
    pieces = []
    pos = start
    for span in spans:
        cut_from, cut_to = max(span.start, start), min(span.end, end)
        if cut_from > pos:
            pieces.append(text[pos:cut_from])
        if start <= span.start <= end:
            pieces.append(span.replacement)
        pos = max(pos, cut_to)
    pieces.append(text[pos:end])
    return "".join(pieces).strip()


def _outside(span: Span, whole: Sequence[Span]) -> list[Span]:
    """The parts of ``span`` that no whole-line removal covers."""
    pieces = [span]
    for cut in whole:
        if cut.end <= span.start or cut.start >= span.end:
            continue
        next_pieces = []
        for piece in pieces:
            if piece.start < cut.start:
                next_pieces.append(_with(piece, end=min(piece.end, cut.start)))
            if piece.end > cut.end:
                next_pieces.append(_with(piece, start=max(piece.start, cut.end), replacement=""))
        pieces = next_pieces
    return [p for p in pieces if p.end > p.start or p.replacement]


def _tidy_inline(text: str, lines: _Lines, spans: list[Span]) -> list[Span]:
    """Deletions inside a line: no double spaces, no space before punctuation, no glued words."""
    out: list[Span] = []
    i = 0
    while i < len(spans):
        span = spans[i]
        if span.replacement:
            out.append(span)
            i += 1
            continue
        # A cluster: deletions on one line separated only by spaces or tabs.
        cluster = [span]
        line_end = lines.ends[lines.index(span.start)]
        while i + 1 < len(spans):
            nxt = spans[i + 1]
            gap = text[cluster[-1].end : nxt.start]
            if nxt.replacement or nxt.start > line_end or gap.strip(_HSPACE):
                break
            cluster.append(nxt)
            i += 1
        out.extend(_seam(text, lines, cluster))
        i += 1
    return out


def _seam(text: str, lines: _Lines, cluster: list[Span]) -> list[Span]:
    first, last = cluster[0], cluster[-1]
    spans = [
        _with(s, end=n.start) if n.start > s.end else s for s, n in itertools.pairwise(cluster)
    ]
    spans.append(last)
    line = lines.index(first.start)
    line_start, line_end = lines.starts[line], lines.ends[line]
    start, end = first.start, last.end
    left = text[start - 1] if start > line_start else ""
    right = text[end] if end < line_end else ""
    right_ws = _run(text, end, line_end)
    if right_ws and (not left or left in _HSPACE):
        spans[-1] = _with(spans[-1], end=end + right_ws)
    elif left in _HSPACE and left and (not right or right in _CLOSING):
        back = start
        while back > line_start and text[back - 1] in _HSPACE:
            back -= 1
        spans[0] = _with(spans[0], start=back)
    elif left.isalnum() and right.isalnum():
        spans[-1] = _with(spans[-1], replacement=" ")
    return spans


def _run(text: str, pos: int, limit: int) -> int:
    n = 0
    while pos + n < limit and text[pos + n] in _HSPACE:
        n += 1
    return n


def _blank_line_spans(text: str, lines: _Lines, whole: list[Span]) -> list[Span]:
    """Blank lines to drop so that removals create no new blank runs, at the edges or inside.

    Only the neighbourhood of removed lines is visited: a run of blank lines that a removal
    joins is the kept part of a stretch of lines that are all blank or removed.
    """
    if not whole:
        return []
    n = len(lines)
    blank = lines.blank
    removed = {lines.index(s.start): s.rule_id for s in whole}
    content = _first(range(n), lambda i: not blank[i])
    leading = n if content is None else content
    last_content = _first(range(n - 1, -1, -1), lambda i: not blank[i])
    trailing = n if last_content is None else n - 1 - last_content
    kept_content = (
        _first(range(n), lambda i: not blank[i] and i not in removed),
        _first(range(n - 1, -1, -1), lambda i: not blank[i] and i not in removed),
    )
    drop: dict[int, str] = {}
    end = -1
    for line in sorted(removed):
        if line <= end:
            continue  # inside the stretch already handled
        start = line
        while start > 0 and (blank[start - 1] or start - 1 in removed):
            start -= 1
        end = line
        while end < n - 1 and (blank[end + 1] or end + 1 in removed):
            end += 1
        run = [i for i in range(start, end + 1) if i not in removed]
        if run:
            for j in _surplus(run, kept_content, leading, trailing):
                drop[j] = _nearest(removed, j)
    extra = [Span(lines.starts[j], lines.nexts[j], rule) for j, rule in drop.items()]
    if (n - 1) in removed and not text.endswith(("\n", "\r")):
        # The original ended without a line break; so must the result.
        last = _first(range(n - 1, -1, -1), lambda i: i not in removed and i not in drop)
        if last is not None:
            extra.append(Span(lines.ends[last], lines.nexts[last], _nearest(removed, last + 1)))
    return extra


def _first(indexes: Iterable[int], wanted: Callable[[int], bool]) -> int | None:
    return next((i for i in indexes if wanted(i)), None)


def _nearest(removed: dict[int, str], line: int) -> str:
    """The rule of the removal closest to ``line``: blank lines go with it."""
    return removed[min(removed, key=lambda j: (abs(j - line), j))]


def _surplus(
    run: list[int], kept_content: tuple[int | None, int | None], leading: int, trailing: int
) -> list[int]:
    """The blank lines of ``run`` beyond what the original had at that place.

    ``kept_content`` is the first and the last line with text that stays (None: there is none).
    """
    first, last = kept_content
    if first is None or last is None or run[0] < first:
        return run[min(len(run), leading) :]
    if run[-1] > last:
        return run[: len(run) - min(len(run), trailing)]
    longest = current = 1
    for a, b in itertools.pairwise(run):
        current = current + 1 if b == a + 1 else 1
        longest = max(longest, current)
    return run[longest:]


def _with(
    span: Span, *, start: int | None = None, end: int | None = None, replacement: str | None = None
) -> Span:
    """``span`` with some fields changed (dataclasses.replace, without its generic cost)."""
    return Span(
        span.start if start is None else start,
        span.end if end is None else end,
        span.rule_id,
        span.replacement if replacement is None else replacement,
    )


def _merge_touching(spans: list[Span]) -> list[Span]:
    """Adjacent deletions of one rule are one edit."""
    out: list[Span] = []
    for span in spans:
        if (
            out
            and out[-1].end == span.start
            and out[-1].rule_id == span.rule_id
            and not out[-1].replacement
            and not span.replacement
        ):
            out[-1] = _with(out[-1], end=span.end)
        else:
            out.append(span)
    return out


def compose(first: Sequence[Span], second: Sequence[Span], middle: str) -> list[Span]:
    """Spans on the original text doing what ``first`` then ``second`` do.

    ``first`` are resolved spans on the original; ``middle`` is their result and ``second``
    resolved spans on ``middle``. An edit of ``second`` that cuts into text a replacement of
    ``first`` inserted swallows that earlier edit whole and keeps what it did not touch.
    """
    composed = lift(first, second, middle)
    kept = [s for s in first if not any(c.start < s.end and s.start < c.end for c in composed)]
    return _merge_touching(sorted(kept + composed, key=lambda s: (s.start, s.end)))


def lift(first: Sequence[Span], second: Sequence[Span], middle: str) -> list[Span]:
    """Spans on ``middle`` (the result of ``first``) carried back to the original's offsets."""
    # Segments of `middle`: (middle_start, middle_end, original_start, span or None if copied).
    segments: list[tuple[int, int, int, Span | None]] = []
    pos_mid = pos_orig = 0
    for span in first:
        copied = span.start - pos_orig
        segments.append((pos_mid, pos_mid + copied, pos_orig, None))
        pos_mid += copied
        segments.append((pos_mid, pos_mid + len(span.replacement), span.start, span))
        pos_mid += len(span.replacement)
        pos_orig = span.end
    segments.append((pos_mid, len(middle), pos_orig, None))
    starts = [seg[0] for seg in segments]

    def origin_of_start(x: int) -> tuple[int, int]:
        """(original offset, middle offset) where an edit starting at ``x`` must begin."""
        for mid_start, mid_end, orig, inserted in segments[max(0, bisect_right(starts, x) - 1) :]:
            if mid_start <= x < mid_end or (x == mid_end == len(middle) and inserted is None):
                if inserted is None:
                    return orig + x - mid_start, x
                return inserted.start, mid_start
        return pos_orig + x - pos_mid, x

    def origin_of_end(y: int) -> tuple[int, int]:
        """(original offset, middle offset) where an edit ending at ``y`` must end."""
        for mid_start, mid_end, orig, inserted in segments[
            max(0, bisect_right(starts, y - 1) - 1) :
        ]:
            if mid_start < y <= mid_end or (y == mid_start == 0 and inserted is None):
                if inserted is None:
                    return orig + y - mid_start, y
                return inserted.end, mid_end
        return pos_orig + y - pos_mid, y

    # Edits that reach into the same earlier replacement are lifted together, as one.
    groups: list[tuple[int, int, int, int, list[Span]]] = []
    for span in second:
        start, mid_start = origin_of_start(span.start)
        end, mid_end = origin_of_end(span.end)
        if groups and (start < groups[-1][1] or mid_start < groups[-1][3]):
            g_start, g_end, g_mid_start, g_mid_end, members = groups[-1]
            groups[-1] = (g_start, max(g_end, end), g_mid_start, max(g_mid_end, mid_end), members)
            members.append(span)
        else:
            groups.append((start, end, mid_start, mid_end, [span]))
    lifted = []
    for start, end, mid_start, mid_end, members in groups:
        local = [_with(s, start=s.start - mid_start, end=s.end - mid_start) for s in members]
        new = apply_spans(middle[mid_start:mid_end], local)
        lifted.append(Span(start, end, members[0].rule_id, new))
    return lifted
