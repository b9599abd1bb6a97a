"""Where the engine's time goes, rule by rule: the seconds each rule's matcher takes over a
corpus, next to what the rest of the engine (prefilter, span resolution, passes) takes.

For rule authors (is my new rule the slow one?) and for the engine's profile. Each matcher call
is timed with ``perf_counter``, which adds well under a microsecond per call: read the shares,
not the absolute seconds.

    python -m benchmarks.rule_costs                            # the 20 MB generated corpus
    python -m benchmarks.rule_costs --input crawl.jsonl --top 15 --json costs.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import cached_corpus, parse_size
from cleaner.compile import CompiledSignature, RuleSet
from cleaner.engine import Cleaner
from cleaner.matchers import Matcher
from cleaner.types import Span
from cleaner.view import DocView

OUT_DIR = Path(__file__).resolve().parent / "out"
REST = "(engine: prefilter, resolution, passes)"


def rule_costs(path: Path, limit: int | None = None) -> dict[str, Any]:
    """Seconds, calls, documents changed and edits per rule, cleaning the JSONL file ``path``
    (its first ``limit`` records) with the default packs."""
    from cleaner.io.codecs import JsonlCodec
    from cleaner.io.readers import read_records

    seconds: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    cleaner = _timed_cleaner(Cleaner.load(), seconds, calls)
    codec = JsonlCodec()
    docs: Counter[str] = Counter()
    edits: Counter[str] = Counter()
    documents = 0
    total = 0.0
    for record in read_records(path):
        if limit is not None and documents >= limit:
            break
        doc = codec.decode(record)
        if doc is None:
            continue
        documents += 1
        start = time.perf_counter()
        result = cleaner.clean_document(doc)
        total += time.perf_counter() - start
        edits.update(span.rule_id for span in result.spans)
        docs.update({span.rule_id for span in result.spans})
    seconds[REST] = total - sum(seconds.values())
    rows = [
        {
            "rule": key,
            "seconds": spent,
            "share": spent / total if total else 0.0,
            "calls": calls[key],
            "documents_changed": docs[key],
            "edits": edits[key],
        }
        for key, spent in seconds.most_common()
    ]
    return {"input": str(path), "documents": documents, "engine_seconds": total, "rules": rows}


def _timed_cleaner(cleaner: Cleaner, seconds: Counter[str], calls: Counter[str]) -> Cleaner:
    """``cleaner`` with every matcher, as rule and as signature, behind one that times it
    (compiled matchers take no new attributes, so they are wrapped, not patched)."""
    ruleset = cleaner.ruleset
    timed = {r.id: _Timed(r, seconds, calls) for r in ruleset.rules}

    def signature(sig: CompiledSignature) -> CompiledSignature:
        matcher = sig.matcher and timed.get(sig.matcher.id, sig.matcher)
        return dataclasses.replace(sig, matcher=matcher)

    packs = [
        dataclasses.replace(
            pack,
            rules=tuple(timed[r.id] for r in pack.rules),
            signatures=tuple(map(signature, pack.signatures)),
        )
        for pack in ruleset.packs
    ]
    rebuilt = RuleSet(packs, ruleset.domain_aliases, ruleset.specs, ruleset.disabled)
    return cleaner.with_ruleset(rebuilt)


class _Timed:
    """A matcher whose ``find`` adds its seconds and calls to the counters, under its id."""

    def __init__(self, matcher: Matcher, seconds: Counter[str], calls: Counter[str]) -> None:
        self.matcher, self.id, self.spec = matcher, matcher.id, matcher.spec
        self.seconds, self.calls = seconds, calls

    def find(self, doc: DocView, starts: Sequence[int] | None = None) -> list[Span]:
        start = time.perf_counter()
        try:
            return self.matcher.find(doc, starts)
        finally:
            self.seconds[self.id] += time.perf_counter() - start
            self.calls[self.id] += 1


def _print(report: dict[str, Any], top: int) -> None:
    print(
        f"{report['input']}: {report['documents']} documents, "
        f"engine {report['engine_seconds']:.2f} s"
    )
    print(f"{'share':>6} {'seconds':>8} {'calls':>7} {'docs':>6} {'edits':>7}  rule")
    for row in report["rules"][:top]:
        print(
            f"{row['share']:6.1%} {row['seconds']:8.3f} {row['calls']:7d} "
            f"{row['documents_changed']:6d} {row['edits']:7d}  {row['rule']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, help="a JSONL file (default: a generated corpus)")
    parser.add_argument("--size", default="20MB", help="generated corpus size (default 20MB)")
    parser.add_argument("--limit", type=int, help="only the first N documents")
    parser.add_argument("--top", type=int, default=20, help="rows to print (default 20)")
    parser.add_argument("--json", type=Path, help="write every row here")
    args = parser.parse_args(argv)
    if args.input is not None and not args.input.exists():
        print(f"{args.input}: not found", file=sys.stderr)
        return 2
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    src = args.input or cached_corpus(OUT_DIR, parse_size(args.size))
    report = rule_costs(src, args.limit)
    _print(report, args.top)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
