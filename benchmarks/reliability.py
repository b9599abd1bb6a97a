"""The README's reliability table, from a recorded run of the fault suite.

Each fault test records every fault it injected, with the documents it lost and the outputs it
left partial (``tests/faults/faultkit.py``). This turns such a record into the table, and with
``--readme`` writes it between the README's reliability markers:

    CLEANER_FAULT_LEDGER=benchmarks/out/faults.json pytest tests/faults
    python -m benchmarks.reliability benchmarks/out/faults.json --readme README.md \
        --detail benchmarks/README.md

``CLEANER_FAULT_KILLS=N`` sets the kill points per kill case (2 by default).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

START, END = "<!-- reliability:start -->", "<!-- reliability:end -->"


def table(faults: list[dict[str, Any]], *, by_fault: bool = False) -> str:
    """A row per family (or, ``by_fault``, per kind of fault): how many faults were tried, how
    many failed a check, the documents lost and the outputs left partial."""
    rows: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    kinds: dict[str, set[str]] = defaultdict(set)
    for f in faults:
        key = (f["family"], f["fault"]) if by_fault else (f["family"],)
        row = rows[key]
        row[0] += 1
        row[1] += bool(f.get("failed"))
        row[2] += f["lost"]
        row[3] += f["partial"]
        kinds[f["family"]].add(f["fault"])
    if by_fault:
        head = "| family | fault | tried | failed a check | documents lost | outputs left partial |"
    else:
        head = (
            "| family | kinds of fault | faults tried | failed a check | documents lost "
            "| outputs left partial |"
        )
    lines = [head, "|---|---|---|---|---|---|"]
    for key, counts in sorted(rows.items()):
        cells = list(key) if by_fault else [key[0], str(len(kinds[key[0]]))]
        cells = [c.replace("|", "\\|") for c in cells]  # a pipe in a fault name is no column
        lines.append(f"| {' | '.join(cells)} | {' | '.join(map(str, counts))} |")
    return "\n".join(lines) + "\n"


def with_table(readme: str, rendered: str) -> str:
    """``readme`` with the text between the markers replaced by ``rendered``."""
    head, start, rest = readme.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"the README has no {START} ... {END} block")
    return f"{head}{START}\n{rendered}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ledger", type=Path, help="the JSON a run wrote (CLEANER_FAULT_LEDGER)")
    parser.add_argument("--readme", type=Path, help="write the table by family here")
    parser.add_argument("--detail", type=Path, help="write the table by fault here")
    args = parser.parse_args(argv)
    faults = json.loads(args.ledger.read_text(encoding="utf-8"))["faults"]
    if args.readme is None and args.detail is None:
        print(table(faults), end="")
    for path, by_fault in ((args.readme, False), (args.detail, True)):
        if path is not None:
            text = path.read_text(encoding="utf-8")
            path.write_text(with_table(text, table(faults, by_fault=by_fault)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
