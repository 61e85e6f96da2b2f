"""Code that runs INSIDE the student's kernel to call their functions on the grader's inputs.

This file is sent as source text with every probe request and executed in a fresh namespace,
so a student's variables never shadow it. It does no judging: it decodes inputs, calls the
function on a fresh copy of them, and sends back raw bytes. Everything it returns is treated
as untrusted by the grader (see grader/wire.py); the kernel may have been tampered with.
It must not import anything from the grader package.
"""

MIME = "application/vnd.grader.probe+json"


def main(request_json):  # noqa: C901 - one flat protocol handler reads best here
    import base64
    import inspect
    import json
    import sys
    import time
    import traceback

    from IPython import get_ipython
    from IPython.display import publish_display_data

    torch = sys.modules.get("torch")
    np = sys.modules.get("numpy")
    request = json.loads(request_json)
    ip = get_ipython()
    user_ns = ip.user_ns if ip is not None else {}
    filename_map = getattr(getattr(ip, "compile", None), "_filename_map", {}) or {}

    def no_torch_function():
        # Lying tensor subclasses and TorchFunctionModes must not change what we read.
        import contextlib

        if torch is not None and hasattr(torch._C, "DisableTorchFunction"):
            return torch._C.DisableTorchFunction()
        return contextlib.nullcontext()

    def decode(obj):
        if obj["kind"] == "py":
            return obj["value"]
        import torch as _torch  # inputs are tensors: torch must exist (the assignment uses it)

        dtype = getattr(_torch, obj["dtype"])
        raw = bytearray(base64.b64decode(obj["data"]))
        if len(raw) == 0:
            return _torch.empty(obj["shape"], dtype=dtype)
        return _torch.frombuffer(raw, dtype=dtype).reshape(obj["shape"]).clone()

    def array_payload(kind, arr):
        arr = np.ascontiguousarray(arr)
        if arr.dtype.kind == "f" and arr.dtype.itemsize < 4:
            arr = arr.astype(np.float32)
        return {"kind": kind, "dtype": str(arr.dtype), "shape": list(arr.shape),
                "data": base64.b64encode(arr.tobytes()).decode("ascii")}

    def encode(value, depth=0):
        if torch is not None and isinstance(value, torch.Tensor):
            with no_torch_function():
                t = torch.Tensor.detach(value)
                if t.is_complex():
                    return {"kind": "other", "type": "complex tensor", "repr": "complex values"}
                if t.dtype in (torch.float16, torch.bfloat16):
                    t = t.to(torch.float32)
                t = t.cpu().resolve_conj().resolve_neg().contiguous()
                return array_payload("tensor", torch.Tensor.numpy(t))
        if np is not None and isinstance(value, np.ndarray):
            if value.dtype.kind not in "biuf":
                return {"kind": "other", "type": f"ndarray[{value.dtype}]", "repr": repr(value)[:200]}
            return array_payload("ndarray", value)
        if np is not None and isinstance(value, np.generic) and value.dtype.kind in "biuf":
            value = value.item()
        if isinstance(value, bool) or isinstance(value, (int, float)):
            return {"kind": "number", "value": value}
        if isinstance(value, (list, tuple)) and depth < 5:
            return {"kind": "sequence", "type": type(value).__name__,
                    "items": [encode(v, depth + 1) for v in list(value)[:10000]]}
        if value is None:
            return {"kind": "none"}
        try:
            text = repr(value)[:200]
        except Exception:
            text = "?"
        return {"kind": "other", "type": type(value).__name__, "repr": text}

    def raw_bytes(value):
        if torch is not None and isinstance(value, torch.Tensor):
            with no_torch_function():
                return torch.Tensor.numpy(torch.Tensor.detach(value).contiguous()).tobytes()
        return None

    def where(exc):
        frames = traceback.extract_tb(exc.__traceback__)
        frames = [f for f in frames if f.filename != "<grader-probe>"]
        cell_frames = [f for f in frames if f.filename in filename_map]
        frame = (cell_frames or frames or [None])[-1]
        if frame is None:
            return {}
        return {"function": frame.name, "line": frame.lineno, "code": (frame.line or "").strip(),
                "execution_count": filename_map.get(frame.filename)}

    name = request["function"]
    response = {"nonce": request["nonce"], "function": name, "calls": []}
    fn = user_ns.get(name)
    if fn is None:
        response["status"] = "missing"
        response["defined"] = sorted(k for k, v in user_ns.items() if callable(v) and not k.startswith("_"))[:300]
    elif not callable(fn):
        response["status"] = "not_callable"
        response["type"] = type(fn).__name__
    else:
        response["status"] = "ok"
        try:
            response["signature"] = f"{name}{inspect.signature(fn)}"
        except (TypeError, ValueError):
            response["signature"] = name
        for call in request["calls"]:
            args = [decode(a) for a in call["args"]]
            kwargs = {k: decode(v) for k, v in call.get("kwargs", {}).items()}
            # decoding may have imported torch for a notebook that never did
            torch, np = sys.modules.get("torch"), sys.modules.get("numpy")
            before = [raw_bytes(a) for a in args]
            t0 = time.perf_counter()
            try:
                out = fn(*args, **kwargs)
                record = {"ok": True, "value": encode(out)}
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # SystemExit too: a student's sys.exit() is their error
                record = {"ok": False, "error": {"type": type(exc).__name__, "message": str(exc)[:500], **where(exc)}}
            record["seconds"] = time.perf_counter() - t0
            record["mutated"] = [i for i, (a, b) in enumerate(zip(args, before)) if b is not None and raw_bytes(a) != b]
            response["calls"].append(record)
    publish_display_data({MIME: response})
