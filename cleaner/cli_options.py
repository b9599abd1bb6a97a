"""The command line's options: declared once, shared by the commands that take them.

``shared(*groups)`` adds groups of options to a command, as sqlite-utils' decorators do for
click. The command never sees them one by one: it declares ``settings: Settings`` (the
configuration file that applies, overridden by what the command line says) and, with the
document options, ``txt: TxtMeta`` (the url and title of a single .txt input), and the
decorator fills those in.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from cleaner.config import Settings, discover, load_settings
from cleaner.io.codecs import TxtMeta
from cleaner.types import Fields

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


class ColorChoice(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


class CompressionChoice(StrEnum):
    none = "none"
    gzip = "gzip"
    zstd = "zstd"
    bzip2 = "bzip2"
    xz = "xz"


class EngineChoice(StrEnum):
    local = "local"
    dask = "dask"


class OnErrorChoice(StrEnum):
    fail = "fail"
    skip = "skip"


# -- options of one or two commands -------------------------------------------------------------

Inputs = Annotated[
    list[str],
    typer.Argument(
        help="Files (.txt, .jsonl, .jsonl.gz, .jsonl.zst, .parquet), directories (searched "
        "recursively), or - for stdin.",
        show_default=False,
    ),
]
NoDefaultRules = Annotated[
    bool, typer.Option("--no-default-rules", help="Load only the packs given with --rules.")
]
JobsOpt = Annotated[
    int, typer.Option("--jobs", "-j", min=0, help="Worker processes; 0 = every core.")
]
EngineOpt = Annotated[
    EngineChoice,
    typer.Option(
        "--engine",
        help="local: this machine's processes (-j); dask: a Dask cluster (--scheduler, else "
        "a LocalCluster of one worker per core). Outputs are the same.",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        envvar="CLEANER_DASK_SCHEDULER",
        help="With --engine dask: the scheduler's address (tcp://host:8786).",
        show_default=False,
    ),
]
OnErrorOpt = Annotated[
    OnErrorChoice,
    typer.Option(
        "--on-error",
        help="fail: stop at the first bad record, writing nothing for its file; skip: set "
        "bad records aside (see --rejects), count them and go on.",
    ),
]
RejectsOpt = Annotated[
    str | None,  # not a Path: it may be a URL, which Path would mangle
    typer.Option("--rejects", help="With --on-error skip: write bad records here, verbatim."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no summary.")]
ColorOpt = Annotated[
    ColorChoice,
    typer.Option(
        "--color",
        help="auto: colour on a terminal unless NO_COLOR is set; always; never.",
        case_sensitive=False,
    ),
]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--output-format",
        help="text (path:line:col: rule: snippet), json, github or sarif (2.1.0).",
    ),
]

# -- shared groups: (parameter name, type and option, default) ---------------------------------

Group = tuple[tuple[str, Any, Any], ...]

#: Which rule packs load: every command that cleans, and ``rules list``.
RULES: Group = (
    (
        "rules",
        Annotated[
            list[str] | None,
            typer.Option("--rules", "-r", help="Extra rule pack file or directory (repeatable)."),
        ],
        None,
    ),
    ("no_default_rules", NoDefaultRules, False),
)
#: What a cleaning run does and where records keep their parts.
CLEANING: Group = (
    (
        "disable",
        Annotated[
            list[str] | None,
            typer.Option("--disable", help="Leave out a pack or rule id, e.g. generic.newsletter."),
        ],
        None,
    ),
    (
        "max_removal",
        Annotated[
            float | None,
            typer.Option(
                "--max-removal",
                min=0.01,
                max=1.0,
                help="Over-removal guard: hold back edits that would remove more than this "
                "share of a document [default: 0.5].",
                show_default=False,
            ),
        ],
        None,
    ),
)
#: Where the settings come from.
CONFIG: Group = (
    (
        "config",
        Annotated[
            Path | None,
            typer.Option(
                "--config",
                help="Settings file (default: cleaner.toml or [tool.cleaner] in pyproject.toml, "
                "searched upward from here).",
            ),
        ],
        None,
    ),
    (
        "isolated",
        Annotated[bool, typer.Option("--isolated", help="Ignore every configuration file.")],
        False,
    ),
)
KEYS: Group = tuple(
    (
        f"{part}_key",
        Annotated[
            str | None, typer.Option(f"--{part}-key", help=f"JSON key of the {part} [{part}].")
        ],
        None,
    )
    for part in ("text", "url", "title", "id")
)
#: The url and title of a single .txt input.
DOCUMENT: Group = (
    (
        "url",
        Annotated[
            str | None,
            typer.Option(
                "--url", help="The URL of a single .txt document (its packs follow the host)."
            ),
        ],
        None,
    ),
    (
        "title",
        Annotated[str | None, typer.Option("--title", help="The title of a single .txt document.")],
        None,
    ),
)
#: Everything a command that cleans files takes, but the document's url and title.
CLEANING_RUN: tuple[Group, ...] = (RULES, CLEANING, CONFIG, KEYS)


def shared(*groups: Group) -> Callable[[F], F]:
    """Add ``groups`` of options to a command, which gets ``settings`` (and, with
    ``DOCUMENT``, ``txt``) instead of them."""
    options = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
        for group in groups
        for name, kind, default in group
    ]
    names = [option.name for option in options]

    def decorate(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name not in ("settings", "txt")]

        @functools.wraps(command)
        def with_shared(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name in names}
            if "txt" in signature.parameters:
                kwargs["txt"] = TxtMeta(given.pop("url"), given.pop("title"))
            return command(*args, settings=settings_from(given), **kwargs)

        parameters = [*own, *options]
        with_shared.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        with_shared.__annotations__ = {p.name: p.annotation for p in parameters}
        return with_shared  # type: ignore[return-value]

    return decorate


def settings_from(options: dict[str, Any]) -> Settings:
    """Settings from the config file that applies, overridden by what the command line says.

    ``options`` are the shared options' values; those a command lacks are unset.
    """
    get = options.get
    if get("isolated"):
        base = Settings()
    elif get("config"):
        base = load_settings(get("config"))
    else:
        base = load_settings(discover(), discovered=True)
    rules, disable = get("rules"), get("disable")
    return base.overridden(
        rules=(*base.rules, *rules) if rules else None,
        default_rules=False if get("no_default_rules") else None,
        disable=(*base.disable, *disable) if disable else None,
        max_removal=get("max_removal"),
        text_key=get("text_key"),
        url_key=get("url_key"),
        title_key=get("title_key"),
        id_key=get("id_key"),
    )


def fields_of(settings: Settings) -> Fields:
    """Where records keep their parts, as the settings name them."""
    return Fields(settings.text_key, settings.url_key, settings.title_key, settings.id_key)
