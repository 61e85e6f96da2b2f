"""Run a notebook in a fresh kernel with nbclient, under time limits, and keep the kernel for probing.

The kernel gets a scratch working directory and an allow-listed environment (nothing of the
grader's environment, such as tokens or CI secrets, reaches student code). A failing cell does
not stop the run: later cells still execute, so what was defined is still graded.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from traitlets import Integer, Unicode
from traitlets import List as ListTrait

from . import sandbox
from .results import CellEvent


class KernelStartError(RuntimeError):
    """The grader's own environment cannot run a kernel (not the student's fault)."""

# Only these variables of the grader's environment reach the kernel.
ENV_ALLOW = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT")
ENV_FIXED = {
    "MPLBACKEND": "Agg",              # headless plotting: plt.show() is a no-op
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "OMP_NUM_THREADS": "1",           # student code is small; parallel batches share the cores
    "MKL_NUM_THREADS": "1",
    "JUPYTER_PLATFORM_DIRS": "1",
}


@dataclass
class Limits:
    cell_timeout: float = 60.0      # seconds per cell
    timeout: float = 600.0          # seconds for the whole notebook
    probe_timeout: float = 15.0     # seconds for all calls of one question
    startup_timeout: float = 60.0
    interrupt_grace: float = 3.0    # after an interrupt, how long a cell may take to stop
    revivals: int = 2               # fresh kernels after one dies (replaying the cells that did not kill it)
    memory: int = 4 * 1024 ** 3     # bytes of address space for the kernel
    processes: int = 256            # processes/threads the kernel may add (not enforceable for root)
    file_size: int = 512 * 1024 ** 2
    output: int = 1024 ** 2         # characters of output kept per cell; the rest is dropped with a note
    sandbox: bool = True            # use bubblewrap when it is available


@dataclass
class ExecutionReport:
    events: list[CellEvent] = field(default_factory=list)
    cells_run: int = 0
    dead: bool = False
    problem: str = ""  # why the kernel can no longer be probed
    seconds: float = 0.0


class _FixedSpecManager(KernelSpecManager):
    """Serves one kernel spec: this interpreter's ipykernel, whatever kernelspecs the machine has."""

    argv = ListTrait()
    interrupt_mode = Unicode("signal")

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(argv=list(self.argv), display_name="grader", language="python", env={},
                          interrupt_mode=self.interrupt_mode)

    def find_kernel_specs(self) -> dict[str, str]:
        return {"grader": ""}


class _CappedClient(NotebookClient):
    """Keeps at most `output_cap` characters of output per cell: a notebook printing gigabytes
    must not exhaust the grader's memory."""

    output_cap = Integer(1024 ** 2)

    def output(self, outs: list, msg: dict[str, Any], display_id: str | None, cell_index: int) -> Any:
        kept = getattr(self, "_kept", None)
        if kept is None or kept[0] is not outs:
            kept = self._kept = [outs, 0, False]
        size = len(json.dumps(msg.get("content", {}), default=str)) if msg.get("msg_type") in (
            "stream", "display_data", "execute_result", "error", "update_display_data") else 0
        kept[1] += size
        if kept[1] > self.output_cap:
            if not kept[2]:
                kept[2] = True
                outs.append(nbformat.v4.new_output("stream", name="stderr", text=(
                    f"[grader: output beyond {self.output_cap // 1024} KiB for this cell was dropped]\n")))
            return None
        return super().output(outs, msg, display_id, cell_index)


def kernel_argv() -> list[str]:
    return [
        sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
        "--HistoryManager.enabled=False",  # no sqlite history file per kernel
    ]


def matplotlib_cache() -> str:
    """A persistent matplotlib config dir: a fresh one makes every kernel rebuild the font cache (~1 s)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "grader", "matplotlib")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        path = os.path.join(tempfile.gettempdir(), "grader-matplotlib")
        os.makedirs(path, exist_ok=True)
    return path


def private_matplotlib_dir(workdir: str) -> str:
    """A writable matplotlib config dir for one sandboxed kernel, seeded with the shared font cache.

    Matplotlib rebuilds its font cache (~0.4 s) when its config dir is read-only, and a shared
    writable one would let one student's kernel poison the next one's. So: copy in, never back.
    """
    shared = matplotlib_cache()
    if not any(name.startswith("fontlist") for name in os.listdir(shared)):
        # build the shared cache once, outside any student's kernel
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env={**os.environ, "MPLCONFIGDIR": shared},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=False)
    mine = os.path.join(workdir, ".matplotlib")
    os.makedirs(mine, exist_ok=True)
    for name in os.listdir(shared):
        if name.endswith(".json"):
            shutil.copyfile(os.path.join(shared, name), os.path.join(mine, name))
    return mine


def kernel_env(workdir: str, mplconfig: str | None = None) -> dict[str, str]:
    env = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
    env.update(ENV_FIXED)
    env.update({"HOME": workdir, "TMPDIR": workdir, "MPLCONFIGDIR": mplconfig or matplotlib_cache()})
    env.setdefault("PATH", os.defpath)
    # The kernel must use this interpreter's packages even when started through a symlinked venv.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    return env


class KernelSession:
    """One kernel for one submission: run its cells, then answer probes, then shut down."""

    def __init__(self, limits: Limits | None = None, hide: list[str] = (), figures: bool = False) -> None:
        """`figures`: keep Jupyter's inline plotting backend, so plots become image outputs to check
        (otherwise plotting is headless, Agg, and `plt.show()` draws nothing)."""
        self.figures = figures
        self.limits = limits or Limits()
        self.workdir = tempfile.mkdtemp(prefix="grader-")
        # Connection files, IPC sockets and the kernel's own stderr live outside the student's directory.
        self.private = tempfile.mkdtemp(prefix="grader-private-")
        self.kernel_log_path = os.path.join(self.private, "kernel.log")
        lim = self.limits
        self.cgroup = sandbox.PidsCgroup.create(lim.processes)
        self.wrapped = sandbox.wrap(kernel_argv(), workdir=self.workdir, private=self.private, hide=list(hide),
                                    limits=sandbox.ResourceLimits(lim.memory, lim.processes, lim.file_size),
                                    use_bubblewrap=lim.sandbox, cgroup=self.cgroup)
        self.report = ExecutionReport()
        self._nb = nbformat.v4.new_notebook()
        self._student_nb: nbformat.NotebookNode | None = None
        self.killers: set[int] = set()  # cells that killed a kernel: never replayed
        self.revivals = 0
        self._deadline = float("inf")
        self._timeout: float = self.limits.cell_timeout
        self.client = _CappedClient(
            self._nb,
            km=self._make_km(),
            output_cap=lim.output,
            timeout_func=lambda cell: max(1, int(self._timeout + 0.999)),
            allow_errors=True,
            interrupt_on_timeout=False,
            startup_timeout=int(self.limits.startup_timeout),
            shutdown_kernel="immediate",
            iopub_timeout=4,
            raise_on_iopub_timeout=False,
            record_timing=False,
            resources={"metadata": {"path": self.workdir}},
        )
        self._ctx: Any = None

    def _make_km(self) -> AsyncKernelManager:
        specs = _FixedSpecManager(argv=self.wrapped.argv, interrupt_mode=self.wrapped.interrupt_mode)
        return AsyncKernelManager(
            kernel_name="grader", kernel_spec_manager=specs,
            # a revived kernel gets fresh socket paths: the dead one's may still be bound or buffered
            transport="ipc", ip=os.path.join(self.private, f"kernel{self.revivals}"),
            connection_file=os.path.join(self.private, f"kernel{self.revivals}.json"),
        )

    async def start(self) -> None:
        if getattr(self, "_log", None) is None:
            self._log = open(self.kernel_log_path, "ab")
        # a sandboxed kernel cannot write the shared cache: it gets its own seeded copy
        mpl = private_matplotlib_dir(self.workdir) if self.wrapped.sandboxed else None
        env = kernel_env(self.workdir, mpl)
        if self.figures:
            env.pop("MPLBACKEND", None)
        ctx = self.client.async_setup_kernel(env=env, cwd=self.workdir,
                                             stdout=self._log, stderr=self._log, stdin=subprocess.DEVNULL)
        try:
            await ctx.__aenter__()
        except Exception as e:
            atexit.unregister(self.client._cleanup_kernel)
            raise KernelStartError(f"the Jupyter kernel did not start ({type(e).__name__}: {e})") from e
        self._ctx = ctx

    async def _stop_kernel(self) -> None:
        """Shut the kernel down ourselves: nbclient leaves a kernel it does not own (we pass `km`) running."""
        client = self.client
        try:
            if self._ctx is not None:
                await self._ctx.__aexit__(None, None, None)
        except Exception:
            pass
        finally:
            self._ctx = None
        if client.kc is not None:
            try:
                client.kc.stop_channels()
            except Exception:
                pass
            client.kc = None
        km = client.km
        if km is not None:
            try:
                if km.has_kernel:
                    await km.shutdown_kernel(now=True)
            except Exception:
                pass
            try:
                await km.cleanup_resources() if asyncio.iscoroutinefunction(km.cleanup_resources) else km.cleanup_resources()
            except Exception:
                pass

    async def close(self) -> None:
        try:
            await self._stop_kernel()
        finally:
            if self.cgroup is not None:
                self.cgroup.remove()  # whatever the notebook started, detached or not
            if getattr(self, "_log", None) is not None:
                self._log.close()
                self._log = None
            shutil.rmtree(self.workdir, ignore_errors=True)
            shutil.rmtree(self.private, ignore_errors=True)

    async def __aenter__(self) -> "KernelSession":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ running cells

    async def run_notebook(self, nb: nbformat.NotebookNode,
                           after_cell: Callable[[int, nbformat.NotebookNode], Awaitable[None]] | None = None) -> ExecutionReport:
        """Execute every code cell in order; record exceptions, timeouts and kernel death as events.

        `after_cell(index, cell)` runs after each cell while the kernel is alive: checks on
        notebook state read variables there, before a later cell overwrites them."""
        t0 = time.monotonic()
        deadline = self._deadline = t0 + self.limits.timeout
        self._student_nb = nb
        self.client.nb = nb
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            if self.report.dead and not await self.revive(upto=index):
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.report.events.append(CellEvent(index, "timeout", (
                    f"the notebook's time limit ({self.limits.timeout:g} s) was reached before cell {index + 1}; "
                    "it and the cells after it were not run")))
                break
            self._timeout = min(self.limits.cell_timeout, remaining)
            refused = self.cgroup.hits() if self.cgroup is not None else 0
            outcome = await self._run_cell(cell, index)
            self.report.cells_run += 1
            if self.cgroup is not None and self.cgroup.hits() > refused:
                self.report.events.append(CellEvent(index, "limit", (
                    f"cell {index + 1} tried to start more than the process limit ({self.limits.processes} processes "
                    "and threads); the extra ones were refused")))
            if outcome == "error":
                err = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
                if err is not None:
                    self.report.events.append(CellEvent(index, "error", (f"{err.get('ename')}: {err.get('evalue')}" if err.get("evalue") else str(err.get("ename")))[:300]))
            if self.report.dead:
                self.killers.add(index)
            elif after_cell is not None:
                await after_cell(index, cell)
        self.report.seconds = time.monotonic() - t0
        return self.report

    async def _run_cell(self, cell: nbformat.NotebookNode, index: int) -> str:
        try:
            await self.client.async_execute_cell(cell, index, store_history=True)
        except CellTimeoutError:
            limit = self._timeout
            which = "cell" if limit >= self.limits.cell_timeout else "notebook"
            stopped = await self._interrupt()
            msg = f"cell {index + 1} ran longer than the {which} time limit ({limit:g} s) and was stopped"
            if not stopped:
                msg += "; it ignored the interrupt, so the kernel was killed"
                self._mark_dead(f"cell {index + 1} exceeded the time limit and could not be interrupted")
            self.report.events.append(CellEvent(index, "timeout", msg))
            return "timeout"
        except DeadKernelError:
            self._mark_dead(f"the kernel died while running cell {index + 1}")
            self.report.events.append(CellEvent(index, "kernel_died", f"the kernel died while running cell {index + 1}"))
            return "dead"
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return "error"
        return "ok"

    async def _interrupt(self) -> bool:
        """Interrupt the running cell; True when the kernel is responsive again."""
        km = self.client.km
        kc = self.client.kc
        if km is None or kc is None:
            return False
        try:
            await km.interrupt_kernel()
            # A kernel that honoured the interrupt answers a trivial request promptly.
            msg_id = kc.execute("", store_history=False, silent=True)
            deadline = time.monotonic() + self.limits.interrupt_grace
            while time.monotonic() < deadline:
                try:
                    reply = await kc.get_shell_msg(timeout=max(0.05, deadline - time.monotonic()))
                except Exception:
                    break
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    return True
        except Exception:
            pass
        await self._kill()
        return False

    async def _kill(self) -> None:
        try:
            if self.client.km is not None:
                await self.client.km.shutdown_kernel(now=True)
        except Exception:
            pass

    async def revive(self, upto: int | None = None) -> bool:
        """After a kernel death: a fresh kernel that re-runs the student's cells before `upto` (all when None),
        except those that killed a kernel, so what the student defined elsewhere is still graded.

        True when the new kernel is ready. Replayed cells' outputs are discarded (their events were
        recorded the first time); the notebook's time limit still applies.
        """
        nb = self._student_nb
        if nb is None or self.revivals >= self.limits.revivals or time.monotonic() >= self._deadline:
            return False
        await self._stop_kernel()
        self.revivals += 1
        self.client.km = self._make_km()
        try:
            await self.start()
        except KernelStartError:
            return False
        problem, self.report.dead, self.report.problem = self.report.problem, False, ""
        stop = len(nb.cells) if upto is None else upto
        for index, cell in enumerate(nb.cells[:stop]):
            if cell.cell_type != "code" or not cell.source.strip() or index in self.killers:
                continue
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                break
            self._timeout = min(self.limits.cell_timeout, remaining)
            replay = nbformat.v4.new_code_cell(cell.source)
            self.client.nb = nbformat.v4.new_notebook(cells=[replay])
            try:
                await self.client.async_execute_cell(replay, 0, store_history=True)
            except CellTimeoutError:
                if not await self._interrupt():
                    break
            except DeadKernelError:
                self.killers.add(index)
                break
        self.client.nb = nb
        if not await self._alive():
            self._mark_dead(problem)
            return False
        return True

    async def _alive(self) -> bool:
        try:
            return self.client.km is not None and bool(await self.client.km.is_alive())
        except Exception:
            return False

    def _mark_dead(self, why: str) -> None:
        self.report.dead = True
        self.report.problem = self.report.problem or why

    # ------------------------------------------------------------------ probing

    async def execute_probe(self, code: str, timeout: float) -> tuple[list[dict[str, Any]], str]:
        """Run grader code in the kernel; returns (outputs, problem). problem is "" on success."""
        if self.report.dead:
            return [], self.report.problem
        cell = nbformat.v4.new_code_cell(code)
        self._timeout, timeout_before = timeout, self._timeout
        # probes never touch the student's notebook (and may run between its cells: put it back after)
        student_nb, self.client.nb = self.client.nb, nbformat.v4.new_notebook(cells=[cell])
        cap, self.client.output_cap = self.client.output_cap, max(self.client.output_cap, 64 * 1024 ** 2)
        try:
            await self.client.async_execute_cell(cell, 0, store_history=False)
        except CellTimeoutError:
            stopped = await self._interrupt()
            if not stopped:
                self._mark_dead("a function ran past its time limit and could not be interrupted")
                await self.revive()
            return [], "timeout"
        except DeadKernelError:
            self._mark_dead("the kernel died while calling your function")
            await self.revive()
            return [], "kernel_died"
        finally:
            self.client.output_cap = cap
            self.client.nb = student_nb
            self._timeout = timeout_before
        return list(cell.get("outputs", [])), ""


async def run_in_session(nb: nbformat.NotebookNode, limits: Limits | None = None) -> ExecutionReport:
    """Execute a notebook and shut the kernel down (no probing): the benchmark floor's equivalent."""
    async with KernelSession(limits) as session:
        return await session.run_notebook(nb)


def run_sync(coro: Any) -> Any:
    return asyncio.run(coro)
