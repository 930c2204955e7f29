"""Progress reporting for long runs: a callback gets the fraction done and may cancel."""
from __future__ import annotations

from collections.abc import Callable

# Called with the fraction done (0..1); returning False asks the run to stop after this chunk.
Progress = Callable[[float], bool | None] | None


class Cancelled(Exception):
    """The progress callback asked the run to stop."""


def report(progress: Progress, fraction: float) -> None:
    if progress is not None and progress(fraction) is False:
        raise Cancelled()


def chunks(n: int, size: int):
    """(start, stop) pairs covering range(n) in steps of `size`."""
    return [(start, min(start + size, n)) for start in range(0, n, size)]
