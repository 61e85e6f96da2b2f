"""Symbolic checks in worker processes, with a time limit that always holds.

``check_answer`` bounds itself with SIGALRM, which only works in the main
thread: in a Dask worker thread or under ``asyncio.to_thread`` it falls back
to a cooperative deadline and sympy can run unbounded. It is also CPU-bound,
so run on the event loop it stalls every other submission's kernel I/O.

``SymbolicPool`` runs ``check_answer`` in a few long-lived worker processes
(each pays the sympy import once). A worker runs the check in its own main
thread, so SIGALRM works there; the parent adds a hard backstop: no reply
within ``timeout + grace`` and the worker is SIGKILLed, replaced, and the
answer comes back "undecided" for a TA to review.

Workers are fresh interpreters started with ``subprocess`` (exec, like the
"spawn" start method: nothing of a threaded parent's state is forked) and
speak JSON lines over stdin/stdout. Student LaTeX is untrusted, so nothing
crossing the boundary is ever unpickled.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import dataclasses
import functools
import itertools
import json
import math
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import feedback as fb
from .check import SymbolicResult, check_answer
from .timer import CheckTimeout

__all__ = ["SymbolicPool", "shared_pool"]

# check_answer's keyword settings besides ``timeout``: checked in the parent, so a typo fails
# like a bad keyword argument instead of as a worker-side error.
_SETTINGS = frozenset({"definitions", "target", "aliases", "assumptions", "conventions", "form", "mistakes",
                       "indices", "vectors"})
_ERRORS: dict[str, type[Exception]] = {"ValueError": ValueError, "TypeError": TypeError}
_RESULT_FIELDS = tuple(f.name for f in dataclasses.fields(SymbolicResult))
_WORKER_CODE = "from grader.symbolic.pool import _worker_main; _worker_main()"
_PR_SET_PDEATHSIG = 1


def _undecided(why: str) -> SymbolicResult:
    """The same verdict check_answer gives when it stops early (nothing read is known here)."""
    return SymbolicResult(None, "undecided", fb.undecided(None, why), needs_review=True)


# --------------------------------------------------------------------------- parent side

class _Spawner:
    """Starts every worker from one long-lived daemon thread.

    Linux's parent-death signal (set by each worker) fires when the *thread*
    that started the child exits, so workers must not be started from a Dask
    or executor thread that may go away while the process lives on.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def popen(self, argv: list[str], **kwargs: Any) -> subprocess.Popen:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="symbolic-pool-spawner", daemon=True)
                self._thread.start()
        job: Future = Future()
        self._jobs.put((job, argv, kwargs))
        return job.result()

    def _run(self) -> None:
        while True:
            job, argv, kwargs = self._jobs.get()
            if job.set_running_or_notify_cancel():
                try:
                    job.set_result(subprocess.Popen(argv, **kwargs))
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    job.set_exception(exc)


_spawner = _Spawner()


class _Worker:
    """One worker process and the parent's end of its two pipes."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.pid = proc.pid
        self.ready = False
        self._fd = proc.stdout.fileno()
        self._buf = bytearray()
        self._poll = select.poll()  # not select.select: fds above 1024 are common in a Dask process
        self._poll.register(self._fd, select.POLLIN)
        self._in = proc.stdin.fileno()
        os.set_blocking(self._in, False)
        self._out_poll = select.poll()
        self._out_poll.register(self._in, select.POLLOUT)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, line: bytes, deadline: float) -> bool:
        """Write one request line; False at the deadline (a long answer into a wedged worker must
        not block either); OSError (BrokenPipeError) when the worker is gone."""
        view = memoryview(line)
        while view:
            try:
                view = view[os.write(self._in, view):]
            except BlockingIOError:
                if not self._out_poll.poll(max(0, math.ceil((deadline - time.monotonic()) * 1000))) \
                        and time.monotonic() >= deadline:
                    return False
        return True

    def read_line(self, deadline: float) -> bytes | None:
        """The next line, None at the deadline; EOFError when the worker has exited."""
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if not self._poll.poll(max(0, math.ceil(left * 1000))):  # at least one look, even at 0
                if time.monotonic() >= deadline:
                    return None
                continue
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                raise EOFError("symbolic worker exited")
            self._buf += chunk
        line, _, rest = self._buf.partition(b"\n")
        self._buf = bytearray(rest)
        return bytes(line)

    def wait_ready(self, seconds: float) -> bool:
        """Consume the worker's "ready" line (sent once sympy is imported and warm)."""
        if not self.ready:
            try:
                line = self.read_line(time.monotonic() + seconds)
                self.ready = line is not None and json.loads(line).get("ready") is True
            except (EOFError, OSError, ValueError, AttributeError):
                return False
        return self.ready

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()  # SIGKILL: also ends a worker stuck in C code or stopped
        self._reap(5.0)

    def stop(self) -> None:
        """Ask to exit (EOF on stdin); ``finish`` then reaps it or kills it."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()

    def finish(self, deadline: float) -> None:
        try:
            self.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def _reap(self, seconds: float) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            self.proc.wait(seconds)
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()


class SymbolicPool:
    """A few worker processes running ``check_answer`` under a hard time limit.

    Safe to share between threads and event loops: a condition variable
    guards worker checkout, and the async path waits in the pool's own
    threads, never on the loop. Workers start lazily and are reused.
    """

    def __init__(self, size: int | None = None, *, grace: float = 1.0, startup_timeout: float = 60.0) -> None:
        """``size`` workers (default min(2, cores)); a check gets ``timeout + grace`` before its
        worker is killed; a new worker gets ``startup_timeout`` to import sympy."""
        self.size = max(1, size or min(2, os.cpu_count() or 1))
        self.grace = grace
        self.startup_timeout = startup_timeout
        self._reset()
        _POOLS.add(self)

    def _reset(self) -> None:
        """Fresh state; also after a fork (the child must not use the parent's workers or lock)."""
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._live = 0  # idle + busy + being started
        self._closed = False
        self._executor: ThreadPoolExecutor | None = None
        self._owner = os.getpid()
        self._ids = itertools.count(1)

    # ----------------------------------------------------------------- public

    def check_sync(self, text: str, expected: str, *, timeout: float = 2.0, **settings: Any) -> SymbolicResult:
        """``check_answer(text, expected, timeout=timeout, **settings)`` in a worker; blocks.

        Raises ValueError (invalid expected/definitions, as check_answer does)
        and TypeError (unknown setting); a worker that does not answer within
        ``timeout + grace`` is killed and the result is "undecided".
        """
        unknown = sorted(set(settings) - _SETTINGS)
        if unknown:
            raise TypeError(f"check_answer() got unexpected keyword argument(s): {', '.join(unknown)}")
        request_id = next(self._ids)
        try:
            line = json.dumps({"id": request_id, "text": text, "expected": expected, "timeout": timeout,
                               "settings": settings}).encode("ascii") + b"\n"
        except (TypeError, ValueError) as exc:
            raise TypeError(f"symbolic check settings must be JSON data: {exc}") from None
        for _ in range(3):  # a worker found dead before it read the request: try another one
            worker = self._checkout()
            deadline = time.monotonic() + float(timeout) + self.grace
            try:
                sent = worker.send(line, deadline)
            except OSError:
                self._discard(worker)
                continue
            if not sent:
                self._discard(worker)
                return _undecided("the check ran out of time")
            return self._await_reply(worker, request_id, deadline)
        raise RuntimeError("symbolic workers keep exiting before they read a request")

    async def check(self, text: str, expected: str, *, timeout: float = 2.0, **settings: Any) -> SymbolicResult:
        """``check_sync`` without blocking the event loop (it waits in one of the pool's threads)."""
        loop = asyncio.get_running_loop()
        call = functools.partial(self.check_sync, text, expected, timeout=timeout, **settings)
        return await loop.run_in_executor(self._threads(), call)

    def start(self) -> None:
        """Start all workers now and wait until they are warm (optional: they start lazily)."""
        workers = []
        try:
            while True:
                with self._cond:
                    if self._closed:
                        raise RuntimeError("the SymbolicPool is closed")
                    if self._live >= self.size:
                        break
                    self._live += 1
                workers.append(self._spawn_or_release())
            for w in workers:
                if not w.wait_ready(self.startup_timeout):
                    raise RuntimeError(_startup_failure(w))
        finally:
            for w in workers:
                self._checkin(w)

    def worker_pids(self) -> list[int]:
        """Pids of the idle workers (diagnostics and tests)."""
        with self._cond:
            return [w.pid for w in self._idle if w.alive()]

    def close(self) -> None:
        """Stop the idle workers now; busy ones are stopped when their check returns."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            executor, self._executor = self._executor, None
            self._cond.notify_all()
        if executor is not None:
            executor.shutdown(wait=False)
        if self._owner != os.getpid():
            return  # a forked child: these are the parent's workers
        for w in idle:
            w.stop()
        deadline = time.monotonic() + 1.0
        for w in idle:
            w.finish(deadline)

    def __enter__(self) -> "SymbolicPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- internals

    def _await_reply(self, worker: _Worker, request_id: int, deadline: float) -> SymbolicResult:
        try:
            line = worker.read_line(deadline)
        except (EOFError, OSError):
            self._discard(worker)
            return _undecided("the checker process stopped unexpectedly")
        if line is None:
            self._discard(worker)
            return _undecided("the check ran out of time")
        try:
            reply = json.loads(line)
            assert reply.get("id") == request_id, "reply to another request"
        except (ValueError, AssertionError, AttributeError) as exc:
            self._discard(worker)
            return _undecided(f"internal error: bad reply from the checker process ({exc})")
        self._checkin(worker)
        if "error" in reply:
            kind, message = reply["error"].get("type"), reply["error"].get("message", "")
            raise _ERRORS.get(kind, RuntimeError)(message if kind in _ERRORS else f"{kind}: {message}")
        data = reply["result"]
        return SymbolicResult(**{k: data.get(k) for k in _RESULT_FIELDS if k in data})

    def _checkout(self) -> _Worker:
        while True:
            fresh = False
            with self._cond:
                while True:
                    if self._closed:
                        raise RuntimeError("the SymbolicPool is closed")
                    if self._idle:
                        worker = self._pick_idle()
                        break
                    if self._live < self.size:
                        self._live += 1
                        worker, fresh = None, True
                        break
                    self._cond.wait()
            if worker is None:
                worker = self._spawn_or_release()
            if worker.alive() and worker.wait_ready(self.startup_timeout):
                return worker
            self._discard(worker, replace=False)
            if fresh:
                raise RuntimeError(_startup_failure(worker))

    def _pick_idle(self) -> _Worker:
        """A warm worker if there is one (a replacement may still be importing sympy)."""
        for i, w in enumerate(self._idle):
            if w.ready or w.wait_ready(0):
                return self._idle.pop(i)
        return self._idle.pop(0)

    def _checkin(self, worker: _Worker) -> None:
        with self._cond:
            keep = not self._closed and self._owner == os.getpid() and worker.alive()
            if keep:
                self._idle.append(worker)
            else:
                self._live -= 1
            self._cond.notify()
        if not keep:
            worker.kill()

    def _discard(self, worker: _Worker, replace: bool = True) -> None:
        """Kill a worker; start its replacement now so the import overlaps with other work."""
        worker.kill()
        with self._cond:
            self._live -= 1
            replace = replace and not self._closed and self._live < self.size
            if replace:
                self._live += 1
            self._cond.notify()
        if replace:
            try:
                self._checkin(self._spawn_or_release())
            except (OSError, RuntimeError):
                pass  # the next checkout starts one and reports the error

    def _spawn_or_release(self) -> _Worker:
        """Start a worker for a slot already counted in ``_live``; give the slot back on failure."""
        try:
            return _start_worker()
        except BaseException:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            raise

    def _threads(self) -> ThreadPoolExecutor:
        with self._cond:
            if self._closed:
                raise RuntimeError("the SymbolicPool is closed")
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.size, thread_name_prefix="symbolic-pool")
            return self._executor


def _start_worker() -> _Worker:
    root = str(Path(__file__).resolve().parents[2])  # the worker imports this very copy of grader
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    proc = _spawner.popen([sys.executable, "-c", _WORKER_CODE, str(os.getpid())], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, bufsize=0, env=env, close_fds=True)
    return _Worker(proc)


def _startup_failure(worker: _Worker) -> str:
    code = worker.proc.poll()
    how = f"exited with code {code}" if code is not None else "did not get ready in time"
    return f"the symbolic worker process {how} (see its messages on stderr)"


_POOLS: "weakref.WeakSet[SymbolicPool]" = weakref.WeakSet()
_shared: SymbolicPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> SymbolicPool:
    """The process-wide default pool, created on first use (and again after a close)."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared._closed or _shared._owner != os.getpid():
            _shared = SymbolicPool()
        return _shared


@atexit.register
def _close_all() -> None:
    for pool in list(_POOLS):
        pool.close()


def _after_fork_in_child() -> None:
    """A forked child has none of the parent's threads, and its locks may be copied held."""
    global _spawner, _shared, _shared_lock
    _spawner, _shared, _shared_lock = _Spawner(), None, threading.Lock()
    for pool in list(_POOLS):
        closed = pool._closed
        pool._reset()  # forget the parent's workers: the child must not talk to them
        pool._closed = closed


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# --------------------------------------------------------------------------- worker side

def _worker_main() -> None:
    """Serve JSON-line requests on stdin until EOF (run by the pool, not by hand)."""
    parent = int(sys.argv[1]) if len(sys.argv) > 1 else None
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # stray prints go to stderr, never into the protocol
    sys.stdout = sys.stderr
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it closes us
    signal.signal(signal.SIGALRM, signal.SIG_IGN)  # a late alarm between checks must not kill us
    _die_with_parent(parent)
    check_answer("$$x$$", "x", timeout=5.0)  # warm the lazy imports and caches before "ready"
    _write(out, {"ready": True, "pid": os.getpid()})
    stdin = sys.stdin.buffer
    while True:
        try:
            line = stdin.readline()
            if not line:
                return  # the parent closed the pipe or died
            _write(out, _serve(line))
        except CheckTimeout:
            continue  # an alarm that fired after its check had returned


def _serve(line: bytes) -> dict[str, Any]:
    request_id = None
    try:
        req = json.loads(line)
        request_id = req["id"]
        res = check_answer(req["text"], req["expected"], timeout=req["timeout"], **req["settings"])
        return {"id": request_id, "result": dataclasses.asdict(res)}
    except Exception as exc:  # noqa: BLE001 - author errors go back to the caller
        kind = next((name for name, cls in _ERRORS.items() if isinstance(exc, cls)), type(exc).__qualname__)
        return {"id": request_id, "error": {"type": kind, "message": str(exc)}}


def _write(out: Any, message: dict[str, Any]) -> None:
    out.write(json.dumps(message).encode("ascii") + b"\n")


def _die_with_parent(parent: int | None) -> None:
    """SIGKILL this worker when the parent dies, even mid-check (Linux); elsewhere EOF on stdin
    ends an idle worker and the parent's kill ends a busy one."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(0)  # the parent died before the signal was armed
