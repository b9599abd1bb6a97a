"""Named pattern fragments: ``[pack.define] NAME = '…'``, used in a pack's patterns as ``{NAME}``.

A long pattern becomes reviewable when its parts have names. Each fragment is pasted in as a
group of its own mode: verbose (``(?x)``, spaces ignored, ``#`` comments) if it begins with
``(?x)``, else literal, whatever the pattern around it uses. Fragments may use each other.

>>> fragments = read_fragments("p.toml", {"WORD": "[A-Z][a-z]+", "TWO": "{WORD} {WORD}"})
>>> expand("(?x) {TWO} [ ] MORE", fragments, "p.toml", "p.rule")
'(?x) (?-x:(?-x:[A-Z][a-z]+) (?-x:[A-Z][a-z]+)) [ ] MORE'
"""

from __future__ import annotations

from collections.abc import Callable

import regex

from cleaner.errors import RuleFileError

_NAME = regex.compile(r"[A-Z][A-Z0-9_]*")
# An escape is read whole, so neither ``\p{L}`` nor an escaped ``\{NAME}`` is a reference.
_TOKEN = regex.compile(rf"\\[pPNxgu]\{{[^}}]*\}}|\\.|\{{({_NAME.pattern})\}}", regex.DOTALL)
_VERBOSE = "(?x)"


def read_fragments(source: str, table: object) -> dict[str, str]:
    """The fragments of ``[pack.define]``, each expanded; refuses bad names, cycles, gaps."""
    if not isinstance(table, dict):
        raise RuleFileError(source, "must be a table of NAME = 'pattern'", field="pack.define")
    raw: dict[str, str] = {}
    for name, value in table.items():
        if not _NAME.fullmatch(name):
            raise RuleFileError(
                source,
                f"fragment names are upper case letters, digits and _ (got {name!r})",
                field="pack.define",
            )
        if not isinstance(value, str) or not value:
            raise RuleFileError(source, "must be a non-empty string", field=f"pack.define.{name}")
        raw[name] = value
    done: dict[str, str] = {}

    def resolve(name: str, using: tuple[str, ...]) -> str:
        if name in done:
            return done[name]
        if name in using:
            cycle = " -> ".join((*using, name))
            raise RuleFileError(source, f"fragments use each other in a cycle: {cycle}")
        done[name] = _wrap(
            _substitute(
                raw[name], lambda n: resolve(n, (*using, name)), source, f"pack.define.{name}", raw
            )
        )
        return done[name]

    for name in raw:
        resolve(name, ())
    return done


def expand(pattern: str, fragments: dict[str, str], source: str, rule_id: str) -> str:
    """``pattern`` with every ``{NAME}`` replaced by its fragment."""
    return _substitute(pattern, fragments.__getitem__, source, "pattern", fragments, rule_id)


def _substitute(
    text: str,
    lookup: Callable[[str], str],
    source: str,
    field: str,
    known: dict[str, str],
    rule_id: str | None = None,
) -> str:
    def one(match: regex.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)
        if name not in known:
            raise RuleFileError(
                source,
                f"{{{name}}} is not defined in [pack.define]; define it, or write \\{{ for a "
                "literal brace",
                rule_id=rule_id,
                field=field,
            )
        return lookup(name)

    return _TOKEN.sub(one, text)


def _wrap(fragment: str) -> str:
    # The closing parenthesis goes on a line of its own: a verbose fragment may end in a comment.
    if fragment.startswith(_VERBOSE):
        return f"(?x:{fragment[len(_VERBOSE) :]}\n)"
    return f"(?-x:{fragment})"
