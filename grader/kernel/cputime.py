"""CPU time of a process tree, read from /proc: what a student's code actually cost.

Time limits count this rather than wall-clock time, so a loaded machine (other graders, a
TA's browser) does not turn a correct notebook into a timeout. A process's own time plus the
time of the children it has reaped covers processes that already ended, as long as they were
descendants of the tree's root (bubblewrap as PID 1 of the sandbox, or the supervisor as
subreaper without it, reaps every orphan).
"""

from __future__ import annotations

import os
from typing import Callable

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: str) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # after the command: state ppid ... utime(12) stime(13) cutime(14) cstime(15), counted from `state` = 0
    try:
        return int(fields[1]), sum(int(v) for v in fields[11:15]) / _TICK
    except (ValueError, IndexError):
        return None


def _children(pid: int) -> list[int] | None:
    """The live children of `pid`, from each of its threads' `children` file; None when the kernel
    has no such files (built without CONFIG_PROC_CHILDREN)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []  # ended: nothing below it to count
    found: list[int] = []
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                found.extend(int(v) for v in f.read().split())
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{tid}"):
                continue  # the thread ended while we read
            return None
        except (OSError, ValueError):
            continue
    return found


def _walk(root: int, cpu_of: Callable[[int], float | None],
          children_of: Callable[[int], list[int] | None]) -> float | None:
    """The CPU seconds of `root` and everything below it, by the given readings; None as soon as
    `children_of` cannot tell (a process whose CPU is None has ended: nothing below it is read)."""
    total, todo, seen = 0.0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        cpu = cpu_of(pid)
        if cpu is None:
            continue
        total += cpu
        below = children_of(pid)
        if below is None:
            return None
        todo.extend(below)
    return total


def _own_cpu(pid: int) -> float | None:
    got = _stat(str(pid))
    return None if got is None else got[1]


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by `root` and every live descendant (with what they reaped).

    Walks down from `root` (a handful of reads per sample, whatever else the machine runs); the
    scan of every process in /proc is the fallback for kernels without per-thread children files."""
    walked = _walk(root, _own_cpu, _children)
    return _scanned_tree_cpu_seconds(root) if walked is None else walked


def _scanned_tree_cpu_seconds(root: int) -> float:
    children: dict[int, list[int]] = {}
    used: dict[int, float] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0.0
    for entry in entries:
        if entry.isdigit():
            got = _stat(entry)
            if got is not None:
                pid = int(entry)
                children.setdefault(got[0], []).append(pid)
                used[pid] = got[1]
    return _walk(root, lambda pid: used.get(pid, 0.0), lambda pid: children.get(pid, [])) or 0.0
