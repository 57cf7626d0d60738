"""Progress on long waits: a spinner line on a terminal, plain lines when piped."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

FRAMES = "|/-\\"


class Progress:
    """Show what a wait is waiting for, with the seconds it has taken so far.

    On a terminal one line is redrawn in place (a spinner and the elapsed time); piped, a
    plain line is printed each time the state changes, so logs stay readable. Nothing is
    printed when `enabled` is false (--quiet, a machine-readable --error-format).
    """

    def __init__(self, say: Callable[[str], None], *, tty: bool | None = None,
                 enabled: bool = True) -> None:
        self.say = say
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.enabled = enabled
        self.start = time.monotonic()
        self.last = ""
        self.frame = 0
        self.drawn = False

    def update(self, state: str) -> None:
        """Report the current state (call it on every poll)."""
        if not self.enabled:
            return
        if self.tty:
            seconds = int(time.monotonic() - self.start)
            self.frame = (self.frame + 1) % len(FRAMES)
            sys.stderr.write(f"\r\033[K{FRAMES[self.frame]} {state} ({seconds}s)")
            sys.stderr.flush()
            self.drawn = True
        elif state != self.last:
            self.say(state)
        self.last = state

    def done(self) -> None:
        """Clear the spinner line, so what follows starts on a clean line."""
        if self.drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.drawn = False
