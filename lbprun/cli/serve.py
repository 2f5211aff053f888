"""``lbprun serve --model model.json``: the clinic scoring page and JSON API on this machine.

Runs :func:`lbprun.web.create_app` with uvicorn. ``--demo`` serves the demonstration model
instead of a model file. The server listens on the loopback address (127.0.0.1) unless
``--host`` says otherwise; the access log is off unless ``--access-log`` (nothing a runner
enters is ever logged). ``--rate-limit`` and ``--burst`` set the per-client token bucket
(``--rate-limit 0`` turns it off); ``--max-body-bytes`` and ``--max-upload-bytes`` the body
limits. Needs the web extra (``pip install "lbprun[web]"``); without it the command exits 1.
Exit code 0 when the server stops, 1 on a bad model file or a missing extra, 2 on bad usage.

Examples
--------
>>> parser = argparse.ArgumentParser()
>>> register(parser.add_subparsers())
>>> args = parser.parse_args(["serve", "--demo", "--port", "8080"])
>>> args.demo, args.host, args.port, args.access_log, args.rate_limit
(True, '127.0.0.1', 8080, False, 10.0)
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from typing import Any

__all__ = ["register", "run"]

#: What to install when the web extra is missing.
INSTALL_HINT = 'pip install "lbprun[web]"'
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def register(subparsers: Any) -> None:
    """Add the ``serve`` sub-command."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the clinic risk page and JSON API (needs lbprun[web])",
        description="Serve a clinic risk model as a web page and a JSON API with uvicorn. "
        "Loopback only by default; nothing entered is stored or logged.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="the model file (JSON, see lbprun.load_model)")
    source.add_argument(
        "--demo", action="store_true", help="serve the demonstration model (not for clinical use)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (8000)")
    parser.add_argument(
        "--access-log", action="store_true", help="log each request line (off by default)"
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=10.0,
        metavar="PER_SECOND",
        help="requests per second per client (10; 0 turns the limit off)",
    )
    parser.add_argument("--burst", type=int, default=20, help="requests at once per client (20)")
    parser.add_argument(
        "--max-body-bytes", type=int, default=64 * 1024, help="largest JSON body (65536)"
    )
    parser.add_argument(
        "--max-upload-bytes",
        type=int,
        default=4 * 1024 * 1024,
        help="largest form upload with a training log (4194304)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the model and serve it until interrupted; return the exit code."""
    missing = [
        m for m in ("fastapi", "uvicorn", "multipart") if importlib.util.find_spec(m) is None
    ]
    if missing:
        print(
            f"lbprun serve: error: the web extra is not installed (missing {', '.join(missing)}); "
            f"install it with: {INSTALL_HINT}",
            file=sys.stderr,
        )
        return 1
    import uvicorn

    from lbprun.clinic import load_demo_model, load_model
    from lbprun.web import RateLimit, create_app

    model = load_demo_model() if args.demo else load_model(args.model)
    limit = None if args.rate_limit == 0 else RateLimit(rate=args.rate_limit, burst=args.burst)
    try:
        app = create_app(
            model,
            max_body_bytes=args.max_body_bytes,
            max_upload_bytes=args.max_upload_bytes,
            rate_limit=limit,
        )
    except ValueError as error:
        print(f"lbprun serve: error: {error}", file=sys.stderr)
        return 2
    if args.host not in _LOOPBACK:
        print(
            f"lbprun serve: warning: listening on {args.host}, not only this machine; put it "
            "behind a TLS proxy and access control.",
            file=sys.stderr,
        )
    if model.label:
        print(f"lbprun serve: model label: {model.label}", file=sys.stderr)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        access_log=args.access_log,
        log_level="info",
        server_header=False,
    )
    return 0
