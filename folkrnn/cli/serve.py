"""`folkrnn serve`: the web composer on this machine."""
from __future__ import annotations

import argparse
import sys
import webbrowser
from pathlib import Path

from folkrnn.errors import FolkrnnError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="the web composer in your browser",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Compose in a browser: notation, playback, re-rolling bars, versions and a "
                    "tune book, all served from this machine (nothing is fetched from outside).",
        epilog="examples:\n  folkrnn serve --open\n  folkrnn serve --port 9000 --db tunes.sqlite")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8750)
    p.add_argument("--model", help="checkpoint folder (default: the bundled model)")
    p.add_argument("--models", type=Path, metavar="DIR",
                   help="a folder of checkpoint folders the page may choose from")
    p.add_argument("--db", type=Path, help="the tune book, an SQLite file "
                   "(default: ~/.local/share/folkrnn/tunes.sqlite)")
    p.add_argument("--open", action="store_true", help="open the page in a browser")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from folkrnn.serve import create_app, default_db

    if not 1 <= args.port <= 65535:
        raise FolkrnnError(f"--port must be 1 to 65535, not {args.port}")
    app = create_app(args.model, args.db or default_db(), args.host, args.port, args.models)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else shown}:{args.port}/"
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"folkrnn: listening on {args.host}, not only this machine: anyone who can reach "
              f"it can compose and read your tune book", file=sys.stderr)
    print(f"folkrnn: the composer is at {url} (Ctrl-C stops it)", file=sys.stderr, flush=True)
    if args.open:
        webbrowser.open(url)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
