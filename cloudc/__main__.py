"""`python -m cloudc` and the `cloudc` script: Ctrl-C even during the imports is one line."""

import sys


def run() -> None:
    """Import the CLI and run it; Ctrl-C while importing exits 130 without a traceback."""
    try:
        from cloudc.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("cloudc: interrupted\n")
        raise SystemExit(130) from None
    main()


if __name__ == "__main__":
    run()
