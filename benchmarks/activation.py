"""Packs activated by content: how often, where, and with what effect, on real scrapes.

Why: a pack with ``detect`` signatures also cleans documents whose URL does not name its site
(no URL, a mirror, a syndicated copy). That is worth having only if the signatures are
precise. Two questions, for every pack that has signatures, on ``../shared/data`` (skipped
with a message when it is absent):

- *outside its domains*: which documents of other hosts activate the pack, and what its rules
  remove there. Every such removal is listed, to be read: it must be that site's residue.
- *without the URL*: on the pack's own hosts, with the URL taken away, how many of the
  documents it cleans are still recognised, and what share of the characters its rules
  removed with the URL they still remove.

    python -m benchmarks.activation [--json out.json] [--width 160]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.evaluate import DATA, NEWS, PAGES, TEXT_KINDS, load, save_json
from cleaner import Cleaner, Document
from cleaner.compile import RuleSet
from cleaner.types import CleanResult
from cleaner.view import DocView


def documents(data: Path) -> list[tuple[str, Document]]:
    """(set name, document) for every text of both sets."""
    out: list[tuple[str, Document]] = []
    if (data / NEWS).exists():
        for row in load(data / NEWS):
            out.append((NEWS, Document(row["text"], row.get("url"), row.get("title"), row["id"])))
    if (data / PAGES).exists():
        for row in load(data / PAGES):
            for kind in TEXT_KINDS:
                doc = Document(row[kind], row.get("url"), row.get("title"), row["id"])
                out.append((f"{PAGES}:{kind}", doc))
    return out


def pack_removed(result: CleanResult, pack: str) -> int:
    return sum(
        s.end - s.start - len(s.replacement)
        for s in result.spans
        if s.rule_id.startswith(pack + ".")
    )


def measure(cleaner: Cleaner, docs: list[tuple[str, Document]], width: int) -> dict[str, Any]:
    ruleset: RuleSet = cleaner.ruleset
    detectable = {i: p for i, p in enumerate(ruleset.packs) if p.signatures}
    outside: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    own = {
        p.id: {"docs": 0, "cleaned": 0, "recognised": 0, "chars": 0, "chars_kept": 0}
        for p in detectable.values()
    }
    for name, doc in docs:
        host = ruleset.host(doc.url)
        activation = ruleset.activation(doc.url, DocView(doc.text, doc.title, 10.0))
        with_url = cleaner.clean_document(doc)
        for index, pack in detectable.items():
            if index in activation.by_host:
                row = own[pack.id]
                row["docs"] += 1
                chars = pack_removed(with_url, pack.id)
                if not chars:
                    continue
                bare = cleaner.clean_document(Document(doc.text, None, doc.title, doc.id))
                row["cleaned"] += 1
                row["chars"] += chars
                kept = pack_removed(bare, pack.id)
                row["chars_kept"] += kept
                row["recognised"] += kept > 0
            elif index in activation.detected:
                removals = [
                    doc.text[s.start : s.end][:width]
                    for s in with_url.spans
                    if s.rule_id.startswith(pack.id + ".")
                ]
                outside[pack.id].append(
                    {"set": name, "id": doc.id, "host": host, "removals": removals}
                )
    return {"own_hosts_without_url": own, "outside_domains": dict(outside)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="directory of the data sets")
    parser.add_argument("--json", type=Path, help="write the full report here")
    parser.add_argument("--width", type=int, default=160, help="truncate shown text to this")
    args = parser.parse_args(argv)
    docs = documents(args.data)
    if not docs:
        print(f"{args.data}: evaluation data not found; skipping (nothing to measure)")
        return 0
    report = measure(Cleaner.load(), docs, args.width)
    print(f"{len(docs)} texts")
    print("Own hosts, URL taken away: documents the pack cleans, still recognised, chars kept")
    for pack, row in report["own_hosts_without_url"].items():
        share = row["chars_kept"] / row["chars"] if row["chars"] else 1.0
        print(
            f"  {pack:18} {row['docs']:5} docs  {row['cleaned']:4} cleaned  "
            f"{row['recognised']:4} recognised  {share:7.2%} of {row['chars']} chars"
        )
    print("Outside the pack's domains, activated by content:")
    for pack, found in sorted(report["outside_domains"].items()):
        print(f"  {pack}: {len(found)} documents")
        for item in found:
            print(f"    {item['set']} {item['id']} {item['host']}")
            for text in item["removals"]:
                print(f"      - {text!r}")
    save_json(args.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
