"""A pids cgroup per kernel: a process limit that holds even for root, and a list of every
process the notebook started, so all of them can be killed when grading ends."""

from __future__ import annotations

import os
import signal
import time
import uuid


class PidsCgroup:
    """A pids cgroup for one kernel, where the machine lets us make one (cgroup v1, or a delegated v2).

    It caps the kernel's processes and threads even for root, who is exempt from RLIMIT_NPROC,
    and it knows every process the notebook started, detached or double-forked, so all of them
    can be killed when grading ends, sandbox or not.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def create(cls, limit: int) -> "PidsCgroup | None":
        for base in _pids_hierarchies():
            _sweep(base)
            path = os.path.join(base, f"grader-{os.getpid()}-{uuid.uuid4().hex[:8]}")
            try:
                os.mkdir(path)
            except OSError:
                continue
            try:
                with open(os.path.join(path, "pids.max"), "w") as f:
                    f.write(str(limit))
                return cls(path)
            except OSError:
                try:
                    os.rmdir(path)
                except OSError:
                    pass
        return None

    def prefix(self) -> list[str]:
        """Put the launched command (and so everything it starts) in the cgroup before it runs."""
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', os.path.join(self.path, "cgroup.procs")]

    def hits(self) -> int:
        """How many times a fork was refused because the limit was reached."""
        try:
            with open(os.path.join(self.path, "pids.events")) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "max":
                        return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def kill_all(self) -> None:
        for _ in range(20):  # a forking process may add members while we kill: repeat until empty
            try:
                with open(os.path.join(self.path, "cgroup.procs")) as f:
                    pids = [int(p) for p in f.read().split()]
            except (OSError, ValueError):
                return
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        self.kill_all()
        for _ in range(50):
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)  # the last members are still being reaped


def _sweep(base: str) -> None:
    """Remove the cgroups of graders that were killed (kill -9 leaves them no chance to clean up).

    Each cgroup's name carries its creator's pid; only those whose creator is gone are touched,
    and rmdir refuses one that still has members."""
    try:
        names = [n for n in os.listdir(base) if n.startswith("grader-")]
    except OSError:
        return
    for name in names:
        parts = name.split("-")
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        try:
            os.kill(int(parts[1]), 0)
            continue  # its grader is alive
        except ProcessLookupError:
            pass
        except OSError:
            continue
        try:
            os.rmdir(os.path.join(base, name))
        except OSError:
            pass


def _pids_hierarchies() -> list[str]:
    """Writable places to create a pids cgroup: the v1 hierarchy, else our own v2 cgroup if it delegates pids."""
    out = []
    v1 = "/sys/fs/cgroup/pids"
    if os.path.isfile(os.path.join(v1, "pids.max")) or os.path.isfile(os.path.join(v1, "cgroup.procs")):
        out.append(v1)
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                if line.startswith("0::"):
                    own = os.path.join("/sys/fs/cgroup", line[3:].strip().lstrip("/"))
                    with open(os.path.join(own, "cgroup.subtree_control")) as s:
                        if "pids" in s.read().split():
                            out.append(own)
    except OSError:
        pass
    return [d for d in out if os.access(d, os.W_OK)]
