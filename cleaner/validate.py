"""Checks on the values of a rule pack's TOML, each refusing with the file, rule and field."""

from __future__ import annotations

from typing import Any

import regex

from cleaner.errors import RuleFileError

_ID = regex.compile(r"[a-z0-9][a-z0-9-]*")


def no_unknown(
    source: str, qid: str | None, table: dict[str, Any], allowed: set[str], what: str
) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise RuleFileError(
            source,
            f"unknown key for a {what}; allowed: {', '.join(sorted(allowed))}",
            rule_id=qid,
            field=unknown[0],
        )


def identifier(source: str, qid: str | None, value: object, field: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise RuleFileError(
            source,
            f"must be lowercase letters, digits and '-' (got {value!r})",
            rule_id=qid,
            field=field,
        )
    return value


def string(source: str, qid: str | None, table: dict[str, Any], key: str, *, required: bool) -> str:
    value = table.get(key)
    if value is None:
        if required:
            raise RuleFileError(source, "is required", rule_id=qid, field=key)
        return ""
    if not isinstance(value, str):
        raise RuleFileError(
            source, f"must be a string, got {type(value).__name__}", rule_id=qid, field=key
        )
    return value


def strings(source: str, qid: str | None, table: dict[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleFileError(source, "must be a list of strings", rule_id=qid, field=key)
    return tuple(value)


def boolean(source: str, qid: str, table: dict[str, Any], key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise RuleFileError(source, "must be true or false", rule_id=qid, field=key)
    return value


def number(
    source: str, qid: str, table: dict[str, Any], key: str, low: float, high: float
) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise RuleFileError(
            source,
            f"must be a number from {low:g} to {high:g}, got {value!r}",
            rule_id=qid,
            field=key,
        )
    return float(value)


def count(source: str, qid: str, table: dict[str, Any], key: str) -> int | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RuleFileError(
            source, f"must be a whole number >= 1, got {value!r}", rule_id=qid, field=key
        )
    return value
