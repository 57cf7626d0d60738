"""Ctrl-C as an exception every layer can catch without importing the CLI."""

from __future__ import annotations


class Interrupted(BaseException):
    """Ctrl-C: raised by our SIGINT handler, so click cannot turn it into "Aborted!" (exit 1)."""
