"""Errors that reach users. Each message says where the problem is and what to do next."""

from __future__ import annotations

from pathlib import Path


class CleanerError(Exception):
    """Base of every error `cleaner` raises on purpose; the CLI maps it to exit code 2."""


class RuleFileError(CleanerError):
    """A rule pack that cannot be used: names the file, the rule and the field."""

    def __init__(
        self,
        path: str | Path,
        message: str,
        *,
        rule_id: str | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path)
        self.rule_id = rule_id
        self.field = field
        self.reason = message
        where = self.path
        if rule_id is not None:
            where += f": rule {rule_id}"
        if field is not None:
            where += f" -> {field}"
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments: spelled out so the error crosses process boundaries intact.
        return (_rule_file_error, (self.path, self.reason, self.rule_id, self.field))


class InputError(CleanerError):
    """Input that cannot be read as documents: names the file and, where known, the line."""

    def __init__(self, path: str | Path, message: str, *, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[object, ...]:
        return (_input_error, (self.path, self.reason, self.line))


class OutputError(CleanerError):
    """An output that could not be written (disk full, a file size limit): names the output."""


class ConfigError(CleanerError, ValueError):
    """A configuration file or option that cannot be used (a bad value, hence a ValueError)."""


def _rule_file_error(
    path: str, message: str, rule_id: str | None, field: str | None
) -> RuleFileError:
    return RuleFileError(path, message, rule_id=rule_id, field=field)


def _input_error(path: str, message: str, line: int | None) -> InputError:
    return InputError(path, message, line=line)
