"""How the kernel is launched: this interpreter's ipykernel, behind the sandbox's command line.

jupyter_client finds kernels through a KernelSpecManager; this one serves exactly one spec,
whatever kernelspecs the machine has installed, so a course machine's own kernels never matter.
"""

from __future__ import annotations

import os
import sys

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from traitlets import List as ListTrait
from traitlets import Unicode


def kernel_argv() -> list[str]:
    return [
        sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
        "--HistoryManager.enabled=False",  # no sqlite history file per kernel
    ]


class FixedSpecManager(KernelSpecManager):
    """Serves one kernel spec: the given command line (the sandboxed ipykernel)."""

    argv = ListTrait()
    interrupt_mode = Unicode("signal")

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(argv=list(self.argv), display_name="grader", language="python", env={},
                          interrupt_mode=self.interrupt_mode)

    def find_kernel_specs(self) -> dict[str, str]:
        return {"grader": ""}


def kernel_manager(argv: list[str], interrupt_mode: str, private: str, generation: int) -> AsyncKernelManager:
    """A manager for one kernel; each generation (a revived kernel) gets fresh socket paths, since
    the dead one's may still be bound or buffered. Sockets live in `private`, outside the sandbox's
    writable scratch directory."""
    specs = FixedSpecManager(argv=argv, interrupt_mode=interrupt_mode)
    return AsyncKernelManager(
        kernel_name="grader", kernel_spec_manager=specs,
        transport="ipc", ip=os.path.join(private, f"kernel{generation}"),
        connection_file=os.path.join(private, f"kernel{generation}.json"),
    )
