"""Code that runs INSIDE the student's kernel to call their functions on the grader's inputs.

`install` runs once per kernel, before any student code: it takes the reply key (from a file the
grader wrote and that it deletes at once), imports the array libraries and takes its own
references to every function it relies on (json, base64, the display publisher, torch.Tensor's
methods), so a later `json.dumps = ...` or `torch.Tensor.detach = ...` in the notebook changes
nothing here. Each reply is signed with the key and bound to its request id: a reply forged from
an IPython hook or a patched publisher cannot be signed, and the grader takes only the first
signed one. It does no judging: it decodes inputs, calls the function on a fresh copy of them,
and sends back raw bytes, which the grader still treats as untrusted (see grader/kernel/wire.py).
It must not import anything from the grader package.
"""

MIME = "application/vnd.grader.probe+json"


def install(key_path, preload, image_cells=None):
    """Take the key and the references, and register the probe handler (runs before student code).

    `image_cells`: hashes of the cells whose figures must become PNG outputs (None: every cell's)."""
    import base64
    import builtins
    import hashlib
    import hmac
    import importlib
    import json
    import os
    import sys
    import types

    from IPython import get_ipython

    with open(key_path, "rb") as f:
        key = f.read()
    os.unlink(key_path)
    for name in preload:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    ip = get_ipython()
    refs = {"loads": json.loads, "dumps": json.dumps, "b64encode": base64.b64encode, "b64decode": base64.b64decode,
            "publish": ip.display_pub.publish, "raw_input": ip.kernel.raw_input, "builtins": dict(builtins.__dict__)}
    torch = sys.modules.get("torch")
    if torch is not None:
        T = torch.Tensor
        refs.update(detach=T.detach, numpy=T.numpy, contiguous=T.contiguous, clone=T.clone, cpu=T.cpu, to=T.to,
                    is_complex=T.is_complex, resolve_conj=T.resolve_conj, resolve_neg=T.resolve_neg, any=T.any,
                    requires_grad=T.requires_grad.__get__, grad=T.grad.__get__, stack=torch.stack, Tensor=T)
    refs["figures"] = capture_figures(ip, hashlib.sha256, images=image_cells)  # what each cell's plots contain
    keep_messaging(ip, json.dumps, json.loads)
    keep_probes_displayable(ip)

    def reply(request_id, obj):
        body = refs["dumps"](obj)
        mac = hmac.new(key, (request_id + "\n" + body).encode("utf-8"), hashlib.sha256).hexdigest()
        refs["publish"]({MIME: {"id": request_id, "body": body, "mac": mac}})

    def handle(request_json, request_mac):
        # A request must carry the grader's signature: an input or AST transformer that rewrote the
        # probe cell (inputs, "trace": false) gets no answer, so the question is undecided, never passed.
        want = hmac.new(key, ("request\n" + request_json).encode("utf-8"), hashlib.sha256).hexdigest()
        if hmac.compare_digest(want, request_mac):
            main(request_json, refs, reply)

    sys.modules["__grader_probe__"] = types.SimpleNamespace(handle=handle)


def keep_messaging(ip, dumps, loads):
    """The kernel's own message (de)serialisers, bound to json's functions as they are now: jupyter_client
    looks `json.dumps`/`json.loads` up at every message, so a notebook that rebinds them would leave
    the kernel unable to read a request or send a reply (every later question lost)."""
    from jupyter_client import session as jsession

    def pack(obj):
        opts = {"default": jsession.json_default, "ensure_ascii": False, "allow_nan": False}
        try:
            text = dumps(obj, **opts)
        except (TypeError, ValueError):
            text = dumps(jsession.json_clean(obj), **opts)
        return text.encode("utf8", errors="surrogateescape")

    def unpack(data):
        return loads(data.decode("utf8", "replace") if isinstance(data, bytes) else data)

    sessions = {id(s): s for s in (getattr(ip.kernel, "session", None), getattr(ip.display_pub, "session", None),
                                   getattr(ip.displayhook, "session", None)) if s is not None}
    for s in sessions.values():
        if getattr(s, "pack", None) is jsession.json_packer:
            s.pack = pack
        if getattr(s, "unpack", None) is jsession.json_unpacker:
            s.unpack = unpack


def keep_probes_displayable(ip):
    """Around each execution, put back IPython's displayhook and display publisher when the notebook
    replaced them by something that is not one (None, a lambda): IPython needs them to run any cell,
    the grader's requests included, so such a patch would otherwise hang every later question. A
    notebook's own DisplayHook or publisher subclass is left alone."""
    hook, pub = ip.displayhook, ip.display_pub
    hook_type, pub_type = type(hook), type(pub)

    def restore():
        if not isinstance(ip.displayhook, hook_type):
            ip.displayhook = hook
        if not isinstance(ip.display_pub, pub_type):
            ip.display_pub = pub

    ip.events.register("pre_execute", restore)
    ip.events.register("post_execute", restore)  # ipykernel uses the displayhook before the next cell's hooks


def main(request_json, refs, reply):  # noqa: C901 - one flat protocol handler reads best here
    import inspect
    import sys
    import time
    import traceback

    from IPython import get_ipython

    b64encode, b64decode = refs["b64encode"], refs["b64decode"]
    # the builtins as they were before any student code ran (a notebook may rebind builtins.isinstance)
    isinstance, len, repr, sorted, list, str, int = (refs["builtins"][n] for n in
                                                     ("isinstance", "len", "repr", "sorted", "list", "str", "int"))
    Tensor = refs.get("Tensor")
    torch = sys.modules.get("torch")
    np = sys.modules.get("numpy")
    request = refs["loads"](request_json)
    request_id = request["nonce"]
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
        if obj["kind"] == "seq":  # a reference helper's tuple or list result
            items = [decode(item) for item in obj["items"]]
            return tuple(items) if obj.get("type") == "tuple" else items
        if request.get("array") == "numpy":  # a NumPy course: never import torch for the student
            import numpy as _np

            return _np.frombuffer(bytearray(b64decode(obj["data"])), dtype=obj["dtype"]).reshape(obj["shape"]).copy()
        import torch as _torch  # inputs are tensors: torch must exist (the assignment uses it)

        dtype = getattr(_torch, obj["dtype"])
        raw = bytearray(b64decode(obj["data"]))
        if len(raw) == 0:
            return _torch.empty(obj["shape"], dtype=dtype)
        return _torch.frombuffer(raw, dtype=dtype).reshape(obj["shape"]).clone()

    def array_payload(kind, arr):
        arr = np.asarray(arr)
        if not arr.flags.c_contiguous:
            arr = arr.copy(order="C")  # np.ascontiguousarray would make a 0-d result shape (1,)
        if arr.dtype.kind == "f" and arr.dtype.itemsize < 4:
            arr = arr.astype(np.float32)
        return {"kind": kind, "dtype": str(arr.dtype), "shape": list(arr.shape),
                "data": b64encode(arr.tobytes()).decode("ascii")}

    def encode(value, depth=0):
        if Tensor is not None and isinstance(value, Tensor):
            with no_torch_function():
                t = refs["detach"](value)
                if refs["is_complex"](t):
                    return {"kind": "other", "type": "complex tensor", "repr": "complex values"}
                if t.dtype in (torch.float16, torch.bfloat16):
                    t = t.to(torch.float32)
                t = refs["contiguous"](refs["resolve_neg"](refs["resolve_conj"](refs["cpu"](t))))
                return array_payload("tensor", refs["numpy"](t))
        if np is not None and isinstance(value, np.ndarray):
            if value.dtype.kind not in "biuf":
                return {"kind": "other", "type": f"ndarray[{value.dtype}]", "repr": repr(value)[:200]}
            return array_payload("ndarray", value)
        if np is not None and isinstance(value, np.generic) and value.dtype.kind in "biuf":
            value = value.item()
        if isinstance(value, bool) or isinstance(value, (int, float)):
            if isinstance(value, float) and value - value != 0:  # inf or NaN: no such number in standard JSON
                return {"kind": "number", "value": "nan" if value != value else "inf" if value > 0 else "-inf"}
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

    def reference_stub(helper):
        """A stand-in for the instructor's `helper`: the grader runs the reference on these
        arguments (over the stdin channel) and the value comes back; its code never comes here."""
        def stub(*args, **kwargs):
            call = refs["dumps"]({"helper": helper, "args": [encode(a) for a in args],
                                  "kwargs": {k: encode(v) for k, v in kwargs.items()}})
            answer = refs["loads"](refs["raw_input"](call))
            if not answer.get("ok"):
                raise RuntimeError(f"the reference {helper} could not be called with these arguments: {answer.get('error')}")
            return decode(answer["value"])

        stub.__name__ = stub.__qualname__ = helper
        return stub

    def raw_bytes(value):
        """What must not change during a call: the data, and for tensors their autograd state."""
        if Tensor is not None and isinstance(value, Tensor):
            with no_torch_function():
                data = refs["numpy"](refs["contiguous"](refs["detach"](value))).tobytes()
                return (data, refs["requires_grad"](value), refs["grad"](value) is not None)
        if np is not None and isinstance(value, np.ndarray):
            return (value.tobytes(),)
        return None

    def func_name(func):
        name = None
        try:
            name = torch.overrides.resolve_name(func)
        except Exception:
            pass
        if not name:
            module = getattr(func, "__module__", None) or ""
            name = f"{module}.{getattr(func, '__qualname__', getattr(func, '__name__', '?'))}".lstrip(".")
        return str(name)[:120]

    class Tracer:
        """Record the torch functions (and torch.optim optimizers) called while the student's code runs.

        A TorchFunctionMode sees every call of the torch API, however it was imported; an
        optimizer built from torch.optim is seen by its constructor. Nested calls inside a
        torch function are not recorded: only what the student's code called.
        """

        def __init__(self):
            self.names = set()
            self.mode = None
            self.original_init = None  # torch.optim.Optimizer.__init__, while it is wrapped

        def __enter__(self):
            if torch is None or not request.get("trace"):
                return self
            names = self.names

            class _Mode(torch.overrides.TorchFunctionMode):
                def __torch_function__(self, func, types, args=(), kwargs=None):
                    if len(names) < 500:
                        names.add(func_name(func))
                    return func(*args, **(kwargs or {}))

            optim = sys.modules.get("torch.optim")
            if optim is not None:
                original = self.original_init = optim.Optimizer.__init__

                def init(opt, *a, **k):
                    names.add(f"torch.optim.{type(opt).__name__}")
                    return original(opt, *a, **k)

                optim.Optimizer.__init__ = init
            self.mode = _Mode()
            self.mode.__enter__()
            return self

        def __exit__(self, *exc):
            if self.mode is not None:
                self.mode.__exit__(*exc)
                self.mode = None
            if self.original_init is not None:
                sys.modules["torch.optim"].Optimizer.__init__ = self.original_init
                self.original_init = None
            return False

    def failure(exc):
        return {"type": type(exc).__name__, "message": str(exc)[:500], **where(exc)}

    def where(exc):
        frames = traceback.extract_tb(exc.__traceback__)
        frames = [f for f in frames if f.filename != "<grader-probe>"]
        cell_frames = [f for f in frames if f.filename in filename_map]
        frame = (cell_frames or frames or [None])[-1]
        if frame is None:
            return {}
        return {"function": frame.name, "line": frame.lineno, "code": (frame.line or "").strip(),
                "execution_count": filename_map.get(frame.filename)}

    def drive_optimizer(cls, run):
        """Train with the student's optimizer the way a loop does; return the parameters after every step."""
        import torch.nn.functional as F

        params = [decode(p).requires_grad_(True) for p in run["params"]]
        data = {k: decode(v) for k, v in run["data"].items()}
        loss_fn = eval(run["loss"], {"torch": torch, "F": F})  # the grader's problem, not student code
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in run["kwargs"].items()}
        snapshots, record = [[] for _ in params], {"ok": True}
        tracer = Tracer()
        try:
            with tracer:
                opt = cls(params, **kwargs)
            for step in range(run["steps"]):
                record["step"] = step + 1
                with tracer:
                    opt.zero_grad()
                loss = loss_fn(params, data)
                loss.backward()
                with tracer:
                    opt.step()
                for snap, p in zip(snapshots, params):
                    snap.append(refs["clone"](refs["detach"](p)))
            with tracer:
                opt.zero_grad()
            record["cleared"] = all(refs["grad"](p) is None or not bool(refs["any"](refs["grad"](p) != 0)) for p in params)
            record["value"] = encode([torch.stack(s) if s else torch.empty(0) for s in snapshots])
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            record = {"ok": False, "step": record.get("step", 0), "error": failure(exc)}
        record["torch_calls"] = sorted(tracer.names)
        return record

    if request.get("read") is not None:  # the values of notebook variables, e.g. after a loop cell
        values = {}
        for var in request["read"]:
            values[var] = encode(user_ns[var]) if var in user_ns else {"kind": "missing"}
        reply(request_id, {"nonce": request_id, "status": "ok", "values": values})
        return

    if request.get("figures") is not None:  # what the figures a cell displayed contain
        reply(request_id, {"nonce": request_id, **figures_reply(refs.get("figures"), request["figures"], b64encode)})
        return

    name = request["function"]
    response = {"nonce": request["nonce"], "function": name, "calls": []}
    swapped = {}
    if request.get("swap"):  # stubs of the instructor's helpers in place of the student's, for this call only
        for helper in request["swap"]["names"]:
            swapped[helper] = user_ns.get(helper, swapped)
            user_ns[helper] = reference_stub(helper)
    try:
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
                sig = inspect.signature(fn)
                response["signature"] = f"{name}{sig}"
                positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                response["parameters"] = [p.name for p in sig.parameters.values() if p.kind in positional][:64]
            except (TypeError, ValueError):
                response["signature"] = name
            for run in request.get("runs", []):
                if torch is None:
                    import torch  # noqa: F811 - an optimizer notebook that never imported torch itself
                t0 = time.perf_counter()
                record = drive_optimizer(fn, run)
                record["seconds"] = time.perf_counter() - t0
                response["calls"].append(record)
            for call in request.get("calls", []):
                args = [decode(a) for a in call["args"]]
                kwargs = {k: decode(v) for k, v in call.get("kwargs", {}).items()}
                # decoding may have imported torch for a notebook that never did
                torch, np = sys.modules.get("torch"), sys.modules.get("numpy")
                before = [raw_bytes(a) for a in args]
                before_kw = {k: raw_bytes(v) for k, v in kwargs.items()}
                t0 = time.perf_counter()
                tracer = Tracer()
                try:
                    with tracer:
                        out = fn(*args, **kwargs)
                    record = {"ok": True, "value": encode(out)}
                    # the arguments the function writes into (`outputs:`), read after it returned
                    record["outputs"] = [encode(args[k] if isinstance(k, int) else kwargs[k])
                                         for k in call.get("outputs", [])]
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # SystemExit too: a student's sys.exit() is their error
                    record = {"ok": False, "error": failure(exc)}
                record["seconds"] = time.perf_counter() - t0
                record["torch_calls"] = sorted(tracer.names)
                record["mutated"] = [i for i, (a, b) in enumerate(zip(args, before)) if b is not None and raw_bytes(a) != b]
                record["mutated"] += [k for k, v in kwargs.items() if before_kw[k] is not None and raw_bytes(v) != before_kw[k]]
                response["calls"].append(record)
    finally:
        for helper, old in swapped.items():
            if old is swapped:
                user_ns.pop(helper, None)
            else:
                user_ns[helper] = old
    reply(request_id, response)


# ---- figures: what a cell's plots contain, read as they are displayed --------------------------------

FIGURE_MIME = "application/vnd.grader.figure-capture"  # a formatter that records and outputs nothing


def capture_figures(ip, sha256, budget=8_000_000, images=None):
    """Record the content of every figure a student cell displays (installed before student code).

    With `images` (a collection of cell hashes), only those cells' figures are rendered to PNG by the
    inline backend: rendering is most of what a plotting cell costs, and only the cells a figure
    question looks at need their images (every figure's content is still recorded).

    The inline backend closes figures once shown, so they are read as they are displayed: a display
    formatter for matplotlib figures that stores `figure_content` and returns nothing. Entries are kept
    per cell source (the last run of it, its last 32 figures), for the grader to ask for once the
    notebook has run; at most `budget` numbers in all (the oldest cells' go first), so a notebook full of
    images is not pushed past its memory limit. The grader's own requests (store_history=False) record
    nothing. None when IPython would not take it."""
    import sys

    try:
        from IPython.core.formatters import BaseFormatter

        state = {"cell": None, "cells": {}, "numbers": 0}
        cells = state["cells"]

        def forget(key, count=None):
            shown = cells[key]
            gone = shown[:len(shown) if count is None else count]
            del shown[:len(gone)]
            state["numbers"] -= sum(f.get("numbers", 0) for f in gone)
            if count is None:
                del cells[key]

        def pre_run_cell(info):
            if not getattr(info, "store_history", False):
                state["cell"] = None
                return
            key = sha256(str(getattr(info, "raw_cell", "") or "").encode("utf-8", "surrogatepass")).hexdigest()
            png = ip.display_formatter.formatters.get("image/png")
            if images is not None and png is not None:
                png.enabled = key in images
            if key in cells:
                forget(key)
            cells[key] = []
            while len(cells) > 64:
                forget(next(iter(cells)))
            state["cell"] = key

        def record(fig):
            key = state["cell"]
            if key is None or key not in cells:
                return
            try:
                content = figure_content(fig)
            except Exception as exc:  # noqa: BLE001 - a figure we cannot read is said so, never breaks the display
                content = {"error": type(exc).__name__}
            cells[key].append(content)
            state["numbers"] += content.get("numbers", 0)
            if len(cells[key]) > 32:
                forget(key, 1)
            while state["numbers"] > budget and (len(cells) > 1 or len(cells[key]) > 1):
                oldest = next(iter(cells))
                forget(oldest) if oldest != key else forget(key, 1)

        class FigureCapture(BaseFormatter):
            # not a registered printer: selecting the inline backend's formats pops Figure from every formatter
            def __call__(self, obj):
                figure = sys.modules.get("matplotlib.figure")
                if figure is not None and isinstance(obj, figure.Figure):
                    record(obj)

        ip.display_formatter.formatters[FIGURE_MIME] = FigureCapture(parent=ip.display_formatter,
                                                                     format_type=FIGURE_MIME)
        ip.events.register("pre_run_cell", pre_run_cell)
        return state
    except Exception:  # noqa: BLE001 - an IPython that will not take it: figures become unreadable, not the kernel
        return None


def figure_content(fig, max_points=20000, max_side=256, max_axes=32, max_items=200, max_numbers=2_000_000):
    """What a matplotlib figure shows, as numbers: per axes (colour bars left out) its lines and
    scatter offsets as (N, 2) float arrays in drawing order, and its images and meshes as arrays.

    It reads and never judges: the grader runs it on the reference figure too, so both are read the
    same way. A step drawstyle is expanded into the steps drawn; a long line or a large image is
    subsampled by a stride that depends only on its size (`n` / `shape` keep the original); past
    `max_numbers` in the figure, arrays are left out (None)."""
    import numpy as np
    from matplotlib import cbook
    from matplotlib.collections import PathCollection, QuadMesh

    def floats(values):
        return np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan)

    def in_data(transform, ax):
        try:
            return transform is ax.transData or bool(transform.contains_branch(ax.transData))
        except Exception:  # noqa: BLE001 - a transform of the student's own making: not data coordinates
            return False

    kept = [0]

    def capped(arr):
        kept[0] += arr.size
        return arr if kept[0] <= max_numbers else None

    def curve(values, label, data, joined, drawstyle="default"):
        raw = np.ma.asarray(values).reshape(-1, 2)
        n = int(raw.shape[0])
        xy = floats(raw[::max(1, -(-n // max_points))])  # subsampled before it is copied
        steps = cbook.STEP_LOOKUP_MAP.get(drawstyle)
        if drawstyle != "default" and steps is not None and len(xy):
            xy = np.asarray(steps(xy[:, 0], xy[:, 1])).T  # the steps drawn, not the points given
        return {"label": str(label)[:80], "n": n, "data": bool(data), "joined": bool(joined), "xy": capped(xy)}

    def limits(pair):
        pair = [float(v) for v in pair]
        return pair if all(abs(v) < 1e308 for v in pair) else None  # no NaN or inf: JSON has none

    def grid(values):
        raw = np.ma.asarray(values)
        index = tuple(slice(None, None, max(1, -(-d // max_side))) for d in raw.shape[:2])
        return {"shape": [int(d) for d in raw.shape], "array": capped(floats(raw[index]))}

    def add(items, read):
        if len(items) < max_items:
            try:
                items.append(read())
            except (TypeError, ValueError):  # values that are not numbers (dates, strings): nothing to compare
                pass

    axes = []
    for ax in fig.axes:
        if getattr(ax, "_colorbar", None) is not None:
            continue
        if len(axes) >= max_axes:
            break
        entry = {"name": str(ax.get_title() or ax.get_ylabel())[:100], "xscale": str(ax.get_xscale())[:20],
                 "yscale": str(ax.get_yscale())[:20], "xlim": limits(ax.get_xlim()), "ylim": limits(ax.get_ylim()),
                 "lines": [], "points": [], "images": []}
        for line in ax.get_lines():
            if line.get_visible():
                joined = line.get_linestyle() not in ("None", "none", "", " ")
                add(entry["lines"], lambda line=line, joined=joined, ax=ax: curve(
                    line.get_xydata(), line.get_label(), in_data(line.get_transform(), ax), joined, line.get_drawstyle()))
        for coll in ax.collections:
            if coll.get_visible() and isinstance(coll, PathCollection):
                add(entry["points"], lambda coll=coll, ax=ax: curve(
                    coll.get_offsets(), coll.get_label(), in_data(coll.get_offset_transform(), ax), False))
            elif coll.get_visible() and isinstance(coll, QuadMesh) and coll.get_array() is not None:
                add(entry["images"], lambda coll=coll: grid(coll.get_array()))
        for image in ax.get_images():
            if image.get_visible() and image.get_array() is not None:
                add(entry["images"], lambda image=image: grid(image.get_array()))
        axes.append(entry)
    return {"axes": axes, "numbers": min(kept[0], max_numbers)}


def figure_wire(contents, b64encode, budget=4_000_000):
    """`figure_content` results as JSON: each array in grader/kernel/wire.py's raw-bytes format, at
    most `budget` numbers in all (an array past it becomes None, which the grader says it could not read)."""
    import numpy as np

    left = [budget]

    def walk(obj):
        if isinstance(obj, np.ndarray):
            arr = np.asarray(obj, dtype=np.float64)
            if arr.size > left[0]:
                return None
            left[0] -= arr.size
            arr = arr.copy(order="C")
            return {"kind": "ndarray", "dtype": "float64", "shape": [int(d) for d in arr.shape],
                    "data": b64encode(arr.tobytes()).decode("ascii")}
        if isinstance(obj, dict):
            return {str(k): walk(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [walk(v) for v in obj]
        return obj

    return [walk(c) for c in contents]


def figures_reply(state, key, b64encode):
    """The reply to a `figures` request: what the last run of the cell whose source hashes to `key` displayed."""
    if state is None:
        return {"status": "unavailable"}
    shown = state["cells"].get(key)
    return {"status": "ok", "ran": shown is not None, "figures": figure_wire(shown or [], b64encode)}
