"""Bounded execution: a deadline object plus a SIGALRM guard.

sympy is pure Python, so a SIGALRM handler can interrupt a runaway
``simplify``. Signals only work in the main thread; elsewhere callers get a
plain deadline and must skip unbounded work (``Deadline.can_interrupt``).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Iterator


class CheckTimeout(Exception):
    """Raised when a check exceeds its time budget."""


class Deadline:
    """A monotonic deadline that cooperative loops poll via ``check()``."""

    def __init__(self, seconds: float, can_interrupt: bool = False) -> None:
        self.start = time.monotonic()
        self.end = self.start + max(0.0, seconds)
        self.can_interrupt = can_interrupt

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def check(self) -> None:
        if time.monotonic() >= self.end:
            raise CheckTimeout("time limit reached")


def _alarm_usable() -> bool:
    if threading.current_thread() is not threading.main_thread():
        return False
    return hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM")


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[Deadline]:
    """Yield a Deadline; in the main thread also arm SIGALRM to interrupt.

    An outer itimer (e.g. pytest-timeout) is saved and re-armed afterwards.
    """
    if not _alarm_usable():
        yield Deadline(seconds, can_interrupt=False)
        return

    with _alarm(max(seconds, 1e-3), "time limit reached"):
        yield Deadline(seconds, can_interrupt=True)


@contextlib.contextmanager
def _alarm(seconds: float, message: str) -> Iterator[None]:
    """Raise CheckTimeout after `seconds`; an outer itimer (e.g. pytest-timeout or an enclosing limit)
    is saved and re-armed with what it had left."""

    def _handler(signum, frame):  # noqa: ARG001
        # Python swallows an exception raised inside a weakref callback or __del__ (sympy's caches
        # trigger both), which would leave the block running unbounded: fire again shortly in case.
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        raise CheckTimeout(message)

    old_handler = signal.signal(signal.SIGALRM, _handler)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    t0 = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay > 0:
            left = old_delay - (time.monotonic() - t0)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), old_interval)


@contextlib.contextmanager
def sub_limit(deadline: Deadline, seconds: float) -> Iterator[None]:
    """Interrupt a block after ``seconds`` (main thread only) without
    disturbing the enclosing ``time_limit`` alarm."""
    if not (deadline.can_interrupt and _alarm_usable()):
        yield
        return
    with _alarm(max(1e-3, min(seconds, deadline.remaining())), "sub-step time limit reached"):
        yield
