"""The warm kernel parent (the "zygote"): runs INSIDE its own bubblewrap sandbox, imports what every
kernel imports once, then forks one child per submission on the grader's request.

Started by grader/kernel/pool.py as `python -c <this file's source> FD PRELOAD`: FD is its end of a
private SOCK_SEQPACKET socketpair with the grader, PRELOAD a JSON list of modules (numpy, torch).
Requests and replies are JSON (never pickle); file descriptors travel as SCM_RIGHTS.

Isolation of each child, in order (before any student code runs):
  C  (forked from the zygote) waits until the grader has put it into the submission's cgroups, then
     unshares mount, PID, network, IPC and UTS namespaces, makes every mount private, hides the
     pool directory (other kernels' connection files), mounts its own sized tmpfs /tmp, /dev/shm
     and scratch directory, binds the support files read-only and its own connection directory;
  K  (PID 1 of the new PID namespace) mounts a /proc of that namespace only (the zygote and other
     kernels are not in it), and reaps orphans like bubblewrap's init; it dies with C;
  K2 (the kernel) closes every inherited descriptor, takes the kernel's environment, rlimits,
     fresh RNG seeds, matplotlib's backend as a fresh kernel would pick it, drops every capability
     (bounding set included), sets no_new_privs, says "ready" to the grader and starts ipykernel.
The zygote is non-dumpable and keeps no writable file a child can reach; a child's module changes
stay in its own copy-on-write memory. Standard library only at the top: no grader imports (the
package is not mounted in the sandbox).
"""

import ctypes
import gc
import importlib.util
import json
import os
import select
import signal
import socket
import sys
import traceback

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18
MNT_DETACH = 2
STAGE = "/run/grader-stage"     # where a child parks its connection directory while it remounts /tmp
FILES = "/run/grader-files"     # the support files, bound read-only by the grader at FILES/<n>
LAUNCHER = "ipykernel_launcher"  # set by main
MPLDIR = "/tmp/matplotlib"      # matplotlib's config directory, in the zygote's /tmp and each child's own
INLINE = "module://matplotlib_inline.backend_inline"  # ipykernel's default when MPLBACKEND is unset

_libc = ctypes.CDLL(None, use_errno=True)


def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _prctl(option, value, arg3=0):
    _check(_libc.prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(arg3), 0, 0), f"prctl({option})")


def _mount(source, target, fstype, flags, data=None):
    enc = (lambda s: s.encode() if s is not None else None)
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def _umount(target):
    _check(_libc.umount2(target.encode(), MNT_DETACH), f"umount {target}")


# ---------------------------------------------------------------------- the zygote

def main(fd, preload):
    """Serve fork requests until the grader closes its end (False); True in a kernel child."""
    _prctl(PR_SET_DUMPABLE, 0)  # no ptrace and no /proc/<pid>/mem of the zygote, even for root
    # what a kernel imports anyway; matplotlib without a backend chosen (each child picks its own)
    os.environ.pop("MPLBACKEND", None)
    _writable_matplotlib_dir()
    import ipykernel.debugger  # noqa: F401 - debugpy: 0.13 s of every kernel's start, imported by its traits
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import ipykernel.zmqshell  # noqa: F401
    import IPython  # noqa: F401
    for name in preload:
        try:
            __import__(name)
        except ImportError:  # as the runtime's install: a library the environment lacks is not preloaded
            pass
    import matplotlib
    import matplotlib.pyplot  # noqa: F401 - its import (fonts, the font cache) is the slow part
    import zmq

    global LAUNCHER
    LAUNCHER = importlib.util.find_spec("ipykernel_launcher").origin  # sys.argv[0] of a fresh kernel
    assert zmq.Context._instance is None, "a zmq context exists before fork"
    info = {"ready": True, "threads": len(os.listdir("/proc/self/task")), "pid": os.getpid(),
            "torch_threads": sys.modules["torch"].get_num_threads() if "torch" in sys.modules else None,
            "modules": len(sys.modules), "backend": str(dict.__getitem__(matplotlib.rcParams, "backend"))}
    if info["threads"] != 1:  # forking a process with threads (an OpenMP pool) can deadlock the child
        raise RuntimeError(f"the zygote has {info['threads']} threads after its imports; it must have one")
    gc.collect()
    gc.freeze()  # the children's collector never walks (and so never copies) the zygote's objects
    sock = socket.socket(fileno=fd)
    sock.send(json.dumps(info).encode())
    while True:
        _reap()
        ready, _, _ = select.select([sock], [], [], 1.0)
        if not ready:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(sock, 1 << 16, 8)
        except OSError:
            return False
        if not data:
            return False  # the grader closed its end
        try:
            request = json.loads(data)
            pid = os.fork()
        except Exception as exc:  # noqa: BLE001 - told to the grader; the zygote goes on
            for f in fds:
                os.close(f)
            sock.send(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}).encode())
            continue
        if pid == 0:
            _child(sock, request, fds)
            return True  # only the kernel (K2) gets here, set up: the caller starts ipykernel
        for f in fds:
            os.close(f)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError as exc:
            sock.send(json.dumps({"ok": False, "error": f"pidfd_open: {exc}"}).encode())
            continue
        socket.send_fds(sock, [json.dumps({"ok": True, "pid": pid}).encode()], [pidfd])
        os.close(pidfd)


def _writable_matplotlib_dir():
    """The shared font cache is read-only: matplotlib would rebuild it in a temporary directory. A
    copy in the zygote's own /tmp (as a cold kernel copies it into its scratch directory); each child
    gets an empty MPLDIR of its own in its own /tmp."""
    shared = os.environ.get("MPLCONFIGDIR", "")
    if os.path.isdir(shared) and not os.access(shared, os.W_OK):
        import shutil

        os.makedirs(MPLDIR, exist_ok=True)
        for name in os.listdir(shared):
            if name.endswith(".json"):
                shutil.copyfile(os.path.join(shared, name), os.path.join(MPLDIR, name))
        os.environ["MPLCONFIGDIR"] = MPLDIR


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# ---------------------------------------------------------------------- one child

def _child(sock, request, fds):
    """C: the outer process of one kernel (the one the grader holds a pidfd of)."""
    code, kernel = 126, False
    try:
        log, go, ready = fds
        sock.close()
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.setsid()
        if os.read(go, 1) != b"g":  # the grader could not put us into the cgroups: never run
            os._exit(125)
        os.close(go)
        _isolate(request)
        alive_r, alive_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(alive_w)
            kernel = True
            _init(request, log, ready, alive_r)  # returns only in the kernel
            return
        os.close(alive_r)
        os.close(ready)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        gc.disable()
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        code = code if code >= 0 else 128 - code
    except BaseException:  # noqa: BLE001 - said in the kernel's log; never back into the zygote's loop
        traceback.print_exc()
        kernel = False
    finally:
        if not kernel:
            os._exit(code)


def _isolate(request):
    """C: own namespaces and mounts: nothing of the zygote's /tmp, the pool or other kernels."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    private, workdir = request["private"], request["workdir"]
    _mount(private, STAGE, None, MS_BIND)
    _umount(request["pool"])  # every other kernel's connection directory goes with it
    sized = (lambda size: f"size={size},mode=1777" if size else "mode=1777")
    # The allow-list's read-only binds that live under the host's /tmp (a venv or checkout in /tmp/...)
    # are kept: held by descriptor while a fresh /tmp is mounted over the zygote's, then bound into it.
    kept = [(m, os.open(m, os.O_PATH | os.O_DIRECTORY)) for m in _binds_under("/tmp", request["pool"])]
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, sized(request["tmp"]))
    for point, fd in kept:
        os.makedirs(point, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", point, None, MS_BIND | MS_REC)
        _mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    _umount("/dev/shm")
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, sized(request["tmp"]))
    os.makedirs(workdir, exist_ok=True)
    _mount("tmpfs", workdir, "tmpfs", MS_NOSUID | MS_NODEV, f"size={request['scratch']},mode=755")
    for place, index in request["files"]:
        target = os.path.join(workdir, place)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "xb").close()
        _mount(f"{FILES}/{index}", target, None, MS_BIND)
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.makedirs(private, exist_ok=True)
    _mount(STAGE, private, None, MS_MOVE)
    os.mkdir(MPLDIR)


def _binds_under(prefix, skip):
    """The outermost mount points below `prefix` (in this mount namespace), but `skip`'s subtree."""
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            point = line.split()[4].encode().decode("unicode_escape")  # `\040` is a space
            if point.startswith(prefix + "/") and not (point == skip or point.startswith(skip + "/")):
                points.append(point)
    outer = []
    for point in sorted(points, key=len):
        if not any(point.startswith(o + "/") for o in outer):
            outer.append(point)
    return outer


def _init(request, log, ready, alive):
    """K: PID 1 of the kernel's PID namespace: its own /proc, then the kernel, then reaping."""
    code, kernel = 126, False
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if select.select([alive], [], [], 0)[0]:  # C died before PDEATHSIG was set
            os._exit(125)
        temp = "/tmp/.proc"
        os.mkdir(temp)
        _mount("proc", temp, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        _umount("/proc")
        _mount(temp, "/proc", None, MS_MOVE)
        os.rmdir(temp)
        pid = os.fork()
        if pid == 0:
            kernel = True
            _kernel(request, log, ready, alive)  # exits unless the kernel is set up
            return
        os.close(ready)
        gc.disable()
        while True:
            got, status = os.wait()
            if got == pid:
                code = os.waitstatus_to_exitcode(status)
                code = code if code >= 0 else 128 - code
                break
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        kernel = False
    finally:
        if not kernel:
            os._exit(code)


def _drop_capabilities():
    """Every capability gone, the bounding set too (so no exec can bring one back), no_new_privs."""
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    for cap in range(last + 1):
        _prctl(PR_CAPBSET_DROP, cap)
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    header, data = Header(0x20080522, 0), (Data * 2)()
    _check(_libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def _kernel(request, log, ready, alive):
    """K2: the student's kernel, set up as a fresh one would be; returns to start ipykernel."""
    import random
    import resource

    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        os.close(alive)
        os.chdir(request["workdir"])
        for name, (soft, hard) in request["rlimits"].items():
            resource.setrlimit(getattr(resource, name), (soft, hard))
        _drop_capabilities()
        devnull = os.open("/dev/null", os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.closerange(3, ready)
        os.closerange(ready + 1, 1 << 16)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        env = request["env"]
        os.environ.clear()
        os.environ.update(env)
        os.environ["PWD"] = request["workdir"]  # as bubblewrap's --chdir sets it
        sys.argv = [LAUNCHER, "-f", request["connection_file"], *request["arguments"]]
        sys.path[0:1] = [] if sys.path and sys.path[0] == "" else sys.path[0:1]
        # fresh random state: never the zygote's, nor another child's
        random.seed()
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        if "torch" in sys.modules:
            sys.modules["torch"].seed()
        mpl = sys.modules.get("matplotlib")
        if mpl is not None:  # what `import matplotlib` in a fresh kernel would have read from MPLBACKEND
            mpl.rcParams["backend"] = env.get("MPLBACKEND") or INLINE
        os.write(ready, b"r")
        os.close(ready)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        os._exit(126)


if __name__ == "__main__":
    if main(int(sys.argv[1]), json.loads(sys.argv[2])):
        # the kernel, as `python -m ipykernel_launcher` runs it (and ends as it ends: a normal exit)
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
