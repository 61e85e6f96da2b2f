"""Call the student's functions inside their kernel on inputs the grader chose.

Inputs travel as raw bytes (grader/wire.py), each call gets fresh copies, and results come
back as raw bytes too; the grader compares them in its own process with its own torch.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Callable

from grader.kernel import plotted, wire
from grader.kernel.errors import KernelError, ProtocolError
from grader.kernel.session import KernelSession

_MIME = "application/vnd.grader.probe+json"


@dataclass
class Call:
    """One call of the student's function. `outputs` names arguments the function writes into (a
    positional index or a keyword name): their contents after the call come back in
    `CallResult.outputs`, in this order."""

    args: list[Any]
    kwargs: dict[str, Any] = field(default_factory=dict)
    outputs: list[int | str] = field(default_factory=list)


@dataclass
class Run:
    """One training run of a student's optimizer class on a problem the grader defines."""

    params: list[Any]
    data: dict[str, Any]
    loss: str  # a Python lambda (params, data) -> scalar tensor, evaluated in the kernel
    kwargs: dict[str, Any] = field(default_factory=dict)
    steps: int = 20


@dataclass
class Swap:
    """Student helpers replaced by the instructor's for one probe. The kernel gets stubs named
    `names`; each stub call reaches `answer` (request JSON -> reply JSON) in the grader's process,
    so the instructor's code never enters the kernel."""

    names: list[str]
    answer: Callable[[str], str]


@dataclass
class CallResult:
    ok: bool
    value: wire.Value | None = None
    error: dict[str, Any] | None = None
    mutated: list[int | str] = field(default_factory=list)  # arguments changed in place: positional index or keyword
    outputs: list[wire.Value] = field(default_factory=list)  # the Call's `outputs` after the call
    seconds: float = 0.0
    torch_calls: list[str] = field(default_factory=list)  # what the student's code called (when traced)
    step: int = 0            # optimizer runs: the step that raised
    cleared: bool = True     # optimizer runs: zero_grad() cleared the gradients


@dataclass
class ProbeResponse:
    status: str  # ok | missing | not_callable | failed (then `failure` says why: a KernelError)
    calls: list[CallResult] = field(default_factory=list)
    signature: str = ""
    parameters: list[str] = field(default_factory=list)  # the function's positional parameter names, in order
    defined: list[str] = field(default_factory=list)
    problem: str = ""  # not_callable: what the name is instead
    failure: KernelError | None = None


class Prober:
    def __init__(self, session: KernelSession) -> None:
        self.session = session

    @property
    def alive(self) -> bool:
        return not self.session.report.dead

    async def read(self, names: list[str], timeout: float | None = None) -> dict[str, wire.Value | None]:
        """The current values of notebook variables (None: not defined). Raises KernelError when
        they could not be read."""
        nonce = secrets.token_hex(8)
        payload = await self._request({"nonce": nonce, "read": list(names)}, nonce, timeout)
        raw = payload.get("values")
        if not isinstance(raw, dict):
            raise ProtocolError("malformed probe response")
        out: dict[str, wire.Value | None] = {}
        for name in names:
            v = raw.get(name)
            if not isinstance(v, dict) or v.get("kind") == "missing":
                out[name] = None
                continue
            try:
                out[name] = wire.decode_value(v)
            except (wire.WireError, ValueError) as e:
                out[name] = wire.Value(kind="other", type_name="unreadable", repr=str(e)[:200])
        return out

    async def read_figures(self, cell_source: str, timeout: float | None = None) -> plotted.CellFigures:
        """What the figures the last run of this cell displayed contain (runtime.capture_figures read
        them as they were shown). Raises KernelError (ProtocolError for a malformed reply)."""
        nonce = secrets.token_hex(8)
        payload = await self._request({"nonce": nonce, "figures": plotted.cell_key(cell_source)}, nonce, timeout)
        try:
            return plotted.parse_reply(payload)
        except (wire.WireError, ValueError) as e:
            raise ProtocolError(f"the figures' data could not be read ({e})") from None

    async def _request(self, request: dict[str, Any], nonce: str, timeout: float | None,
                       on_input: Callable[[str], str] | None = None) -> dict[str, Any]:
        """The runtime's reply to `request`: the first one signed with this kernel's key and bound to
        this request id (a forged one, published from a hook before or after it, is not).
        Raises KernelError: CellTimeout, KernelDied, ProtocolError."""
        body = json.dumps(request)
        code = f"__import__('sys').modules['__grader_probe__'].handle({body!r}, {self.session.sign_request(body)!r})"
        outputs = await self.session.execute_probe(code, timeout or self.session.limits.probe_timeout, on_input)
        for out in outputs:
            data = out.get("data", {}) if out.get("output_type") == "display_data" else {}
            candidate = data.get(_MIME)
            if isinstance(candidate, dict) and candidate.get("id") == nonce and self.session.signed(
                    nonce, candidate.get("body"), candidate.get("mac")):
                try:
                    payload = json.loads(candidate["body"])
                except (ValueError, RecursionError):
                    raise ProtocolError("the probe's reply was not valid JSON") from None
                if isinstance(payload, dict) and payload.get("nonce") == nonce:
                    return payload
        err = next((o for o in outputs if o.get("output_type") == "error"), None)
        raise ProtocolError(f"{err.get('ename')}: {err.get('evalue')}" if err else "no signed result came back from the kernel")

    async def call(self, function: str, calls: list[Call] = (), timeout: float | None = None, *,  # type: ignore[assignment]
                   runs: list[Run] = (), trace: bool = False, array: str = "torch",  # type: ignore[assignment]
                   swap: Swap | None = None) -> ProbeResponse:
        """Call `function` on each of `calls`, or train with the class `function` for each of `runs`.

        `trace` records the torch functions the student's code calls; `array` is the array
        library the student's functions receive (torch tensors or NumPy arrays); `swap` puts
        stubs of the instructor's helpers in place of the student's for these calls."""
        nonce = secrets.token_hex(8)
        request = {
            "nonce": nonce,
            "function": function,
            "trace": trace,
            "array": array,
            "swap": {"names": list(swap.names)} if swap else None,
            "calls": [{"args": [wire.encode_input(a) for a in c.args],
                       "kwargs": {k: wire.encode_input(v) for k, v in c.kwargs.items()},
                       "outputs": list(c.outputs)} for c in calls],
            "runs": [{"params": [wire.encode_input(p) for p in r.params],
                      "data": {k: wire.encode_input(v) for k, v in r.data.items()},
                      "loss": r.loss, "kwargs": r.kwargs, "steps": r.steps} for r in runs],
        }
        try:
            payload = await self._request(request, nonce, timeout, swap.answer if swap else None)
        except KernelError as e:
            return ProbeResponse(status="failed", failure=e)
        return _parse(payload, len(calls) + len(runs), [[] for _ in runs] + [list(c.outputs) for c in calls])


def _parse(payload: dict[str, Any], expected_calls: int,
           expected_outputs: list[list[int | str]] | None = None) -> ProbeResponse:
    """The runtime's reply, untrusted: `expected_outputs` is each call's `outputs`, which must all come back."""
    status = payload.get("status")
    if status == "missing":
        defined = [str(d)[:80] for d in payload.get("defined", [])][:300] if isinstance(payload.get("defined"), list) else []
        return ProbeResponse(status="missing", defined=defined)
    if status == "not_callable":
        return ProbeResponse(status="not_callable", problem=str(payload.get("type", "?"))[:80])
    calls_raw = payload.get("calls")
    if status != "ok" or not isinstance(calls_raw, list) or len(calls_raw) != expected_calls:
        return ProbeResponse(status="failed", failure=ProtocolError("malformed probe response"))
    outputs_wanted = {i: len(c) for i, c in enumerate(expected_outputs or [])}
    calls: list[CallResult] = []
    for n, raw in enumerate(calls_raw):
        if not isinstance(raw, dict):
            return ProbeResponse(status="failed", failure=ProtocolError("malformed call record"))
        mutated = raw.get("mutated") if isinstance(raw.get("mutated"), list) else []
        mutated = [i if isinstance(i, int) else i[:80] for i in mutated
                   if isinstance(i, str) or (isinstance(i, int) and not isinstance(i, bool))][:32]
        seconds = raw.get("seconds")
        seconds = float(seconds) if isinstance(seconds, (int, float)) and abs(seconds) < 1e9 else 0.0
        extra = {
            "torch_calls": [str(n)[:120] for n in raw.get("torch_calls", [])][:500] if isinstance(raw.get("torch_calls"), list) else [],
            "step": raw["step"] if isinstance(raw.get("step"), int) else 0,
            "cleared": raw.get("cleared") is not False,
        }
        if raw.get("ok"):
            wanted = outputs_wanted.get(n, 0)
            try:
                value = wire.decode_value(raw.get("value"))
                outs = raw.get("outputs", []) if wanted else []
                if not isinstance(outs, list) or len(outs) != wanted:
                    raise wire.WireError("the output arguments did not come back")
                outputs = [wire.decode_value(o) for o in outs]
            except (wire.WireError, ValueError) as e:
                calls.append(CallResult(ok=False, error={"type": "UnreadableResult", "message": str(e)}))
                continue
            calls.append(CallResult(ok=True, value=value, mutated=mutated, outputs=outputs, seconds=float(seconds),
                                    **extra))
        else:
            err = raw.get("error") if isinstance(raw.get("error"), dict) else {}
            clean = {k: (str(v)[:500] if not isinstance(v, int) else v) for k, v in err.items()
                     if k in ("type", "message", "function", "line", "code", "execution_count")}
            calls.append(CallResult(ok=False, error=clean, mutated=mutated, seconds=float(seconds), **extra))
    params = payload.get("parameters")
    params = [str(p)[:80] for p in params][:64] if isinstance(params, list) else []
    return ProbeResponse(status="ok", calls=calls, signature=str(payload.get("signature", ""))[:200], parameters=params)
