"""How the kernel is launched: this interpreter's ipykernel, behind the sandbox's command line.

jupyter_client finds kernels through a KernelSpecManager; this one serves exactly one spec,
whatever kernelspecs the machine has installed, so a course machine's own kernels never matter.
"""

from __future__ import annotations

import os
import sys
import time
from queue import Empty
from typing import Any, Callable

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from traitlets import List as ListTrait
from traitlets import Unicode

from grader.kernel.errors import ProtocolError


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


class ReadyClient(AsyncKernelClient):
    """jupyter_client's client, but ready as soon as the kernel answers kernel_info on shell and
    IOPub. jupyter_client then waits for 0.2 s of silence on IOPub, to drop stale messages: nbclient
    already ignores every IOPub message whose parent is not the request it runs, so those 0.2 s were
    only idle time in every kernel's start (an eighth of a warm seed-sheet submission's whole time).

    Its sockets also retry a connection after 10 ms, not ZeroMQ's 100 ms: they connect before the
    kernel has bound its own, and the first retry came 100 ms later, often after IOPub's check had
    given up, which then cost a second kernel_info round."""

    def _context_default(self) -> zmq.asyncio.Context:
        self._created_context = True
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.RECONNECT_IVL, 10)  # ms, doubling while it fails, up to ZeroMQ's default 100 ms:
        context.setsockopt(zmq.RECONNECT_IVL_MAX, 100)  # a slow (cold) kernel is never found later than before
        return context

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected once it delivers anything (its welcome, or the status)
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        while True:  # what has already arrived, without waiting for more
            try:
                await self.iopub_channel.get_msg(timeout=0)
            except Empty:
                break

    wait_for_ready = _async_wait_for_ready


def kernel_manager(argv: list[str], interrupt_mode: str, private: str, generation: int) -> AsyncKernelManager:
    """A manager for one kernel; each generation (a revived kernel) gets fresh socket paths, since
    the dead one's may still be bound or buffered. Sockets live in `private`, outside the sandbox's
    writable scratch directory."""
    specs = FixedSpecManager(argv=argv, interrupt_mode=interrupt_mode)
    km = AsyncKernelManager(
        kernel_name="grader", kernel_spec_manager=specs,
        transport="ipc", ip=os.path.join(private, f"kernel{generation}"),
        connection_file=os.path.join(private, f"kernel{generation}.json"),
        client_class="grader.kernel.kernelspec.ReadyClient",
    )
    guard(km.session)
    return km


def guard(session: Any) -> None:
    """Check every message this session reads (the manager's and the client's have their own)."""
    if not getattr(session.deserialize, "grader_guarded", False):
        session.deserialize = _guarded(session.deserialize)


MAX_DEPTH = 100  # nesting a real Jupyter message never comes near


def _guarded(deserialize: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Every message from the kernel is untrusted: one that does not parse, lacks its header fields,
    is nested absurdly deep or carries a number Python will not read (a 5001-digit int) raises
    ProtocolError here, before nbclient or the probe see it, instead of a KeyError or
    RecursionError inside jupyter_client that would sink the grader."""
    def guarded(msg_list: list, content: bool = True, copy: bool = True) -> dict[str, Any]:
        try:
            msg = deserialize(msg_list, content=content, copy=copy)
        except (KeyError, TypeError, ValueError, RecursionError) as e:
            raise ProtocolError(f"the kernel sent a message that does not follow the Jupyter protocol "
                                f"({type(e).__name__})") from None
        header = msg.get("header")
        if not isinstance(header, dict) or not isinstance(header.get("msg_type"), str) or \
                not isinstance(msg.get("parent_header"), dict) or not isinstance(msg.get("content", {}), dict):
            raise ProtocolError("the kernel sent a message without a proper header or content")
        if _deeper_than(msg.get("content"), MAX_DEPTH):
            raise ProtocolError(f"the kernel sent a message nested more than {MAX_DEPTH} levels deep")
        return msg
    guarded.grader_guarded = True  # type: ignore[attr-defined]
    return guarded


def _deeper_than(obj: object, limit: int) -> bool:
    stack = [(obj, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False
