"""A supervisor for a kernel run without bubblewrap, which has no PID namespace to die with it:
`python supervisor.py [--parent=PID] -- argv...` (or `-m grader.kernel.supervisor`; `prefix()`
gives that argv). When the command exits, or the supervisor is told to stop, or the grader dies,
every process the command started is killed, double-forked daemons included, and the supervisor
exits with the command's status.

Two processes, because jupyter_client stops a kernel with SIGKILL to its process group:

    grader -> front (the pid jupyter_client knows, in the process group it made for the kernel)
                -> reaper (its own process group, so the group SIGKILL misses it)
                     -> command (its own process group: ipykernel and its shell children)

Both are child subreapers, so orphans re-parent to them rather than to init. The front forwards
SIGINT and SIGTERM to the reaper, which forwards them to the command's process group; SIGTERM
leaves the command `GRACE` seconds before everything is killed. Each dies with its parent
through PR_SET_PDEATHSIG: the reaper kills the tree when the front is gone (as after the group
SIGKILL), the front when the grader is gone. PDEATHSIG also fires when only the parent *thread*
exits, so it is SIGHUP, and it counts only when getppid() changed (a thread's exit re-parents to
another thread of the same process, same pid). With `--parent=PID` the front exits at once
(status 125) unless PID is its parent: the grader may have died before PDEATHSIG was set.

Standard library only, and no imports from the rest of grader: it runs as its own small process.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
GRACE = 2.0            # seconds a SIGTERMed command has to exit before its tree is killed
SIGNALS = {signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def prefix(parent: int | None = None) -> list[str]:
    """Argv that runs a command under the supervisor, tied to `parent` (default: this process).

    The file is run directly, in isolated mode without site: it starts in a few milliseconds,
    without importing the grader package."""
    return [sys.executable, "-I", "-S", os.path.abspath(__file__), f"--parent={parent or os.getpid()}", "--"]


def main(args: list[str]) -> None:
    parent = None
    while args and args[0] != "--":
        if args[0].startswith("--parent="):
            parent = int(args[0].split("=", 1)[1])
        args = args[1:]
    cmd = args[1:]
    if not cmd:
        sys.stderr.write("usage: supervisor.py [--parent=PID] -- command [args...]\n")
        os._exit(2)
    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)  # taken synchronously, by sigtimedwait
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _prctl(PR_SET_PDEATHSIG, signal.SIGHUP)
    front = os.getpid()
    if parent is not None and os.getppid() != parent:
        os._exit(125)  # the grader died before PDEATHSIG was set
    parent = os.getppid()
    reaper = os.fork()
    if reaper == 0:
        os.setpgid(0, 0)
        _prctl(PR_SET_CHILD_SUBREAPER, 1)  # neither attribute survives fork
        _prctl(PR_SET_PDEATHSIG, signal.SIGHUP)
        if os.getppid() != front:
            os._exit(125)
        child = os.fork()
        if child == 0:
            _exec(cmd)
        try:
            os.setpgid(child, child)  # also here: a signal forwarded before the child's own call must find the group
        except OSError:
            pass
        _exit_like(_supervise(child, front, group=True, grace=GRACE))
    _exit_like(_supervise(reaper, parent, group=False, grace=GRACE + 1))


def _supervise(child: int, parent: int, group: bool, grace: float) -> int:
    """Wait for `child`, forwarding signals (to its process group when `group`), reaping orphans;
    then kill every descendant left. Returns the child's wait status."""
    stop_at: float | None = None
    while True:
        _reap()
        if child in _reaped or (stop_at is not None and time.monotonic() > stop_at):
            break
        info = signal.sigtimedwait(SIGNALS, 0.5)
        if os.getppid() != parent:  # our parent is gone (the grader, or the front after the group SIGKILL)
            break
        if info is None or info.si_signo in (signal.SIGCHLD, signal.SIGHUP):
            continue  # SIGHUP with the same parent: only its thread ended
        _forward(child, info.si_signo, group)
        if info.si_signo == signal.SIGTERM and stop_at is None:
            stop_at = time.monotonic() + grace
    _kill_descendants()
    _reap()
    return _reaped.get(child, signal.SIGKILL)  # (a raw wait status: "killed by SIGKILL")


_reaped: dict[int, int] = {}  # pid -> wait status of every child reaped so far


def _reap() -> None:
    """Reap every exited child (orphans re-parent to us, subreapers that we are)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _reaped[pid] = status


def _forward(child: int, sig: int, group: bool) -> None:
    try:
        if group:
            try:
                os.killpg(child, sig)
                return
            except OSError:
                pass
        os.kill(child, sig)
    except OSError:
        pass


def _kill_descendants(timeout: float = 10.0) -> None:
    """SIGKILL every descendant until none is left. Killed parents' children re-parent to us, so a
    fork loop only shrinks; each kill goes through a pidfd checked against the process's start
    time, so a pid reused meanwhile is never hit."""
    deadline = time.monotonic() + timeout
    me = os.getpid()
    pause = 0.001
    while time.monotonic() < deadline:
        procs = _processes()
        kids: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in procs.items():
            kids.setdefault(ppid, []).append(pid)
        todo, found = list(kids.get(me, [])), []
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(kids.get(pid, []))
        live = [p for p in found if procs[p][2] != "Z"]
        for pid in live:
            _sigkill(pid, procs[pid][1])
        _reap()
        if not found:
            return
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (ppid, start time, state) of every process."""
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None:
                out[int(name)] = stat
    return out


def _stat(pid: int) -> tuple[int, int, str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()  # the name before it may hold spaces and parens
        return int(fields[1]), int(fields[19]), fields[0].decode()
    except (OSError, IndexError, ValueError):
        return None


def _sigkill(pid: int, start: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except (OSError, AttributeError):
        fd = None
    try:
        stat = _stat(pid)
        if stat is None or stat[1] != start:
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


def _exec(cmd: list[str]) -> None:
    """In the forked command: its own process group, signals as a fresh process has them, then exec."""
    try:
        os.setpgid(0, 0)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        os.execvp(cmd[0], cmd)
    except BaseException as e:  # noqa: BLE001 - report and leave: never return into the supervisor's code
        try:
            sys.stderr.write(f"supervisor: cannot run {cmd[0]}: {e}\n")
        finally:
            os._exit(127)


def _exit_like(status: int) -> None:
    """Exit the way the child did: the same code, or killed by the same signal (without a core file)."""
    if os.WIFEXITED(status):
        os._exit(os.WEXITSTATUS(status))
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else signal.SIGKILL
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if sig != signal.SIGKILL:
            signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
        os.kill(os.getpid(), sig)
    finally:
        os._exit(128 + sig)  # a signal whose default is not to end the process


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option})")


if __name__ == "__main__":
    main(sys.argv[1:])
