"""Wrap the kernel's command line so student code runs fenced in.

With bubblewrap: no network, new PID/IPC/UTS namespaces, the host's files read-only, the
home directories, /tmp, the grader's working directory and the submission's directory
hidden, only the scratch directory writable, and the sandbox dies with the grader. Without bubblewrap: the
same resource limits, a scratch directory and an allow-listed environment. Either way the
report states which isolation was in force.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from grader.kernel.cgroup import PidsCgroup
from grader.kernel.mplcache import matplotlib_cache


@dataclass(frozen=True)
class ResourceLimits:
    """The kernel's rlimits (defaults live in grader.kernel.limits.Limits)."""

    memory: int                    # address space in bytes (torch needs ~1.5 GiB to import)
    processes: int                 # processes/threads the kernel may add
    file_size: int                 # largest file the notebook may write, in bytes


@dataclass(frozen=True)
class Wrapped:
    argv: list[str]
    isolation: str                 # said in the report
    sandboxed: bool                # inside bubblewrap

    @property
    def interrupt_mode(self) -> str:
        """A PID namespace hides the kernel from killpg: ask ipykernel to interrupt itself instead."""
        return "message" if self.sandboxed else "signal"


@functools.lru_cache(maxsize=1)
def bubblewrap() -> str | None:
    """bwrap's path when it exists and can create namespaces here (containers may forbid them)."""
    path = shutil.which("bwrap")
    if not path:
        return None
    try:
        ok = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "--proc", "/proc",
                             "--dev", "/dev", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return path if ok else None


def _hidden_dirs(extra: list[str]) -> list[str]:
    home = os.path.expanduser("~")
    dirs = ["/home", "/root", "/tmp", "/var/tmp", "/run", "/mnt", "/media", "/srv", home, os.getcwd(), *extra]
    out: list[str] = []
    for d in dirs:
        real = os.path.realpath(d)
        if real != "/" and os.path.isdir(real) and real not in out:
            out.append(real)
    return out


def _needed_dirs() -> list[str]:
    """Read-only places the kernel needs even when they sit inside a hidden directory (a venv under the repo)."""
    # not sys.path: an editable install puts the grader's own checkout there
    return sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, matplotlib_cache())})


def _covers(parent: str, child: str) -> bool:
    return child == parent or child.startswith(parent.rstrip("/") + "/")


def wrap(argv: list[str], *, workdir: str, private: str, limits: ResourceLimits, hide: list[str] = (),
         use_bubblewrap: bool = True, cgroup: PidsCgroup | None = None) -> Wrapped:
    prlimit = shutil.which("prlimit")
    # RLIMIT_NPROC counts all of the real user's processes (and is not enforced for root: the cgroup is)
    rl = [prlimit, f"--as={limits.memory}", f"--fsize={limits.file_size}", "--core=0",
          f"--nproc={limits.processes + _processes_of(os.getuid())}", "--"] if prlimit else []
    if cgroup is not None:
        rl = cgroup.prefix() + rl
    bwrap = bubblewrap() if use_bubblewrap else None
    if bwrap is None:
        return Wrapped(rl + argv, "scratch working directory, allow-listed environment, time and resource limits "
                                  "(no bubblewrap sandbox: no filesystem or network isolation)", False)
    hidden = _hidden_dirs(list(hide))
    cmd = [bwrap, "--die-with-parent", "--unshare-all", "--cap-drop", "ALL", "--ro-bind", "/", "/",
           "--proc", "/proc", "--dev", "/dev"]
    for d in hidden:
        cmd += ["--tmpfs", d]
    for d in _needed_dirs():
        if any(_covers(h, d) for h in hidden) and os.path.exists(d):
            cmd += ["--ro-bind", d, d]
    cmd += ["--bind", workdir, workdir, "--bind", private, private, "--chdir", workdir,
            # the grader's pid is invisible from the new PID namespace: ipykernel would think its parent
            # had exited; --die-with-parent does that job instead
            "--unsetenv", "JPY_PARENT_PID", "--"]
    return Wrapped(rl + cmd + argv,
                   "bubblewrap sandbox (no network, private /tmp and PID namespace, host files read-only, homes and "
                   "the submission's directory hidden, only the scratch directory writable), time and resource limits",
                   True)


def _processes_of(uid: int) -> int:
    n = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    n += 1
            except OSError:
                continue
    return n
