"""One kernel process: start it, run one cell under a time limit, interrupt it, stop it.

Failures come out as types (`grader.kernel.errors`): a cell past its limit is `CellTimeout`
(after the kernel was interrupted, or killed when it ignored the interrupt), a kernel that ended
is `KernelDied`, one that never started is `KernelStartError` with its own stderr.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import subprocess
import time
import uuid
from collections.abc import Iterator
from queue import Empty
from typing import IO, Any, Callable

import nbformat
from jupyter_client.provisioning import LocalProvisioner
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from grader import interrupt
from grader.kernel.cputime import tree_cpu_seconds
from grader.kernel.errors import (
    CellTimeout,
    KernelDied,
    KernelStartError,
    PoolLost,
    PoolUnavailable,
    ProtocolError,
)
from grader.kernel.kernelspec import guard, kernel_manager
from grader.kernel.output import CappedClient

_kept: dict[int, int] = {}  # loop id -> kernels being set up or torn down on it right now


@contextlib.contextmanager
def _signals_kept() -> Iterator[None]:
    """SIGINT/SIGTERM stay with grader.interrupt: nbclient's kernel set-up adds handlers of its own
    (they shut the kernel down and let grading go on, so a Ctrl-C became "the kernel died" and a
    grade) and its tear-down removes whatever handlers there are. Both are no-ops on this loop
    while any kernel is being set up or torn down (several can be, in a batch)."""
    loop = asyncio.get_running_loop()
    key = id(loop)
    if not _kept.get(key):
        loop.add_signal_handler = loop.remove_signal_handler = _no_signal_change  # type: ignore[method-assign]
    _kept[key] = _kept.get(key, 0) + 1
    try:
        yield
    finally:
        _kept[key] -= 1
        if not _kept[key]:
            del _kept[key], loop.add_signal_handler, loop.remove_signal_handler


def _no_signal_change(*_args: object) -> bool:
    return False


def backstop(limit: float) -> float:
    """The wall-clock limit behind a CPU-time limit: 4x, and at least 30 s."""
    return max(4 * limit, 30.0)


class _CpuWatch:
    """Interrupts the kernel when one run has used more than `limit` CPU seconds (and kills it
    when the interrupt is ignored for the grace period)."""

    def __init__(self, kernel: "Kernel", limit: float) -> None:
        self.kernel = kernel
        self.limit = limit
        self.root = kernel.pid()
        self.start = tree_cpu_seconds(self.root) if self.root else 0.0
        self.tripped: float | None = None
        self.peak = 0.0  # the most seen: a killed tree's time is gone from /proc

    def used(self) -> float:
        if self.root:
            self.peak = max(self.peak, tree_cpu_seconds(self.root) - self.start)
        return self.peak

    async def run(self) -> None:
        if not self.root:
            return
        interval = min(0.25, max(0.05, self.limit / 20))
        while True:
            await asyncio.sleep(interval)
            used = self.used()
            if used > self.limit:
                break
        self.tripped = used
        km = self.kernel.client.km
        try:
            if km is not None:
                await km.interrupt_kernel()
        except Exception:  # noqa: BLE001 - beyond interrupting: killed below
            pass
        await asyncio.sleep(self.kernel.interrupt_grace)
        await self.kernel.kill()  # still running after the grace period (the run would have cancelled us)


class Kernel:
    """The kernel behind one nbclient client. `start` may be called again after `stop` (revival):
    each generation gets fresh sockets."""

    def __init__(self, client: CappedClient, *, log_path: str, interrupt_grace: float) -> None:
        self.client = client
        self.log_path = log_path
        self.interrupt_grace = interrupt_grace
        self.generation = -1
        self.cpu_total = 0.0  # CPU seconds of every run so far, over all generations
        self._log: IO[bytes] | None = None
        self._ctx = None
        self._origin_died: Callable[[], bool] | None = None  # a warm kernel's: did its zygote die?

    async def start(self, env: dict[str, str], cwd: str) -> None:
        if self._log is None:
            self._log = open(self.log_path, "ab")
        ctx = self.client.async_setup_kernel(env=env, cwd=cwd, stdout=self._log, stderr=self._log,
                                             stdin=subprocess.DEVNULL)
        try:
            with _signals_kept():
                await ctx.__aenter__()
        except PoolUnavailable:  # a warm kernel that could not be forked: the session starts a cold one
            atexit.unregister(self.client._cleanup_kernel)
            raise
        except Exception as e:  # noqa: BLE001 - jupyter_client raises many kinds; the log says why
            atexit.unregister(self.client._cleanup_kernel)
            raise KernelStartError(f"the Jupyter kernel did not start ({type(e).__name__}: {e})", self.log()) from e
        self._ctx = ctx
        guard(self.client.kc.session)

    def log(self) -> str:
        """What the kernel wrote to stderr (its last 4 KiB)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 4096))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    async def run(self, cell: nbformat.NotebookNode, index: int, timeout: float, scope: str,
                  store_history: bool = True, on_input: Callable[[str], str] | None = None,
                  silent: bool = False, wall: float | None = None) -> None:
        """Run `cell` (at `index` of the client's notebook), adding the CPU seconds it used to
        `cpu_total`. Raises CellTimeout or KernelDied.

        `timeout` counts the CPU time of the kernel's whole process tree, so a loaded machine does
        not stop a cell early; `wall` (default `backstop(timeout)`) stops code that waits without
        using CPU (a sleep, a lock). With `on_input`, the cell may ask the grader (an input request
        on the stdin channel) and gets `on_input(prompt)` as the answer; without it, input() fails
        in the kernel as usual. `silent` (the grader's own code): IPython runs no pre/post_run_cell
        hooks and no displayhook for it and keeps it out of the history, so a notebook's hooks
        never see it."""
        interrupt.check()  # stopping: no more of the student's code runs
        wall = backstop(timeout) if wall is None else wall
        self.client.timeout_func = lambda _cell: max(1, int(wall + 0.999))
        kc = self.client.kc
        if silent and kc is not None:
            # nbclient has no silent option: this one request goes out with silent=True
            kc.execute = functools.partial(type(kc).execute, kc, silent=True)  # type: ignore[method-assign]
        server = asyncio.ensure_future(self._answer_input(on_input)) if on_input and kc is not None else None
        if server is not None:
            kc.allow_stdin = True
        watch = _CpuWatch(self, timeout)
        watcher = asyncio.ensure_future(watch.run())
        t0 = time.monotonic()
        try:
            await self.client.async_execute_cell(cell, index, store_history=store_history)
        except CellTimeoutError:
            interrupt.check()
            used = watch.used()
            stopped = await self.interrupt()
            raise CellTimeout(f"waited past the {scope} wall-clock backstop ({wall:g} s) having used only "
                              f"{used:.1f} s of CPU time (sleeping, or waiting for input or a lock?)",
                              wall, scope, killed=not stopped, clock="wall") from None
        except DeadKernelError:
            interrupt.check()  # nbclient reports a cancelled wait (Ctrl-C) as a dead kernel: it is not one
            if watch.tripped is not None:
                raise CellTimeout(self._cpu_message(scope, timeout, watch.tripped, t0), timeout, scope,
                                  killed=True, clock="cpu") from None
            if self._origin_died is not None and await asyncio.to_thread(self._origin_died):
                raise PoolLost("the warm pool's zygote died, and the kernel forked from it with it") from None
            raise KernelDied("the kernel died") from None
        except ProtocolError as e:
            # e.g. a cell that replaced json.dumps: the kernel can no longer talk; replace it like a dead one
            await self.kill()
            raise KernelDied(f"the kernel stopped following the Jupyter protocol ({e}); "
                             "did the cell replace json or another module the kernel relies on?") from None
        finally:
            watcher.cancel()
            self.cpu_total += watch.used()
            if server is not None:
                server.cancel()
                kc.allow_stdin = False
            if silent and kc is not None:
                del kc.execute
        if watch.tripped is not None:
            raise CellTimeout(self._cpu_message(scope, timeout, watch.tripped, t0), timeout, scope, clock="cpu")

    @staticmethod
    def _cpu_message(scope: str, limit: float, used: float, t0: float) -> str:
        return (f"used more than the {scope} time limit ({limit:g} s of CPU time; "
                f"{used:.1f} s CPU in {time.monotonic() - t0:.1f} s)")

    def pid(self) -> int | None:
        """The kernel's outermost process (the sandbox or supervisor around it), for its CPU time."""
        km = self.client.km
        process = getattr(getattr(km, "provisioner", None), "process", None) if km is not None else None
        return process.pid if process is not None else None

    async def _answer_input(self, on_input: Callable[[str], str]) -> None:
        """Answer the kernel's input requests while one cell runs (cancelled when it ends)."""
        kc = self.client.kc
        while kc is not None:
            try:
                msg = await kc.get_stdin_msg(timeout=1)
            except Empty:
                continue
            if msg.get("msg_type") == "input_request":
                prompt = msg.get("content", {}).get("prompt")
                kc.input(on_input(prompt if isinstance(prompt, str) else ""))

    async def interrupt(self) -> bool:
        """Interrupt the running cell; True when the kernel is responsive again (else it is killed)."""
        km, kc = self.client.km, self.client.kc
        if km is None or kc is None:
            return False
        try:
            await km.interrupt_kernel()
            # A kernel that honoured the interrupt answers a trivial request promptly.
            msg_id = kc.execute("", store_history=False, silent=True)
            deadline = time.monotonic() + self.interrupt_grace
            while time.monotonic() < deadline:
                try:
                    reply = await kc.get_shell_msg(timeout=max(0.05, deadline - time.monotonic()))
                except Exception:  # noqa: BLE001 - no reply in time: treat as unresponsive
                    break
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    return True
        except Exception:  # noqa: BLE001 - the kernel is beyond interrupting
            pass
        await self.kill()
        return False

    async def kill(self) -> None:
        try:
            if self.client.km is not None:
                await self.client.km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - already gone
            pass

    async def alive(self) -> bool:
        try:
            return self.client.km is not None and bool(await self.client.km.is_alive())
        except Exception:  # noqa: BLE001 - a manager that cannot tell is not alive
            return False

    async def stop(self) -> None:
        """Shut the kernel down ourselves: nbclient leaves a kernel it does not own (we pass `km`) running."""
        client = self.client
        try:
            if self._ctx is not None:
                with _signals_kept():
                    await self._ctx.__aexit__(None, None, None)
        except Exception:  # noqa: BLE001 - best effort; the cgroup kills what is left
            pass
        finally:
            self._ctx = None
        if client.kc is not None:
            try:
                client.kc.stop_channels()
            except Exception:  # noqa: BLE001
                pass
            client.kc = None
        km = client.km
        if km is not None:
            try:
                if km.has_kernel:
                    await km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001
                pass
            try:
                await km.cleanup_resources() if asyncio.iscoroutinefunction(km.cleanup_resources) else km.cleanup_resources()
            except Exception:  # noqa: BLE001
                pass

    def renew(self, argv: list[str], interrupt_mode: str, private: str,
              provisioner: type[LocalProvisioner] | None = None, origin_died: Callable[[], bool] | None = None,
              **settings: Any) -> None:
        """A manager for the next kernel (the first, or after `stop`), launched by `argv` with its
        connection files and sockets in `private`; or by `provisioner` (a warm kernel forked from the
        pool), given `settings` as attributes, with `origin_died` telling whether its death was its zygote's."""
        self.generation += 1
        self._origin_died = origin_died
        km = self.client.km = kernel_manager(argv, interrupt_mode, private, self.generation)
        if provisioner is not None:
            km.kernel_id = str(uuid.uuid4())
            km.provisioner = provisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
            for name, value in settings.items():
                setattr(km.provisioner, name, value)

    def close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
