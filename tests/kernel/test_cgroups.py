"""The kernel's cgroups and the --no-sandbox supervisor, with real processes: memory (tmpfs
included) and process limits hold, and nothing the notebook starts outlives grading."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.kernel import supervisor
from grader.kernel.cgroup import KILLERS, KernelCgroups, _bases, _hierarchies, _v2_base

MiB = 1024 ** 2
ROOT = os.geteuid() == 0
LINUX = sys.platform.startswith("linux")
_n = 0


def _tag() -> str:
    """A `sleep` argument no other test (or test worker) uses, to find exactly our processes."""
    global _n
    _n += 1
    return f"1000.{os.getpid()}{_n:03d}"


def _sleepers(tag: str) -> list[int]:
    """Live (not zombie) `sleep <tag>` processes."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{name}/cmdline").read_bytes()
            state = Path(f"/proc/{name}/stat").read_bytes().rpartition(b")")[2].split()[0]
        except OSError:
            continue
        if cmd == b"sleep\0" + tag.encode() + b"\0" and state != b"Z":
            out.append(int(name))
    return out


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()[0] == b"Z"
    except OSError:
        return True


def _wait_for(cond, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


@pytest.fixture
def cgroups() -> Iterator:
    """`make(memory, processes, need=..., killer=...)`: cgroups or a skip saying what is missing; all removed after."""
    made: list[KernelCgroups] = []

    def make(memory: int | None, processes: int | None, need: tuple[str, ...] = (), killer: str = "auto"):
        cg = KernelCgroups.create(memory, processes, killer=killer)
        if cg is not None:
            made.append(cg)
        if cg is None:
            pytest.skip("no cgroup can be created here (needs root or a delegated cgroup)")
        if "memory" in need and not cg.memory_enforced:
            pytest.skip("no memory cgroup here")
        if "pids" in need and not cg.processes_enforced:
            pytest.skip("no pids cgroup here")
        if killer != "auto" and cg.killer != killer:
            pytest.skip(f"no {killer} here")
        return cg

    yield make
    for cg in made:
        cg.remove()


def _python(code: str) -> list[str]:
    return [sys.executable, "-I", "-S", "-c", code]


ALLOCATE = "b = bytearray({n}); b[::4096] = b'x' * len(b[::4096]); print('allocated', flush=True)"


def test_allocating_past_the_memory_limit_is_oom_killed(cgroups) -> None:
    cg = cgroups(200 * MiB, 64, need=("memory",))
    r = subprocess.run(cg.prefix() + _python(ALLOCATE.format(n=400 * MiB)), check=False, capture_output=True, text=True, timeout=30)
    assert r.returncode == -signal.SIGKILL and "allocated" not in r.stdout, (r.returncode, r.stdout, r.stderr)
    assert cg.oom_kills() >= 1
    assert "memory cgroup 200 MiB (tmpfs" in cg.describe()


TMPFS = """import sys
print('mounted', flush=True)
with open(sys.argv[1] + '/f', 'wb') as f:
    for _ in range(300):
        f.write(b'x' * 2**20)
        f.flush()
print('done', flush=True)"""


def _fill_tmpfs(cg: KernelCgroups, where: Path) -> subprocess.CompletedProcess:
    """Write 300 MiB into a fresh tmpfs (sized 1 GiB, so only the cgroup can stop it), in a private mount namespace."""
    script = f'mount -t tmpfs -o size=1g tmpfs "$1" && exec {sys.executable} -I -S -c "$0" "$1"'
    return subprocess.run(cg.prefix() + ["unshare", "--mount", "sh", "-c", script, TMPFS, str(where)],
                          check=False, capture_output=True, text=True, timeout=30)


@pytest.mark.skipif(not ROOT, reason="mounting a tmpfs needs root")
def test_tmpfs_pages_count_against_the_memory_limit(cgroups, tmp_path: Path) -> None:
    roomy = cgroups(1024 * MiB, 64, need=("memory",))
    r = _fill_tmpfs(roomy, tmp_path)
    if "mounted" not in r.stdout:
        pytest.skip(f"cannot mount a tmpfs in a new mount namespace here: {r.stderr.strip()}")
    assert "done" in r.stdout and r.returncode == 0, r.stderr  # the control: 300 MiB fit in 1 GiB
    tight = cgroups(200 * MiB, 64, need=("memory",))
    r = _fill_tmpfs(tight, tmp_path)
    assert "mounted" in r.stdout and "done" not in r.stdout, (r.stdout, r.stderr)
    assert r.returncode != 0 and (tight.oom_kills() >= 1 or "No space" in r.stderr or "Cannot allocate" in r.stderr)


FORK_LOOP = """import os, time
first = os.fork()
if first == 0:                          # a double-forked daemon, in its own session
    os.setsid()
    if os.fork() == 0:
        os.execvp('sleep', ['sleep', {tag!r}])
    os._exit(0)
os.waitpid(first, 0)                    # the daemon exists before the loop takes every slot
print('forking', flush=True)
while True:                             # every child forks too: only the pids limit stops it
    try:
        os.fork()
    except OSError:
        time.sleep(0.001)"""


@pytest.mark.parametrize("killer", KILLERS)
def test_fork_loop_and_daemon_are_all_killed(cgroups, killer: str) -> None:
    cg = cgroups(None, 64, need=("pids",), killer=killer)
    tag = _tag()
    p = subprocess.Popen(cg.prefix() + _python(FORK_LOOP.format(tag=tag)), stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "forking"
        assert _wait_for(lambda: len(cg.members()) >= 32 and _sleepers(tag)), "the fork loop did not get going"
        paths = cg.paths
        t0 = time.monotonic()
        cg.remove()
        took = time.monotonic() - t0
        assert p.wait(timeout=5) == -signal.SIGKILL
        assert not _sleepers(tag), "the double-forked daemon survived"
        assert not any(os.path.exists(d) for d in paths)
        assert took < 5, f"killing took {took:.1f} s"
    finally:
        if p.poll() is None:
            p.kill()
        for pid in _sleepers(tag):
            os.kill(pid, signal.SIGKILL)


def test_refused_forks_are_counted(cgroups) -> None:
    cg = cgroups(None, 16, need=("pids",))
    tag = _tag()
    code = ("import subprocess\nprocs = []\ntry:\n    for _ in range(40):\n"
            f"        procs.append(subprocess.Popen(['sleep', '{tag}'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))\n"
            "except OSError:\n    print('refused after', len(procs), flush=True)")
    r = subprocess.run(cg.prefix() + _python(code), check=False, capture_output=True, text=True, timeout=30)
    assert "refused after" in r.stdout, r.stderr
    assert cg.pids_hits() >= 1
    cg.kill_all()
    assert not _sleepers(tag)


def test_memory_peak_covers_what_was_allocated(cgroups) -> None:
    cg = cgroups(1024 * MiB, 64, need=("memory",))
    r = subprocess.run(cg.prefix() + _python(ALLOCATE.format(n=100 * MiB)), check=False, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    peak = cg.memory_peak()
    if peak is None:
        pytest.skip("this kernel does not report a memory peak")
    assert peak >= 100 * MiB
    assert cg.oom_kills() == 0


def test_a_cgroup_that_refuses_the_process_stops_the_launch(cgroups) -> None:
    cg = cgroups(None, 64)
    os.rmdir(cg.paths[-1])  # gone: the write to its cgroup.procs fails
    r = subprocess.run(cg.prefix() + ["true"], check=False, capture_output=True, timeout=10)
    assert r.returncode == 125


# ---------------------------------------------------------------------- sweeping

@pytest.mark.skipif(not ROOT, reason="needs root to make cgroups")
def test_cgroups_of_dead_graders_are_emptied_and_removed_and_live_ones_kept() -> None:
    hs = _hierarchies()
    v2 = next((h for h in hs if h.version == 2), None)
    bases = _bases(hs, _v2_base(v2) if v2 is not None else None)
    if not bases:
        pytest.skip("no writable cgroup hierarchy here")
    gone = subprocess.Popen(["true"])
    gone.wait()  # its pid is free now: a grader that was killed
    dead = [Path(b) / f"grader-{gone.pid}-sweeptst" for b, _ in bases]
    live = [Path(b) / f"grader-{os.getpid()}-sweeptst" for b, _ in bases]
    tag = _tag()
    leftover = None
    try:
        for d in dead + live:
            d.mkdir()
        # a daemon the dead grader's notebook left behind, in its first cgroup
        leftover = subprocess.Popen(["sh", "-c", 'echo $$ > "$0" && exec sleep "$1"',
                                     str(dead[0] / "cgroup.procs"), tag])
        assert _wait_for(lambda: _sleepers(tag))
        cg = KernelCgroups.create(None, 8)  # creating one sweeps
        assert cg is not None
        cg.remove()
        assert not [d for d in dead if d.exists()]
        assert all(d.exists() for d in live)
        assert leftover.wait(timeout=5) == -signal.SIGKILL
    finally:
        if leftover is not None and leftover.poll() is None:
            leftover.kill()
        for d in dead + live:
            if d.exists():
                d.rmdir()


# ---------------------------------------------------------------------- the supervisor

needs_linux = pytest.mark.skipif(not LINUX, reason="the supervisor uses Linux prctl")


@needs_linux
def test_supervisor_exits_with_the_commands_status_and_kills_its_daemons() -> None:
    tag = _tag()
    r = subprocess.run(supervisor.prefix() + ["sh", "-c", f"(setsid sleep {tag} &); sleep 0.2; exit 7"],
                       check=False, capture_output=True, text=True, timeout=20)
    assert r.returncode == 7, r.stderr
    assert not _sleepers(tag), "a double-forked daemon outlived the supervisor"


@needs_linux
def test_supervisor_dies_with_its_parent_and_takes_its_tree() -> None:
    daemon, child = _tag(), _tag()
    code = ("import os, subprocess, sys, time\n"
            f"p = subprocess.Popen([sys.executable, '-I', '-S', {supervisor.__file__!r}, f'--parent={{os.getpid()}}', '--', "
            f"'sh', '-c', '(setsid sleep {daemon} &); sleep {child}'])\n"
            "print(p.pid, flush=True)\ntime.sleep(1000)")
    middle = subprocess.Popen(_python(code), stdout=subprocess.PIPE, text=True)
    try:
        front = int(middle.stdout.readline())
        assert _wait_for(lambda: _sleepers(daemon) and _sleepers(child))
        middle.kill()
        middle.wait()
        assert _wait_for(lambda: _gone(front) and not _sleepers(daemon) and not _sleepers(child), 5), \
            "the supervisor or its tree outlived its parent"
    finally:
        if middle.poll() is None:
            middle.kill()
        for pid in _sleepers(daemon) + _sleepers(child):
            os.kill(pid, signal.SIGKILL)


@needs_linux
def test_supervisor_survives_jupyters_group_kill_long_enough_to_kill_the_tree() -> None:
    """jupyter_client stops a kernel with SIGKILL to the process group it started: the tree must still go."""
    tag = _tag()
    p = subprocess.Popen(supervisor.prefix() + ["sh", "-c", f"(setsid sleep {tag} &); sleep {tag}"],
                         start_new_session=True)
    try:
        assert _wait_for(lambda: len(_sleepers(tag)) == 2)
        os.killpg(p.pid, signal.SIGKILL)
        assert p.wait(timeout=5) == -signal.SIGKILL
        assert _wait_for(lambda: not _sleepers(tag), 5), "the command's processes outlived the group kill"
    finally:
        for pid in _sleepers(tag):
            os.kill(pid, signal.SIGKILL)


@needs_linux
def test_supervisor_forwards_an_interrupt_to_the_command_once() -> None:
    code = ("import signal, sys, time\nseen = []\nsignal.signal(signal.SIGINT, lambda *a: seen.append(1))\n"
            "print('ready', flush=True)\nend = time.monotonic() + 10\n"
            "while not seen and time.monotonic() < end:\n    time.sleep(0.01)\n"
            "time.sleep(0.3)\nprint('interrupts', len(seen), flush=True)\nsys.exit(3)")
    p = subprocess.Popen(supervisor.prefix() + _python(code), stdout=subprocess.PIPE, text=True,
                         start_new_session=True)
    assert p.stdout.readline().strip() == "ready"
    os.killpg(p.pid, signal.SIGINT)  # as jupyter_client interrupts a kernel
    out, _ = p.communicate(timeout=10)
    assert out.strip() == "interrupts 1" and p.returncode == 3


@needs_linux
def test_supervisor_passes_sigterm_on_and_mirrors_the_signal_death() -> None:
    p = subprocess.Popen(supervisor.prefix() + _python("import time\nprint('ready', flush=True)\ntime.sleep(30)"),
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert p.stdout.readline().strip() == "ready"
    p.terminate()
    assert p.wait(timeout=10) == -signal.SIGTERM


@needs_linux
def test_supervisor_outlives_the_exit_of_the_thread_that_started_it() -> None:
    """PDEATHSIG fires when the parent *thread* exits; the supervisor must only go when the process does."""
    code = ("import os, subprocess, sys, threading, time\nbox = []\n"
            f"argv = [sys.executable, '-I', '-S', {supervisor.__file__!r}, f'--parent={{os.getpid()}}', '--', 'sleep', '30']\n"
            "t = threading.Thread(target=lambda: box.append(subprocess.Popen(argv)))\n"
            "t.start(); t.join(); time.sleep(0.5)\n"
            "print('alive' if box[0].poll() is None else f'died {box[0].returncode}', flush=True)\n"
            "box[0].terminate(); box[0].wait()")
    r = subprocess.run(_python(code), check=False, capture_output=True, text=True, timeout=20)
    assert r.stdout.strip() == "alive", (r.stdout, r.stderr)


@needs_linux
def test_a_command_that_kills_the_inner_supervisor_is_still_cleaned_up() -> None:
    """The outer supervisor is a subreaper too: killing the inner one hands the tree to it."""
    tag = _tag()
    r = subprocess.run(supervisor.prefix() + ["sh", "-c", f"(setsid sleep {tag} &); sleep 0.2; kill -9 $PPID; sleep {tag}"],
                       check=False, timeout=20)
    assert r.returncode == -signal.SIGKILL  # as the inner supervisor died
    assert not _sleepers(tag)
