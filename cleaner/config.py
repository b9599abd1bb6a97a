"""Settings, and where they come from: ``--config``, ``cleaner.toml`` or ``[tool.cleaner]``.

Discovery works like ruff's: from the working directory upward, the first ``cleaner.toml``, or
``pyproject.toml`` with a ``[tool.cleaner]`` table, wins; the search stops at the repository
root (a directory holding ``.git``). Paths in a config file are relative to that file. A file
found by discovery may name only rule packs under its own directory (symlinks followed): it
comes with the tree being worked in, not from the user; ``--config`` names a file the user
vouches for, and its paths may go anywhere.
"""

from __future__ import annotations

import tomllib
import typing
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from cleaner.errors import ConfigError
from cleaner.io import storage
from cleaner.settings import Settings

__all__ = ["CONFIG_NAME", "Settings", "discover", "load_settings"]

CONFIG_NAME = "cleaner.toml"


def _expected(name: str) -> tuple[type, ...]:
    """The TOML types a setting may take, read from its annotation in ``Settings``."""
    hint = _HINTS[name]
    if hint is bool:
        return (bool,)
    if hint is float:
        return (int, float)
    if hint is str:
        return (str,)
    origin = typing.get_origin(hint)
    if origin is tuple:
        return (list,)
    if origin is not None and issubclass(origin, Mapping):
        return (dict,)
    raise TypeError(f"Settings.{name}: no TOML form for {hint!r}")


_HINTS = typing.get_type_hints(Settings)


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


def load_settings(path: Path | None, *, discovered: bool = False) -> Settings:
    """Settings from ``path`` (a ``cleaner.toml`` or a ``pyproject.toml``), or the defaults.

    ``discovered``: the file was found by ``discover``, so its rule packs must lie under its
    directory."""
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
        expected = _expected(name)
        if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
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
        values["rules"] = tuple(_rule_path(path, r, discovered) for r in values["rules"])
    try:
        return Settings(**values, source=str(path))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}; fix it in the file") from None


def _rule_path(config: Path, entry: str, discovered: bool) -> str:
    """Where a ``rules`` entry points; for a discovered file, refused if outside its directory
    (a directory entry: any of its packs), and so is a URL."""
    if storage.is_url(entry):
        if discovered:
            raise ConfigError(
                f"{config}: rules entry {entry!r} is a URL; a configuration file found by "
                "discovery may name only packs under its own directory: give the URL with "
                "--rules, or name this file with --config"
            )
        return entry
    resolved = (config.parent / entry).resolve()
    if discovered:
        home = config.parent.resolve()
        packs = sorted(resolved.glob("*.toml")) if resolved.is_dir() else []
        for target in (resolved, *(p.resolve() for p in packs)):
            if not target.is_relative_to(home):
                raise ConfigError(
                    f"{config}: rules entry {entry!r} reaches {target}, outside {home}; a "
                    "configuration file found by discovery may name only packs under its own "
                    "directory: move the pack there, or name this file with --config"
                )
    return str(resolved)


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
