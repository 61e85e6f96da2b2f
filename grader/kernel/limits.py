"""The limits a student's kernel runs under, with their defaults in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass
class Limits:
    cell_timeout: float = 60.0      # seconds per cell
    timeout: float = 600.0          # seconds for the whole notebook
    probe_timeout: float = 15.0     # seconds for all calls of one question
    startup_timeout: float = 60.0
    interrupt_grace: float = 3.0    # after an interrupt, how long a cell may take to stop
    revivals: int = 2               # fresh kernels after one dies (replaying the cells that did not kill it)
    memory: int = 4 * 1024 ** 3     # bytes of address space for the kernel
    processes: int = 256            # processes/threads the kernel may add (not enforceable for root)
    file_size: int = 512 * 1024 ** 2
    scratch: int = 1024 ** 3        # bytes the scratch directory may hold (a tmpfs in the sandbox, counted as memory)
    tmp: int = 256 * 1024 ** 2      # bytes each of /tmp and /dev/shm may hold (tmpfs, counted as memory)
    output: int = 1024 ** 2         # characters of output kept per cell; the rest is dropped with a note
    sandbox: bool = True            # use bubblewrap when it is available
    # fork kernels from this process's warm pool (grader/kernel/pool.py) instead of starting each
    # one cold: `grade batch` and its Dask workers turn it on (`--no-warm` off); GRADER_WARM_KERNELS=1
    # makes it the default, so any suite can be run with the pool on
    warm: bool = field(default_factory=lambda: os.environ.get("GRADER_WARM_KERNELS") == "1")


def size_text(n: int) -> str:
    """Bytes as a report says them: "4 GiB", "256 MiB", "1.5 GiB"."""
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:g} {unit}" if n % scale == 0 else f"{n / scale:.1f} {unit}"
    return f"{n} B"
