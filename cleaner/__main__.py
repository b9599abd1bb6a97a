"""The ``cleaner`` command and ``python -m cleaner``.

Kept light on purpose: a worker process started with spawn re-imports the main module before
it gets work, and a worker needs the engine, not the command line (typer and rich).
"""

from __future__ import annotations


def main() -> None:
    from cleaner.cli import main as run_cli

    run_cli()


if __name__ == "__main__":
    main()
