"""Ctrl-C and SIGTERM stop grading at once, and nothing graded while stopping becomes a grade.

A signal cancels the running grading; code that would otherwise mistake the cancellation for
something else (nbclient turns a cancelled wait into "the kernel died") asks `requested()`
and stops instead of recording. The CLI turns `Interrupted` into exit 130 (SIGINT) or 143
(SIGTERM).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_requested: list[int] = []
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _install(loop: asyncio.AbstractEventLoop, stop: Callable[[int], None]) -> list[int]:
    installed = []
    for sig in _SIGNALS:
        try:
            loop.add_signal_handler(sig, stop, sig)
            installed.append(sig)
        except (RuntimeError, ValueError, NotImplementedError):  # not the main thread, or no signals here
            pass
    return installed


class Interrupted(Exception):
    """Grading was stopped by a signal; `signum` says which (exit status 128 + signum)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


def requested() -> int | None:
    """The signal that asked grading to stop, if one did."""
    return _requested[0] if _requested else None


def check() -> None:
    """Raise Interrupted when a stop was requested (at a point where a result would be recorded)."""
    if _requested:
        raise Interrupted(_requested[0])


def run(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coro)`, where SIGINT or SIGTERM cancels it and raises Interrupted (kernels are
    shut down by the cancelled code's own clean-up on the way out)."""

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def stop(signum: int) -> None:
            if not _requested:
                _requested.append(signum)
                task.cancel()

        installed = _install(loop, stop)

        def quiet(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            # a task that ended with the interruption (a notebook run) is not an error to print
            if not (_requested and isinstance(context.get("exception"), (Interrupted, asyncio.CancelledError))):
                loop.default_exception_handler(context)

        loop.set_exception_handler(quiet)
        try:
            result = await coro
        except BaseException:
            # a cancelled wait may have surfaced as anything (nbclient: "the kernel died"; a kernel
            # start: "could not start"): once a signal asked to stop, it is that, not a failure
            if _requested:
                raise Interrupted(_requested[0]) from None
            raise
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            if _requested:  # tasks the cancelled code started (a notebook run) end here, not in asyncio's shutdown
                others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for t in others:
                    t.cancel()
                await asyncio.gather(*others, return_exceptions=True)
        check()  # the cancellation was swallowed on the way (and turned into some other outcome)
        return result

    _requested.clear()
    return asyncio.run(main())
