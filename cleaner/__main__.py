"""The ``cleaner`` command and ``python -m cleaner``.

Kept light on purpose: a worker process started with spawn re-imports the main module before
it gets work, and a worker needs the engine, not the command line (typer and rich).
"""

from __future__ import annotations


def main() -> None:
    try:
        from cleaner.cli import main as run_cli

        run_cli()
    except KeyboardInterrupt:  # Ctrl-C while the command starts, before it handles its own
        import sys

        sys.stderr.write("cleaner: interrupted while starting; nothing was written\n")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
