"""Kernel failures arrive as types, each with the event a report shows and a message that says why."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import nbformat
import pytest

from grader.kernel.errors import CellTimeout, KernelDied, KernelError, KernelStartError, ProtocolError
from grader.kernel.limits import Limits
from grader.kernel.probe import Call, Prober
from grader.kernel.session import KernelSession

pytestmark = pytest.mark.notebook


def test_the_hierarchy_names_each_cause() -> None:
    for cls in (CellTimeout, KernelDied, KernelStartError, ProtocolError):
        assert issubclass(cls, KernelError)
    t = CellTimeout("ran longer than the probe time limit (2 s)", 2.0, "probe", killed=True)
    assert (t.event, t.limit, t.scope, t.killed) == ("timeout", 2.0, "probe", True)
    assert KernelDied("x").event == "kernel_died" and ProtocolError("x").event == "protocol"
    err = KernelStartError("the Jupyter kernel did not start", "Traceback...\nModuleNotFoundError: No module named 'ipykernel'\n")
    assert str(err).endswith("the kernel said: ModuleNotFoundError: No module named 'ipykernel'")


def _notebook(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


async def _probe_after(sources: list[str], function: str, limits: Limits):
    async with KernelSession(limits) as session:
        report = await session.run_notebook(_notebook(*sources))
        response = await Prober(session).call(function, [Call([1])])
        return report, response


def test_a_probe_past_its_limit_is_a_cell_timeout_and_the_kernel_stays_usable() -> None:
    report, response = asyncio.run(_probe_after(["def f(x):\n    while True:\n        pass"], "f",
                                                Limits(probe_timeout=2, sandbox=False)))
    assert report.failure is None
    assert response.status == "failed" and isinstance(response.failure, CellTimeout)
    assert response.failure.scope == "probe" and response.failure.limit == 2 and not response.failure.killed
    assert response.failure.clock == "cpu"


def test_a_function_that_kills_its_kernel_is_kernel_died_and_later_cells_still_ran() -> None:
    report, response = asyncio.run(_probe_after(["import os\ndef f(x):\n    os._exit(3)", "y = 1"], "f",
                                                Limits(sandbox=False)))
    assert report.cells_run == 2
    assert isinstance(response.failure, KernelDied)


def test_a_cell_that_kills_the_kernel_is_an_event_and_the_rest_is_replayed() -> None:
    async def run():
        async with KernelSession(Limits(sandbox=False)) as session:
            report = await session.run_notebook(_notebook("def g(x):\n    return x + 1", "import os; os._exit(1)", "z = 2"))
            values = await Prober(session).read(["z"])
            return report, values

    report, values = asyncio.run(run())
    assert [e.kind for e in report.events] == ["kernel_died"]
    assert report.events[0].cell_index == 1 and report.failure is None  # revived: the later cell ran
    assert values["z"] is not None and values["z"].number == 2


def test_an_unsigned_reply_is_a_protocol_error() -> None:
    async def run():
        async with KernelSession(Limits(sandbox=False)) as session:
            await session.run_notebook(_notebook("def f(x):\n    return x"))
            # the runtime replaced by one that answers "ok" without the kernel's key
            await session.execute_probe(
                "import sys, types\nfrom IPython.display import publish_display_data as p\n"
                "sys.modules['__grader_probe__'] = types.SimpleNamespace(handle=lambda r: p("
                "{'application/vnd.grader.probe+json': {'id': __import__('json').loads(r)['nonce'], "
                "'body': r, 'mac': '0' * 64}}))", 5)
            return await Prober(session).call("f", [Call([1])])

    response = asyncio.run(run())
    assert isinstance(response.failure, ProtocolError)


def test_a_kernel_that_cannot_start_says_why_from_its_own_stderr(tmp_path: Path, monkeypatch) -> None:
    import grader.kernel.session as session_module

    broken = [sys.executable, "-c", "import sys; sys.stderr.write('no kernel here: broken on purpose\\n'); sys.exit(1)"]
    monkeypatch.setattr(session_module, "kernel_argv", lambda: broken)

    async def run():
        session = KernelSession(Limits(sandbox=False, startup_timeout=10))
        try:
            await session.start()
        finally:
            await session.close()

    with pytest.raises(KernelStartError, match="broken on purpose"):
        asyncio.run(run())


def test_a_thousand_failing_cells_and_a_malformed_widget_comm_still_give_a_small_result() -> None:
    """Events are capped (1,000 failing cells once made a 306 KiB results.json) and comms are ignored
    (a comm_open without `data` crashed the grader; widget state grew the grader's memory)."""
    import json as _json

    from grader.report.json_report import to_dict
    from grader.results import GradeResult

    comm = ("from ipykernel.comm import Comm\n"
            "c = Comm(target_name='jupyter.widget', data={'state': {'x': 'y' * 1000}})\n"
            "c.send({'state': {'big': 'z' * 100000}})")
    nb = _notebook(comm, *["1/0"] * 1000, "done = True")

    async def run():
        async with KernelSession(Limits(sandbox=False)) as session:
            report = await session.run_notebook(nb)
            return report, await Prober(session).read(["done"])

    report, values = asyncio.run(run())
    assert values["done"] is not None  # the notebook ran to its end
    assert len(report.events) == 101 and report.events[-1].message.startswith("900 more events")
    doc = _json.dumps(to_dict(GradeResult("a", "A", "n.ipynb", [], events=list(report.events))))
    assert len(doc) < 200 * 1024
