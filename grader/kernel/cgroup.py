"""Cgroups per kernel: memory and process limits that hold even for root, and a list of every
process the notebook started, so all of them can be killed at once when grading ends.

Each kernel gets child cgroups under the grader's own cgroup in every hierarchy that offers
what it needs: cgroup v1 (`memory`, `pids`, `freezer` mounted separately, as on this kind of
host) or v2 (one leaf with `memory.max`, `pids.max`, `cgroup.kill`), mixed on hybrid hosts (v1
controllers, the v2 tree only for `cgroup.kill`). A machine that allows none gets `None`; one
that allows some gets those, and `describe()` says which, for the report.

Names are `grader-<creator pid>-<random>`, so a later grader can remove (and empty) the
cgroups of one that was killed (`sweep`).
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field

from grader.kernel.limits import size_text

KILLERS = ("cgroup.kill", "freezer", "cgroup.freeze", "signals")  # best first


@dataclass(frozen=True)
class _Hierarchy:
    version: int                   # 1 or 2
    own: str                       # directory of this process's cgroup in it
    rel: str                       # the same cgroup as /proc/<pid>/cgroup names it
    controllers: frozenset[str]    # v1: what the mount carries (memory, pids, freezer)


@dataclass
class _Group:
    path: str                      # the kernel's cgroup directory
    rel: str                       # its name in /proc/<pid>/cgroup
    version: int
    roles: set[str] = field(default_factory=set)   # memory, pids, freezer, kill


class KernelCgroups:
    """One kernel's cgroups, made by `create`; everything started under `prefix()` is a member."""

    def __init__(self, groups: list[_Group], memory: int | None, processes: int | None, killer: str,
                 swap_counted: bool = False) -> None:
        self.groups = groups
        self.memory_limit = memory
        self.process_limit = processes
        self.killer = killer
        self.swap_counted = swap_counted

    # ------------------------------------------------------------------ making one

    @classmethod
    def create(cls, memory: int | None, processes: int | None, *, killer: str = "auto") -> KernelCgroups | None:
        """Cgroups limiting memory (bytes) and processes+threads, where the machine lets us make them.

        `None` (or 0) skips a limit. `killer` picks how `kill_all` works ("auto": the best there is;
        or one of KILLERS, for tests). Returns None when no cgroup at all could be made."""
        hs = _hierarchies()
        v2 = next((h for h in hs if h.version == 2), None)
        v2_base = _v2_base(v2) if v2 is not None else None
        for base, rel in _bases(hs, v2_base):
            sweep(base, rel)
        name = f"grader-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        groups: list[_Group] = []

        def group(version: int, base_dir: str, base_rel: str) -> _Group | None:
            for g in groups:
                if g.version == version and os.path.dirname(g.path) == base_dir:
                    return g
            path = os.path.join(base_dir, name)
            try:
                os.mkdir(path)
            except OSError:
                return None
            g = _Group(path, base_rel.rstrip("/") + "/" + name, version)
            groups.append(g)
            return g

        def v1(controller: str) -> _Group | None:
            h = next((h for h in hs if h.version == 1 and controller in h.controllers), None)
            return group(1, h.own, h.rel) if h is not None and os.access(h.own, os.W_OK) else None

        def v2_group(controller: str | None) -> _Group | None:
            if v2_base is None or (controller is not None and controller not in v2_base[2]):
                return None
            return group(2, v2_base[0], v2_base[1])

        swap = False
        if memory:
            g = v2_group("memory") or v1("memory")
            if g is not None and _set_memory(g, memory):
                g.roles.add("memory")
                swap = _swap_counted(g)
        if processes:
            g = v2_group("pids") or v1("pids")
            if g is not None and _write(g.path, "pids.max", str(processes)):
                g.roles.add("pids")
        chosen = "signals"
        for k in KILLERS[:-1] if killer == "auto" else [killer]:
            g = None
            if k == "cgroup.kill" or k == "cgroup.freeze":
                g = v2_group(None)
                if g is not None and not os.path.exists(os.path.join(g.path, k)):
                    g = None
            elif k == "freezer":
                g = v1("freezer")
            if g is not None:
                g.roles.add("freezer" if k == "freezer" else "kill")
                chosen = k
                break
        for g in [g for g in groups if not g.roles]:  # made, then found unusable
            _rmdir_tree(g.path)
            groups.remove(g)
        if not groups:
            return None
        return cls(groups, memory if any("memory" in g.roles for g in groups) else None,
                   processes if any("pids" in g.roles for g in groups) else None, chosen, swap)

    # ------------------------------------------------------------------ what is in force

    @property
    def memory_enforced(self) -> bool:
        return self._role("memory") is not None

    @property
    def processes_enforced(self) -> bool:
        return self._role("pids") is not None

    @property
    def paths(self) -> list[str]:
        return [g.path for g in self.groups]

    def describe(self) -> str:
        """What is enforced, for the report: "memory cgroup 4 GiB (tmpfs and swap counted), pids cgroup 256, ..."."""
        parts = []
        if self.memory_limit:
            parts.append(f"memory cgroup {size_text(self.memory_limit)} "
                         f"({'tmpfs and swap' if self.swap_counted else 'tmpfs'} counted)")
        if self.process_limit:
            parts.append(f"pids cgroup {self.process_limit}")
        parts.append({"cgroup.kill": "every process killed at once at the end (cgroup.kill)",
                      "freezer": "every process frozen, then killed at the end (freezer cgroup)",
                      "cgroup.freeze": "every process frozen, then killed at the end (cgroup.freeze)",
                      "signals": "every process in the cgroup killed at the end"}[self.killer])
        return ", ".join(parts)

    def prefix(self) -> list[str]:
        """Argv that puts the launched command (so everything it starts) in every cgroup, then execs it.

        A cgroup that refuses the write stops the launch (exit 125) rather than run the kernel unconfined."""
        script = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'
        return ["/bin/sh", "-c", script, "sh", *[os.path.join(g.path, "cgroup.procs") for g in self.groups], "--"]

    def add(self, pid: int) -> None:
        """Put a running process (a kernel forked from the warm pool, before it runs anything) into
        every cgroup; raises OSError when one refuses, so it is never run unconfined."""
        for g in self.groups:
            with open(os.path.join(g.path, "cgroup.procs"), "w") as f:
                f.write(str(pid))

    # ------------------------------------------------------------------ counters

    def pids_hits(self) -> int:
        """How many forks (or new threads) were refused because the process limit was reached."""
        g = self._role("pids")
        return (_field(g.path, "pids.events", "max") or 0) if g is not None else 0

    def oom_kills(self) -> int:
        """How many processes the kernel's OOM killer killed in the memory cgroup.

        v1 kernels older than 4.13 have no `oom_kill` count: then 1 while the group is under OOM."""
        g = self._role("memory")
        if g is None:
            return 0
        if g.version == 2:
            return _field(g.path, "memory.events", "oom_kill") or 0
        n = _field(g.path, "memory.oom_control", "oom_kill")
        return n if n is not None else _field(g.path, "memory.oom_control", "under_oom") or 0

    def memory_peak(self) -> int | None:
        """The most memory (bytes, tmpfs included) the group ever held; None where the kernel does not say."""
        g = self._role("memory")
        if g is None:
            return None
        return _read_int(g.path, "memory.peak" if g.version == 2 else "memory.max_usage_in_bytes")

    # ------------------------------------------------------------------ ending it

    def members(self) -> set[int]:
        """Every process in any of the cgroups (or a child cgroup a root notebook made inside one)."""
        out: set[int] = set()
        for g in self.groups:
            out |= _members(g.path)
        return out

    def kill_all(self, timeout: float = 10.0) -> None:
        """SIGKILL every member, freezing first where we can, until none is left: a fork loop cannot outrun it.

        Every group's members are killed, not only the freezer's, in case a root process moved
        itself out of one of them."""
        deadline = time.monotonic() + timeout
        rels = [g.rel for g in self.groups]
        pause = 0.002
        while True:
            frozen = self._freeze(True)
            if self.killer == "cgroup.kill":
                _write(self._role("kill").path, "cgroup.kill", "1")
            members = self.members()
            for pid in members:
                _sigkill(pid, rels)
            if frozen:
                self._freeze(False)  # a frozen process dies of its pending SIGKILL once thawed
            if not members or time.monotonic() > deadline:
                return
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def remove(self) -> None:
        """Kill every member, then remove the cgroups (retrying while the last members are reaped)."""
        self.kill_all()
        deadline = time.monotonic() + 5
        for g in self.groups:
            while not _rmdir_tree(g.path) and time.monotonic() < deadline:
                time.sleep(0.02)
                self.kill_all(timeout=1)

    # ------------------------------------------------------------------ helpers

    def _role(self, role: str) -> _Group | None:
        return next((g for g in self.groups if role in g.roles), None)

    def _freeze(self, on: bool) -> bool:
        """Freeze (or thaw) the killer's group; True when it was frozen (or at least asked to be)."""
        if self.killer == "freezer":
            path, file, value, state = self._role("freezer").path, "freezer.state", "FROZEN" if on else "THAWED", None
        elif self.killer == "cgroup.freeze":
            path, file, value, state = self._role("kill").path, "cgroup.freeze", "1" if on else "0", None
        else:
            return False
        if not _write(path, file, value) or not on:
            return False
        end = time.monotonic() + 1.0  # a task in uninterruptible sleep may hold FREEZING for a while: go on anyway
        while time.monotonic() < end:
            if self.killer == "freezer":
                state = _read(path, "freezer.state")
                if state is not None and state.strip() == "FROZEN":
                    break
            elif _field(path, "cgroup.events", "frozen") == 1:
                break
            time.sleep(0.002)
        return True


class PidsCgroup(KernelCgroups):
    """The pids-only cgroup session.py and sandbox.py know (`create(limit)`, `prefix`, `hits`, `remove`).

    It is a KernelCgroups without a memory limit, so it also gets the atomic kill where there is one."""

    @classmethod
    def create(cls, limit: int) -> PidsCgroup | None:  # type: ignore[override]
        cg = super().create(None, limit)
        if cg is not None and not cg.processes_enforced:  # its promise is the process limit
            cg.remove()
            return None
        return cg  # type: ignore[return-value]

    @property
    def path(self) -> str:
        g = self._role("pids")
        return g.path if g is not None else self.groups[0].path

    def hits(self) -> int:
        return self.pids_hits()


# ---------------------------------------------------------------------- sweeping

def sweep(base: str, rel: str) -> None:
    """Empty and remove the cgroups of graders that were killed (kill -9 leaves them no chance).

    `base` is a directory we make kernel cgroups in, `rel` its name in /proc/<pid>/cgroup. Each
    cgroup's name carries its creator's pid; only those whose creator is gone are touched: what
    is still inside them is what that grader's notebooks left running. Processes outside our
    PID namespace (listed as 0: another container's grader sharing the hierarchy) are never killed."""
    try:
        names = [n for n in os.listdir(base) if n.startswith("grader-")]
    except OSError:
        return
    for name in names:
        parts = name.split("-")
        if len(parts) != 3 or not parts[1].isdigit() or _alive(int(parts[1])):
            continue
        path = os.path.join(base, name)
        end = time.monotonic() + 2
        while not _rmdir_tree(path) and time.monotonic() < end:
            members = _members(path)
            for d, _, files in os.walk(path) if 0 not in members else ():
                if "cgroup.kill" in files:
                    _write(d, "cgroup.kill", "1")
            for pid in members - {0}:
                _sigkill(pid, [rel.rstrip("/") + "/" + name])
            for d, _, files in os.walk(path):  # a grader killed mid-kill_all may have left it frozen
                if "freezer.state" in files:
                    _write(d, "freezer.state", "THAWED")
                if "cgroup.freeze" in files:
                    _write(d, "cgroup.freeze", "0")
            time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, not ours to signal
    return True


def _bases(hs: list[_Hierarchy], v2_base: tuple[str, str, frozenset[str]] | None) -> list[tuple[str, str]]:
    """The directories kernel cgroups are made in, with their /proc names."""
    out = [(h.own, h.rel) for h in hs if h.version == 1]
    if v2_base is not None:
        out.append(v2_base[:2])
    return [b for b in dict.fromkeys(out) if os.access(b[0], os.W_OK)]


def _pids_hierarchies() -> list[str]:
    """Where pids cgroups are made (kept for callers of the old module)."""
    hs = _hierarchies()
    out = [h.own for h in hs if h.version == 1 and "pids" in h.controllers]
    v2 = next((h for h in hs if h.version == 2), None)
    base = _v2_base(v2) if v2 is not None else None
    if base is not None and "pids" in base[2]:
        out.insert(0, base[0])
    return [d for d in out if os.access(d, os.W_OK)]


# ---------------------------------------------------------------------- finding the hierarchies

def _hierarchies() -> list[_Hierarchy]:
    """This process's cgroup in each mounted hierarchy we can use (from mountinfo and /proc/self/cgroup)."""
    try:
        with open("/proc/self/cgroup") as f:
            own = [line.rstrip("\n").split(":", 2) for line in f if line.count(":") >= 2]
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split() for line in f]
    except OSError:
        return []
    out: list[_Hierarchy] = []
    wanted = {"memory", "pids", "freezer"}
    for m in mounts:
        try:
            sep = m.index("-")
        except ValueError:
            continue
        fstype, root, point = m[sep + 1], _unescape(m[3]), _unescape(m[4])
        if fstype == "cgroup":
            ctrls = frozenset(m[sep + 3].split(",")) & wanted
            rel = next((p for _, names, p in own if ctrls and ctrls <= set(names.split(","))), None)
            version = 1
        elif fstype == "cgroup2":
            ctrls, version = frozenset(), 2
            rel = next((p for hid, names, p in own if hid == "0" and names == ""), None)
        else:
            continue
        if rel is None or (version == 1 and not ctrls):
            continue
        d = _under_mount(point, root, rel)
        if d is None or not os.path.isfile(os.path.join(d, "cgroup.procs")):
            continue
        if any(h.version == version and h.controllers == ctrls for h in out):
            continue  # the same hierarchy mounted twice
        out.append(_Hierarchy(version, d, rel, ctrls))
    return out


def _under_mount(point: str, root: str, rel: str) -> str | None:
    """The directory of cgroup `rel` in a mount of its hierarchy's subtree `root` (None when outside it)."""
    if root == "/":
        return os.path.normpath(os.path.join(point, rel.lstrip("/")))
    if rel == root:
        return point
    if rel.startswith(root.rstrip("/") + "/"):
        return os.path.normpath(os.path.join(point, rel[len(root):].lstrip("/")))
    return None


def _unescape(s: str) -> str:
    """mountinfo writes a space in a path as \\040."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


_V2_LOCK = threading.Lock()
_V2_MOVED: tuple[str, str] | None = None  # our old cgroup, after this process moved itself into a leaf of it


def _v2_base(h: _Hierarchy) -> tuple[str, str, frozenset[str]] | None:
    """Where v2 kernel cgroups go (our own cgroup), its /proc name, and the controllers it delegates.

    Delegating `memory` needs a cgroup with no processes of its own (the no-internal-process
    rule), which ours never is while the grader sits in it. When the grader is alone in it (a
    delegated systemd scope, a container's entry point), it moves itself into a leaf of its own,
    `grader-<pid>-main`, and enables the controllers; elsewhere only `pids` (a threaded
    controller, exempt from the rule) can be enabled, and what is already delegated is used."""
    global _V2_MOVED
    with _V2_LOCK:
        base, rel = _V2_MOVED or (h.own, h.rel)
        if not os.access(base, os.W_OK):
            return None
        wanted = {"memory", "pids"} & _words(base, "cgroup.controllers")
        for c in sorted(wanted - _words(base, "cgroup.subtree_control")):
            _write(base, "cgroup.subtree_control", f"+{c}")
        have = _words(base, "cgroup.subtree_control")
        if "memory" in wanted - have and _V2_MOVED is None and _members(base, recursive=False) == {os.getpid()}:
            leaf = os.path.join(base, f"grader-{os.getpid()}-main")
            try:
                os.mkdir(leaf)
            except OSError:
                leaf = ""
            if leaf and _write(leaf, "cgroup.procs", str(os.getpid())):
                _write(base, "cgroup.subtree_control", "+memory")
                have = _words(base, "cgroup.subtree_control")
                if "memory" in have:
                    _V2_MOVED = (base, rel)
                else:  # no use: go back where we were
                    _write(base, "cgroup.procs", str(os.getpid()))
            if leaf and _V2_MOVED is None:
                _rmdir_tree(leaf)
        return base, rel, frozenset(have & wanted)


# ---------------------------------------------------------------------- settings and files

def _set_memory(g: _Group, limit: int) -> bool:
    """Cap the group's memory. Page cache and tmpfs/shm pages are charged to the group that faults
    them in (both versions), so a notebook cannot park gigabytes in /dev/shm."""
    if g.version == 2:
        if not _write(g.path, "memory.max", str(limit)):
            return False
        if os.path.exists(os.path.join(g.path, "memory.swap.max")):
            _write(g.path, "memory.swap.max", "0")  # swap must not stretch the limit
        return True
    if not _write(g.path, "memory.limit_in_bytes", str(limit)):
        return False
    if os.path.exists(os.path.join(g.path, "memory.memsw.limit_in_bytes")):
        _write(g.path, "memory.memsw.limit_in_bytes", str(limit))  # memory + swap: after the plain limit
    return True


def _swap_counted(g: _Group) -> bool:
    if g.version == 2:
        return not os.path.exists(os.path.join(g.path, "memory.swap.max")) or _read(g.path, "memory.swap.max") == "0\n"
    return _read_int(g.path, "memory.memsw.limit_in_bytes") == _read_int(g.path, "memory.limit_in_bytes")


def _members(path: str, recursive: bool = True) -> set[int]:
    out: set[int] = set()
    for d, _, _ in os.walk(path) if recursive else [(path, [], [])]:
        text = _read(d, "cgroup.procs")
        if text:
            out.update(int(p) for p in text.split())
    return out


def _sigkill(pid: int, rels: list[str]) -> None:
    """SIGKILL `pid` if it is still in one of our cgroups: through a pidfd, so a pid reused by an
    unrelated process between reading cgroup.procs and the kill is never hit."""
    fd = None
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    except (OSError, AttributeError):
        pass
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            paths = [line.rstrip("\n").split(":", 2)[-1] for line in f]
        if not any(p == r or p.startswith(r + "/") for p in paths for r in rels):
            return
        if fd is not None:
            signal.pidfd_send_signal(fd, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    finally:
        if fd is not None:
            os.close(fd)


def _rmdir_tree(path: str) -> bool:
    """Remove a cgroup and any child cgroups a root notebook made in it; True once it is gone."""
    if not os.path.isdir(path):
        return True
    for d, _, _ in sorted(os.walk(path), key=lambda t: -len(t[0])):
        try:
            os.rmdir(d)
        except FileNotFoundError:
            pass
        except OSError:
            return False
    return True


def _read(path: str, name: str) -> str | None:
    try:
        with open(os.path.join(path, name)) as f:
            return f.read()
    except OSError:
        return None


def _read_int(path: str, name: str) -> int | None:
    text = _read(path, name)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _field(path: str, name: str, key: str) -> int | None:
    """The value of `key` in a flat-keyed file (pids.events, memory.events, memory.oom_control)."""
    for line in (_read(path, name) or "").splitlines():
        k, _, v = line.partition(" ")
        if k == key:
            try:
                return int(v)
            except ValueError:
                return None
    return None


def _words(path: str, name: str) -> set[str]:
    return set((_read(path, name) or "").split())


def _write(path: str, name: str, value: str) -> bool:
    try:
        with open(os.path.join(path, name), "w") as f:
            f.write(value)
        return True
    except OSError:
        return False

