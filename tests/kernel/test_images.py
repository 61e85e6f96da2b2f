"""Only the cells a figure question looks at are rendered to images: rendering is most of what a
plotting cell costs (a loop cell drawing a loss surface), and the other cells' images are never read."""

from __future__ import annotations

import asyncio

import nbformat
import pytest

from grader.kernel.limits import Limits
from grader.kernel.probe import Prober
from grader.kernel.session import KernelSession

pytestmark = pytest.mark.notebook

PLOT = "import matplotlib.pyplot as plt\nplt.plot([0, 1], [{y}, 1])\nplt.title('{title}')\nplt.show()"


def _images(cell: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []) if o.get("output_type") == "display_data")


@pytest.mark.parametrize("warm", [False, True])
def test_only_the_asked_cells_figures_become_images_and_every_figure_is_still_read(warm: bool) -> None:
    cells = [PLOT.format(y=0, title="not asked"), PLOT.format(y=2, title="asked")]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])

    async def run() -> list:
        async with KernelSession(Limits(warm=warm), figures=True, preload=("numpy",), image_cells=[cells[1]]) as s:
            await s.run_notebook(nb)
            return [await Prober(s).read_figures(c) for c in cells]

    shown = asyncio.run(run())
    assert [_images(c) for c in nb.cells] == [0, 1]
    # what the figure not rendered plots was still read, as it was shown
    assert [len(f.figures) for f in shown] == [1, 1] and all(not f.error for s in shown for f in s.figures)


def test_without_a_list_every_figure_becomes_an_image() -> None:
    cells = [PLOT.format(y=0, title="a"), PLOT.format(y=2, title="b")]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])

    async def run() -> None:
        async with KernelSession(Limits(), figures=True, preload=("numpy",)) as s:
            await s.run_notebook(nb)

    asyncio.run(run())
    assert [_images(c) for c in nb.cells] == [1, 1]
