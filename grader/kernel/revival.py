"""After a kernel death: a fresh kernel that replays the student's cells, so the rest is graded.

Only the cell (or the function) that killed a kernel loses points: the cells before it, and
after it when a probe killed the kernel, are replayed into a new kernel, except those that
killed one before. Replayed cells' outputs are discarded (their events were recorded the first
time); the notebook's time limit still applies.
"""

from __future__ import annotations

import time
from typing import Awaitable, Callable

import nbformat

from grader.kernel.errors import CellTimeout, KernelDied, KernelStartError
from grader.kernel.process import Kernel


class Revival:
    def __init__(self, kernel: Kernel, start: Callable[[], Awaitable[None]], *, revivals: int, cell_timeout: float) -> None:
        """`start`: launch a fresh kernel (with its own fresh directories) into `kernel`."""
        self.kernel = kernel
        self._start = start
        self.left = revivals
        self.cell_timeout = cell_timeout
        self.killers: set[int] = set()  # cells that killed a kernel: never replayed
        self.notebook: nbformat.NotebookNode | None = None
        self.deadline = float("inf")

    async def revive(self, upto: int | None = None) -> bool:
        """A fresh kernel with the student's cells before `upto` (all when None) replayed; True when it is ready."""
        nb = self.notebook
        if nb is None or self.left <= 0 or time.monotonic() >= self.deadline:
            return False
        await self.kernel.stop()
        self.left -= 1
        try:
            await self._start()
        except KernelStartError:
            return False
        client = self.kernel.client
        stop = len(nb.cells) if upto is None else upto
        for index, cell in enumerate(nb.cells[:stop]):
            if cell.cell_type != "code" or not cell.source.strip() or index in self.killers:
                continue
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                break
            replay = nbformat.v4.new_code_cell(cell.source)
            client.nb = nbformat.v4.new_notebook(cells=[replay])
            try:
                await self.kernel.run(replay, 0, min(self.cell_timeout, remaining), "cell")
            except CellTimeout as e:
                if e.killed:
                    break
            except KernelDied:
                self.killers.add(index)
                break
        client.nb = nb
        return await self.kernel.alive()
