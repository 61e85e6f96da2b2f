"""Serve a gradebook: staff review and override in the browser, students submit and read feedback.

OUTDIR is a `grade batch` output folder (or a new one): the service grades into OUTDIR/gradebook.sqlite
with the same pipeline and keeps its queue there, so `grade batch` and `grade serve` can take turns on
one folder. Staff log in with GRADER_STAFF_TOKEN, else the token generated into OUTDIR/staff.token;
students with their token from --roster (a CSV with a `student` column and optional `token`) or
OUTDIR/tokens.csv, where missing ones are generated (both files 0600).

examples:
  grade serve graded/ -a derivatives-activations
  grade serve graded/ -a derivatives-activations --roster roster.csv --workers 2 --port 8080

API: POST /api/submissions, GET /api/submissions/{id}, GET /api/gradebook,
PUT|DELETE /api/submissions/{id}/questions/{qid}/override (see the README).
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from grader.cli.limits import add_limit_arguments, add_warm_argument, limits_from
from grader.cli.options import output_folder
from grader.errors import GraderInputError
from grader.kinds import open_bundle
from grader.serve.app import ServeConfig, create_app, open_service


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("outdir", metavar="OUTDIR", help="the gradebook folder (a `grade batch` -o folder, or a new one)")
    p.add_argument("-a", "--assignment", metavar="ID|PATH", required=True, help="bundled assignment id or YAML path")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("-j", "--workers", type=int, default=1, metavar="N", help="notebooks graded at once (default 1)")
    p.add_argument("--roster", metavar="FILE", help="CSV with a `student` column and optional `token`")
    p.add_argument("--mkdir", action="store_true", help="create the missing folders of OUTDIR")
    add_warm_argument(p)
    add_limit_arguments(p.add_argument_group("limits of each grading (as on grade and batch)"))


def run(args: argparse.Namespace) -> int:
    import uvicorn  # the server, only for this verb

    if args.workers < 1:
        raise GraderInputError("--workers must be at least 1")
    if not 0 <= args.port <= 65535:
        raise GraderInputError(f"--port {args.port}: not a port number")
    roster = Path(args.roster) if args.roster else None
    if roster is not None and not roster.is_file():
        raise GraderInputError(f"--roster {args.roster}: no such file")
    limits = limits_from(args, pooled=True)  # one warm kernel pool for the service's workers
    out = output_folder(args.outdir, "OUTDIR", mkdir=args.mkdir)
    out.mkdir(exist_ok=True)
    bundle = open_bundle(args.assignment)
    service = open_service(ServeConfig(out, bundle, workers=args.workers, limits=limits, roster=roster))
    for note in service.notes:
        print(f"grade serve: {note}", file=sys.stderr)
    sock = _listen(args.host, args.port)
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(create_app(service), log_level="warning", access_log=False, lifespan="on")
    print(f"grade serve: listening on http://{f'[{host}]' if ':' in host else host}:{port}/ "
          f"({bundle.assignment.id}, {args.workers} worker{'s' if args.workers != 1 else ''}, "
          f"gradebook {out / 'gradebook.sqlite'})", file=sys.stderr, flush=True)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the server starts, so the address printed is the real one
    (`--port 0`: a free port) and a port in use is one line, not a traceback."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as e:
        raise GraderInputError(f"cannot listen on {host}:{port} ({e.strerror or e})") from None
    sock.set_inheritable(True)
    return sock
