"""Learned rules written as a pack a person can review: one TOML file per host.

The file is deterministic (the same corpus gives the same bytes): rules are sorted by how many
documents hold them, each is commented with its count and share, and its ``examples`` and
``keep`` come from the corpus, so ``cleaner rules test`` passes on it. Rules that may take
article text are written with ``enabled = false`` and the reason.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

import regex

from cleaner.compile import compile_packs
from cleaner.engine import Cleaner
from cleaner.io import storage
from cleaner.io.atomic import AtomicOutput
from cleaner.learn import FUZZY_THRESHOLD, NO_HOST, Learned, LineStats, line_pattern, literal_of
from cleaner.rulespec import Example, PackSpec, RuleSpec
from cleaner.selftest import rule_alone, url_for

MAX_PHRASES = 12
MAX_CONTEXT = 160  # neighbouring lines longer than this stay out of examples
_SLUG = regex.compile(r"[^a-z0-9]+")


def pack_id(host: str) -> str:
    """``learned-`` and the host, as a pack id: ``learned-www-example-com``."""
    return "learned-" + _SLUG.sub("-", host.lower()).strip("-")


def learned_specs(host: str, rules: list[Learned], source: str) -> PackSpec:
    """The rules as specs (without examples yet), in the order they are written."""
    pack = pack_id(host)
    specs = []
    for n, rule in enumerate(rules, 1):
        slug = "-".join(_SLUG.sub(" ", rule.lines[0].lower()).split()[:5])[:40].strip("-")
        rule_id = f"r{n:03d}-{slug or 'line'}"
        if rule.kind == "line":
            spec = RuleSpec(
                pack,
                rule_id,
                "line",
                source,
                description=_description(rule),
                pattern=line_pattern(rule.lines[0]),
                ignore_case=True,
                requires=(literal_of(rule.lines[0]),),
                enabled=not rule.unsure,
            )
        else:
            spec = RuleSpec(
                pack,
                rule_id,
                "phrase",
                source,
                description=_description(rule),
                phrases=tuple(sorted(set(rule.lines[:MAX_PHRASES]))),
                threshold=FUZZY_THRESHOLD,
                enabled=not rule.unsure,
            )
        specs.append(spec)
    return PackSpec(
        pack, f"Lines that {host} repeats across its documents", (host,), tuple(specs), source
    )


def _description(rule: Learned) -> str:
    what = "a line" if rule.kind == "line" else f"{len(rule.lines)} near-identical lines"
    return f"Learned: {what} in {rule.documents} documents ({rule.share:.1%} of the host's)"


def with_examples(pack: PackSpec, rules: list[Learned], cleaner: Cleaner) -> PackSpec:
    """Each rule with an example from its first sighting (what the rule alone makes of it) and
    a keep: a neighbouring line that no loaded rule, this pack's included, changes."""
    # Keeps as `rules test` holds them: the rule alone, then every loaded pack and this one.
    everything = cleaner.with_ruleset(compile_packs([*cleaner.packs, pack]))
    out = []
    for spec, rule in zip(pack.rules, rules, strict=True):
        alone = rule_alone(cleaner, pack, spec)
        seen = rule.sighting
        context = [line if len(line) <= MAX_CONTEXT else "" for line in (seen.before, seen.after)]
        raw = "\n".join(part for part in (context[0], seen.line, context[1]) if part)
        url = url_for(pack)
        examples = (Example(raw, alone.clean(raw, url=url)),)
        keep = tuple(
            line
            for line in reversed(context)
            if line
            and alone.clean(line, url=url) == line
            and everything.clean(line, url=url) == line
        )[:1]
        out.append(replace(spec, examples=examples, keep=keep))
    return PackSpec(pack.id, pack.description, pack.domains, tuple(out), pack.source)


def render(pack: PackSpec, rules: list[Learned], stats: LineStats) -> str:
    """The pack as TOML text: commented, sorted, byte for byte the same for the same input."""
    host = pack.domains[0]
    out = [
        f"# Learned by `cleaner learn` from {stats.documents[host]} documents of {host}.",
        "# Review every rule: delete what is article text, set enabled = true where you agree.",
        "[pack]",
        f"id = {_str(pack.id)}",
        f"description = {_str(pack.description)}",
        f"domains = [{_str(host)}]",
    ]
    for spec, rule in zip(pack.rules, rules, strict=True):
        out += [
            "",
            f"# In {rule.documents} of {stats.documents[host]} documents ({rule.share:.1%}).",
        ]
        if rule.unsure:
            out.append(f"# Disabled: {rule.unsure}.")
        out += ["[[rule]]", f"id = {_str(spec.id)}", f"kind = {_str(spec.kind)}"]
        out.append(f"description = {_str(spec.description)}")
        if not spec.enabled:
            out.append("enabled = false")
        if spec.kind == "line":
            assert spec.pattern is not None
            out.append(f"pattern = {_str(spec.pattern)}")
            out.append("ignore_case = true")
            out.append(f"requires = [{', '.join(_str(r) for r in spec.requires)}]")
        else:
            out.append(f"threshold = {spec.threshold:g}")
            out.append("phrases = [")
            out += [f"  {_str(p)}," for p in spec.phrases]
            out.append("]")
        out.append("examples = [")
        out += [f"  {{ raw = {_str(e.raw)}, clean = {_str(e.clean)} }}," for e in spec.examples]
        out.append("]")
        out.append(f"keep = [{', '.join(_str(k) for k in spec.keep)}]")
    return "\n".join(out) + "\n"


def _str(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, for the characters JSON escapes)."""
    return json.dumps(text, ensure_ascii=False)


def write_packs(
    found: dict[str, list[Learned]], stats: LineStats, out: str | Path, cleaner: Cleaner
) -> list[str]:
    """One pack file per host in ``out`` (a directory, made if missing, or a URL), each
    written atomically."""
    if not storage.is_url(out):
        Path(storage.local_path(str(out))).mkdir(parents=True, exist_ok=True)
    written = []
    for host in sorted(found):
        path = storage.join(str(out), PurePosixPath(f"{host}.toml"))
        pack = with_examples(learned_specs(host, found[host], path), found[host], cleaner)
        with AtomicOutput(path) as sink:
            sink.write(render(pack, found[host], stats).encode("utf-8"))
        written.append(path)
    return written


def summary(found: dict[str, list[Learned]], stats: LineStats) -> dict[str, Any]:
    """What was learned, per host: for the command's summary and its ``--report``."""
    hosts = {}
    for host in sorted(found):
        rules = found[host]
        hosts[host] = {
            "documents": stats.documents[host],
            "rules": len(rules),
            "disabled": sum(bool(r.unsure) for r in rules),
            # Every learned rule takes its line once per document that holds it.
            "lines_removed": sum(r.documents for r in rules if not r.unsure),
            "learned": [
                {
                    "lines": r.lines[:MAX_PHRASES],
                    "kind": r.kind,
                    "documents": r.documents,
                    "share": round(r.share, 4),
                    "enabled": not r.unsure,
                    "why_disabled": r.unsure or None,
                }
                for r in rules
            ],
        }
    return {
        "documents": sum(stats.documents.values()),
        "documents_without_host": stats.documents[NO_HOST],
        "hosts_read": len([h for h in stats.documents if h != NO_HOST]),
        "hosts_learned": len(found),
        "rules": sum(row["rules"] for row in hosts.values()),
        "disabled": sum(row["disabled"] for row in hosts.values()),
        "hosts": hosts,
    }
