"""Why the kernel could not do what the grader asked: failures are types, caught by cause.

None of these is a verdict on the student's answer by itself: kinds turn them into a status
(`timeout`, `kernel_died`, ...) and feedback, and reports name the limit that was hit. Each
carries the `event` kind a report records for it.
"""

from __future__ import annotations


class KernelError(Exception):
    """The kernel could not run or answer what it was given."""

    event = "kernel_died"


class KernelStartError(KernelError):
    """The grader's own environment cannot run a kernel (not the student's fault). `log`: the
    kernel's stderr, which usually says why (a missing module, a sandbox that refused to start)."""

    def __init__(self, message: str, log: str = "") -> None:
        tail = log.strip().splitlines()[-1] if log.strip() else ""
        super().__init__(f"{message}; the kernel said: {tail}" if tail else message)
        self.log = log


class KernelDied(KernelError):
    """The kernel process ended (a crash, a memory limit, `os._exit`, a signal)."""


class CellTimeout(KernelError):
    """Code ran past its time limit. `scope`: which limit ("cell", "notebook" or "probe");
    `clock`: "cpu" (the limit counts CPU time) or "wall" (the wall-clock backstop, for code that
    waits); `killed`: it ignored the interrupt, so the kernel was killed."""

    event = "timeout"

    def __init__(self, message: str, limit: float, scope: str, killed: bool = False, clock: str = "cpu") -> None:
        super().__init__(message)
        self.limit = limit
        self.scope = scope
        self.killed = killed
        self.clock = clock


class ProtocolError(KernelError):
    """The kernel answered a probe with something that does not follow the probe protocol."""

    event = "protocol"


class OutputLimit(KernelError):
    """A cell printed more than the output cap; the rest was dropped."""

    event = "output_truncated"


class ProcessLimit(KernelError):
    """A cell tried to start more processes or threads than allowed; the extra ones were refused."""

    event = "limit"


class MemoryLimit(KernelError):
    """The kernel used more memory than its limit (tmpfs files included) and was killed by the cgroup."""

    event = "limit"


class DiskLimit(KernelError):
    """A cell filled its scratch directory, /tmp or /dev/shm (sized tmpfs in the sandbox)."""

    event = "limit"


class PoolUnavailable(Exception):
    """The warm kernel pool could not give a kernel (its zygote would not build, died, or a forked
    child could not be set up) before any student code ran: the session starts a cold kernel
    instead and says so. Not a KernelError: nothing of the student's was involved."""


class ZygoteBroken(PoolUnavailable):
    """The zygote answers, but the kernel it forked could not isolate itself (a mount or namespace
    refused): its later children would fail the same way, so the pool stops using it."""


class PoolLost(Exception):
    """A warm kernel died because its zygote did (killed, or crashed: a forked kernel lives in the
    zygote's PID namespace). The grader's failure after student code ran, never the student's: the
    notebook is graded again from the start. Not a KernelError, which kinds read as the student's."""
