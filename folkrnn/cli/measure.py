"""`folkrnn measure`: the musical measure of generated tunes (or of an ABC file's tunes)
beside the test split's: folk form, cadences, repetition and note distributions.

The rules are `folkrnn.abc.sections`'s and `folkrnn.check.form`'s; nothing here loads torch
until tunes are generated, and matplotlib only for `--png`.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from folkrnn.cli.options import (
    add_generation_options,
    add_workers_option,
    choose_seed,
    generation_options,
    say_preparing,
    workers_option,
)
from folkrnn.errors import FolkrnnError

DEFAULT_N, MAX_N = 100, 10_000
CORPUS_HELP = ("prepared corpus whose split the tunes are measured against, and whose tunes "
               "--novel-only compares with (default: data/corpus when built, else the default "
               "corpus, prepared once into ~/.cache/folkrnn or $FOLKRNN_CACHE)")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `measure` subcommand."""
    p = sub.add_parser(
        "measure", help="measure tunes' folk form and notes against the test split",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Sections of 4, 8 or 16 bars, AABB form, cadences on the tonic, repeated bars\n"
                    "and the pitch, interval, length and range distributions of generated tunes\n"
                    "(or of --abc FILE), beside the same figures of the corpus's test split.",
        epilog="examples:\n  folkrnn measure -n 200 --seed 1\n"
               "  folkrnn measure -n 200 --seed 1 --no-constrain --json\n"
               "  folkrnn measure --abc tunes.abc --png measure.png")
    source = p.add_mutually_exclusive_group()
    source.add_argument("-n", type=int, help=f"how many tunes to generate (default {DEFAULT_N})")
    source.add_argument("--abc", type=Path, metavar="FILE", help="measure this file's tunes instead")
    p.add_argument("--split", default="test", choices=["train", "valid", "test"],
                   help="the corpus split to measure against (default test)")
    p.add_argument("--png", type=Path, metavar="FILE", help="draw the distributions side by side")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_generation_options(p, sound=False, corpus_help=CORPUS_HELP)
    add_workers_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from folkrnn.check.form import compare, measure_normal, read_split
    from folkrnn.corpus.cache import default_corpus

    n = DEFAULT_N if args.n is None else args.n
    if not 1 <= n <= MAX_N:
        raise FolkrnnError(f"-n must be 1 to {MAX_N:,}")
    options = generation_options(args)  # its limits, before anything heavy
    corpus = args.corpus or default_corpus(None if args.quiet else say_preparing)
    texts = read_split(corpus, args.split)  # read once: measured here, scored in _nll
    test = measure_normal(texts)
    measured, about = (_given(args.abc) if args.abc else _generated(args, n, options, texts))
    result = {"measured": about, "corpus": str(corpus), "split": args.split,
              "tunes": measured.to_dict(), "test": test.to_dict(), "compare": compare(measured, test)}
    if args.png:
        from folkrnn.check.plot import plot_distributions

        name = args.abc.name if args.abc else "generated"
        result["png"] = str(plot_distributions(measured, test, args.png, (name, f"{args.split} split")))
    print(json.dumps(result, indent=1) if args.json else format_table(result))
    return 0


def _given(path: Path):
    from folkrnn.abc.reader import file_text
    from folkrnn.check.form import measure_abc

    return measure_abc([file_text(path)], str(path), empty_is_none=True), {"abc": str(path)}


def _generated(args: argparse.Namespace, n: int, options, split_texts: list[str]):
    from folkrnn.check.form import measure_abc
    from folkrnn.check.select import generate_selected, novelty_index
    from folkrnn.model import load_model

    seed = choose_seed(args)
    workers = workers_option(args, n, options)
    ck = load_model(args.model)
    novelty = novelty_index(ck, args.corpus, required=True) if args.novel_only else None
    start = time.monotonic()
    sel = generate_selected(ck, n, options, seed=seed, valid_only=args.valid_only,
                            novelty=novelty, tries=args.tries, workers=workers)
    about = {"model": str(ck.path), "n": n, "seed": seed, "options": options.to_dict(),
             "valid_only": args.valid_only, "novel_only": args.novel_only,
             "seconds": round(time.monotonic() - start, 1), "nll": _nll(ck, split_texts)}
    return measure_abc([t.abc for t in sel.tunes], "<generated>"), about


def _nll(ck, split_texts: list[str]) -> dict | None:
    """The model's likelihood on the split, to set beside the musical figures (None when it
    can score none of the split's tunes)."""
    from folkrnn.train.evaluation import model_scores

    scores = model_scores(ck.model, ck.tokenizer, split_texts)
    return scores.to_dict() if scores.tunes else None


def format_table(result: dict) -> str:
    """The figures beside the split's, the commonest forms, and the distributions compared."""
    from folkrnn.check.distributions import DISTRIBUTIONS
    from folkrnn.check.form import FIGURES

    mine, test, about = result["tunes"], result["test"], result["measured"]
    name = Path(about["abc"]).name if "abc" in about else "generated"
    split = f"{result['split']} split"
    lines = [_heading(about, mine, test, split), "",
             f"{'':38} {name[:12]:>12} {split:>12}"]
    for key, label, share in FIGURES:
        lines.append(f"{label:38} {_value(mine['figures'][key], share):>12} "
                     f"{_value(test['figures'][key], share):>12}")
    lines += ["", f"commonest forms ({name}): {_forms(mine)}", f"commonest forms ({split}): {_forms(test)}",
              "", f"{'distribution':46} {'overlap':>8} {'KL(' + name[:9] + ' || split)':>22}"]
    for bins in DISTRIBUTIONS:
        c = result["compare"][bins.name]
        shown = [("-" if c[k] is None else f"{c[k]:.{d}f}") for k, d in (("overlap", 3), ("kl", 4))]
        lines.append(f"{bins.title:46} {shown[0]:>8} {shown[1]:>22}")
    lines.append("(overlap: sum of the smaller shares, 1 = the same; KL in nats, add-one smoothed)")
    return "\n".join(lines)


def _heading(about: dict, mine: dict, test: dict, split: str) -> str:
    what = (f"{about['abc']}" if "abc" in about else
            f"{about['n']} tunes of {about['model']}, seed {about['seed']}"
            f"{'' if about['options']['constrain'] else ', --no-constrain'}"
            f"{f', --part-bars {bars}' if (bars := about['options'].get('part_bars')) else ''}"
            f"{f', --form {form}' if (form := about['options'].get('form')) else ''}"
            f"{'' if about['options'].get('restate', False) else ', --no-restate'}"
            f" ({about['seconds']} s)")
    bad = f", {mine['unreadable']} unreadable" if mine["unreadable"] else ""
    nll = about.get("nll")
    beside = (f"\nthe model on the {split}: {nll['nll']:.4f} nats/token, {nll['bpc']:.4f} bits/char"
              if nll else "")
    return f"{what}: {_tunes(mine['tunes'])} measured{bad}; the {split}: {_tunes(test['tunes'])}{beside}"


def _tunes(n: int) -> str:
    return f"{n} tune{'' if n == 1 else 's'}"


def _value(v: float | None, share: bool) -> str:
    if v is None:
        return "-"
    return f"{100 * v:.1f}%" if share else f"{v:.2f}"


def _forms(summary: dict) -> str:
    total = max(1, summary["tunes"])
    return ", ".join(f"{form} {100 * k / total:.0f}%" for form, k in summary["forms"].items()) or "-"
