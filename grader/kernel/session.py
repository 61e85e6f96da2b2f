"""One submission's kernel: a sandboxed scratch directory, the student's cells run in order under
time limits, then probes, then everything removed.

A failing cell does not stop the run: later cells still execute, so what was defined is still
graded. A kernel that dies is replaced (`revival`); one that cannot be used any more is
`failure`, a typed `KernelError` that kinds turn into a status and feedback.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Awaitable, Callable, Collection, Mapping

import nbformat

from grader.kernel import pool, sandbox
from grader.kernel.cgroup import KernelCgroups
from grader.kernel.env import kernel_env
from grader.kernel.errors import (
    CellTimeout,
    DiskLimit,
    KernelDied,
    KernelError,
    KernelStartError,
    MemoryLimit,
    PoolUnavailable,
    ProcessLimit,
    ZygoteBroken,
)
from grader.kernel.kernelspec import kernel_argv
from grader.kernel.limits import Limits, size_text
from grader.kernel.mplcache import private_matplotlib_dir
from grader.kernel.output import CappedClient
from grader.kernel.process import Kernel, backstop
from grader.kernel.revival import Revival
from grader.results import CellEvent

_RUNTIME = resources.files("grader.kernel").joinpath("runtime.py").read_text(encoding="utf-8")
PROBE_OUTPUT_CAP = 64 * 1024 ** 2  # a probe's reply carries raw arrays: more room than a student's cell
WARM_SAID = ("bubblewrap sandbox, kernel forked from this worker's warm pool (own mount, PID, network, IPC and UTS "
             "namespaces, no capabilities, no_new_privs; ")
MAX_EVENTS = 100  # a notebook of 1,000 failing cells must not make a results.json of megabytes


class _Events(list):
    """The run's events, at most MAX_EVENTS of them; the rest are counted, and said in one last event."""

    dropped = 0

    def append(self, event: CellEvent) -> None:
        if len(self) < MAX_EVENTS:
            super().append(event)
        else:
            self.dropped += 1

    def close(self) -> None:
        if self.dropped:
            last = self[-1].cell_index if self else 0
            super().append(CellEvent(last, "output_truncated", f"{self.dropped} more events after these were not kept"))
            self.dropped = 0


@dataclass
class ExecutionReport:
    events: list[CellEvent] = field(default_factory=_Events)
    cells_run: int = 0
    failure: KernelError | None = None  # why the kernel can no longer be probed; None while it can
    seconds: float = 0.0                # wall-clock time of the whole run
    cpu_seconds: float = 0.0            # CPU time the student's cells used (what the notebook limit counts)
    probe_cpu_seconds: float = 0.0      # CPU time of the grader's calls of the student's functions

    @property
    def dead(self) -> bool:
        return self.failure is not None


class KernelSession:
    """One kernel for one submission: run its cells, then answer probes, then shut down."""

    def __init__(self, limits: Limits | None = None, figures: bool = False,
                 preload: tuple[str, ...] = ("numpy", "torch"), files: Mapping[str, str | os.PathLike[str]] | None = None,
                 image_cells: Collection[str] | None = None) -> None:
        """`figures`: keep Jupyter's inline plotting backend, so plots become image outputs to check;
        `preload`: libraries the in-kernel runtime imports before any student code, so it holds the
        original functions whatever the notebook patches later; `files`: the course's support files
        ({place in the working directory: file}), there read-only for every kernel, first or revived;
        `image_cells`: with `figures`, the sources of the only cells whose plots are rendered to images
        (None: every cell's)."""
        self.figures = figures
        self.image_cells = None if image_cells is None else sorted(
            {hashlib.sha256(c.encode("utf-8", "surrogatepass")).hexdigest() for c in image_cells})
        self.preload = preload
        self.files = {place: os.fspath(source) for place, source in (files or {}).items()}
        self._key = b""
        self.limits = lim = limits or Limits()
        # The grader's own directory (never shown to the kernel): the kernel's stderr log, and one fresh
        # directory per kernel for its connection file and sockets, made before that kernel exists, so
        # nothing a previous kernel left there (a symlink, say) is ever followed.
        self.home = tempfile.mkdtemp(prefix="grader-")
        self.workdir = os.path.join(self.home, "scratch")
        os.mkdir(self.workdir, 0o700)
        self._copy_support_files()
        self.cgroup = KernelCgroups.create(lim.memory, lim.processes)
        self.wrapped = self._wrap(self.home)
        self._isolation_said = self.wrapped.isolation
        self.cold_reason: str | None = None   # why the warm pool was not used (said in the isolation line)
        self._pool_dirs: list[str] = []       # warm kernels' connection directories, in the pool's folder
        self._file_index: dict[str, int] = {}
        self.report = ExecutionReport()
        self._probe_deadline: float | None = None  # wall-clock backstop of all the calls together
        self.client = CappedClient(
            nbformat.v4.new_notebook(),
            output_cap=lim.output,
            allow_errors=True,
            interrupt_on_timeout=False,
            startup_timeout=int(lim.startup_timeout),
            shutdown_kernel="immediate",
            iopub_timeout=4,
            raise_on_iopub_timeout=False,
            record_timing=False,
            resources={"metadata": {"path": self.workdir}},
        )
        self.kernel = Kernel(self.client, log_path=os.path.join(self.home, "kernel.log"),
                             interrupt_grace=lim.interrupt_grace)
        self.revival = Revival(self.kernel, self.start, revivals=lim.revivals, cell_timeout=lim.cell_timeout)

    def _wrap(self, private: str, mplconfig: str = "") -> sandbox.Wrapped:
        lim = self.limits
        return sandbox.wrap(kernel_argv(), workdir=self.workdir, private=private, mplconfig=mplconfig,
                            limits=sandbox.ResourceLimits(lim.memory, lim.processes, lim.file_size, lim.scratch, lim.tmp),
                            use_bubblewrap=lim.sandbox, cgroup=self.cgroup, files=self.files)

    def _copy_support_files(self) -> None:
        """Without bubblewrap, the support files are copied (read-only) into the scratch directory now,
        before any kernel exists: the grader never writes where a kernel could have planted a link.
        With bubblewrap they are bound read-only into each kernel's own scratch mount instead."""
        if not self.files or (self.limits.sandbox and sandbox.bubblewrap() is not None):
            return
        for place, source in self.files.items():
            target = os.path.join(self.workdir, place)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(source, target)
            os.chmod(target, 0o444)

    async def start(self) -> None:
        """Launch a fresh kernel: the first one, or after a death (then with fresh directories).
        Forked from the warm pool when `limits.warm` asks for it and the pool can give one; else
        (or when the pool fails before any student code ran) a cold one, and the isolation line says why."""
        if self.kernel.generation >= 0 and self.cgroup is not None:
            self.cgroup.kill_all()  # what the dead kernel left running goes with it
        if self.limits.warm and self.limits.sandbox and self.cold_reason is None:  # --no-sandbox: always cold
            try:
                await self._start_warm()
                return
            except PoolUnavailable as e:
                self.cold_reason = str(e)
                await self.kernel.stop()
                if self.cgroup is not None:
                    self.cgroup.kill_all()
        await self._start_cold()

    def _zygote(self) -> pool.Zygote:
        if sandbox.bubblewrap() is None:
            raise PoolUnavailable("warm kernels need the bubblewrap sandbox, which cannot run here")
        files = sorted(self.files.items())
        self._file_index = {place: index for index, (place, _) in enumerate(files)}
        return pool.shared().zygote(pool.ZygoteConfig(tuple(self.preload), tuple(src for _, src in files)))

    async def _start_warm(self) -> None:
        """A kernel forked from the pool's zygote (see grader/kernel/zygote.py for what it isolates)."""
        zygote = await asyncio.to_thread(self._zygote)
        private = tempfile.mkdtemp(prefix="kernel-", dir=zygote.pool_dir)
        self._pool_dirs.append(private)
        lim, argv = self.limits, kernel_argv()
        extra = sandbox._processes_of(os.getuid())
        request = {"private": private, "workdir": self.workdir, "pool": zygote.pool_dir, "tmp": lim.tmp,
                   "scratch": lim.scratch, "files": [[place, i] for place, i in self._file_index.items()],
                   "rlimits": pool.rlimits(lim.memory, lim.file_size, lim.processes + extra),
                   "arguments": argv[argv.index("{connection_file}") + 1:]}
        cgroup, timeout = self.cgroup, lim.startup_timeout

        async def spawn(env: dict[str, str], log: Any) -> pool.ForkedProcess:
            connection = self.client.km.connection_file if self.client.km is not None else ""
            try:
                return await pool.spawn_async(zygote, {**request, "env": env, "connection_file": connection},
                                              log, cgroup, timeout)
            except ZygoteBroken as e:  # the zygote answers, but its children cannot isolate: not again
                said = self.kernel.log().strip().splitlines()
                pool.shared().discard(zygote, f"{e}: {said[-1]}" if said else str(e))
                raise

        said = self._isolation_said
        self.wrapped = sandbox.Wrapped([], said.replace("bubblewrap sandbox (", WARM_SAID, 1), True)
        self.kernel.renew(kernel_argv(), self.wrapped.interrupt_mode, private, pool.WarmProvisioner,
                          origin_died=zygote.died, spawn=spawn)
        self._key = secrets.token_bytes(32)
        key_path = self._write_key(private)
        await self.kernel.start(kernel_env(self.workdir, pool.MPLDIR, self.figures), self.workdir)
        await self._install_runtime(key_path)

    def _write_key(self, private: str) -> str:
        """A new key per kernel, in a file the runtime reads and deletes before any student code runs."""
        key_path = os.path.join(private, "probe.key")
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(self._key)
        return key_path

    async def _start_cold(self) -> None:
        private = tempfile.mkdtemp(prefix="kernel-", dir=self.home)
        if self.wrapped.sandboxed:
            # the kernel seeds its own font cache inside the sandbox, into a directory new for each kernel
            mpl = os.path.join(self.workdir, f".matplotlib-{os.path.basename(private)}")
        else:
            # no sandbox: a copy the grader makes before the kernel exists, outside the scratch directory
            mpl = private_matplotlib_dir(private)
        self.wrapped = self._wrap(private, mpl if self.wrapped.sandboxed else "")
        if self.cold_reason is not None:
            self.wrapped = sandbox.Wrapped(self.wrapped.argv, f"{self.wrapped.isolation}; warm kernel pool not used "
                                           f"({self.cold_reason}): a kernel started cold", self.wrapped.sandboxed)
        self.kernel.renew(self.wrapped.argv, self.wrapped.interrupt_mode, private)
        self._key = secrets.token_bytes(32)
        key_path = self._write_key(private)
        await self.kernel.start(kernel_env(self.workdir, mpl, self.figures), self.workdir)
        await self._install_runtime(key_path)

    async def _install_runtime(self, key_path: str) -> None:
        code = (f"(lambda g: (exec(compile({_RUNTIME!r}, '<grader-probe>', 'exec'), g), "
                f"g['install']({key_path!r}, {list(self.preload)!r}, {self.image_cells!r})))({{'__name__': '__grader_runtime__'}})")
        cell = nbformat.v4.new_code_cell(code)
        student_nb, self.client.nb = self.client.nb, nbformat.v4.new_notebook(cells=[cell])
        try:
            await self.kernel.run(cell, 0, self.limits.startup_timeout, "cell", store_history=False)
        except KernelError as e:
            raise KernelStartError(f"the grader's runtime could not be installed in the kernel ({e})",
                                   self.kernel.log()) from None
        finally:
            self.client.nb = student_nb
        err = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        if err is not None:
            raise KernelStartError(f"the grader's runtime could not be installed in the kernel "
                                   f"({err.get('ename')}: {err.get('evalue')})", self.kernel.log())

    def sign_request(self, body: str) -> str:
        """The signature the runtime requires on a request (so a rewritten probe cell is refused)."""
        return hmac.new(self._key, ("request\n" + body).encode("utf-8"), hashlib.sha256).hexdigest()

    def signed(self, request_id: str, body: object, mac: object) -> bool:
        """Whether a reply carries this kernel's signature for this request."""
        if not isinstance(body, str) or not isinstance(mac, str):
            return False
        want = hmac.new(self._key, (request_id + "\n" + body).encode("utf-8"), hashlib.sha256).hexdigest()
        return hmac.compare_digest(want, mac)

    async def close(self) -> None:
        try:
            await self.kernel.stop()
        finally:
            if self.cgroup is not None:
                self.cgroup.remove()  # whatever the notebook started, detached or not
            self.kernel.close_log()
            shutil.rmtree(self.home, ignore_errors=True)  # fd-based: never follows a link the kernel made
            for d in self._pool_dirs:
                shutil.rmtree(d, ignore_errors=True)

    async def __aenter__(self) -> "KernelSession":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ running the student's cells

    async def run_notebook(self, nb: nbformat.NotebookNode,
                           after_cell: Callable[[int, nbformat.NotebookNode], Awaitable[None]] | None = None) -> ExecutionReport:
        """Execute every code cell in order; record exceptions, timeouts and kernel death as events.

        `after_cell(index, cell)` runs after each cell while the kernel is alive: checks on
        notebook state read variables there, before a later cell overwrites them."""
        t0 = time.monotonic()
        # the notebook's limit counts CPU time too; its wall-clock backstop bounds what waiting can cost
        deadline = self.revival.deadline = t0 + backstop(self.limits.timeout)
        self.revival.notebook = nb
        self.client.nb = nb
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            if self.report.dead and not await self._revive(upto=index):
                break
            remaining = self.limits.timeout - self.report.cpu_seconds
            if remaining <= 0 or time.monotonic() >= deadline:
                clock = (f"{self.limits.timeout:g} s of CPU time" if remaining <= 0
                         else f"its wall-clock backstop, {backstop(self.limits.timeout):g} s")
                self.report.events.append(CellEvent(index, "timeout", (
                    f"the notebook's time limit ({clock}) was reached before cell {index + 1}; "
                    "it and the cells after it were not run")))
                break
            refused = self.cgroup.pids_hits() if self.cgroup is not None else 0
            ooms = self.cgroup.oom_kills() if self.cgroup is not None else 0
            await self._run_cell(cell, index, remaining)
            self.report.cells_run += 1
            if self.cgroup is not None and self.cgroup.memory_enforced and self.cgroup.oom_kills() > ooms:
                limit = MemoryLimit(f"cell {index + 1} used more than the memory limit "
                                    f"({self.limits.memory / 1024 ** 3:g} GiB, files in /tmp and /dev/shm included)")
                self.report.events.append(CellEvent(index, limit.event, str(limit)))
            if self.cgroup is not None and self.cgroup.pids_hits() > refused:
                limit = ProcessLimit(f"cell {index + 1} tried to start more than the process limit "
                                     f"({self.limits.processes} processes and threads); the extra ones were refused")
                self.report.events.append(CellEvent(index, limit.event, str(limit)))
            if self.report.dead:
                self.revival.killers.add(index)
            elif after_cell is not None:
                await after_cell(index, cell)
        if self.report.dead:
            await self._revive()  # the last cell killed it: a fresh kernel with the others, so probing still works
        self.report.events.close()
        self.report.seconds = time.monotonic() - t0
        return self.report

    async def _run_cell(self, cell: nbformat.NotebookNode, index: int, remaining: float) -> None:
        """Run one student cell with `remaining` CPU seconds left of the notebook's limit."""
        cell_limit = self.limits.cell_timeout
        limit = min(cell_limit, remaining)
        wall = min(backstop(limit), max(1.0, self.revival.deadline - time.monotonic()))
        cpu = self.kernel.cpu_total
        try:
            await self.kernel.run(cell, index, limit, "cell" if cell_limit <= remaining else "notebook", wall=wall)
        except CellTimeout as e:
            if e.scope == "notebook" and e.clock == "cpu":
                msg = (f"cell {index + 1} used up the notebook's time limit ({self.limits.timeout:g} s of CPU time "
                       "for all cells) and was stopped")
            else:
                msg = f"cell {index + 1} {e} and was stopped"
            if e.killed:
                msg += "; it ignored the interrupt, so the kernel was killed"
                self._fail(CellTimeout(f"cell {index + 1} exceeded the time limit and could not be interrupted",
                                       e.limit, e.scope, killed=True))
            self.report.events.append(CellEvent(index, e.event, msg))
            return
        except KernelDied as e:
            why = "" if str(e) == "the kernel died" else f": {e}"
            died = KernelDied(f"the kernel died while running cell {index + 1}{why}")
            self._fail(died)
            self.report.events.append(CellEvent(index, e.event, str(died)))
            return
        finally:
            self.report.cpu_seconds += self.kernel.cpu_total - cpu
        err = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        if err is not None:
            text = f"{err.get('ename')}: {err.get('evalue')}" if err.get("evalue") else str(err.get("ename"))
            self.report.events.append(CellEvent(index, "error", text[:300]))
            if self.wrapped.sandboxed and "[Errno 28]" in str(err.get("evalue")):  # ENOSPC: a sized tmpfs is full
                lim = self.limits
                full = DiskLimit(f"cell {index + 1} filled its disk space (the scratch directory holds "
                                 f"{size_text(lim.scratch)}, /tmp and /dev/shm {size_text(lim.tmp)} each)")
                self.report.events.append(CellEvent(index, full.event, str(full)))

    def _fail(self, failure: KernelError) -> None:
        if self.report.failure is None:
            self.report.failure = failure

    async def _revive(self, upto: int | None = None) -> bool:
        failure = self.report.failure
        if await self.revival.revive(upto):
            self.report.failure = None
            return True
        self.report.failure = failure
        return False

    # ------------------------------------------------------------------ probing

    async def execute_probe(self, code: str, timeout: float,
                            on_input: Callable[[str], str] | None = None) -> list[dict[str, Any]]:
        """Run grader code in the kernel and return its outputs; `on_input` answers what the code
        asks the grader (reference helpers). Raises the kernel's failure when it is already
        unusable, CellTimeout or KernelDied when this code hit one (the kernel is then revived for
        the next question, when it can be)."""
        if self.report.failure is not None:
            raise self.report.failure
        # All the calls together get a budget as large as the notebook's own (its cells' time is theirs:
        # a cell that loops must not cost the functions defined before it), so functions that all loop
        # cannot stretch grading past twice --timeout.
        if self._probe_deadline is None:
            self._probe_deadline = time.monotonic() + backstop(self.limits.timeout)
        cpu_left = self.limits.timeout - self.report.probe_cpu_seconds
        wall_left = self._probe_deadline - time.monotonic()
        if cpu_left <= 0 or wall_left <= 0:
            raise CellTimeout(f"the time limit for calling functions ({self.limits.timeout:g} s of CPU time in all) "
                              "was used up before these calls", self.limits.timeout, "notebook",
                              clock="cpu" if cpu_left <= 0 else "wall")
        limit, scope = (timeout, "probe") if timeout <= cpu_left else (cpu_left, "notebook")
        cpu = self.kernel.cpu_total
        cell = nbformat.v4.new_code_cell(code)
        # probes never touch the student's notebook (and may run between its cells: put it back after)
        student_nb, self.client.nb = self.client.nb, nbformat.v4.new_notebook(cells=[cell])
        cap, self.client.output_cap = self.client.output_cap, max(self.client.output_cap, PROBE_OUTPUT_CAP)
        try:
            await self.kernel.run(cell, 0, limit, scope, store_history=False, on_input=on_input, silent=True,
                                  wall=min(backstop(limit), wall_left))
        except CellTimeout as e:
            if e.killed:
                self._fail(CellTimeout("a function ran past its time limit and could not be interrupted",
                                       e.limit, e.scope, killed=True))
                self.client.nb = student_nb
                await self._revive()
            raise
        except KernelDied:
            self._fail(KernelDied("the kernel died while calling your function"))
            self.client.nb = student_nb
            await self._revive()
            raise
        finally:
            self.report.probe_cpu_seconds += self.kernel.cpu_total - cpu
            self.client.output_cap = cap
            self.client.nb = student_nb
        return list(cell.get("outputs", []))
