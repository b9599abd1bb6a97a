"""The ``cleaner`` command and ``python -m cleaner``.

Kept light on purpose: a worker process started with spawn re-imports the main module before
it gets work, and a worker needs the engine, not the command line (typer and rich).
"""

from __future__ import annotations


def main() -> None:
    try:
        from cleaner.cli import main as run_cli
    except KeyboardInterrupt:  # Ctrl-C while the command starts: nothing is open yet
        import sys

        sys.stderr.write("cleaner: interrupted while starting; nothing was written\n")
        raise SystemExit(130) from None
    run_cli()


if __name__ == "__main__":
    main()
