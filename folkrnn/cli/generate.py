"""`folkrnn generate`: compose tunes with the bundled (or a given) model."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from folkrnn.cli.options import (
    add_generation_options,
    add_workers_option,
    choose_seed,
    formats_option,
    generation_options,
    render_options,
    workers_option,
)
from folkrnn.errors import FolkrnnError

MAX_ON_SCREEN = 1000  # tunes one `generate` makes; `batch` makes more, resumably


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate", help="compose tunes", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Compose folk tunes with the bundled model: ABC on screen, files in --out.",
        epilog="examples:\n  folkrnn generate\n  folkrnn generate -n 3 --meter 6/8 --key D --seed 7\n"
               "  folkrnn generate --beam 8 --title \"The Kettle Jig\" --rhythm jig\n"
               "  folkrnn generate --mode dor --key A --prime \"|:EAAB c2BA|\" --formats abc,mid")
    p.add_argument("-n", type=int, default=1, help="how many tunes (default 1)")
    p.add_argument("--out", type=Path, default=Path("folkrnn-out"), help="folder for the files")
    p.add_argument("--formats", default="abc,mid,wav", help="any of abc,mid,wav,svg, or none")
    p.add_argument("--json", action="store_true", help="print JSON instead of ABC")
    p.add_argument("--vary", metavar="SETTING=V1,V2", help="one tune (or -n) per value of one "
                   "setting, all else and the seed fixed: temperature, top-k, top-p, key, meter, "
                   "mode, rhythm, form or title; e.g. temperature=0.8,1,1.2")
    p.add_argument("--from", dest="from_file", type=Path, metavar="FILE.abc",
                   help="make the tunes of FILE again from their N: lines (same model and version)")
    add_generation_options(p)
    add_workers_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from folkrnn.check.select import generate_selected, novelty_index
    from folkrnn.model import load_model
    from folkrnn.render.formats import preflight

    if not 1 <= args.n <= MAX_ON_SCREEN:
        raise FolkrnnError(f"-n must be 1 to {MAX_ON_SCREEN}; for more, `folkrnn batch -n {args.n}` "
                           "makes a collection that resumes")
    options = generation_options(args)  # its limits, before the model loads
    formats = formats_option(args.formats)
    sound = render_options(args)
    preflight(formats, sound)
    if args.from_file is not None or args.vary:
        sel = _remade_or_varied(args, options)
    else:
        seed = choose_seed(args)
        workers = workers_option(args, args.n, options)
        ck = load_model(args.model)
        novelty = novelty_index(ck, args.corpus, required=True) if args.novel_only else None
        sel = generate_selected(ck, args.n, options, seed=seed, valid_only=args.valid_only,
                                novelty=novelty, tries=args.tries, workers=workers)
    # every tune is assessed (checked) once by generate_selected, remade ones included
    written = write_outputs(sel.tunes, args.out, formats, sound) if formats else {}
    if args.json:
        print(json.dumps([_as_json(t, written.get(t.index, [])) for t in sel.tunes], indent=1))
    else:
        print("\n".join(t.abc or f"% tune {t.index + 1} could not be written: {t.checks}" for t in sel.tunes))
        for paths in written.values() if not args.quiet else ():
            for path in paths:
                print(f"wrote {path}", file=sys.stderr)
    failed = [t for t in sel.tunes if not t.checks.get("passed", False)]
    return 1 if failed and (args.valid_only or args.novel_only) else 0


def _remade_or_varied(args: argparse.Namespace, options):
    """--from (remake a file's tunes) or --vary (a row of variants), checked as generate's."""
    from folkrnn.check.select import Selection, assess
    from folkrnn.generate import GenerationOptions
    from folkrnn.generate.provenance import parse_vary, remake, vary
    from folkrnn.model import load_model

    if args.from_file is not None and (args.vary or args.seed is not None or args.n != 1 or
                                       options != GenerationOptions()):
        raise FolkrnnError("--from remakes tunes as their N: lines say: it takes no --vary, "
                           "--seed, -n or generation settings")
    if args.valid_only or args.novel_only or args.workers is not None:
        raise FolkrnnError("--valid-only, --novel-only and --workers go with plain generate, "
                           "not with --from or --vary")
    if args.vary:
        knob, values = parse_vary(args.vary)
        if len(values) * args.n > MAX_ON_SCREEN:
            raise FolkrnnError(f"--vary makes -n tunes a value: at most {MAX_ON_SCREEN} in all")
        seed = choose_seed(args)
        tunes = vary(load_model(args.model), knob, values, options, seed=seed, n=args.n)
    else:
        from folkrnn.abc.reader import file_text

        tunes = remake(file_text(args.from_file), args.model, str(args.from_file))
    for t in tunes:
        assess(t)
    return Selection(tunes)


def write_outputs(tunes, out: Path, formats: list[str], sound) -> dict[int, list[Path]]:
    """Write each tune in each format; returns tune index -> paths."""
    from folkrnn.abc.reader import read_tune
    from folkrnn.render import render

    out.mkdir(parents=True, exist_ok=True)
    return {t.index: list(render(read_tune(t.abc, "<generated>"), out, formats, sound).files.values())
            for t in tunes if t.abc}


def _as_json(t, paths) -> dict:
    return {"index": t.index, "seed": t.seed, "title": t.title, "meter": t.meter, "mode": t.mode,
            "key": t.key, "rhythm": t.rhythm, **({"form": t.form} if t.form else {}),
            "abc": t.abc, "text": t.text,
            "logprob": round(t.logprob, 3), "tokens": t.tokens, "complete": t.complete,
            "checks": t.checks, "files": [str(p) for p in paths]}
