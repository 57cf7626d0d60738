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

    On the way out, what `fn` kept moves to the oldest generation without a pass over it
    (`gc.freeze()` then `gc.unfreeze()`, both constant-time list moves); otherwise the first
    allocation after `fn` would scan all of it as young objects. Skipped when the process has
    frozen objects of its own (unfreezing would release them).
    """
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
    return run  # type: ignore[return-value]
