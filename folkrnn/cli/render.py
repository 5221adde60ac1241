"""`folkrnn render`: ABC tunes to MIDI, audio (WAV/FLAC) and sheet music (SVG)."""
from __future__ import annotations

import argparse
import json
import logging
import sys

from folkrnn.abc.reader import read_file
from folkrnn.cli.options import add_audio_limit, add_swing_options, print_warnings, render_options
from folkrnn.errors import FolkrnnError, RenderError
from folkrnn.render import FORMATS, render
from folkrnn.render.midi import ACCOMPANIMENTS, INSTRUMENTS

FLAGS = {"mid": "midi", "wav": "wav", "svg": "svg"}  # format -> its switch; abc is the input

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "render", help="render ABC tunes to MIDI, WAV and SVG",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  folkrnn render tune.abc\n"
               "  folkrnn render book.abc --all --wav --svg --out book\n"
               "  folkrnn render book.abc --tune 3 --wav --instrument flute --accompaniment drone",
        description="Render tunes of an ABC file to MIDI (default), audio and sheet music. "
                    "Exit status 2 when the file or any asked tune cannot be read or rendered; "
                    "the other tunes are still rendered.")
    p.add_argument("file", metavar="FILE.abc", help="the ABC file")
    for name, flag in FLAGS.items():
        f = FORMATS[name]
        p.add_argument(f"--{flag}", action="store_true",
                       help=f"write {f.label}" + (f" (needs {f.needs})" if f.needs else "")
                       + (" (the default when nothing is asked)" if name == "mid" else ""))
    p.add_argument("--flac", action="store_true", help="with --wav: FLAC instead of WAV (needs soundfile)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--tune", type=int, metavar="N", help="the tune with X:N (default: the first)")
    which.add_argument("--all", action="store_true", help="every tune in the file")
    p.add_argument("--out", default=".", metavar="DIR", help="output folder (default: here)")
    p.add_argument("--tempo", type=float, metavar="BPM", help="crotchets a minute, overriding Q:")
    p.add_argument("--instrument", default="fiddle",
                   help=f"melody instrument: {', '.join(sorted(INSTRUMENTS))}, or a GM number 1-128")
    p.add_argument("--accompaniment", default="none", choices=ACCOMPANIMENTS)
    p.add_argument("--soundfont", metavar="PATH", help="SF2 soundfont for --wav")
    p.add_argument("--repeats", default="expand", choices=("expand", "once"))
    add_swing_options(p)
    add_audio_limit(p)
    p.add_argument("--json", action="store_true", help="print JSON: each tune and its files")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Render the chosen tunes; 0 when all rendered, 2 when any tune (or the file) failed."""
    read = read_file(args.file)
    errors = _relevant_errors(read, args)
    for err in errors:
        print(f"folkrnn: error: {err}", file=sys.stderr)
    failed = bool(errors)
    tunes = [] if failed and not args.all else _chosen(read.tunes, args)
    formats = [name for name, flag in FLAGS.items() if getattr(args, flag)] or ["mid"]
    options = render_options(args)
    done = []
    for tune in tunes:
        warnings = [w.to_dict() for w in tune.warnings]
        if not args.json:  # --json carries them
            print_warnings(args, tune.warnings)
        try:
            result = render(tune, args.out, formats, options)
        except FolkrnnError as err:
            print(f"folkrnn: error: {tune.source} (tune {tune.label}): {err}", file=sys.stderr)
            failed = True
            done.append({"tune": tune.label, "files": [], "error": str(err), "warnings": warnings})
            continue
        paths = [str(p) for p in result.files.values()]
        done.append({"tune": tune.label, "files": paths, "warnings": warnings})
        if not args.json:
            print("\n".join(paths))
    if args.json:
        print(json.dumps(done, indent=1))
    return 2 if failed else 0


def _relevant_errors(read, args: argparse.Namespace) -> list:
    """The reader's errors about the tunes asked for: all with --all; else the chosen one's."""
    if args.all:
        return read.errors
    if args.tune is not None:
        if any(t.x == args.tune for t in read.tunes):
            return []
        return [e for e in read.errors if f"X:{args.tune} " in f"{e.tune} " or e.tune == f"X:{args.tune}"]
    first_line = read.tunes[0].line if read.tunes else float("inf")
    return [e for e in read.errors if e.line and e.line < first_line][:1]


def _chosen(tunes: list, args: argparse.Namespace) -> list:
    if args.all:
        return tunes
    if args.tune is not None:
        found = [t for t in tunes if t.x == args.tune]
        if not found:
            raise RenderError(f"{args.file} has no tune X:{args.tune}")
        return found[:1]
    if not tunes:
        raise RenderError(f"{args.file} holds no tune that could be read")
    return tunes[:1]
