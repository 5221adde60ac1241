"""`folkrnn check`: the strict checks and the music21 pass over every tune of an ABC file."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from folkrnn.abc.reader import file_text
from folkrnn.check.strict import TuneReport, check_text, midi_name
from folkrnn.cli.options import print_warnings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check", help="check the tunes of an ABC file (bars, repeats, range, key)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  folkrnn check tunes.abc\n  folkrnn check folkrnn-out/tunebook.abc --no-music21\n"
               "  folkrnn check tunes.abc --json > reports.jsonl",
        description="Check every tune of an ABC file: bar lengths against the meter, "
                    "repeats and endings, a final bar line, a playable range, a sane "
                    "length, then a music21 pass (parse, key against K:, ambitus). "
                    "Exit status 1 when any tune fails, 2 when the file cannot be read.")
    p.add_argument("file", metavar="FILE.abc", help="the ABC file")
    p.add_argument("--json", action="store_true", help="one JSON object a tune, one a line")
    p.add_argument("--no-music21", dest="music21", action="store_false",
                   help="only the strict checks (fast)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the file: 0 when every tune passes, 1 when any fails, 2 when it holds no tune
    (a missing file raises OSError, which `cli.main` turns into 2)."""
    path = Path(args.file)
    reports = check_text(file_text(path), str(path), music21=args.music21)
    for r in reports:
        if not args.json:  # --json carries them
            print_warnings(args, r.warnings)
        print(json.dumps(r.to_dict()) if args.json else format_report(r), flush=True)
    if not reports:
        print(f"folkrnn: error: {path}: no tunes found (a tune starts with X: or T:)",
              file=sys.stderr)
        return 2
    failed = sum(not r.passed for r in reports)
    if not args.json:
        print(f"{len(reports) - failed} of {len(reports)} tunes pass")
    return 1 if failed else 0


def format_report(r: TuneReport) -> str:
    """`ok   X:1 'Title' (16 bars, D4..B5, key G major)` and one indented line a reason."""
    facts = [f"{r.bars} bars"] if r.bars else []
    if r.lowest is not None:
        facts.append(f"{midi_name(r.lowest)}..{midi_name(r.highest)}")
    if r.analysed_key:
        facts.append(f"music21 key {r.analysed_key}")
    head = f"{'ok  ' if r.passed else 'FAIL'} {r.label}" + (f" ({', '.join(facts)})" if facts else "")
    return "\n".join([head] + [f"     {reason}" for reason in r.reasons])

