"""Matplotlib's font cache, built once outside any student's kernel and copied into each sandbox.

A fresh config dir makes every kernel rebuild the font cache (~0.4-1 s); a shared writable one
would let one student's kernel poison the next one's. So: build once, copy in, never copy back.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile


@functools.lru_cache(maxsize=1)
def matplotlib_cache() -> str:
    """The grader's persistent matplotlib config dir with its font cache built (kernels read it;
    only the grader writes it, once, outside any student's kernel)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "grader", "matplotlib")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        path = os.path.join(tempfile.gettempdir(), "grader-matplotlib")
        os.makedirs(path, exist_ok=True)
    if not any(name.startswith("fontlist") for name in os.listdir(path)):
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env={**os.environ, "MPLCONFIGDIR": path},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=False)
    return path


def private_matplotlib_dir(parent: str) -> str:
    """A writable matplotlib config dir for one kernel without the sandbox, seeded with the shared font
    cache: made fresh in `parent` (a grader-owned directory) before the kernel starts."""
    shared = matplotlib_cache()
    mine = os.path.join(parent, "matplotlib")
    os.mkdir(mine, 0o700)
    for name in os.listdir(shared):
        if name.endswith(".json"):
            shutil.copyfile(os.path.join(shared, name), os.path.join(mine, name))
    return mine
