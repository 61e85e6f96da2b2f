"""The kernel's environment: an allow-list of the grader's variables plus fixed settings.

Nothing else of the grader's environment (tokens, CI secrets) reaches student code.
"""

from __future__ import annotations

import os
import sys

# Only these variables of the grader's environment reach the kernel.
ENV_ALLOW = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT")
ENV_FIXED = {
    "MPLBACKEND": "Agg",              # headless plotting: plt.show() is a no-op
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "OMP_NUM_THREADS": "1",           # student code is small; parallel batches share the cores
    "MKL_NUM_THREADS": "1",
    "JUPYTER_PLATFORM_DIRS": "1",
}


def kernel_env(workdir: str, mplconfig: str, figures: bool = False) -> dict[str, str]:
    """`figures`: keep Jupyter's inline backend (no MPLBACKEND), so plots become image outputs."""
    env = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
    env.update(ENV_FIXED)
    env.update({"HOME": workdir, "TMPDIR": workdir, "MPLCONFIGDIR": mplconfig})
    env.setdefault("PATH", os.defpath)
    # The kernel must use this interpreter's packages even when started through a symlinked venv.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    if figures:
        env.pop("MPLBACKEND")
    return env
