"""The long fuzz run: seeded, real-shaped documents and mutations against the promises.

Each case is a news-like document from ``benchmarks.corpus`` (made up, shaped like the real
scrapes), mutated the way scrapes go wrong: cut short, residue lines added, headline repeated,
odd characters (NUL, BOM, lone surrogates, zero-width and combining marks, CRLF), blank runs,
a stub page that is mostly prompts. Every case is checked for:

- no crash (any exception from the cleaner is a failure);
- spans: sorted, disjoint, in bounds, and ``apply_spans(original, spans) == text``;
- idempotence: cleaning the result changes nothing;
- the guard's bound: what guarded rules remove beyond the exempt ones is at most
  ``max_removal`` of any pass's text, so at most ``1 - (1 - max_removal) ** passes`` of the
  document (measured against the same packs with the guarded rules disabled);
- and, for every batch, the batch as a JSONL file through ``pipeline.run`` with ``jobs=1``
  and with two workers: documents in = documents out, byte-identical outputs, unchanged
  lines written back as read, changed lines holding the library's text.

``python -m benchmarks.fuzz --cases 1000000 --json benchmarks/reliability/fuzz.json``
(``--seed`` picks the stream; a failing case is printed with its number, and
``--only N`` replays it). Case ``i`` depends only on the seed and ``i``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.corpus import documents  # noqa: E402
from cleaner import Cleaner  # noqa: E402
from cleaner.compile import compile_packs  # noqa: E402
from cleaner.engine import MAX_PASSES  # noqa: E402
from cleaner.io import plan_files  # noqa: E402
from cleaner.pipeline import RunOptions, WorkerPool, run  # noqa: E402
from cleaner.spans import apply_spans  # noqa: E402
from cleaner.types import CleanResult, Document  # noqa: E402

#: Residue as scrapes carry it (made up, in the shapes the packs know), and look-alikes.
RESIDUE = (
    "ADVERTISEMENT",
    "© Getty Images",
    "(AP Photo/Jane Doe)",
    "-Updated 7:32 p.m.",
    "Updated 9:15 a.m. ET",
    "Share this story",
    "Sign up for our newsletter",
    "Follow us on Twitter",
    "Read more: Harbour bridge reopens",
    "Jane DoeJane DoeCouncil votes on budget Storm closes schools MORE",
    "Copyright 2019 The Associated Press. All rights reserved.",
    "We use cookies to improve your experience.",
    "AD",
    "Image copyright Reuters",
    "toggle caption",
    "No more wars, the signs said.",
    "More than 300 people came.",
)
ODD = (
    "\x00",
    "\ufeff",
    "\ud800",
    "\udfff",
    "\u200b",
    "\u0301",
    "\r\n",
    "\r",
    "\t",
    "\u2028",
    "\U0001f600",
    "  ",
    "\n\n\n",
    "MORE",
    "é",
)
URLS = (
    None,
    "https://thehill.com/homenews/a",
    "https://apnews.com/article/b",
    "https://www.npr.org/2019/c",
    "https://web.archive.org/web/2019/https://thehill.com/d",
    "https://127.0.0.1/e",
    "not a url",
)


#: Documents of the seed's stream that the cases mutate.
BASES = 500


def mutate(rng: random.Random, doc: dict[str, Any]) -> Document:
    text: str = doc["text"]
    lines = text.split("\n")
    for _ in range(rng.randrange(0, 6)):
        op = rng.randrange(9)
        if op == 0 and lines:  # cut short
            lines = lines[: rng.randrange(len(lines) + 1)]
        elif op == 1:  # residue lines
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(RESIDUE))
        elif op == 2 and lines:  # residue glued into a line
            i = rng.randrange(len(lines))
            lines[i] = f"{lines[i]} {rng.choice(RESIDUE)}"
        elif op == 3 and lines:  # headline repeated
            lines.insert(rng.randrange(min(3, len(lines)) + 1), lines[0])
        elif op == 4:  # odd characters
            joined = "\n".join(lines)
            at = rng.randrange(len(joined) + 1)
            lines = (joined[:at] + rng.choice(ODD) + joined[at:]).split("\n")
        elif op == 5:  # a stub page
            lines = [rng.choice(RESIDUE) for _ in range(rng.randrange(1, 8))] + lines[:1]
        elif op == 6:  # blank runs and trailing space
            lines = [line + rng.choice(("", " ", "\t")) for line in lines] + [""] * rng.randrange(3)
        elif op == 7:  # paragraphs in another order
            rng.shuffle(lines)
        else:  # a short piece
            lines = lines[: rng.randrange(1, 4)]
    title = rng.choice((doc["title"], None, lines[0] if lines else ""))
    return Document("\n".join(lines), rng.choice((doc["url"], *URLS)), title)


def cases(seed: int, start: int = 0) -> Iterator[tuple[int, Document]]:
    """Case ``i`` for i = start, start + 1, ...: a document from its own seeded stream."""
    stream = documents(seed)
    bases = [next(stream) for _ in range(BASES)]  # making a document is the costly part
    i = start
    while True:
        rng = random.Random(f"{seed}:{i}")
        base = bases[rng.randrange(BASES)]
        yield i, mutate(rng, base)
        i += 1


@dataclass
class Tally:
    cases: int = 0
    batches: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, check: str, case: int, detail: str) -> None:
        self.failures[check] += 1
        if len(self.examples) < 20:
            self.examples.append({"check": check, "case": case, "detail": detail[:500]})


class Guard:
    """The guard's bound on one document: guarded rules may remove a bounded share of it
    beyond what the exempt rules (those same packs without the guarded ones) remove."""

    def __init__(self, cleaner: Cleaner) -> None:
        self.ids = {r.id for r in cleaner.ruleset.rules if r.spec.guard}
        self.share = 1 - (1 - cleaner.max_removal) ** MAX_PASSES
        self._exempt: Cleaner | None = None
        self._cleaner = cleaner

    def holds(self, doc: Document, result: CleanResult) -> bool:
        guarded = sum(
            s.end - s.start - len(s.replacement) for s in result.spans if s.rule_id in self.ids
        )
        if guarded <= self.share * len(doc.text) + 1e-9:
            return True
        # A guarded span that swallowed an exempt one counts only for what it added.
        if self._exempt is None:
            ruleset = self._cleaner.ruleset
            packs = compile_packs(
                ruleset.specs, (*ruleset.disabled, *self.ids), ruleset.domain_aliases
            )
            self._exempt = Cleaner(
                packs,
                max_removal=self._cleaner.max_removal,
                timeout=self._cleaner.timeout,
            )
        beyond = result.removed_chars() - self._exempt.clean_document(doc).removed_chars()
        return beyond <= self.share * len(doc.text) + 1e-9


def check_case(cleaner: Cleaner, guard: Guard, doc: Document) -> list[tuple[str, str]]:
    """The failed checks of one document: (check, detail)."""
    try:
        result = cleaner.clean_document(doc)
    except Exception as e:
        return [("no crash", f"{type(e).__name__}: {e}")]
    failed = []
    spans = result.spans
    if any(a.end > b.start for a, b in itertools.pairwise(spans)) or any(
        s.start < 0 or s.end > len(doc.text) or s.start > s.end for s in spans
    ):
        failed.append(("spans sorted, disjoint, in bounds", repr(spans[:5])))
    if apply_spans(doc.text, spans) != result.text:
        failed.append(("apply_spans(original, spans) == text", repr(spans[:5])))
    again = cleaner.clean_document(Document(result.text, doc.url, doc.title))
    if again.changed:
        failed.append(("idempotence", repr(again.spans[:5])))
    if not guard.holds(doc, result):
        failed.append(("guard bound", f"removed {result.removed_chars()} of {len(doc.text)}"))
    return failed


def jsonl_line(record: dict[str, Any], ascii_only: bool) -> bytes:
    """A JSON line as corpora write them: escaped, or raw UTF-8 where it can be."""
    if not ascii_only:
        try:
            return json.dumps(record, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: only its escape is valid UTF-8
            pass
    return json.dumps(record).encode("ascii")


def check_batch(
    cleaner: Cleaner, pool: WorkerPool, docs: list[Document], work: Path, ascii_only: bool
) -> list[tuple[str, str]]:
    """The batch through the pipeline in process and on two workers."""
    lines = [
        jsonl_line({"id": n, "url": d.url, "title": d.title, "text": d.text}, ascii_only)
        for n, d in enumerate(docs)
    ]
    source = work / "batch.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    raw = source.read_bytes().split(b"\n")[:-1]
    outputs = {}
    small = 64 * 1024  # several blocks per batch, so that both workers get some
    for name, options in (
        ("1", RunOptions(jobs=1, block_bytes=small)),
        ("2", RunOptions(jobs=2, pool=pool, block_bytes=small)),
    ):
        target = work / f"out-{name}.jsonl"
        try:
            run(plan_files([source], target), cleaner, options=options)
        except Exception as e:
            return [("pipeline runs", f"-j {name}: {type(e).__name__}: {e}")]
        outputs[name] = target.read_bytes()
    failed = []
    if outputs["1"] != outputs["2"]:
        failed.append(("-j 1 and -j 2 byte-identical", ""))
    written = outputs["1"].split(b"\n")[:-1]
    if len(written) != len(raw):
        failed.append(("documents in = documents out", f"{len(raw)} in, {len(written)} out"))
        return failed
    for n, (before, after) in enumerate(zip(raw, written, strict=True)):
        text = json.loads(before)["text"]
        expected = cleaner.clean_document(Document(text, docs[n].url, docs[n].title)).text
        got = json.loads(after)
        if expected == text and before != after:
            failed.append(("unchanged records byte-identical", f"line {n + 1}"))
        elif got["text"] != expected:
            failed.append(("pipeline text == library text", f"line {n + 1}"))
        elif {k: v for k, v in got.items() if k != "text"} != {
            k: v for k, v in json.loads(before).items() if k != "text"
        }:
            failed.append(("only the text value changes", f"line {n + 1}"))
    return failed


def fuzz(
    n_cases: int, seed: int = 0, batch: int = 2000, start: int = 0, progress: bool = False
) -> dict[str, Any]:
    cleaner = Cleaner.load()
    guard = Guard(cleaner)
    tally = Tally()
    started = time.monotonic()
    stream = cases(seed, start)
    with WorkerPool(cleaner, 2) as pool, tempfile.TemporaryDirectory() as tmp:
        while tally.cases < n_cases:
            docs = []
            for _ in range(min(batch, n_cases - tally.cases)):
                i, doc = next(stream)
                docs.append(doc)
                for check, detail in check_case(cleaner, guard, doc):
                    tally.fail(check, i, detail)
                tally.cases += 1
            for check, detail in check_batch(
                cleaner, pool, docs, Path(tmp), ascii_only=tally.batches % 2 == 0
            ):
                tally.fail(check, i, f"batch ending at case {i}: {detail}")
            tally.batches += 1
            if progress:
                rate = tally.cases / (time.monotonic() - started)
                print(
                    f"{tally.cases:,} cases, {sum(tally.failures.values())} failures, "
                    f"{rate:,.0f}/s",
                    file=sys.stderr,
                )
    return {
        "command": f"python -m benchmarks.fuzz --cases {n_cases} --seed {seed}",
        "seed": seed,
        "cases": tally.cases,
        "batches": tally.batches,
        "failures": sum(tally.failures.values()),
        "failures_by_check": dict(tally.failures),
        "examples": tally.examples,
        "seconds": round(time.monotonic() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=2000, help="cases per pipeline batch")
    parser.add_argument("--only", type=int, help="replay this one case and print it")
    parser.add_argument("--json", type=Path, help="write the counts here")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.only is not None:
        _, doc = next(cases(args.seed, args.only))
        print(repr(doc))
        cleaner = Cleaner.load()
        print(check_case(cleaner, Guard(cleaner), doc))
        return 0
    report = fuzz(args.cases, args.seed, args.batch, progress=not args.quiet)
    print(json.dumps({k: v for k, v in report.items() if k != "examples"}, indent=1))
    for example in report["examples"]:
        print(example, file=sys.stderr)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
