"""Warm kernels: pay kernel start and `import torch` once per worker process, not once per notebook.

A `Zygote` is one sandboxed Python (grader/kernel/zygote.py) that has imported ipykernel, numpy,
matplotlib, the assignment's array library, and nothing else; each submission's kernel is a
child forked from it, which isolates itself before any student code runs (see zygote.py for the
order). The grader talks to it over a private socketpair, JSON only, and gets back a pidfd of the
child: `ForkedProcess` is what jupyter_client manages in place of a Popen.

`KernelPool` keeps the zygotes of this process by a key that changes with whatever the zygote
built in (the grader's version, the zygote's and runtime's code, the interpreter, the preloaded
modules, the support files' content, the sandbox's allow-list and environment), so a change
rebuilds it. A zygote that will not build, or dies, raises `PoolUnavailable`; the session then
starts a cold kernel and says why in its isolation line. One failed build is not retried for
the same key; a zygote that died is rebuilt once.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import hashlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import resources
from typing import IO, Any

from jupyter_client.provisioning import LocalProvisioner

from grader.kernel import sandbox
from grader.kernel.cgroup import KernelCgroups
from grader.kernel.env import ENV_ALLOW, ENV_FIXED
from grader.kernel.errors import KernelStartError, PoolUnavailable, ZygoteBroken
from grader.kernel.mplcache import matplotlib_cache
from grader.version import __version__

_SOURCE = resources.files("grader.kernel").joinpath("zygote.py").read_text(encoding="utf-8")
_RUNTIME = resources.files("grader.kernel").joinpath("runtime.py").read_text(encoding="utf-8")
BUILD_TIMEOUT = 120.0   # seconds for the zygote's imports (torch on a loaded machine)
REPLY_TIMEOUT = 30.0    # seconds for the zygote to answer a fork request
HOME_PREFIX = "grader-zygote-"  # + the grader's pid + "-" + random: a zygote's folder
MPLDIR = "/tmp/matplotlib"  # a forked kernel's matplotlib config directory (zygote.MPLDIR), in its own /tmp
_shared_lock = threading.Lock()


@dataclass(frozen=True)
class ZygoteConfig:
    """What a zygote is built with: the modules it imports and the support files it can bind."""

    preload: tuple[str, ...]
    files: tuple[str, ...] = ()          # host paths, in the order children refer to them by index

    def key(self) -> str:
        h = hashlib.sha256()
        for part in (__version__, _SOURCE, _RUNTIME, sys.executable, json.dumps(self.preload),
                     json.dumps(_zygote_env(), sort_keys=True), json.dumps(sandbox.zygote_wrap([], pool="", files=[])),
                     matplotlib_cache()):
            h.update(part.encode("utf-8", "surrogateescape") + b"\0")
        for path in self.files:
            h.update(os.path.realpath(path).encode("utf-8", "surrogateescape") + b"\0")
            try:
                with open(path, "rb") as f:
                    h.update(hashlib.sha256(f.read()).digest())
            except OSError:
                h.update(b"missing")
        return h.hexdigest()


def _zygote_env() -> dict[str, str]:
    """The environment the zygote's interpreter starts with: the kernel's allow-list and fixed settings
    (PYTHONDONTWRITEBYTECODE, thread counts, ...) as a fresh kernel would start with, matplotlib's
    backend left unchosen; each child then takes its own kernel's environment."""
    env = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
    env.update(ENV_FIXED)
    env.pop("MPLBACKEND")
    env.update({"HOME": "/tmp", "TMPDIR": "/tmp", "MPLCONFIGDIR": sandbox.SHARED_MPL})
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", os.defpath)
    return env


_launch_thread: concurrent.futures.ThreadPoolExecutor | None = None


def _launcher() -> concurrent.futures.ThreadPoolExecutor:
    """The one thread that starts zygotes. bubblewrap's --die-with-parent is PR_SET_PDEATHSIG, which
    fires when the *thread* that started it ends: an asyncio executor's thread ends with its event
    loop (one per `grade_notebook` call), this one only with the process."""
    global _launch_thread
    with _shared_lock:
        if _launch_thread is None:
            _launch_thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="grader-zygote")
        return _launch_thread


class ForkedProcess:
    """A kernel forked from the zygote, as jupyter_client's LocalProvisioner uses a Popen: by a
    pidfd, so signals never reach a reused pid. It is not our child: its exit status is unknown
    (reported as -SIGKILL once it has ended)."""

    stdin = stdout = stderr = None

    def __init__(self, pidfd: int, pid: int) -> None:
        self.pidfd = pidfd
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and self.pidfd >= 0 and select.select([self.pidfd], [], [], 0)[0]:
            self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and self.pidfd >= 0:
            if not select.select([self.pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            self.returncode = -signal.SIGKILL
        self.close()
        return self.returncode if self.returncode is not None else -signal.SIGKILL

    def send_signal(self, sig: int) -> None:
        if self.pidfd < 0:
            raise ProcessLookupError(3, "the kernel has ended")
        signal.pidfd_send_signal(self.pidfd, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def close(self) -> None:
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1

    def __del__(self) -> None:
        self.close()


def _host_pid(pidfd: int) -> int:
    """The pid of a pidfd's process as this process's PID namespace numbers it."""
    with open(f"/proc/self/fdinfo/{pidfd}") as f:
        for line in f:
            if line.startswith("Pid:"):
                pid = int(line.split()[1])
                if pid > 0:
                    return pid
    raise PoolUnavailable("the forked kernel ended before it started")


class Zygote:
    """One running zygote (built by `start`); `spawn` forks a kernel from it."""

    def __init__(self, config: ZygoteConfig) -> None:
        self.config = config
        self.key = config.key()
        # the grader's: the log, and the pool; named by our pid, so a later grader removes it if we were killed
        self.home = tempfile.mkdtemp(prefix=f"{HOME_PREFIX}{os.getpid()}-")
        self.pool_dir = os.path.join(self.home, "pool")          # bound into the zygote; one dir per kernel
        os.mkdir(self.pool_dir, 0o700)
        self.log_path = os.path.join(self.home, "zygote.log")
        self.info: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Build the zygote: it imports everything, then says it is ready (or the log says why not)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [sys.executable, "-c", _SOURCE, str(theirs.fileno()), json.dumps(list(self.config.preload))]
        try:
            cmd = sandbox.zygote_wrap(argv, pool=self.pool_dir, files=list(self.config.files))
            with open(self.log_path, "ab") as log:
                # its own session: a Ctrl-C in the terminal goes to the grader, which stops what runs
                self._proc = _launcher().submit(subprocess.Popen, cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                                pass_fds=[theirs.fileno()], env=_zygote_env(),
                                                start_new_session=True).result()
        except OSError as e:
            ours.close()
            raise PoolUnavailable(f"the zygote could not be started ({e})") from None
        finally:
            theirs.close()
        self._sock = ours
        ready = select.select([ours], [], [], BUILD_TIMEOUT)[0]
        data = ours.recv(1 << 16) if ready else b""
        if not data:
            if self._proc is not None and ready:
                try:
                    self._proc.wait(timeout=5)  # its last words are in the log once it has exited
                except subprocess.TimeoutExpired:
                    pass
            why = self.log_tail() if ready else "timed out"
            self.close()
            raise PoolUnavailable(f"the zygote did not build ({why})")
        self.info = json.loads(data)

    @property
    def host_pid(self) -> int | None:
        """The pid of the zygote's bubblewrap (a rebuilt zygote has another)."""
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self._sock is not None

    def died(self, within: float = 0.5) -> bool:
        """Whether the zygote is dead, or dies within `within` seconds: asked when one of its kernels
        died, whose death may be seen a moment before the zygote's bubblewrap is reaped."""
        deadline = time.monotonic() + within
        while self.alive():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def log_tail(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read()[-4096:].decode("utf-8", "replace").strip().splitlines()
            return lines[-1] if lines else "no output"
        except OSError:
            return "no log"

    def spawn(self, request: dict[str, Any], log: IO[bytes], cgroup: KernelCgroups | None,
              timeout: float) -> ForkedProcess:
        """Fork a kernel for `request` (its directories, limits, environment and connection file);
        blocks until it is in `cgroup` and set up, ready to start ipykernel. Raises PoolUnavailable
        (nothing of the student's has run: the caller starts a cold kernel) or KernelStartError."""
        go_r, go_w = os.pipe()
        ready_r, ready_w = os.pipe()
        pidfd = -1
        try:
            with self._lock:
                if not self.alive():
                    raise PoolUnavailable(f"the zygote is not running ({self.log_tail()})")
                assert self._sock is not None
                try:
                    socket.send_fds(self._sock, [json.dumps(request).encode()], [log.fileno(), go_r, ready_w])
                    if not select.select([self._sock], [], [], REPLY_TIMEOUT)[0]:
                        raise PoolUnavailable("the zygote did not answer")
                    data, fds, _, _ = socket.recv_fds(self._sock, 1 << 16, 1)
                except OSError as e:
                    raise PoolUnavailable(f"the zygote's socket failed ({e})") from None
            os.close(go_r)
            os.close(ready_w)
            go_r = ready_w = -1
            if not data:
                raise PoolUnavailable(f"the zygote ended ({self.log_tail()})")
            reply = json.loads(data)
            if not reply.get("ok") or not fds:
                for f in fds:
                    os.close(f)
                raise PoolUnavailable(f"the zygote could not fork a kernel ({reply.get('error')})")
            pidfd = fds[0]
            pid = _host_pid(pidfd)
            if cgroup is not None:
                try:
                    cgroup.add(pid)
                except OSError as e:  # as the cold path's `sh` prefix: never run a kernel unconfined
                    raise KernelStartError(f"the kernel could not be put into its cgroups ({e})") from None
            os.write(go_w, b"g")
            os.close(go_w)
            go_w = -1
            got = select.select([ready_r], [], [], timeout)[0]
            said = os.read(ready_r, 1) if got else b""
            if said != b"r":
                raise ZygoteBroken("the forked kernel could not be set up" if got else
                                   "the forked kernel took too long to set up")
            process, pidfd = ForkedProcess(pidfd, pid), -1
            return process
        finally:
            for f in (go_r, go_w, ready_r, ready_w, pidfd):
                if f >= 0:
                    os.close(f)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)  # bwrap and the zygote: its children go with it
            except OSError:
                pass
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self._proc = None
        shutil.rmtree(self.home, ignore_errors=True)


def sweep() -> None:
    """Remove the folders of zygotes whose grader is gone (a Dask worker stopped by SIGTERM runs no
    atexit): their zygotes died with it (--die-with-parent), their folders did not."""
    base = tempfile.gettempdir()
    try:
        names = [n for n in os.listdir(base) if n.startswith(HOME_PREFIX)]
    except OSError:
        return
    for name in names:
        pid = name[len(HOME_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)


class KernelPool:
    """This process's zygotes, by key (at most `keep` at once: the oldest goes first)."""

    def __init__(self, keep: int = 2) -> None:
        sweep()
        self.keep = keep
        self._zygotes: dict[str, Zygote] = {}
        self._failed: dict[str, str] = {}      # key -> why its build failed (not retried)
        self._rebuilt: set[str] = set()        # keys whose zygote died once and was rebuilt
        self._lock = threading.Lock()

    def zygote(self, config: ZygoteConfig) -> Zygote:
        """The running zygote for `config`, built when needed; raises PoolUnavailable."""
        key = config.key()
        with self._lock:
            if key in self._failed:
                raise PoolUnavailable(self._failed[key])
            z = self._zygotes.get(key)
            if z is not None and z.alive():
                return z
            if z is not None:  # it died
                why = f"the zygote died ({z.log_tail()})"
                z.close()
                del self._zygotes[key]
                if key in self._rebuilt:
                    self._failed[key] = why + "; not rebuilt a second time"
                    raise PoolUnavailable(self._failed[key])
                self._rebuilt.add(key)
            while len(self._zygotes) >= self.keep:
                self._zygotes.pop(next(iter(self._zygotes))).close()
            z = Zygote(config)
            try:
                z.start()
            except PoolUnavailable as e:
                self._failed[key] = str(e)
                raise
            self._zygotes[key] = z
            return z

    def discard(self, zygote: Zygote, why: str) -> None:
        """A zygote whose children cannot be set up: closed, and its key not used again."""
        with self._lock:
            if self._zygotes.get(zygote.key) is zygote:
                del self._zygotes[zygote.key]
            self._failed[zygote.key] = why
        zygote.close()

    def zygotes(self) -> list[Zygote]:
        return list(self._zygotes.values())

    def close(self) -> None:
        with self._lock:
            for z in self._zygotes.values():
                z.close()
            self._zygotes.clear()


_shared: KernelPool | None = None


def shared() -> KernelPool:
    """The pool of this process (a `grade batch`, a Dask worker), closed when the process exits."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = KernelPool()
            atexit.register(_shared.close)
        return _shared


class WarmProvisioner(LocalProvisioner):  # type: ignore[misc]
    """jupyter_client's local provisioner, launching by a fork from the zygote instead of a Popen.

    `spawn(env, log)` is set by the session before the kernel starts; the connection file is
    written by LocalProvisioner.pre_launch as for any kernel."""

    spawn: Any = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        env = {k: v for k, v in (kwargs.get("env") or {}).items() if k != "JPY_PARENT_PID"}
        self.process = await self.spawn(env, kwargs["stdout"])
        self.pid = self.process.pid
        self.pgid = None  # signals go to the pidfd, never to a process group
        self.cwd = kwargs.get("cwd")
        return self.connection_info


async def spawn_async(zygote: Zygote, request: dict[str, Any], log: IO[bytes], cgroup: KernelCgroups | None,
                      timeout: float) -> ForkedProcess:
    return await asyncio.to_thread(zygote.spawn, request, log, cgroup, timeout)


def rlimits(memory: int, file_size: int, processes: int) -> dict[str, list[int]]:
    """The rlimits a forked kernel sets on itself: those `prlimit` gives a cold one."""
    return {"RLIMIT_AS": [memory, memory], "RLIMIT_FSIZE": [file_size, file_size], "RLIMIT_CORE": [0, 0],
            "RLIMIT_NPROC": [processes, processes]}
