"""What a run did: documents in and out, characters removed, and which rule did what.

A ``Report`` is plain counters, so it pickles, merges (per file, per worker, per Dask
partition) and serialises (``to_dict``, schema_version 1) without surprises. The accounting
rule that keeps "never lose a document" checkable: every document read is either written
(changed or unchanged) or rejected with a reason, so ``read == written + rejected``.

``return_code`` follows black: 0 nothing to report; 1 documents changed when the report was
made for a check (``check=True``: ``cleaner check`` / ``fix`` / ``diff``, like a pre-commit hook
that fails when it modifies files); 2 something could not be processed (a rejected record or a
failed file), whatever the mode, because data was set aside and someone should look.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol

from cleaner.types import CleanResult, rebuilt_by_fields

SCHEMA_VERSION = 1
#: Rejections listed individually (all are counted); beyond this only the count grows.
MAX_LISTED = 1000
#: Hosts counted one by one; a crawl of more hosts counts the rest under OTHER_HOSTS.
MAX_HOSTS = 10_000
NO_HOST = "(no URL)"
OTHER_HOSTS = "(other hosts)"


class OutcomeLike(Protocol):
    """What the report reads from a pipeline outcome (kept structural: report sits below
    the pipeline and must not import it)."""

    @property
    def path(self) -> str: ...

    @property
    def line(self) -> int: ...

    @property
    def result(self) -> CleanResult | None: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def host(self) -> str | None: ...


def _add_counters(target: Any, source: Any) -> None:
    """Add every numeric field of ``source`` into ``target``: a new counter merges by itself."""
    for f in fields(target):
        value = getattr(source, f.name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            setattr(target, f.name, getattr(target, f.name) + value)


@dataclass(slots=True)
class RuleStats:
    """One rule's work: spans applied, characters they removed, documents they touched,
    spans the over-removal guard held back, and documents where the rule timed out."""

    spans: int = 0
    chars_removed: int = 0
    documents: int = 0
    held_back: int = 0
    timeouts: int = 0

    def __reduce__(self) -> tuple[Any, ...]:
        return rebuilt_by_fields(self)

    def merge(self, other: RuleStats) -> None:
        _add_counters(self, other)


@dataclass(slots=True)
class FileStats:
    """Per-file document counts and the seconds spent on the file."""

    read: int = 0
    changed: int = 0
    rejected: int = 0
    seconds: float = 0.0

    def __reduce__(self) -> tuple[Any, ...]:
        return rebuilt_by_fields(self)

    @property
    def written(self) -> int:
        return self.read - self.rejected

    def merge(self, other: FileStats) -> None:
        _add_counters(self, other)


@dataclass(slots=True)
class HostStats:
    """Per-host document and character counts: what share of a site the rules took."""

    read: int = 0
    changed: int = 0
    chars_read: int = 0
    chars_removed: int = 0

    def __reduce__(self) -> tuple[Any, ...]:
        return rebuilt_by_fields(self)

    def merge(self, other: HostStats) -> None:
        _add_counters(self, other)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record set aside: where it was and why."""

    path: str
    line: int
    reason: str

    def __reduce__(self) -> tuple[Any, ...]:
        return rebuilt_by_fields(self)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class FileError:
    """A file that could not be processed at all (its output was not written)."""

    path: str
    message: str

    def __reduce__(self) -> tuple[Any, ...]:
        return rebuilt_by_fields(self)

    def __str__(self) -> str:
        return (
            self.message if self.message.startswith(self.path) else f"{self.path}: {self.message}"
        )


@dataclass(slots=True)
class Report:
    """Counters for one run (or one file, or one worker's share: ``merge`` adds them up).

    ``check`` makes changed documents a finding (return code 1); see the module docstring.
    ``files_skipped`` counts files a ``--resume`` run found already complete;
    ``files_not_read`` are the files of an input directory that are of no known type.
    """

    check: bool = False
    documents_read: int = 0
    documents_changed: int = 0
    documents_unchanged: int = 0
    documents_rejected: int = 0
    chars_read: int = 0
    chars_removed: int = 0
    files_skipped: int = 0
    files_not_read: list[str] = field(default_factory=list)
    rules: dict[str, RuleStats] = field(default_factory=dict)
    files: dict[str, FileStats] = field(default_factory=dict)
    hosts: dict[str, HostStats] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def __reduce__(self) -> tuple[Any, ...]:
        return rebuilt_by_fields(self)

    # -- accumulating -------------------------------------------------------------------

    @property
    def documents_written(self) -> int:
        return self.documents_changed + self.documents_unchanged

    def add(self, outcome: OutcomeLike) -> None:
        """Count one pipeline outcome; records that hold no document (blank lines) are ignored."""
        if outcome.reason is not None:
            self.add_rejection(outcome.path, outcome.line, outcome.reason)
        elif outcome.result is not None:
            self.add_result(outcome.path, outcome.result, outcome.host)

    def add_result(self, path: str, result: CleanResult, host: str | None = None) -> None:
        """Count one cleaned document from ``path`` (and the ``host`` its URL names)."""
        removed = result.removed_chars()
        read = len(result.text) + removed
        stats = self._file(path)
        site = self._host(host)
        stats.read += 1
        site.read += 1
        site.chars_read += read
        self.documents_read += 1
        self.chars_read += read
        if result.changed:
            stats.changed += 1
            site.changed += 1
            site.chars_removed += removed
            self.documents_changed += 1
            self.chars_removed += removed
        else:
            self.documents_unchanged += 1
        self._count_rules(result)

    def _count_rules(self, result: CleanResult) -> None:
        touched: set[str] = set()
        for span in result.spans:
            rule = self._rule(span.rule_id)
            rule.spans += 1
            rule.chars_removed += (span.end - span.start) - len(span.replacement)
            touched.add(span.rule_id)
        for rule_id in touched:
            self.rules[rule_id].documents += 1
        for span in result.held_back:
            self._rule(span.rule_id).held_back += 1
        for rule_id in result.timed_out:
            self._rule(rule_id).timeouts += 1

    def add_rejection(self, path: str, line: int, reason: str) -> None:
        """Count a record read from ``path`` but set aside (not written) for ``reason``."""
        stats = self._file(path)
        stats.read += 1
        stats.rejected += 1
        self.documents_read += 1
        self.documents_rejected += 1
        if len(self.rejections) < MAX_LISTED:
            self.rejections.append(Rejection(path, line, reason))

    def add_error(self, path: str, message: str) -> None:
        """Record a file that failed as a whole (e.g. a truncated archive)."""
        self.errors.append(FileError(path, message))

    def add_time(self, name: str, seconds: float) -> None:
        """Add to a named timing; the summary shows ``"total"`` if set, else the sum of all."""
        self.timings[name] = self.timings.get(name, 0.0) + seconds

    @contextmanager
    def timer(self, name: str, path: str | None = None) -> Iterator[None]:
        """Add the wall-clock time of the block to ``timings[name]`` (and to ``path``'s file)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self.add_time(name, elapsed)
            if path is not None:
                self._file(path).seconds += elapsed

    def merge(self, other: Report) -> Report:
        """Add ``other``'s counts into this report; returns self (so ``reduce`` works)."""
        _add_counters(self, other)
        for rule_id, rule in other.rules.items():
            self._rule(rule_id).merge(rule)
        for path, stats in other.files.items():
            self._file(path).merge(stats)
        for host, counts in other.hosts.items():
            self._host(host).merge(counts)
        room = MAX_LISTED - len(self.rejections)
        self.rejections.extend(other.rejections[: max(room, 0)])
        self.errors.extend(other.errors)
        self.files_not_read.extend(other.files_not_read)
        for name, seconds in other.timings.items():
            self.add_time(name, seconds)
        return self

    def _rule(self, rule_id: str) -> RuleStats:
        if rule_id not in self.rules:
            self.rules[rule_id] = RuleStats()
        return self.rules[rule_id]

    def _host(self, host: str | None) -> HostStats:
        """A host's counts; past MAX_HOSTS hosts (a web crawl), the rest count together."""
        key = host or NO_HOST
        if key not in self.hosts:
            if len(self.hosts) >= MAX_HOSTS:
                key = OTHER_HOSTS
            self.hosts.setdefault(key, HostStats())
        return self.hosts[key]

    def _file(self, path: str) -> FileStats:
        if path not in self.files:
            self.files[path] = FileStats()
        return self.files[path]

    # -- reading ------------------------------------------------------------------------

    @property
    def failed(self) -> bool:
        """True if anything was set aside or could not be processed."""
        return bool(self.documents_rejected or self.errors)

    @property
    def return_code(self) -> int:
        """0 nothing to report, 1 changes found in check mode, 2 rejections or file errors."""
        if self.failed:
            return 2
        if self.check and self.documents_changed:
            return 1
        return 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (``schema_version`` 1); rules and files sorted for diffing."""
        return {
            "schema_version": SCHEMA_VERSION,
            "documents": {
                "read": self.documents_read,
                "written": self.documents_written,
                "changed": self.documents_changed,
                "unchanged": self.documents_unchanged,
                "rejected": self.documents_rejected,
            },
            "characters": {"read": self.chars_read, "removed": self.chars_removed},
            "rules": {k: _rule_dict(v) for k, v in sorted(self.rules.items())},
            "files": {k: _file_dict(v) for k, v in sorted(self.files.items())},
            "hosts": {k: asdict(v) for k, v in sorted(self.hosts.items())},
            "files_skipped": self.files_skipped,
            "files_not_read": sorted(self.files_not_read),
            "rejections": [
                {"path": r.path, "line": r.line, "reason": r.reason} for r in self.rejections
            ],
            "rejections_not_listed": self.documents_rejected - len(self.rejections),
            "errors": [{"path": e.path, "message": e.message} for e in self.errors],
            "timings": dict(sorted(self.timings.items())),
            "return_code": self.return_code,
        }

    def __str__(self) -> str:
        lines = [self._headline(), self._chars_line()]
        lines += self._rule_lines()
        lines += _listed("rejected", [str(r) for r in self.rejections], self.documents_rejected)
        lines += _listed("failed", [str(e) for e in self.errors], len(self.errors))
        not_read = self.files_not_read
        lines += _listed("not read (no known type)", sorted(not_read), len(not_read))
        return "\n".join(line for line in lines if line)

    def _headline(self) -> str:
        files = f", {_n(len(self.files))} files" if len(self.files) > 1 else ""
        seconds = self.timings.get("total", sum(self.timings.values()))
        took = f" in {seconds:.1f} s" if seconds else ""
        rejected = f", {_n(self.documents_rejected)} rejected" if self.documents_rejected else ""
        skipped = (
            f"; {_n(self.files_skipped)} files skipped as already complete (--resume)"
            if self.files_skipped
            else ""
        )
        return (
            f"{_n(self.documents_read)} documents{files}: {_n(self.documents_changed)} changed, "
            f"{_n(self.documents_unchanged)} unchanged{rejected}{took}{skipped}"
        )

    def _chars_line(self) -> str:
        if not self.chars_removed:
            return ""
        share = 100 * self.chars_removed / self.chars_read if self.chars_read else 0.0
        return (
            f"{_n(self.chars_removed)} of {_n(self.chars_read)} characters removed ({share:.2f}%)"
        )

    def _rule_lines(self, top: int = 5) -> list[str]:
        active = sorted(self.rules.items(), key=lambda kv: (-kv[1].chars_removed, kv[0]))
        lines = [
            f"  {rule_id}: {_n(s.spans)} edits in {_n(s.documents)} documents, "
            f"{_n(s.chars_removed)} chars"
            for rule_id, s in active[:top]
            if s.spans
        ]
        held = [f"{k} x{_n(v.held_back)}" for k, v in sorted(self.rules.items()) if v.held_back]
        slow = [f"{k} x{_n(v.timeouts)}" for k, v in sorted(self.rules.items()) if v.timeouts]
        if held:
            lines.append("held back by the over-removal guard: " + ", ".join(held))
        if slow:
            lines.append("timed out (skipped): " + ", ".join(slow))
        return lines


def _n(value: int) -> str:
    return f"{value:,}"


def _listed(label: str, items: list[str], total: int, shown: int = 3) -> list[str]:
    if not total:
        return []
    lines = [f"{label}: {items[0]}" if items else f"{label}: {_n(total)}"]
    lines += [f"{' ' * len(label)}  {item}" for item in items[1:shown]]
    if total > min(shown, len(items)):
        lines.append(f"{' ' * len(label)}  ... and {_n(total - min(shown, len(items)))} more")
    return lines


def _rule_dict(s: RuleStats) -> dict[str, int]:
    return {
        "spans": s.spans,
        "chars_removed": s.chars_removed,
        "documents": s.documents,
        "held_back": s.held_back,
        "timeouts": s.timeouts,
    }


def _file_dict(s: FileStats) -> dict[str, Any]:
    return {
        "read": s.read,
        "written": s.written,
        "changed": s.changed,
        "rejected": s.rejected,
        "seconds": round(s.seconds, 6),
    }
