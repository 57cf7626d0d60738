"""Pause the cyclic garbage collector around the compiler's allocation-heavy stages."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def gc_paused(fn: F) -> F:
    """Run `fn` with the cyclic garbage collector paused (and restore it after).

    A build allocates a few objects per config value and keeps nearly all of them until it
    returns, so the collector's passes during it find nothing to free and cost about a third
    of the build. Reference counting still frees everything as usual, and a build's data holds
    (next to) no reference cycles (tests/test_perf.py), so little waits for the collector.
    The first allocation after `fn` returns still runs one young-generation pass over what
    `fn` kept; a short-lived process (the CLI) can avoid even that with `gc.freeze()`.
    """
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()
    return run  # type: ignore[return-value]
