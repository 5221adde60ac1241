"""The `folkrnn` command line: argument parsing, messages and exit codes.

Each subcommand lives in a module that exposes `register(subparsers)`; the
parser it adds sets `func(args) -> int`. Exit codes: 0 ok, 1 checks failed,
2 usage or input error, 3 an internal error (a bug). Errors print as one sentence
unless `--debug`; no traceback reaches the user without it.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

from folkrnn import __version__
from folkrnn.errors import FolkrnnError

# modules that add subcommands, in the order `--help` lists them
COMMAND_MODULES = ["folkrnn.cli.generate", "folkrnn.cli.compose", "folkrnn.cli.batch",
                   "folkrnn.cli.check", "folkrnn.cli.render", "folkrnn.cli.corpus",
                   "folkrnn.cli.train", "folkrnn.cli.measure", "folkrnn.cli.serve"]


def main_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="folkrnn", description="Compose, check and render folk tunes in ABC notation.")
    parser.add_argument("--version", action="version", version=f"folkrnn {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    for command in sub.choices.values():  # the same switches after the command, too
        g = command.add_argument_group("output")
        g.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show tracebacks on errors")
        g.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                       help="more log output")
        g.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="only errors")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI on `argv`; returns the exit code."""
    parser = main_parser()
    args = parser.parse_args(argv)
    level = logging.ERROR if args.quiet else (logging.DEBUG if args.verbose > 1 else
                                              logging.INFO if args.verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        try:
            return int(args.func(args) or 0)
        except BaseException:
            _stop_workers()
            raise
    except FolkrnnError as err:
        if args.debug:
            raise
        print(f"folkrnn: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("folkrnn: interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        if args.debug:
            raise
        print(f"folkrnn: error: {err.strerror or err}: {err.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return 2
    except MemoryError:
        if args.debug:
            raise
        print("folkrnn: error: out of memory; try a shorter tune or fewer at a time", file=sys.stderr)
        return 2
    except Exception as err:  # a bug: one sentence, and how to see more
        if args.debug:
            raise
        print(f"folkrnn: internal error: {type(err).__name__}: {err}; this is a bug in folkrnn: "
              "run again with --debug for the traceback and report it", file=sys.stderr)
        return 3


def _stop_workers() -> None:
    """Stop the generation workers started for this command, if any, without waiting for
    them (a missing --model is reported at once, not after their imports)."""
    parallel = sys.modules.get("folkrnn.generate.parallel")
    if parallel is not None:
        parallel.stop_workers()


def entry_point() -> None:
    sys.exit(main())
