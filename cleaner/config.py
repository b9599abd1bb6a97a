"""Settings, and where they come from: ``--config``, ``cleaner.toml`` or ``[tool.cleaner]``.

Discovery works like ruff's: from the working directory upward, the first ``cleaner.toml``, or
``pyproject.toml`` with a ``[tool.cleaner]`` table, wins; the search stops at the repository
root (a directory holding ``.git``). Paths in a config file are relative to that file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from cleaner.engine import DEFAULT_MAX_REMOVAL, DEFAULT_TIMEOUT, Cleaner
from cleaner.errors import ConfigError

CONFIG_NAME = "cleaner.toml"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything that decides what cleaning does, wherever it was set."""

    rules: tuple[str, ...] = ()
    default_rules: bool = True
    disable: tuple[str, ...] = ()
    max_removal: float = DEFAULT_MAX_REMOVAL
    timeout: float = DEFAULT_TIMEOUT
    domain_aliases: Mapping[str, str] = field(default_factory=dict)
    text_key: str = "text"
    url_key: str = "url"
    title_key: str = "title"
    id_key: str = "id"
    source: str | None = field(default=None, compare=False)

    def cleaner(self) -> Cleaner:
        return Cleaner(
            self.rules,
            default_rules=self.default_rules,
            disable=self.disable,
            max_removal=self.max_removal,
            timeout=self.timeout,
            domain_aliases=self.domain_aliases,
        )

    def overridden(self, **changes: Any) -> Settings:
        """These settings with every change that is not ``None`` applied (CLI over file)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_TYPES: dict[str, type | tuple[type, ...]] = {
    "rules": list,
    "default_rules": bool,
    "disable": list,
    "max_removal": (int, float),
    "timeout": (int, float),
    "domain_aliases": dict,
    "text_key": str,
    "url_key": str,
    "title_key": str,
    "id_key": str,
}


def discover(start: Path | None = None) -> Path | None:
    """The config file that applies in ``start`` (default: the working directory), if any."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "cleaner" in _read(pyproject).get("tool", {}):
            return pyproject
        if (directory / ".git").exists():
            return None
    return None


def load_settings(path: Path | None) -> Settings:
    """Settings from ``path`` (a ``cleaner.toml`` or a ``pyproject.toml``), or the defaults."""
    if path is None:
        return Settings()
    data = _read(path)
    table = data.get("tool", {}).get("cleaner", {}) if path.name == "pyproject.toml" else data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.cleaner] must be a table")
    known = {f.name for f in fields(Settings)} - {"source"}
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in known:
            raise ConfigError(f"{path}: unknown setting {key!r}; known: {', '.join(sorted(known))}")
        expected = _TYPES[name]
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            raise ConfigError(f"{path}: {key} has the wrong type ({type(value).__name__})")
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{path}: {key} must be a list of strings")
            value = tuple(value)
        if isinstance(value, dict) and not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(
                f'{path}: {key} must map hosts to hosts, e.g. {{"mirror.example" = "thehill.com"}}'
            )
        values[name] = value
    if "rules" in values:
        values["rules"] = tuple(str((path.parent / r).resolve()) for r in values["rules"])
    return Settings(**values, source=str(path))


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
