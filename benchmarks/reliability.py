"""The README's reliability table, from a recorded run of the fault suite.

Each fault test records every fault it injected, with the documents it lost and the outputs it
left partial (``tests/faults/faultkit.py``). This turns such a record into the table, and with
``--readme`` writes it between the README's reliability markers:

    CLEANER_FAULT_LEDGER=benchmarks/out/faults.json pytest tests/faults
    python -m benchmarks.reliability benchmarks/out/faults.json --readme README.md

``CLEANER_FAULT_KILLS=N`` sets the kill points per kill case (2 by default).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

START, END = "<!-- reliability:start -->", "<!-- reliability:end -->"


def table(faults: list[dict[str, Any]]) -> str:
    """A row per kind of fault: how many were tried, how many failed a check, documents lost
    and outputs left partial."""
    rows: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for f in faults:
        row = rows[f["family"], f["fault"]]
        row[0] += 1
        row[1] += bool(f.get("failed"))
        row[2] += f["lost"]
        row[3] += f["partial"]
    lines = [
        "| family | fault | tried | failed a check | documents lost | outputs left partial |",
        "|---|---|---|---|---|---|",
    ]
    for (family, fault), counts in sorted(rows.items()):
        lines.append(f"| {family} | {fault} | {' | '.join(map(str, counts))} |")
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
    parser.add_argument("--readme", type=Path, help="write the table into this README")
    args = parser.parse_args(argv)
    rendered = table(json.loads(args.ledger.read_text(encoding="utf-8"))["faults"])
    if args.readme is None:
        print(rendered, end="")
    else:
        text = args.readme.read_text(encoding="utf-8")
        args.readme.write_text(with_table(text, rendered), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
