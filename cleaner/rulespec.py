"""Read rule packs (TOML) into plain specs, refusing anything malformed with an exact message."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cleaner.errors import InputError, RuleFileError
from cleaner.fragments import expand, read_fragments
from cleaner.io import storage
from cleaner.validate import boolean, count, identifier, no_unknown, number, string, strings

KINDS = ("span", "line", "phrase", "repeated-title")
_COMMON = {"id", "kind", "description", "examples", "keep", "guard", "enabled"}
_KIND_KEYS = {
    "span": {"pattern", "replace", "ignore_case", "requires", "per_line"},
    "line": {"pattern", "ignore_case", "requires", "first_lines", "last_lines"},
    "phrase": {"phrases", "threshold", "first_lines", "last_lines"},
    "repeated-title": {"threshold", "within"},
}
_PACK_KEYS = {"id", "description", "domains", "detect", "define"}
_SIGNATURE_KEYS = ({"rule"}, {"pattern", "requires"})


@dataclass(frozen=True, slots=True)
class Example:
    raw: str
    clean: str


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One ``[[rule]]`` of a pack, validated for shape (patterns are compiled later)."""

    pack: str
    id: str
    kind: str
    source: str
    description: str = ""
    pattern: str | None = None
    replace: str = ""
    ignore_case: bool = False
    requires: tuple[str, ...] = ()
    per_line: bool = False
    phrases: tuple[str, ...] = ()
    threshold: float | None = None
    first_lines: int | None = None
    last_lines: int | None = None
    within: int | None = None
    guard: bool = True
    enabled: bool = True  # false: loaded, listed and tested, but not run
    examples: tuple[Example, ...] = ()
    keep: tuple[str, ...] = ()

    @property
    def qualified_id(self) -> str:
        return f"{self.pack}.{self.id}"


@dataclass(frozen=True, slots=True)
class Signature:
    """One ``[pack] detect`` entry: text that only this site's residue produces.

    A literal is a signature where it occurs. A rule (of the same pack) or a pattern is one
    where it matches, and is tried only where one of its ``requires`` literals occurs.
    """

    literal: str = ""
    rule: str = ""
    pattern: str = ""
    requires: tuple[str, ...] = ()

    @property
    def literals(self) -> tuple[str, ...]:
        return (self.literal,) if self.literal else self.requires


@dataclass(frozen=True, slots=True)
class PackSpec:
    id: str
    description: str
    domains: tuple[str, ...]
    rules: tuple[RuleSpec, ...]
    source: str
    detect: tuple[Signature, ...] = ()


def default_pack_paths() -> list[Path]:
    """The packs shipped with cleaner: inside the wheel, or ``rules/`` of a source checkout."""
    # Path(__file__), not importlib.resources: the packs are read as files either way, and
    # importing importlib.resources costs every process, workers included, 12 ms.
    package = Path(__file__).resolve().parent
    shipped = package / "rules"
    return sorted((shipped if shipped.is_dir() else package.parent / "rules").glob("*.toml"))


def load_packs(paths: Iterable[str | Path]) -> list[PackSpec]:
    """Load packs from files or directories of ``*.toml``; pack ids must be unique."""
    packs: list[PackSpec] = []
    seen: dict[str, str] = {}
    for path in pack_files(paths):
        pack = load_pack(path)
        if pack.id in seen:
            raise RuleFileError(
                path, f"pack id {pack.id!r} is already used by {seen[pack.id]}; rename one"
            )
        seen[pack.id] = pack.source
        packs.append(pack)
    return packs


def pack_files(paths: Iterable[str | Path]) -> list[str]:
    """The pack files that paths name: files as given, directories as their ``*.toml``. A
    path may be a URL (``s3://bucket/packs/``, ``https://…/site.toml``), read through fsspec."""
    out: list[str] = []
    for raw in paths:
        if storage.is_url(raw):
            found = _url_packs(str(raw))
        elif Path(raw).is_dir():
            found = [str(p) for p in sorted(Path(raw).glob("*.toml"))]
        else:
            out.append(str(raw))
            continue
        if not found:
            raise RuleFileError(raw, "directory holds no *.toml rule packs")
        out.extend(found)
    return out


def _url_packs(url: str) -> list[str]:
    """The ``*.toml`` directly under a directory URL, or the URL itself if it names a file."""
    if storage.exists_as_file(url):
        return [url]
    if not storage.is_dir(url):
        raise RuleFileError(url, "no such rule pack; check the URL")
    try:
        listed = storage.listing(url) or []
    except InputError as e:
        raise RuleFileError(url, e.reason) from None
    return [
        name for name, relative in listed if len(relative.parts) == 1 and name.endswith(".toml")
    ]


def load_pack(path: str | Path) -> PackSpec:
    """Read and validate one pack file (a local path or a URL)."""
    source = str(path)
    try:
        if storage.is_url(source):
            with storage.open_file(source) as fh:
                data = tomllib.load(fh)
        else:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
    except FileNotFoundError:
        raise RuleFileError(source, "no such rule pack; check the path") from None
    except OSError as exc:
        raise RuleFileError(source, f"cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(source, f"not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise RuleFileError(source, "not UTF-8 text; save the pack as UTF-8") from None
    return _pack(source, data)


def _pack(source: str, data: dict[str, Any]) -> PackSpec:
    unknown = set(data) - {"pack", "rule"}
    if unknown:
        raise RuleFileError(
            source, f"unknown top-level key {sorted(unknown)[0]!r}; expected [pack] and [[rule]]"
        )
    head = data.get("pack")
    if not isinstance(head, dict):
        raise RuleFileError(source, "missing [pack] table with id and description", field="pack")
    no_unknown(source, None, head, _PACK_KEYS, "pack")
    pack_id = identifier(source, None, head.get("id"), "pack.id")
    description = string(source, None, head, "description", required=False)
    domains = strings(source, None, head, "domains")
    fragments = read_fragments(source, head.get("define", {}))
    rules_data = data.get("rule", [])
    if not isinstance(rules_data, list) or not rules_data:
        raise RuleFileError(source, "a pack needs at least one [[rule]]", field="rule")
    rules: list[RuleSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(rules_data, 1):
        if not isinstance(item, dict):
            raise RuleFileError(source, f"rule #{index} is not a table", field="rule")
        rule = _rule(source, pack_id, index, item, fragments)
        if rule.id in seen:
            raise RuleFileError(
                source,
                f"duplicate rule id in this pack (rules #{seen[rule.id]} and #{index}); rename one",
                rule_id=rule.qualified_id,
                field="id",
            )
        seen[rule.id] = index
        rules.append(rule)
    detect = _signatures(source, head.get("detect", []), {r.id: r for r in rules}, fragments)
    return PackSpec(
        pack_id,
        description,
        tuple(d.lower().lstrip(".") for d in domains),
        tuple(rules),
        source,
        detect,
    )


def _signatures(
    source: str, value: object, rules: dict[str, RuleSpec], fragments: dict[str, str]
) -> tuple[Signature, ...]:
    """``[pack] detect``: literals, ``{ rule = ID }`` or ``{ pattern, requires }`` tables."""
    if not isinstance(value, list):
        raise RuleFileError(source, "must be a list", field="pack.detect")
    signatures: list[Signature] = []
    for n, item in enumerate(value, 1):
        where = f"pack.detect #{n}"
        if isinstance(item, str):
            if not item:
                raise RuleFileError(source, "an empty literal would match everywhere", field=where)
            signatures.append(Signature(literal=item))
        elif isinstance(item, dict) and set(item) in _SIGNATURE_KEYS:
            signatures.append(_signature(source, where, item, rules, fragments))
        else:
            raise RuleFileError(
                source,
                'must be a literal string, { rule = "ID" } or { pattern = "...", requires = '
                '["literal", ...] }',
                field=where,
            )
    return tuple(signatures)


def _signature(
    source: str,
    where: str,
    item: dict[str, Any],
    rules: dict[str, RuleSpec],
    fragments: dict[str, str],
) -> Signature:
    if "rule" in item:
        rule = rules.get(item["rule"]) if isinstance(item["rule"], str) else None
        if rule is None:
            raise RuleFileError(
                source, f"names no rule of this pack: {item['rule']!r}", field=where
            )
        requires = rule.requires
        missing = f"rule {rule.id!r} requires no literal"
    else:
        pattern = expand(
            string(source, None, item, "pattern", required=True), fragments, source, where
        )
        requires = strings(source, None, item, "requires")
        missing = "a pattern signature needs requires"
    if not requires or not all(requires):
        # A signature without literals would be tried on every document of every other host.
        raise RuleFileError(
            source, f"{missing}: the literals a document must hold to be tried", field=where
        )
    if "rule" in item:
        return Signature(rule=item["rule"], requires=requires)
    return Signature(pattern=pattern, requires=requires)


def _rule(
    source: str, pack: str, index: int, item: dict[str, Any], fragments: dict[str, str]
) -> RuleSpec:
    rule_id = identifier(source, f"{pack}.#{index}", item.get("id"), "id")
    qid = f"{pack}.{rule_id}"
    kind = item.get("kind")
    if kind not in KINDS:
        raise RuleFileError(
            source,
            f"kind must be one of {', '.join(KINDS)}; got {kind!r}",
            rule_id=qid,
            field="kind",
        )
    no_unknown(source, qid, item, _COMMON | _KIND_KEYS[kind], f"{kind} rule")
    spec = RuleSpec(
        pack=pack,
        id=rule_id,
        kind=kind,
        source=source,
        description=string(source, qid, item, "description", required=False),
        pattern=expand(
            string(source, qid, item, "pattern", required=kind in ("span", "line")),
            fragments,
            source,
            qid,
        )
        or None,
        replace=string(source, qid, item, "replace", required=False),
        ignore_case=boolean(source, qid, item, "ignore_case", False),
        requires=strings(source, qid, item, "requires"),
        per_line=boolean(source, qid, item, "per_line", False),
        phrases=strings(source, qid, item, "phrases"),
        threshold=number(source, qid, item, "threshold", 0, 100),
        first_lines=count(source, qid, item, "first_lines"),
        last_lines=count(source, qid, item, "last_lines"),
        within=count(source, qid, item, "within"),
        guard=boolean(source, qid, item, "guard", True),
        enabled=boolean(source, qid, item, "enabled", True),
        examples=_examples(source, qid, item),
        keep=strings(source, qid, item, "keep"),
    )
    if kind == "phrase" and not spec.phrases:
        raise RuleFileError(
            source, "a phrase rule needs a non-empty list", rule_id=qid, field="phrases"
        )
    if any(not r for r in spec.requires):
        raise RuleFileError(
            source, "an empty literal would always match; remove it", rule_id=qid, field="requires"
        )
    if spec.first_lines is not None and spec.last_lines is not None:
        raise RuleFileError(
            source, "use first_lines or last_lines, not both", rule_id=qid, field="last_lines"
        )
    return spec


def _examples(source: str, qid: str, table: dict[str, Any]) -> tuple[Example, ...]:
    value = table.get("examples", [])
    examples: list[Example] = []
    if not isinstance(value, list):
        raise RuleFileError(
            source, "must be a list of {raw, clean} tables", rule_id=qid, field="examples"
        )
    for n, item in enumerate(value, 1):
        if (
            not isinstance(item, dict)
            or set(item) != {"raw", "clean"}
            or not all(isinstance(v, str) for v in item.values())
        ):
            raise RuleFileError(
                source,
                f'example #{n} must be {{ raw = "...", clean = "..." }}',
                rule_id=qid,
                field="examples",
            )
        examples.append(Example(item["raw"], item["clean"]))
    return tuple(examples)
