"""The warm kernel pool (grader/kernel/pool.py, zygote.py): a student who tries to poison the next
student's kernel, or the zygote they were both forked from, changes nothing for the next one;
verdicts are the same with the pool on and off; a zygote that dies or will not build means a
cold kernel (said in the report), never a failed grading."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, SEED
from test_sandbox import _assignment  # the one-question relu assignment
from variants import BUGGY
from variants_udl import SOLUTIONS as UDL

from grader.grading.pipeline import grade_notebook
from grader.kernel import pool
from grader.kernel.limits import Limits
from grader.kernel.sandbox import bubblewrap
from grader.kernel.session import KernelSession
from grader.kinds import load_assignment
from grader.spec.find import resolve_assignment

pytestmark = [pytest.mark.notebook,
              pytest.mark.skipif(bubblewrap() is None, reason="the warm pool needs bubblewrap (make setup installs it)")]

WARM = "forked from this worker's warm pool"
MARK = "1003.25"  # a sleep the poisoner leaves behind, found on the host by its argument

POISON = [
    # module state: patched functions, sys.modules, an attribute on numpy, IPython and matplotlib state
    "import os, sys, json, signal, random, threading, subprocess, time, numpy as np, torch, matplotlib\n"
    "torch.allclose = lambda *a, **k: True\n"
    "np.POISON = 1\n"
    "import math\nsys.modules['math'] = 'poisoned'\n"
    "matplotlib.rcParams['lines.linewidth'] = 99\n"
    "os.environ['POISON'] = '1'\n"
    "get_ipython().events.register('post_run_cell', lambda *a: print('POISONED HOOK'))\n"
    "random.seed(42); np.random.seed(42); torch.manual_seed(42)\n"
    "done = {}",
    # files: site-packages, the interpreter's folders, /tmp and /dev/shm (which the next kernel gets fresh)
    "for name, path in {'site': os.path.join(os.path.dirname(np.__file__), 'poison.py'),\n"
    "                   'stdlib': os.path.join(os.path.dirname(os.__file__), 'poison.py'),\n"
    "                   'tmp': '/tmp/poison.py', 'shm': '/dev/shm/poison'}.items():\n"
    "    try:\n"
    "        open(path, 'w').write('POISON = 1\\n'); done[name] = True\n"
    "    except OSError:\n"
    "        done[name] = False",
    # the processes it can see: only its own namespace's (no zygote); signal and read the memory of each
    "me = os.getpid()\n"
    "done['pids'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
    "done['tmp_listing'] = sorted(os.listdir('/tmp'))\n"
    "done['mem'] = []\n"
    "for pid in done['pids']:\n"
    "    if pid == me: continue\n"
    "    try:\n"
    "        with open(f'/proc/{pid}/mem', 'rb') as f: f.read(1)\n"
    "        done['mem'].append(pid)\n"
    "    except OSError:\n"
    "        pass\n"
    "done['caps'] = [l.split()[1] for l in open('/proc/self/status') if l.startswith(('CapEff', 'CapBnd'))]",
    # things left running: a thread, a process, a double-forked daemon
    "threading.Thread(target=lambda: time.sleep(1000), daemon=True, name='poison-thread').start()\n"
    f"subprocess.Popen(['sleep', '{MARK}'])\n"
    f"subprocess.Popen(['sh', '-c', 'sleep {MARK} &'])\n"
    "print('DONE', json.dumps(done))",
    # every process it may signal in its namespace: itself and its init (the kernel dies here)
    "os.kill(-1, signal.SIGKILL)",
]

VICTIM = (
    "import os, sys, json, random, threading, numpy as np, torch, matplotlib\n"
    "import math\n"
    "seen = {\n"
    "  'allclose': torch.allclose(torch.zeros(1), torch.ones(1)),\n"
    "  'np_poison': hasattr(np, 'POISON'),\n"
    "  'math_module': type(sys.modules['math']).__name__,\n"
    "  'linewidth': matplotlib.rcParams['lines.linewidth'],\n"
    "  'env': 'POISON' in os.environ,\n"
    "  'files': [p for p in ('/tmp/poison.py', '/dev/shm/poison',\n"
    "            os.path.join(os.path.dirname(np.__file__), 'poison.py')) if os.path.exists(p)],\n"
    "  'threads': sorted(t.name for t in threading.enumerate()),\n"
    "  'pids': sorted(int(p) for p in os.listdir('/proc') if p.isdigit()),\n"
    "  'random': random.random(), 'np_random': float(np.random.rand()), 'torch_random': float(torch.rand(1)),\n"
    "}\n"
    "random.seed(42); np.random.seed(42); torch.manual_seed(42)\n"
    "seen['seeded_42'] = [random.random(), float(np.random.rand()), float(torch.rand(1))]\n"
    "print('SEEN', json.dumps(seen))"
)


def _outputs(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream")


def _line(text: str, tag: str) -> dict:
    return json.loads(next(ln for ln in text.splitlines() if ln.startswith(tag + " "))[len(tag) + 1:])


def _host_sleepers() -> list[int]:
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    if MARK.encode() in f.read():
                        out.append(int(p))
            except OSError:
                pass
    return out


async def _run(cells: list[str]) -> tuple[nbformat.NotebookNode, str]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    async with KernelSession(Limits(warm=True, cell_timeout=20, revivals=0)) as session:
        await session.run_notebook(nb)
        return nb, session.wrapped.isolation


def test_a_poisoning_notebook_changes_nothing_for_the_next_kernel_or_the_zygote() -> None:
    async def run() -> tuple:
        victim_before = await _run([VICTIM])
        zygotes = [(z.key, z.host_pid, z.alive()) for z in pool.shared().zygotes()]
        poisoner = await _run(POISON)
        left = _host_sleepers()
        victim = await _run([VICTIM])
        return victim_before, zygotes, poisoner, left, victim, [(z.key, z.host_pid, z.alive())
                                                                for z in pool.shared().zygotes()]

    (before_nb, before_iso), zygotes, (bad_nb, bad_iso), left, (nb, iso), zygotes_after = asyncio.run(run())
    assert WARM in before_iso and WARM in bad_iso and WARM in iso, iso
    assert zygotes and zygotes == zygotes_after  # the same zygote, alive, served all three
    done = _line(_outputs(bad_nb), "DONE")
    assert done["site"] is False and done["stdlib"] is False  # the interpreter's files are read-only
    assert done["tmp"] and done["shm"]                          # its own /tmp and /dev/shm were writable
    assert done["pids"] == [1, 2], done["pids"]                 # its init and itself: no zygote, no other kernel
    assert done["mem"] == [], done["mem"]
    assert done["caps"] == ["0000000000000000", "0000000000000000"], done["caps"]
    # its own /tmp: what it wrote, matplotlib's folder, and (where the interpreter or this checkout lives
    # under the host's /tmp, as in a CI clone there) the read-only allow-list binds' top folder
    hosts = {Path(p).parts[2] for p in (sys.prefix, str(Path(__file__).resolve())) if p.startswith("/tmp/")}
    listing = [p for p in done["tmp_listing"] if not p.startswith("grader-") and p not in hosts]
    assert listing == ["matplotlib", "poison.py"], done["tmp_listing"]
    assert not left, f"the poisoner's processes outlived its kernel: {left}"

    seen, first = _line(_outputs(nb), "SEEN"), _line(_outputs(before_nb), "SEEN")
    assert "POISONED HOOK" not in _outputs(nb)
    for key in ("allclose", "np_poison", "math_module", "linewidth", "env", "files", "threads", "pids"):
        assert seen[key] == first[key], (key, seen[key], first[key])
    assert seen["allclose"] is False and seen["math_module"] == "module" and seen["files"] == []
    # fresh random state in every kernel: not the poisoner's seed 42, nor the kernel before's
    assert [seen["random"], seen["np_random"], seen["torch_random"]] != seen["seeded_42"]
    for key in ("random", "np_random", "torch_random"):
        assert seen[key] != first[key], key


def test_two_kernels_forked_at_once_cannot_reach_each_other(tmp_path: Path) -> None:
    """Running side by side (a batch's two workers): separate network and PID namespaces, so
    neither an abstract socket nor loopback TCP nor a signal crosses between them."""
    server = ("import socket, threading, time, os, json\n"
              "a = socket.socket(socket.AF_UNIX); a.bind('\\0grader-poison'); a.listen()\n"
              "t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
              "t.bind(('127.0.0.1', 47011)); t.listen()\n"
              "open('/tmp/ready', 'w').close()\n"
              "time.sleep(6)\nprint('SERVER', json.dumps({'pid': os.getpid()}))")
    client = ("import socket, time, os, json\ntime.sleep(3)\nseen = {}\n"
              "for name, family, addr in (('abstract', socket.AF_UNIX, '\\0grader-poison'),\n"
              "                           ('tcp', socket.AF_INET, ('127.0.0.1', 47011))):\n"
              "    s = socket.socket(family)\n"
              "    try:\n"
              "        s.connect(addr); seen[name] = True\n"
              "    except OSError:\n"
              "        seen[name] = False\n"
              "seen['ready_file'] = os.path.exists('/tmp/ready')\n"
              "seen['pids'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
              "import sys\nprivate = os.path.dirname(sys.argv[sys.argv.index('-f') + 1])\n"
              "seen['pool'] = os.listdir(os.path.dirname(private)) == [os.path.basename(private)]\n"
              "print('CLIENT', json.dumps(seen))")

    async def run() -> list:
        return await asyncio.gather(_run([server]), _run([client]))

    (snb, siso), (cnb, ciso) = asyncio.run(run())
    assert WARM in siso and WARM in ciso
    assert _line(_outputs(snb), "SERVER")["pid"] == 2
    seen = _line(_outputs(cnb), "CLIENT")
    # and of the pool's folder it sees only its own connection directory, not the other kernel's
    assert seen == {"abstract": False, "tcp": False, "ready_file": False, "pids": [1, 2], "pool": True}, seen


def _verdicts(result) -> list:
    return [(q.id, q.score, q.status, q.feedback) for q in result.questions]


PARITY = {  # one notebook per question kind: function, derivative, symbolic, figure, state, output, optimizer
    "seed (function, derivative, symbolic)": (SEED, "derivatives-activations"),
    "seed with a bug": (BUGGY[0], "derivatives-activations"),
    "momentum (state, figure)": (UDL["udl_6_4_momentum"], "udl-6-4-momentum"),
    "bce (output, function, state, figure)": (UDL["udl_5_2_bce"], "udl-5-2-bce"),
    "optimizers (optimizer)": (ROOT / "examples" / "optimizers_solution.ipynb", "optimizers"),
}


@pytest.mark.parametrize("name", list(PARITY))
def test_same_verdicts_with_the_pool_on_and_off(name: str, tmp_path: Path) -> None:
    source, aid = PARITY[name]
    path = source.build(tmp_path) if hasattr(source, "build") else source
    assignment = load_assignment(resolve_assignment(aid))
    cold = grade_notebook(path, assignment, limits=Limits(warm=False))
    warm = grade_notebook(path, assignment, limits=Limits(warm=True))
    assert WARM in warm.isolation and WARM not in cold.isolation, warm.isolation
    assert _verdicts(warm) == _verdicts(cold)
    assert [(e.cell_index, e.kind, e.message) for e in warm.events] == \
        [(e.cell_index, e.kind, e.message) for e in cold.events]


@pytest.fixture
def own_pool(monkeypatch: pytest.MonkeyPatch):
    """A pool of this test's own: one it breaks is not the one later tests in this process use."""
    mine = pool.KernelPool()
    monkeypatch.setattr(pool, "_shared", mine)
    yield mine
    mine.close()


def test_a_killed_zygote_is_rebuilt_once_then_kernels_start_cold(tmp_path: Path, own_pool: pool.KernelPool) -> None:
    """A zygote killed between notebooks: the next kernel comes from a rebuilt one; killed again,
    kernels start cold, the report says why, and the grade is the same."""
    nb = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import torch\ndef relu(x):\n    return x.clamp(min=0)")]), nb)
    assignment = load_assignment(_assignment(tmp_path))
    lim = Limits(warm=True)
    first = grade_notebook(nb, assignment, limits=lim)
    isolations, scores = [first.isolation], [first.score]
    for _ in range(2):
        for z in own_pool.zygotes():
            os.killpg(z.host_pid, signal.SIGKILL)  # the zygote's bubblewrap and everything in it
            while z.alive():
                time.sleep(0.05)
        result = grade_notebook(nb, assignment, limits=lim)
        isolations.append(result.isolation)
        scores.append(result.score)
    assert scores == [1, 1, 1]
    assert WARM in isolations[0] and WARM in isolations[1], isolations[:2]
    assert WARM not in isolations[2] and "warm kernel pool not used (the zygote died" in isolations[2], isolations[2]


def test_a_zygote_killed_while_a_cell_runs_is_not_the_students_doing(tmp_path: Path, own_pool: pool.KernelPool,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Killing the zygote kills the kernels forked from it (they live in its PID namespace). One killed
    in the middle of a student's cell is the grader's failure: the notebook is graded again from the
    start, the report says so, and no cell is blamed for killing its kernel."""
    nb = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import torch\ndef relu(x):\n    return x.clamp(min=0)"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(3)\nprint('slept')")]), nb)
    killed: list[int] = []
    run_cell = KernelSession._run_cell

    async def kill_during_the_sleep(self, cell, index, remaining):
        if index == 1 and not killed:
            def kill() -> None:
                for z in own_pool.zygotes():
                    killed.append(z.host_pid)
                    os.killpg(z.host_pid, signal.SIGKILL)
            asyncio.get_running_loop().call_later(1.0, kill)
        return await run_cell(self, cell, index, remaining)

    monkeypatch.setattr(KernelSession, "_run_cell", kill_during_the_sleep)
    result = grade_notebook(nb, load_assignment(_assignment(tmp_path)), limits=Limits(warm=True))
    assert len(killed) == 1
    assert result.score == 1 and not result.needs_review
    assert not [e for e in result.events if e.kind == "kernel_died"], result.events
    assert WARM in result.isolation  # the second run's kernel came from a rebuilt zygote
    assert "graded a second time from the start, because the warm pool's zygote died" in result.isolation


def test_a_zygote_that_will_not_build_means_cold_kernels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        own_pool: pool.KernelPool) -> None:
    monkeypatch.setattr(pool, "_SOURCE", "raise SystemExit('this zygote will not build')")
    nb = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def relu(x):\n    return x.clamp(min=0)")]), nb)
    result = grade_notebook(nb, load_assignment(_assignment(tmp_path)), limits=Limits(warm=True))
    assert result.score == 1
    assert WARM not in result.isolation and "warm kernel pool not used (the zygote did not build" in result.isolation
    assert "this zygote will not build" in result.isolation


def test_a_killed_graders_zygote_folder_is_removed_by_the_next_pool(tmp_path: Path) -> None:
    """A Dask worker stopped by SIGTERM runs no atexit: its zygote died with it, its folder stays;
    the next pool removes it, and never a living grader's."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    base = Path(tempfile.gettempdir())
    gone = base / f"{pool.HOME_PREFIX}{int(dead.stdout)}-test"
    alive = base / f"{pool.HOME_PREFIX}{os.getppid()}-test"
    for d in (gone, alive):
        (d / "pool").mkdir(parents=True)
    try:
        pool.KernelPool().close()
        assert not gone.exists() and alive.exists()
    finally:
        for d in (gone, alive):
            shutil.rmtree(d, ignore_errors=True)
