"""The settings that decide what cleaning does, wherever they were set (code, file, CLI)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cleaner.errors import ConfigError

if TYPE_CHECKING:
    from cleaner.engine import Cleaner

DEFAULT_MAX_REMOVAL = 0.5
DEFAULT_TIMEOUT = 1.0


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything that decides what cleaning does.

    ``rules`` are extra pack files or directories, loaded after the default packs unless
    ``default_rules`` is false. ``disable`` names pack ids or qualified rule ids to leave out.
    ``max_removal`` is the over-removal guard: when guarded rules would remove more than this
    share of a document's characters, those edits are held back and reported instead.
    ``timeout`` is how many seconds one rule's regex may run on a document, per megabyte of text
    (never less than this on small documents); a rule that runs out is skipped and reported.
    ``domain_aliases`` map hosts to the host whose packs they get, e.g.
    ``{"mirror.example": "thehill.com"}``. The ``*_key`` settings name the fields of records.
    """

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

    def __post_init__(self) -> None:
        check_limits(self.max_removal, self.timeout)

    def cleaner(self) -> Cleaner:
        """The ``Cleaner`` these settings describe (loads and compiles the packs)."""
        from cleaner.engine import Cleaner  # the engine imports this module

        return Cleaner.from_settings(self)

    def overridden(self, **changes: Any) -> Settings:
        """These settings with every change that is not ``None`` applied (CLI over file)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def check_limits(max_removal: float, timeout: float) -> None:
    """Refuse a guard share or a time limit that cannot work, saying what can."""
    if not 0 < max_removal <= 1:
        raise ConfigError(f"max_removal must be a share in (0, 1], e.g. 0.5; got {max_removal!r}")
    if not timeout > 0:
        raise ConfigError(f"timeout must be seconds above 0, e.g. 1.0; got {timeout!r}")
