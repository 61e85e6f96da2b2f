"""Hostile notebooks against the filesystem: what the kernel can see, and links the grader never follows."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from test_sandbox import _assignment  # the one-question relu assignment

from grader.grading.pipeline import grade_notebook
from grader.kernel.limits import Limits
from grader.kernel.sandbox import bubblewrap
from grader.kernel.session import KernelSession
from grader.kinds import load_assignment

pytestmark = [pytest.mark.notebook,
              pytest.mark.skipif(bubblewrap() is None, reason="bubblewrap is not installed (make setup installs it)")]



def _notebook(path: Path, *cells: str) -> Path:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    return path


def test_the_kernel_sees_an_allow_list_of_the_host(tmp_path: Path) -> None:
    """Development checkouts, homes, /opt, other folders under /tmp (batches, other kernels), the
    grader's own package and credentials in /etc are not there; the interpreter and libraries are."""
    elsewhere = tmp_path / "other-student"
    elsewhere.mkdir()
    (elsewhere / "work.ipynb").write_text("{}")
    probes = {"repo": str(ROOT / "grader" / "grading" / "pipeline.py"), "solution": str(ROOT / "examples"),
              "home": "/home", "root_cache": "/root/.cache", "opt": "/opt", "other_student": str(elsewhere),
              "shadow": "/etc/shadow", "grader_package": str(Path(sys.modules["grader"].__file__).parent),
              "mnt": "/mnt", "srv": "/srv", "var": "/var"}
    cell = (f"import os, json, sys\nprobes = {json.dumps(probes)}\n"
            "seen = {k: os.path.exists(v) and bool(os.listdir(v) if os.path.isdir(v) else True) for k, v in probes.items()}\n"
            "seen['python'] = os.path.exists(sys.executable)\n"
            "base = os.path.realpath(sys.base_prefix)\n"  # /root holds nothing but the way to the interpreter
            "seen['root_home'] = [n for n in (os.listdir('/root') if os.path.isdir('/root') else [])\n"
            "                     if not base.startswith('/root/' + n + '/')]\n"
            "seen['torch_importable'] = __import__('importlib').util.find_spec('torch') is not None\n"
            "print('SEEN', json.dumps(seen))")
    nb = nbformat.read(_notebook(tmp_path / "spy.ipynb", cell), as_version=4)

    async def run() -> None:
        async with KernelSession(Limits()) as session:
            await session.run_notebook(nb)

    asyncio.run(run())
    text = "".join(o.get("text", "") for o in nb.cells[0].get("outputs", []))
    seen = json.loads(next(ln for ln in text.splitlines() if ln.startswith("SEEN "))[5:])
    assert seen.pop("python") and seen.pop("torch_importable")
    visible = [k for k, v in seen.items() if v]
    assert not visible, f"the kernel could see: {visible}"


def test_links_planted_for_the_font_cache_are_never_followed_by_the_grader(tmp_path: Path) -> None:
    """A cell replaces every matplotlib cache folder and file in its scratch directory by a link to a
    host file, then kills its kernel so the grader starts another: the host file is untouched and the
    rest is still graded (the font cache is copied by the kernel itself, inside the sandbox)."""
    canary = tmp_path / "host-file.json"
    canary.write_text("untouched")
    plant = ("import os, glob\n"
             "for d in glob.glob(os.path.expanduser('~/.matplotlib*')):\n"
             "    for f in glob.glob(d + '/*.json'):\n"
             f"        os.remove(f); os.symlink({str(canary)!r}, f)\n"
             "for i in range(4):\n"
             f"    p = os.path.expanduser('~/.matplotlib-' + str(i)); os.path.lexists(p) or os.symlink({str(tmp_path)!r}, p)\n")
    path = _notebook(tmp_path / "links.ipynb", plant, "import os; os._exit(1)",
                     "import torch\ndef relu(x):\n    return torch.clamp(x, min=0)")
    result = grade_notebook(path, load_assignment(_assignment(tmp_path)), limits=Limits())
    assert canary.read_text() == "untouched"
    assert {p.name for p in tmp_path.iterdir()} - {"host-file.json", "links.ipynb"} == {_assignment(tmp_path).name}
    assert result.score == result.max_score and [e.kind for e in result.events] == ["kernel_died"]
