"""Hostile notebooks: what student code can reach, and that grading survives it.

Every probe is written by the notebook itself into its output; the grader's verdict on the
one graded function shows grading went on regardless.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from grader.grading.pipeline import grade_notebook
from grader.kernel.limits import Limits
from grader.kernel.sandbox import bubblewrap
from grader.kernel.session import KernelSession
from grader.kinds import load_assignment

RELU_ONLY = """
id: relu-only
title: relu
questions:
  - id: relu
    kind: function
    points: 1
    function: relu
    args: [x]
    reference: "torch.relu(x)"
    probes:
      - {name: random, inputs: {x: {uniform: [-5, 5], shape: [16]}}}
"""

SPY = [
    "import os, socket, subprocess, json\nseen = {}",
    "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2); seen['network'] = 'open'\n"
    "except Exception as e:\n    seen['network'] = type(e).__name__",
    "seen['repo_visible'] = os.path.exists(REPO + '/grader/grading/pipeline.py')\n"
    "seen['submission_dir_visible'] = os.path.exists(SUBDIR + '/secret-answers.txt')",
    "try:\n    open(SUBDIR + '/../planted.txt', 'w').write('x'); seen['write_outside'] = 'written'\n"
    "except Exception as e:\n    seen['write_outside'] = type(e).__name__",
    "seen['secret'] = os.environ.get('GRADER_TEST_SECRET')",
    "subprocess.Popen(['sleep', str(NAP)], start_new_session=True, stdout=subprocess.DEVNULL)\nseen['daemon'] = True",
    "big = 'y' * 100_000\nfor _ in range(200):\n    print(big)",
    "def relu(x):\n    return x.clamp(min=0)\nprint('SEEN', json.dumps(seen))",
]


def _sleepers(nap: int) -> list[str]:
    out = subprocess.run(["pgrep", "-x", "sleep", "-a"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.endswith(f" {nap}")]


def _spy_notebook(tmp_path: Path, nap: int) -> Path:
    sub = tmp_path / "submissions"
    sub.mkdir()
    (sub / "secret-answers.txt").write_text("the answer key")
    cells = [f"REPO = {str(ROOT)!r}\nSUBDIR = {str(sub)!r}\nNAP = {nap}"] + SPY
    path = sub / "spy.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    return path


async def _run(path: Path, limits: Limits) -> tuple[dict, nbformat.NotebookNode]:
    nb = nbformat.read(path, as_version=4)
    async with KernelSession(limits) as session:
        await session.run_notebook(nb)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    line = next(ln for ln in text.splitlines() if ln.startswith("SEEN "))
    return json.loads(line[5:]), nb


@pytest.mark.notebook
@pytest.mark.skipif(bubblewrap() is None, reason="bubblewrap is not installed (make setup installs it)")
def test_bubblewrap_fences_the_kernel_in(tmp_path: Path, monkeypatch) -> None:
    import asyncio

    monkeypatch.setenv("GRADER_TEST_SECRET", "s3cr3t")
    path = _spy_notebook(tmp_path, 1001)
    seen, nb = asyncio.run(_run(path, Limits()))
    assert seen["network"] != "open"
    assert seen["repo_visible"] is False and seen["submission_dir_visible"] is False
    assert not (tmp_path / "planted.txt").exists()  # it wrote into the sandbox's private /tmp, if anywhere
    assert seen["secret"] is None
    assert _sleepers(1001) == [], "a detached process outlived grading"
    capped = [o for c in nb.cells for o in c.get("outputs", []) if "was dropped" in o.get("text", "")]
    assert capped, "20 MB of output were kept"
    result = grade_notebook(path, load_assignment(_assignment(tmp_path)))
    assert result.score == 1 and "bubblewrap" in result.isolation


@pytest.mark.notebook
def test_fallback_without_sandbox_still_scrubs_env_and_grades(tmp_path: Path, monkeypatch) -> None:
    import asyncio

    monkeypatch.setenv("GRADER_TEST_SECRET", "s3cr3t")
    path = _spy_notebook(tmp_path, 1002)
    seen, _ = asyncio.run(_run(path, Limits(sandbox=False)))
    assert seen["secret"] is None
    result = grade_notebook(path, load_assignment(_assignment(tmp_path)), limits=Limits(sandbox=False))
    assert result.score == 1
    assert "no bubblewrap sandbox" in result.isolation  # the report says isolation was weaker
    left = _sleepers(1002)
    for line in left:  # without a pids cgroup the fallback cannot find detached processes: clean up
        os.kill(int(line.split()[0]), 9)
    if _cgroups_available():
        assert left == [], "the pids cgroup should have found and killed the detached process"


def _cgroups_available() -> bool:
    from grader.kernel.cgroup import PidsCgroup

    cg = PidsCgroup.create(8)
    if cg is None:
        return False
    cg.remove()
    return True


@pytest.mark.notebook
@pytest.mark.skipif(not _cgroups_available(), reason="no writable pids cgroup on this machine")
@pytest.mark.parametrize("use_sandbox", [True, False], ids=["sandbox", "fallback"])
def test_fork_loop_hits_the_process_limit_even_as_root(tmp_path: Path, use_sandbox: bool) -> None:
    path = tmp_path / "forks.ipynb"
    nap = 1005 if use_sandbox else 1006  # the two cases may run at once on two test workers
    cells = ["import subprocess\nprocs = []\ntry:\n    for _ in range(2000):\n"
             f"        procs.append(subprocess.Popen(['sleep', '{nap}'], start_new_session=True))\n"
             "except OSError as e:\n    print('refused after', len(procs))",
             "def relu(x):\n    return x.clamp(min=0)"]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    limits = Limits(processes=64, sandbox=use_sandbox)
    result = grade_notebook(path, load_assignment(_assignment(tmp_path)), limits=limits)
    assert result.score == 1
    limit = [e for e in result.events if e.kind == "limit"]
    assert limit and limit[0].cell_index == 0 and "process limit (64" in limit[0].message
    assert _sleepers(nap) == [], "processes outlived grading"


def _assignment(tmp_path: Path) -> Path:
    p = tmp_path / "relu.yaml"
    p.write_text(RELU_ONLY)
    return p


HOSTILE = [
    "import os, sys, torch",
    "big = bytearray(8 * 1024**3)",                                   # over the memory limit
    "t = torch.empty(2 * 1024**3, dtype=torch.float64)",              # torch's allocator hits it too
    "name = input('your name? ')",                                    # no stdin
    "sys.exit(3)",
    "import builtins, json\njson.dumps = lambda *a, **k: '{}'\nbuiltins.isinstance = lambda *a: True",  # wrecks the kernel
    "def relu(x):\n    return x.clamp(min=0)",
]


@pytest.mark.notebook
def test_hostile_cells_are_contained_and_what_follows_is_graded(tmp_path: Path) -> None:
    path = tmp_path / "hostile.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in HOSTILE]), path)
    result = grade_notebook(path, load_assignment(_assignment(tmp_path)), limits=Limits(cell_timeout=5))
    assert result.score == 1, result.questions[0].feedback  # relu, defined after all of it, is graded
    kinds = {e.cell_index: (e.kind, e.message) for e in result.events}
    assert kinds[1] == ("error", "MemoryError")
    assert kinds[2][0] == "error" and "can't allocate memory" in kinds[2][1]
    assert kinds[3][0] == "error" and "StdinNotImplementedError" in kinds[3][1]
    assert kinds[4] == ("error", "SystemExit: 3")
    assert kinds[5][0] == "timeout" and "killed" in kinds[5][1]  # the wrecked kernel was replaced


MORE_HOSTILE = [
    "import os, subprocess, ctypes\nREPO = {repo!r}",
    "!pip install --no-cache-dir --index-url https://pypi.org/simple grader-nonexistent-package-xyz",  # no network
    "!touch {repo}/planted-by-shell",                                   # the host's files are read-only
    "procs = [subprocess.Popen(['sleep', '1003']) for _ in range(40)]",  # a bounded fork loop
    "os.kill(os.getppid(), 9)",                                         # try to kill the sandbox's parent
    "ctypes.string_at(0)",                                              # segfault: the kernel dies
    "def relu(x):\n    return x.clamp(min=0)",
]


@pytest.mark.notebook
@pytest.mark.skipif(bubblewrap() is None, reason="bubblewrap is not installed (make setup installs it)")
def test_shell_escapes_fork_loops_parent_killing_and_segfaults_are_contained(tmp_path: Path) -> None:
    path = tmp_path / "hostile.ipynb"
    cells = [c.format(repo=str(ROOT)) for c in MORE_HOSTILE]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    result = grade_notebook(path, load_assignment(_assignment(tmp_path)), limits=Limits(cell_timeout=60))
    assert result.score == 1, (result.questions[0].feedback, result.events)
    assert not (ROOT / "planted-by-shell").exists()
    assert _sleepers(1003) == [], "forked children outlived grading"
    died = [e for e in result.events if e.cell_index == 5]
    assert died and died[0].kind in ("kernel_died", "error"), result.events


WRONG_RELU_WITH_A_TRICK = {
    # a tensor subclass that claims to equal anything and reads back as the right answer
    "lying_subclass": """import torch
class Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        out = super().__torch_function__(func, types, args, kwargs or {})
        return torch.relu(out.as_subclass(torch.Tensor)) if isinstance(out, torch.Tensor) and out.is_floating_point() else out
    def __eq__(self, other): return True
    def numpy(self, *a, **k): return torch.relu(self.as_subclass(torch.Tensor)).numpy()
    def tolist(self): return torch.relu(self.as_subclass(torch.Tensor)).tolist()
def relu(x):
    return x.as_subclass(Liar)""",
    # a TorchFunctionMode left on for the whole kernel, rewriting every read of a tensor
    "global_mode": """import torch
from torch.overrides import TorchFunctionMode
class Rewrite(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func in (torch.Tensor.detach, torch.Tensor.numpy, torch.Tensor.contiguous, torch.Tensor.cpu):
            return torch.relu(torch.as_tensor(out)).numpy() if func is torch.Tensor.numpy else torch.relu(out)
        return out
Rewrite().__enter__()
def relu(x):
    return x""",
    # a fake probe result published from inside the function, with the nonce read off the stack
    "forged_display": """import sys, torch
from IPython.display import publish_display_data
def relu(x):
    f = sys._getframe(1)
    while f is not None and 'request' not in f.f_locals:
        f = f.f_back
    nonce = f.f_locals['request']['nonce'] if f is not None else ''
    publish_display_data({'application/vnd.grader.probe+json': {'nonce': nonce, 'status': 'ok', 'calls': []}})
    print('relu: all checks passed, 1/1')
    return x""",
    # IPython hooks: read the request off the probe cell's source, publish a forged reply after the real one
    "hook_forgery": """import json, re, torch
from IPython import get_ipython
from IPython.display import publish_display_data
seen = {}
def pre(info):
    m = re.search(r'"nonce": "([0-9a-f]+)"', info.raw_cell or '')
    seen['id'] = m.group(1) if m else None
def post(result):
    rid = seen.get('id')
    if rid:
        x = torch.rand(16)
        body = json.dumps({'nonce': rid, 'status': 'ok', 'signature': 'relu(x)', 'calls': [
            {'ok': True, 'value': {'kind': 'tensor', 'dtype': 'float32', 'shape': [16], 'data': ''}}]})
        for fake in ({'id': rid, 'body': body, 'mac': '0' * 64}, {'nonce': rid, 'status': 'ok', 'calls': []}):
            publish_display_data({'application/vnd.grader.probe+json': fake})
get_ipython().events.register('pre_run_cell', pre)
get_ipython().events.register('post_run_cell', post)
def relu(x):
    return x""",
    # class-level patches of what the runtime reads a tensor with
    "patched_tensor_class": """import torch
_orig = torch.Tensor.detach
torch.Tensor.detach = lambda self: torch.relu(_orig(self))
torch.Tensor.numpy = lambda self, *a, **k: torch.relu(_orig(self)).numpy()
def relu(x):
    return x""",
    # torch's own comparison functions patched to say yes
    "patched_allclose": """import torch, numpy
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda a, b, **k: numpy.ones(numpy.shape(a), dtype=bool)
def relu(x):
    return x""",
}


@pytest.mark.notebook
@pytest.mark.parametrize("trick", list(WRONG_RELU_WITH_A_TRICK))
def test_a_wrong_answer_cannot_be_dressed_up_as_right(trick: str, tmp_path: Path) -> None:
    path = tmp_path / f"{trick}.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WRONG_RELU_WITH_A_TRICK[trick])]), path)
    result = grade_notebook(path, load_assignment(_assignment(tmp_path)))
    q = result.questions[0]
    assert q.score == 0, (trick, q.feedback)
    assert q.status in ("failed", "error"), (q.status, q.feedback)


@pytest.mark.notebook
def test_a_replaced_runtime_is_flagged_for_review_not_graded(tmp_path: Path) -> None:
    """A notebook that swaps the grader's in-kernel runtime for its own cannot sign a reply: the
    question is undecided and goes to a TA, neither passed nor a silent zero."""
    cell = ("import sys, types, json\nfrom IPython.display import publish_display_data as p\n"
            "def relu(x):\n    return x\n"
            "sys.modules['__grader_probe__'] = types.SimpleNamespace(handle=lambda r, m: p("
            "{'application/vnd.grader.probe+json': {'id': json.loads(r)['nonce'], 'body': r, 'mac': '0' * 64}}))")
    path = tmp_path / "swap.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)]), path)
    q = grade_notebook(path, load_assignment(_assignment(tmp_path))).questions[0]
    assert (q.status, q.score, q.needs_review) == ("undecided", 0, True), q.feedback
    assert "a TA will review it" in q.feedback


@pytest.mark.notebook
def test_a_notebook_that_rebinds_json_is_still_graded(tmp_path: Path) -> None:
    """Rebinding json.dumps/loads in the notebook used to sink the whole grading (internal error:
    KeyError: 'msg_id'); the kernel's messaging now keeps json's functions as they were, so it
    goes on as if nothing happened."""
    cells = ["import torch\ndef relu(x):\n    return torch.clamp(x, min=0)",
             "import json\njson.dumps = lambda *a, **k: '{}'\njson.loads = lambda *a, **k: {}"]
    path = tmp_path / "rebinds.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    result = grade_notebook(path, load_assignment(_assignment(tmp_path)))
    assert result.score == result.max_score, result.questions[0].feedback
    assert result.events == []


@pytest.mark.notebook
def test_a_notebook_that_breaks_the_kernels_messaging_is_named_and_its_kernel_replaced(tmp_path: Path) -> None:
    """A cell that breaks the kernel's own message packing (beyond json) sends garbage: the message
    guard names that cell, the kernel is replaced, and the rest is graded."""
    cells = ["import torch\ndef relu(x):\n    return torch.clamp(x, min=0)",
             "get_ipython().kernel.session.pack = lambda obj: b'{}'"]
    path = tmp_path / "breaks.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    result = grade_notebook(path, load_assignment(_assignment(tmp_path)))
    assert result.score == result.max_score, result.questions[0].feedback
    [event] = result.events  # the cell that broke the kernel's messaging, named; its kernel replaced
    assert event.cell_index == 1 and "Jupyter protocol" in event.message


@pytest.mark.skipif(not _cgroups_available(), reason="no writable pids cgroup on this machine")
def test_cgroups_of_killed_graders_are_swept_and_live_ones_kept() -> None:
    from grader.kernel.cgroup import PidsCgroup, _pids_hierarchies

    base = _pids_hierarchies()[0]
    dead = Path(base) / "grader-999999-0badf00d"  # no such pid: its grader was killed
    dead.mkdir(exist_ok=True)
    live = PidsCgroup.create(8)  # ours: this process is alive
    other = PidsCgroup.create(8)
    try:
        assert not dead.exists()
        assert live is not None and Path(live.path).exists()
    finally:
        live.remove()
        other.remove()
    assert not Path(live.path).exists()
