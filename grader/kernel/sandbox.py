"""Wrap the kernel's command line so student code runs fenced in.

With bubblewrap: no network, new PID/IPC/UTS namespaces, an allow-list of the host's files
(system libraries and the interpreter, read-only), only the scratch directory writable, and
the sandbox dies with the grader. Without bubblewrap: the
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
from pathlib import Path

from grader.kernel import supervisor
from grader.kernel.cgroup import KernelCgroups
from grader.kernel.limits import size_text
from grader.kernel.mplcache import matplotlib_cache


@dataclass(frozen=True)
class ResourceLimits:
    """The kernel's rlimits (defaults live in grader.kernel.limits.Limits)."""

    memory: int                    # address space in bytes (torch needs ~1.5 GiB to import)
    processes: int                 # processes/threads the kernel may add
    file_size: int                 # largest file the notebook may write, in bytes
    scratch: int = 1024 ** 3       # what the scratch directory may hold, in bytes (sandbox only)
    tmp: int = 256 * 1024 ** 2     # what each of /tmp and /dev/shm may hold, in bytes (sandbox only)


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


@functools.lru_cache(maxsize=4)
def sizes_tmpfs(path: str) -> bool:
    """Whether this bwrap can size a tmpfs (`--size`, bubblewrap 0.7 and later)."""
    try:
        return "--size" in subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False


# System places a Python kernel needs, read-only. /etc is reduced to what the dynamic linker, time
# zones and user lookups read: never /etc/shadow, keys or credentials.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "passwd", "group",
             "nsswitch.conf", "alternatives", "fonts", "mime.types")
SHARED_MPL = "/run/grader/matplotlib"  # the font cache, read-only inside the sandbox


def _python_dirs() -> list[str]:
    """The interpreter and its packages (a venv and the Python it was made from), read-only."""
    return sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


def _grader_package_dirs() -> list[str]:
    """Where an installed grader sits in site-packages: hidden, since a wheel carries the bundled
    assignments, solutions and references (an editable install points outside, which is not mounted)."""
    out = []
    for base in _python_dirs():
        for site in Path(base).glob("lib/python*/site-packages"):
            pkg = site / "grader"
            if pkg.is_dir() and not pkg.is_symlink():
                out.append(str(pkg))
    return out


def _allow_list() -> list[str]:
    args: list[str] = []
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]  # merged /usr: /bin -> usr/bin
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    for name in ETC_FILES:
        path = os.path.join("/etc", name)
        if os.path.lexists(path):
            args += ["--ro-bind-try", path, path]
    for d in _python_dirs():
        args += ["--ro-bind", d, d]
    for d in _grader_package_dirs():
        args += ["--tmpfs", d]
    return args


def wrap(argv: list[str], *, workdir: str, private: str, limits: ResourceLimits, use_bubblewrap: bool = True,
         cgroup: KernelCgroups | None = None, mplconfig: str = "", files: dict[str, str] | None = None) -> Wrapped:
    """The kernel's command line. With bubblewrap the kernel sees an allow-list of the host: system
    libraries, the interpreter and its packages (without an installed grader's bundled files),
    `workdir` (its scratch directory, writable), `private` (this kernel's connection files and
    sockets) and the font cache read-only; nothing else (no homes, repositories, /opt, /autograder,
    batch folders or other kernels' directories). The kernel copies the font cache into `mplconfig`
    itself, inside the sandbox, so the grader never writes into a directory the student controls.
    `files` ({place under `workdir`: host file}): the course's support files, bound read-only into the
    scratch directory once it is mounted (without bubblewrap the session copies them there instead)."""
    prlimit = shutil.which("prlimit")
    # RLIMIT_NPROC counts all of the real user's processes (and is not enforced for root: the cgroup is)
    rl = [prlimit, f"--as={limits.memory}", f"--fsize={limits.file_size}", "--core=0",
          f"--nproc={limits.processes + _processes_of(os.getuid())}", "--"] if prlimit else []
    if cgroup is not None:
        rl = cgroup.prefix() + rl
    bwrap = bubblewrap() if use_bubblewrap else None
    limits_said = f", {cgroup.describe()}" if cgroup is not None else ""
    if bwrap is None:
        # no PID namespace: a subreaper supervisor (outside the cgroups) kills whatever the kernel left behind
        return Wrapped(supervisor.prefix() + rl + argv,
                       "scratch working directory, allow-listed environment, time and resource limits"
                       f"{limits_said} (no bubblewrap sandbox: no filesystem or network isolation)", False)
    # Sized tmpfs for /tmp, /dev/shm and the scratch directory: their pages are charged to the memory
    # cgroup, and the sizes stop one notebook filling them. The grader never reads the scratch
    # directory back, so it lives only inside the sandbox. A bwrap without --size gets unsized ones.
    sized = sizes_tmpfs(bwrap)
    tmp = ["--size", str(limits.tmp)] if sized else []
    scratch = ["--size", str(limits.scratch), "--tmpfs", workdir] if sized else ["--bind", workdir, workdir]
    # the private /tmp first: a venv or scratch directory under the host's /tmp is bound on top of it
    cmd = [bwrap, "--die-with-parent", "--unshare-all", "--new-session", "--cap-drop", "ALL",
           "--proc", "/proc", "--dev", "/dev", *tmp, "--tmpfs", "/tmp", *tmp, "--tmpfs", "/dev/shm", *_allow_list(),
           "--ro-bind", matplotlib_cache(), SHARED_MPL,
           *scratch, *support_binds(workdir, files or {}), "--bind", private, private, "--chdir", workdir,
           # the grader's pid is invisible from the new PID namespace: ipykernel would think its parent
           # had exited; --die-with-parent does that job instead
           "--unsetenv", "JPY_PARENT_PID", "--"]
    seed = ["/bin/sh", "-c", 'mkdir -p "$1" && cp "$0"/*.json "$1"/ 2>/dev/null; shift; exec "$@"',
            SHARED_MPL, mplconfig] if mplconfig else []
    disk = (f"scratch directory {size_text(limits.scratch)}, /tmp and /dev/shm {size_text(limits.tmp)} each" if sized
            else "scratch directory, /tmp and /dev/shm without a size of their own (this bubblewrap has no --size)")
    return Wrapped(rl + cmd + seed + argv,
                   "bubblewrap sandbox (no network, own PID namespace, an allow-list of the host's files read-only: "
                   "system libraries and the interpreter; only the scratch directory writable), time and resource "
                   f"limits{limits_said}, {disk}", True)


ZYGOTE_STAGE = "/run/grader-stage"   # where a forked child parks its connection directory (zygote.STAGE)
ZYGOTE_FILES = "/run/grader-files"   # the support files, read-only, at <n> (zygote.FILES)


def zygote_wrap(argv: list[str], *, pool: str, files: list[str]) -> list[str]:
    """The warm pool's zygote under bubblewrap: the same allow-list, namespaces and environment as a
    kernel's sandbox, plus what it needs to give each forked child its own: the capabilities of its
    own user namespace to unshare and mount (CAP_SYS_ADMIN, CAP_SETPCAP: every child drops them
    all before student code runs), `pool` (the grader's directory of per-kernel connection
    directories, which each child unmounts but for its own) and the support `files` read-only."""
    bwrap = bubblewrap()
    if bwrap is None:
        raise OSError("the warm kernel pool needs bubblewrap")
    binds: list[str] = []
    for index, source in enumerate(files):
        binds += ["--ro-bind", os.path.realpath(source), f"{ZYGOTE_FILES}/{index}"]
    return [bwrap, "--die-with-parent", "--unshare-all", "--new-session",
            "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/dev/shm", *_allow_list(),
            "--ro-bind", matplotlib_cache(), SHARED_MPL, "--dir", ZYGOTE_STAGE, *binds,
            "--bind", pool, pool, "--chdir", "/", "--unsetenv", "JPY_PARENT_PID", "--", *argv]


def support_binds(workdir: str, files: dict[str, str]) -> list[str]:
    """`--ro-bind` for each support file at its place in the scratch directory (bwrap makes the
    folders on the way): the kernel can read and import them, never change them."""
    args: list[str] = []
    for place, source in sorted(files.items()):
        args += ["--ro-bind", os.path.realpath(source), os.path.join(workdir, place)]
    return args


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
