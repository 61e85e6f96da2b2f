"""`check_notebook()`: the student self-check, called from a cell of the notebook being checked.

It grades the notebook's last saved version in a fresh kernel (a `grade check` subprocess),
never in the student's running kernel: the result is the same as from the shell, and nothing
the notebook has defined can change it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderInputError


@dataclass
class CheckReport:
    text: str
    passed: bool

    def __repr__(self) -> str:  # what Jupyter shows when the call ends a cell
        return self.text


def _this_notebook() -> Path | None:
    """The notebook the calling kernel belongs to, where the front end says so."""
    value = os.environ.get("JPY_SESSION_NAME")  # set for kernels by jupyter_server >= 2
    if value and value.endswith(".ipynb") and Path(value).is_file():
        return Path(value)
    try:
        from IPython import get_ipython

        ip = get_ipython()
        vsc = ip.user_ns.get("__vsc_ipynb_file__") if ip is not None else None  # VS Code
        if vsc and Path(vsc).is_file():
            return Path(vsc)
    except ImportError:
        pass
    return None


def check_notebook(path: str | os.PathLike | None = None, assignment: str | None = None, timeout: float = 900) -> CheckReport:
    """Run the public checks on a saved notebook (this one by default); save it first."""
    nb = Path(path) if path is not None else _this_notebook()
    if nb is None:
        raise GraderInputError("cannot tell which notebook this is: pass its file name, e.g. check_notebook('ex02.ipynb')")
    cmd = [sys.executable, "-m", "grader", "check", str(nb)] + (["--assignment", assignment] if assignment else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode not in (0, 1):
        raise GraderInputError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"grade check failed ({proc.returncode})")
    return CheckReport(f"Checked the saved file {nb.name}.\n{proc.stdout.rstrip()}", proc.returncode == 0)
