"""The options `generate` and `batch` share, and the objects the library takes from them.

A flag maps to a field of `GenerationOptions` or `RenderOptions`; nothing here loads torch.
"""
from __future__ import annotations

import argparse
import random
import sys

from folkrnn.errors import FolkrnnError


def add_generation_options(p: argparse.ArgumentParser, sound: bool = True,
                           corpus_help: str = "prepared corpus for --novel-only (default: the model's)"
                           ) -> None:
    """The model, search, header and quality options of `generate`, `batch` and `measure`, and
    (with `sound`) the rendering ones."""
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
    g.add_argument("--part-bars", type=int, default=0, metavar="N",
                   help="every part of the tune has N bars: 4, 8 or 16 (default: as the model writes)")
    g.add_argument("--no-restate", action="store_true",
                   help="no restating: a bar of a part's second half begun as the bar four before "
                        "it goes on as the model likes, not as that bar went")
    g.add_argument("--form", default="", metavar="FORM",
                   help="the tune's form, e.g. AABB8, AB16, AABB (with --part-bars, else 8 bars a "
                        "part), kept as far as the length cap allows; free: the model's choice, "
                        "not kept (default: the model's choice, kept)")
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
    q.add_argument("--corpus", help=corpus_help)
    if sound:
        add_sound_options(p.add_argument_group("rendering"))


def add_workers_option(p: argparse.ArgumentParser) -> None:
    """--workers: the processes `generate` and `measure` make tunes in."""
    p.add_argument("--workers", type=int, metavar="N",
                   help="processes to make the tunes in, this one included: the same tunes, "
                        "sooner on more cores (default: one a core, at most 8, from 512 tunes; "
                        "else 1)")


def workers_option(args: argparse.Namespace, n: int, options) -> int:
    """The --workers asked for (checked), or the default for `n` tunes (1 with --beam); the
    workers are started at once, so that their imports overlap the model's loading."""
    from folkrnn.generate.parallel import MAX_WORKERS, default_workers, prepare, useful_workers

    if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
        raise FolkrnnError(f"--workers must be 1 to {MAX_WORKERS}")
    workers = 1 if options.beam else useful_workers(args.workers or default_workers(n), n)
    prepare(workers)
    return workers


def add_sound_options(g) -> None:
    """--instrument, --soundfont and --tempo (every command that writes MIDI or audio)."""
    g.add_argument("--instrument", default="fiddle",
                   help="fiddle, flute, whistle, accordion, piano, ... or a GM number 1-128")
    g.add_argument("--soundfont", help="SF2 file for WAV")
    g.add_argument("--tempo", type=float, help="crotchets a minute for MIDI/WAV, overriding Q:")
    add_swing_options(g)
    add_audio_limit(g)


def add_audio_limit(g) -> None:
    """--max-audio-minutes: the longest tune that gets audio."""
    g.add_argument("--max-audio-minutes", type=float, default=argparse.SUPPRESS, metavar="M",
                   help="no audio for a tune that plays longer (default 30)")  # audio.MAX_AUDIO_MINUTES


def add_swing_options(g) -> None:
    """--swing (the default, as abc2midi) and --straight: how hornpipes' quaver pairs play."""
    m = g.add_mutually_exclusive_group()
    m.add_argument("--swing", dest="swing", action="store_true", default=True,
                   help="swing hornpipes' quaver pairs 2:1, as abc2midi does (the default)")
    m.add_argument("--straight", dest="swing", action="store_false",
                   help="play hornpipes' quavers as written, not swung")


def generation_options(args: argparse.Namespace):
    """The GenerationOptions the flags ask for."""
    from folkrnn.generate import GenerationOptions, Prime, SamplingOptions

    try:
        sampling = SamplingOptions(args.greedy, args.temperature, args.top_k, args.top_p)
    except ValueError as err:
        raise FolkrnnError(str(err)) from None
    return GenerationOptions(
        prime=Prime(args.title, args.rhythm, args.meter, args.mode, args.key, args.prime),
        sampling=sampling, beam=args.beam, length_norm=args.length_norm,
        max_tokens=args.max_tokens, constrain=not args.no_constrain, part_bars=args.part_bars,
        form=args.form, restate=not args.no_restate)


def render_options(args: argparse.Namespace):
    """The RenderOptions the flags ask for (those the command has)."""
    from dataclasses import fields

    from folkrnn.render.formats import RenderOptions

    given = {f.name: getattr(args, f.name) for f in fields(RenderOptions) if hasattr(args, f.name)}
    return RenderOptions(**given)


def formats_option(text: str) -> list[str]:
    """--formats: names of the format registry, comma-separated, or none."""
    from folkrnn.render.formats import parse_formats

    return parse_formats(text)


def say_preparing(folder, seconds: float) -> None:
    """The one line a first `evaluate` or `measure` without a corpus prints before preparing one."""
    print(f"folkrnn: preparing the default corpus into {folder} (once; about {seconds:.0f} s)…",
          file=sys.stderr, flush=True)


def choose_seed(args: argparse.Namespace, stored: int | None = None) -> int:
    """--seed, else `stored` (a resumed collection's), else a random seed, printed."""
    if args.seed is not None:
        return args.seed
    if stored is not None:
        return stored
    seed = random.randrange(1_000_000)
    if not args.quiet:
        print(f"folkrnn: seed {seed}", file=sys.stderr)
    return seed


def print_warnings(args: argparse.Namespace, warnings: list) -> None:
    """A tune's reading warnings on stderr, one line each, unless -q."""
    if not args.quiet:
        for w in warnings:
            print(f"folkrnn: warning: {w}", file=sys.stderr)
