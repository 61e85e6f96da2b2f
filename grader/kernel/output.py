"""The output cap: a notebook printing gigabytes must not exhaust the grader's memory."""

from __future__ import annotations

import json
from typing import Any

import nbformat
from nbclient import NotebookClient
from traitlets import Integer

_COUNTED = ("stream", "display_data", "execute_result", "error", "update_display_data")


class CappedClient(NotebookClient):
    """Keeps at most `output_cap` characters of output per cell; the rest is dropped with a note."""

    output_cap = Integer(1024 ** 2)

    def output(self, outs: list, msg: dict[str, Any], display_id: str | None, cell_index: int) -> Any:
        if self._kept_for is not outs:
            self._kept_for, self._kept, self._noted = outs, 0, False
        self._kept += len(json.dumps(msg.get("content", {}), default=str)) if msg.get("msg_type") in _COUNTED else 0
        if self._kept > self.output_cap:
            if not self._noted:
                self._noted = True
                outs.append(nbformat.v4.new_output("stream", name="stderr", text=(
                    f"[grader: output beyond {self.output_cap // 1024} KiB for this cell was dropped]\n")))
            return None
        return super().output(outs, msg, display_id, cell_index)

    def handle_comm_msg(self, outs: list, msg: dict[str, Any], cell_index: int) -> None:
        """Comms (widgets) are ignored: nbclient would keep every widget's state in the grader's memory,
        outside the output cap, and a malformed comm_open would crash it; nothing graded reads them."""

    def truncated(self, outs: list) -> bool:
        """Whether output of the cell whose outputs are `outs` was dropped."""
        return self._kept_for is outs and self._noted

    _kept_for: Any = None
    _kept: int = 0
    _noted: bool = False
