"""`folkrnn continue` and `folkrnn reroll`: compose from a tune already written."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from folkrnn.cli.options import add_sound_options, choose_seed, formats_option, render_options
from folkrnn.errors import FolkrnnError

MAX_RESULTS = 64


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser(
        "continue", help="keep a tune's first bars and write the rest",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Keep the first bars of a tune (any key, mode and L:) and let the model "
                    "write the rest: the kept bars stay as written, the new ones come in the "
                    "tune's key. A pickup is bar 0.",
        epilog="examples:\n  folkrnn continue half.abc\n  folkrnn continue jig.abc --bars 4 -n 3 --seed 7")
    c.add_argument("file", type=Path, help="an ABC file (its first tune, or --tune X)")
    c.add_argument("--bars", type=int, metavar="N",
                   help="keep bars 1 to N (default: every bar it has: finish the tune)")
    _common(c)
    c.set_defaults(func=run_continue)
    r = sub.add_parser(
        "reroll", help="write some bars of a tune again, keeping the others",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write bars A to B of a tune again, each as long as the one it replaces, "
                    "every other bar kept as written. --candidates spans are sampled and each "
                    "whole tune scored by the model (the bars after the span included); the "
                    "best -n are printed.",
        epilog="examples:\n  folkrnn reroll jig.abc --bars 3-4\n"
               "  folkrnn reroll reel.abc --bars 5-6 --candidates 16 -n 3 --seed 2")
    r.add_argument("file", type=Path, help="an ABC file (its first tune, or --tune X)")
    r.add_argument("--bars", required=True, metavar="A-B", help="the bars to write again, e.g. 3-4 or 5")
    r.add_argument("--candidates", type=int, default=8, metavar="M",
                   help="spans sampled, of which the best -n are kept (default 8)")
    _common(r)
    r.set_defaults(func=run_reroll)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tune", type=int, metavar="X", help="the tune numbered X: in the file")
    p.add_argument("-n", type=int, default=1, help="how many results (default 1)")
    p.add_argument("--out", type=Path, default=Path("folkrnn-out"), help="folder for the files")
    p.add_argument("--formats", default="abc,mid,wav", help="any of abc,mid,wav,svg, or none")
    p.add_argument("--json", action="store_true", help="print JSON instead of ABC")
    g = p.add_argument_group("model and sampling")
    g.add_argument("--model", help="checkpoint folder (default: the bundled model)")
    g.add_argument("--seed", type=int, help="the same seed gives the same result (default: random, printed)")
    g.add_argument("--temperature", type=float, default=1.0)
    g.add_argument("--top-k", type=int, default=0)
    g.add_argument("--top-p", type=float, default=1.0)
    g.add_argument("--form", default="", metavar="FORM",
                   help="continue: the form the tune goes on in (it must fit the kept bars)")
    g.add_argument("--part-bars", type=int, default=0, metavar="N", help="continue: bars a part")
    g.add_argument("--no-restate", action="store_true", help="continue: no restating of bars")
    g.add_argument("--max-tokens", type=int, help="continue: tokens it may add (default 800)")
    add_sound_options(p.add_argument_group("rendering"))


def _options(args):
    from folkrnn.generate import GenerationOptions, SamplingOptions

    try:
        sampling = SamplingOptions(False, args.temperature, args.top_k, args.top_p)
    except ValueError as err:
        raise FolkrnnError(str(err)) from None
    return GenerationOptions(sampling=sampling, max_tokens=args.max_tokens, form=args.form,
                             part_bars=args.part_bars, restate=not args.no_restate)


def _read(args) -> tuple[str, object]:
    from folkrnn.abc.reader import file_text, read_text

    text = file_text(args.file).replace("\r\n", "\n").replace("\r", "\n")
    read = read_text(text, str(args.file))
    tunes = [t for t in read.tunes if args.tune is None or t.x == args.tune]
    if not tunes:
        if read.errors and args.tune is None:
            raise read.errors[0]
        raise FolkrnnError(f"{args.file} holds no tune{f' X:{args.tune}' if args.tune else ''}")
    return text, tunes[0]


def _prepare(args):
    if not 1 <= args.n <= MAX_RESULTS:
        raise FolkrnnError(f"-n must be 1 to {MAX_RESULTS}, not {args.n}")
    options = _options(args)  # its limits, before the model loads
    formats, sound = formats_option(args.formats), render_options(args)
    from folkrnn.render.formats import preflight

    preflight(formats, sound)
    text, tune = _read(args)
    from folkrnn.generate.source import SourceTune
    from folkrnn.model import load_model

    ck = load_model(args.model)
    return ck, SourceTune.of(text, tune, ck.tokenizer), tune, options, formats, sound


def run_continue(args: argparse.Namespace) -> int:
    from folkrnn.generate.compose import continue_tune

    ck, src, tune, options, formats, sound = _prepare(args)
    if args.bars is not None:
        src.index(args.bars)  # no such bar: said before the seed is drawn
    seed = choose_seed(args)
    tunes = continue_tune(src, args.bars, args.n, seed=seed, model=ck, options=options)
    return _finish(args, ck, tunes, options, tune, formats, sound)


def run_reroll(args: argparse.Namespace) -> int:
    from folkrnn.generate.compose import reroll
    from folkrnn.generate.source import parse_span

    first, last = parse_span(args.bars, "--bars")
    ck, src, tune, options, formats, sound = _prepare(args)
    src.index(first), src.index(last)  # no such bar: said before the seed is drawn
    seed = choose_seed(args)
    tunes = reroll(src, first, last, args.n, candidates=args.candidates, seed=seed, model=ck,
                   options=options)
    if not args.quiet:
        best = tunes[0]
        print(f"folkrnn: re-rolled bars {args.bars}: log-probability {best.logprob:.2f} "
              f"(first candidate {best.operation['logprob_first']:.2f})", file=sys.stderr)
    return _finish(args, ck, tunes, options, tune, formats, sound)


def _finish(args, ck, tunes, options, parent, formats, sound) -> int:
    from folkrnn.abc.writer import renumber
    from folkrnn.check.select import assess
    from folkrnn.cli.generate import _as_json, write_outputs
    from folkrnn.generate.stamp import stamp_made

    stamp_made(ck, tunes, options, parent)
    for k, t in enumerate(tunes):
        if len(tunes) > 1:
            t.abc = renumber(t.abc, k + 1)
        t.index = k
        assess(t)
    written = write_outputs(tunes, args.out, formats, sound) if formats else {}
    if args.json:
        print(json.dumps([{**_as_json(t, written.get(t.index, [])), "operation": t.operation}
                          for t in tunes], indent=1))
    else:
        print("\n".join(t.abc for t in tunes))
        for paths in written.values() if not args.quiet else ():
            for path in paths:
                print(f"wrote {path}", file=sys.stderr)
    return 0
