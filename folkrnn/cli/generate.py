"""`folkrnn generate`: compose tunes with the bundled (or a given) model."""
from __future__ import annotations

import argparse
import json
import logging
import random
import sys
from pathlib import Path

from folkrnn.collection.files import check_formats
from folkrnn.errors import FolkrnnError
from folkrnn.generate.api import Prime
from folkrnn.generate.sampling import SamplingOptions

log = logging.getLogger(__name__)


def add_generation_options(p: argparse.ArgumentParser) -> None:
    """The options shared by `generate` and `batch`."""
    g = p.add_argument_group("model and search")
    g.add_argument("--model", help="checkpoint folder (default: the bundled model)")
    g.add_argument("--seed", type=int, help="the same seed and options give the same tunes "
                   "(default: a random seed, printed)")
    g.add_argument("--greedy", action="store_true", help="always take the most likely token")
    g.add_argument("--beam", type=int, default=0, metavar="K", help="beam search of width K")
    g.add_argument("--length-norm", type=float, default=0.0, metavar="A",
                   help="beam score = log-probability / length**A (default 0: none)")
    g.add_argument("--temperature", type=float, default=1.0)
    g.add_argument("--top-k", type=int, default=0)
    g.add_argument("--top-p", type=float, default=1.0)
    g.add_argument("--no-constrain", action="store_true",
                   help="let the model break bar lengths and repeats")
    g.add_argument("--max-tokens", type=int, help="length cap per tune")
    t = p.add_argument_group("what to write")
    t.add_argument("--meter", help="e.g. 6/8")
    t.add_argument("--mode", help="maj, min, dor, mix, phr, lyd or loc")
    t.add_argument("--key", help="the key of the output, e.g. G, D, Em, Ador (default by mode)")
    t.add_argument("--title", help="the title (default: the model writes one)")
    t.add_argument("--rhythm", help="e.g. jig, reel, hornpipe")
    t.add_argument("--prime", help='the opening bars, in --key, e.g. "|: GAB c2d |"')
    q = p.add_argument_group("quality")
    q.add_argument("--valid-only", action="store_true", help="remake tunes that fail the check")
    q.add_argument("--novel-only", action="store_true",
                   help="remake tunes that nearly copy a training tune")
    q.add_argument("--tries", type=int, default=5, help="attempts per tune for --valid-only/--novel-only")
    q.add_argument("--corpus", help="prepared corpus for --novel-only (default: the model's)")
    r = p.add_argument_group("rendering")
    r.add_argument("--instrument", default="fiddle", help="fiddle, flute, whistle, accordion, piano or a GM number")
    r.add_argument("--soundfont", help="SF2 file for WAV")
    r.add_argument("--tempo", type=float, help="crotchets a minute for MIDI/WAV")


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
    add_generation_options(p)
    p.set_defaults(func=run)


def sampling_options(args) -> SamplingOptions:
    try:
        return SamplingOptions(args.greedy, args.temperature, args.top_k, args.top_p)
    except ValueError as err:
        raise FolkrnnError(str(err)) from None


def parse_formats(text: str) -> set[str]:
    formats = set() if text == "none" else {f.strip() for f in text.split(",") if f.strip()}
    check_formats(formats)
    return formats


def generation_kwargs(args) -> dict:
    """generate()'s keyword arguments from the shared options."""
    return dict(prime=Prime(args.title, args.rhythm, args.meter, args.mode, args.key, args.prime),
                sampling=sampling_options(args), beam=args.beam, length_norm=args.length_norm,
                seed=args.seed, max_tokens=args.max_tokens, constrain=not args.no_constrain)


def novelty_index(args, ck):
    """The index of the model's training tunes: `--corpus`, else the copy beside the model."""
    from folkrnn.collection.build import novelty_for

    return novelty_for(ck, args.corpus, novel_only=True)


def model_corpus(folder) -> list[dict]:
    """The training tunes saved beside a model (`corpus.jsonl.gz`), or [] if none."""
    import gzip

    path = Path(folder) / "corpus.jsonl.gz"
    if not path.exists():
        return []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run(args: argparse.Namespace) -> int:
    from folkrnn.model.checkpoint import load_model
    from folkrnn.check.select import generate_selected

    formats = parse_formats(args.formats)
    if args.seed is None:
        args.seed = random.randrange(1_000_000)
        if not args.quiet:
            print(f"folkrnn: seed {args.seed}", file=sys.stderr)
    ck = load_model(args.model)
    novelty = novelty_index(args, ck) if args.novel_only else None
    sel = generate_selected(ck, args.n, valid_only=args.valid_only, novelty=novelty,
                            tries=args.tries, **generation_kwargs(args))
    if not args.valid_only and novelty is None:
        from folkrnn.check.select import assess
        for t in sel.tunes:
            assess(t)
    written = write_outputs(sel.tunes, args.out, formats, args) if formats else {}
    if args.json:
        print(json.dumps([_as_json(t, written.get(t.index, [])) for t in sel.tunes], indent=1))
    else:
        print("\n".join(t.abc or f"% tune {t.index + 1} could not be written: {t.checks}" for t in sel.tunes))
        for paths in written.values() if not args.quiet else ():
            for path in paths:
                print(f"wrote {path}", file=sys.stderr)
    failed = [t for t in sel.tunes if not t.checks.get("passed", False)]
    return 1 if failed and (args.valid_only or args.novel_only) else 0


def write_outputs(tunes, out: Path, formats: set[str], args) -> dict[int, list[Path]]:
    """Write each tune's ABC / MIDI / WAV / SVG; returns tune index -> paths."""
    from folkrnn.abc.reader import read_text
    from folkrnn.render import render
    from folkrnn.atomic import atomic_write_text

    out.mkdir(parents=True, exist_ok=True)
    written: dict[int, list[Path]] = {}
    for t in tunes:
        if not t.abc:
            continue
        tune = read_text(t.abc, "<generated>").tunes[0]
        result = render(tune, out, midi="mid" in formats, wav="wav" in formats, svg="svg" in formats,
                        soundfont=args.soundfont, instrument=args.instrument, tempo=args.tempo)
        paths = list(result.files)
        if "abc" in formats:
            path = out / f"{result.stem}.abc"
            atomic_write_text(path, t.abc)
            paths.insert(0, path)
        written[t.index] = paths
    return written


def _as_json(t, paths) -> dict:
    return {"index": t.index, "seed": t.seed, "title": t.title, "meter": t.meter, "mode": t.mode,
            "key": t.key, "rhythm": t.rhythm, "abc": t.abc, "text": t.text,
            "logprob": round(t.logprob, 3), "tokens": t.tokens, "complete": t.complete,
            "checks": t.checks, "files": [str(p) for p in paths]}
