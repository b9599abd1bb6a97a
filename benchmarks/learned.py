"""Learned packs on real scrapes: how much repeated boilerplate they take, and what else.

Why: ``cleaner learn`` writes packs from the lines a host repeats. Whether they are worth
having is measured on ``../shared/data/news-abp-dev.jsonl.gz`` (skipped with a message when it
is absent):

- *repeated lines*: (host, template) pairs in at least 3 documents and 5% of the host's, in
  the raw text. Their line occurrences are counted in the raw and the cleaned texts; the drop
  is 1 - cleaned / raw. Reported for the default packs alone, with packs learned from the same
  documents (in sample), and held out: packs learned from one half of each host's documents
  (by a hash of the id) and measured on the other half.
- *one-document lines removed*: lines removed by a learned rule whose template occurs in one
  document of its host only (the goal is 0).
- a seeded sample of learned-rule removals, to read.

    python -m benchmarks.learned [--sample 100] [--seed 0] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from benchmarks.evaluate import DATA, NEWS, load, save_json
from cleaner import Cleaner, Document, learned_pack
from cleaner.hosts import host_of
from cleaner.learn import candidate_lines, learn, template

MIN_DOCS, MIN_SHARE = 3, 0.05


def write_packs(rows: list[dict[str, Any]], out: Path, base: Cleaner) -> list[str]:
    pairs = [(r["text"], r.get("url")) for r in rows]
    stats, found = learn(lambda: iter(pairs), min_docs=MIN_DOCS, min_share=MIN_SHARE)
    return learned_pack.write_packs(found, stats, out, base)


def template_documents(rows: list[dict[str, Any]]) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """Per host: its documents, and in how many of them each line template occurs."""
    docs: Counter[str] = Counter()
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        host = host_of(row.get("url")) or ""
        docs[host] += 1
        counts[host].update({template(line) for line in candidate_lines(row["text"])})
    return docs, counts


def repeated(rows: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Per host, the templates in at least MIN_DOCS documents and MIN_SHARE of the host's."""
    docs, counts = template_documents(rows)
    return {
        host: {t for t, n in c.items() if n >= max(MIN_DOCS, MIN_SHARE * docs[host])}
        for host, c in counts.items()
    }


def occurrences(
    rows: list[dict[str, Any]], texts: list[str], wanted: dict[str, set[str]]
) -> Counter[tuple[str, str]]:
    """How often each wanted (host, template) occurs as a line of ``texts``."""
    found: Counter[tuple[str, str]] = Counter()
    for row, text in zip(rows, texts, strict=True):
        host = host_of(row.get("url")) or ""
        want = wanted.get(host, set())
        found.update((host, t) for t in map(template, candidate_lines(text)) if t in want)
    return found


def measure(
    cleaner: Cleaner,
    rows: list[dict[str, Any]],
    wanted: dict[str, set[str]],
    sample: int,
    seed: int,
) -> dict[str, Any]:
    singles = _single_templates(rows)
    raw = occurrences(rows, [r["text"] for r in rows], wanted)
    cleaned_texts: list[str] = []
    learned_removals: list[dict[str, Any]] = []
    singles_removed = 0
    for row in rows:
        result = cleaner.clean_document(Document(row["text"], row.get("url"), row.get("title")))
        cleaned_texts.append(result.text)
        host = host_of(row.get("url")) or ""
        for span in result.spans:
            if not span.rule_id.startswith("learned-"):
                continue
            removed = row["text"][span.start : span.end].strip()
            learned_removals.append({"id": row["id"], "rule": span.rule_id, "text": removed})
            if template(removed) in singles.get(host, set()):
                singles_removed += 1
    left = occurrences(rows, cleaned_texts, wanted)
    gone = sum(left[pair] <= 0.2 * n for pair, n in raw.items())
    rng = random.Random(seed)
    return {
        "repeated_raw": sum(raw.values()),
        "repeated_left": sum(left.values()),
        "drop": 1 - sum(left.values()) / sum(raw.values()) if raw else 0.0,
        "templates": len(raw),
        "templates_80_percent_gone": gone,
        "learned_removals": len(learned_removals),
        "one_document_lines_removed": singles_removed,
        "sample": rng.sample(learned_removals, min(sample, len(learned_removals))),
    }


def _single_templates(rows: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Per host, the templates of one document only."""
    _, counts = template_documents(rows)
    return {host: {t for t, n in c.items() if n == 1} for host, c in counts.items()}


def half(row: dict[str, Any]) -> int:
    return hashlib.blake2b(str(row["id"]).encode(), digest_size=1).digest()[0] % 2


def evaluate(rows: list[dict[str, Any]], sample: int, seed: int) -> dict[str, Any]:
    base = Cleaner.load()
    wanted = repeated(rows)
    report: dict[str, Any] = {"documents": len(rows)}
    report["default_packs"] = measure(base, rows, wanted, 0, seed)
    with tempfile.TemporaryDirectory() as tmp:
        packs = write_packs(rows, Path(tmp), base)
        report["hosts_learned"] = len(packs)
        report["in_sample"] = measure(Cleaner.load(packs), rows, wanted, sample, seed)
    learn_rows = [r for r in rows if half(r) == 0]
    test_rows = [r for r in rows if half(r) == 1]
    test_wanted = repeated(test_rows)
    with tempfile.TemporaryDirectory() as tmp:
        packs = write_packs(learn_rows, Path(tmp), base)
        report["held_out_default"] = measure(base, test_rows, test_wanted, 0, seed)
        report["held_out"] = measure(Cleaner.load(packs), test_rows, test_wanted, 0, seed)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sample", type=int, default=100, help="learned removals to show")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    path = args.data / NEWS
    if not path.exists():
        print(f"{path}: not found; skipping (nothing to measure)")
        return 0
    report = evaluate(load(path), args.sample, args.seed)
    print(f"{report['documents']} documents, {report['hosts_learned']} hosts learned")
    for name in ("default_packs", "in_sample", "held_out_default", "held_out"):
        r = report[name]
        print(
            f"  {name:17} repeated lines {r['repeated_raw']:6} -> {r['repeated_left']:6} "
            f"(drop {r['drop']:.1%}); templates {r['templates_80_percent_gone']} of "
            f"{r['templates']} 80% gone; learned removals {r['learned_removals']}, "
            f"one-document lines removed {r['one_document_lines_removed']}"
        )
    for item in report["in_sample"]["sample"]:
        print(f"    {item['id']} {item['rule']}: {item['text'][:120]!r}")
    save_json(args.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
