"""`folkrnn train` and `folkrnn evaluate`."""
from __future__ import annotations

import argparse
import json

from folkrnn.cli.options import say_preparing
from folkrnn.model.config import PRESETS
from folkrnn.tokenize import TOKENIZERS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `train` and `evaluate` subcommands."""
    p = subparsers.add_parser(
        "train", help="train a model on a prepared corpus",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train an LSTM on a prepared corpus (`folkrnn corpus build` makes it); "
                    "--resume continues a killed run exactly.",
        epilog="examples:\n  folkrnn train --out runs/mine --max-minutes 60\n"
               "  folkrnn train --out runs/mine --resume --max-minutes 60   # another hour\n"
               "  folkrnn train --preset folkrnn-v2 --out runs/v2 --device cuda\n"
               "  torchrun --nproc_per_node 2 -m folkrnn train --out runs/ddp   # several GPUs")
    p.add_argument("--preset", default="default", choices=sorted(PRESETS))
    p.add_argument("--tokenizer", default="folkrnn", choices=sorted(TOKENIZERS),
                   help="folkrnn (tokens, as the bundled model) or char (default folkrnn)")
    p.add_argument("--out", required=True, help="run folder (checkpoints, metrics, loss.png)")
    p.add_argument("--corpus", default="data/corpus", help="prepared corpus folder")
    p.add_argument("--epochs", type=int, help="max epochs (default: the preset's)")
    p.add_argument("--max-minutes", type=float, help="stop, checkpointed, after this long")
    p.add_argument("--checkpoint-minutes", type=float, default=5.0,
                   help="refresh the resumable checkpoint this often (default 5)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--init-from", metavar="DIR",
                   help="a new run starts from this checkpoint's weights where they fit")
    p.add_argument("--seed", type=int, help="seed (default: the preset's)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="settings",
                   help="change one of the preset's model or training settings for a new run "
                        "(e.g. --set close_weight=4 --set lr=3e-4); repeatable")
    p.add_argument("--device", help="cuda, mps or cpu (default: the best available)")
    p.add_argument("--json", action="store_true", help="print the run's summary as JSON")
    p.set_defaults(func=run_train)

    e = subparsers.add_parser(
        "evaluate", help="score a model and an n-gram baseline",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Nats/token, bits/char and perplexity of a model, "
                    "next to an interpolated Kneser-Ney baseline.",
        epilog="examples:\n  folkrnn evaluate\n"
               "  folkrnn evaluate --model runs/mine/best --split valid --json")
    e.add_argument("--model", help="checkpoint folder (default: the bundled model)")
    e.add_argument("--corpus", help="prepared corpus folder (default: data/corpus when built, "
                   "else the default corpus, prepared once into ~/.cache/folkrnn or $FOLKRNN_CACHE)")
    e.add_argument("--split", default="test", choices=["train", "valid", "test"])
    e.add_argument("--no-ngram", action="store_true", help="skip the n-gram baseline")
    e.add_argument("--json", action="store_true", help="print JSON")
    e.add_argument("--device", help="cuda, mps or cpu (default: the best available)")
    e.set_defaults(func=run_evaluate)


def run_train(args: argparse.Namespace) -> int:
    from folkrnn.train.loop import train  # torch is slow to import: only when needed

    summary = train(args.out, preset=args.preset, tokenizer=args.tokenizer,
                    corpus_dir=args.corpus, epochs=args.epochs, max_minutes=args.max_minutes,
                    resume=args.resume, seed=args.seed, quiet=getattr(args, "quiet", False),
                    checkpoint_minutes=args.checkpoint_minutes, device=args.device,
                    init_from=args.init_from, overrides=settings(args.settings))
    if args.json:
        print(json.dumps(summary, indent=1, default=str))
        return 0
    print(f"stopped ({summary['stopped']}) after {summary['epochs']} epochs", end="")
    if summary.get("best_valid_loss") is not None:
        print(f"; best valid loss {summary['best_valid_loss']:.4f} nats/token at epoch "
              f"{summary['best_epoch'] + 1}", end="")
    print(f"; checkpoints in {summary['out']}"
          + ("; continue with --resume" if summary["stopped"] in ("time", "interrupted") else ""))
    return 0


def settings(pairs: list[str]) -> dict:
    """`--set NAME=VALUE` pairs as overrides, each VALUE read as the setting's own type."""
    from dataclasses import fields

    from folkrnn.errors import FolkrnnError
    from folkrnn.model.config import ModelConfig, TrainConfig

    types = {f.name: f.type for cls in (ModelConfig, TrainConfig) for f in fields(cls)}
    out = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or name not in types or name == "vocab_size":
            raise FolkrnnError(f"--set {pair!r}: give NAME=VALUE, NAME one of "
                               f"{sorted(set(types) - {'vocab_size'})}")
        kind = types[name]
        try:
            out[name] = (value.lower() in ("1", "true", "yes") if kind == "bool"
                         else int(value) if kind == "int" else float(value) if kind == "float"
                         else value)
        except ValueError:
            raise FolkrnnError(f"--set {pair!r}: {name} takes a {kind}") from None
    return out


def run_evaluate(args: argparse.Namespace) -> int:
    from folkrnn.train.evaluation import evaluate

    quiet = getattr(args, "quiet", False)
    result = evaluate(args.model, args.corpus, args.split, ngram=not args.no_ngram,
                      device=args.device, on_prepare=None if quiet else say_preparing)
    print(json.dumps(result, indent=1) if args.json else format_result(result))
    return 0


def format_result(result: dict) -> str:
    """A small table: model and n-gram, nats/token, bits/char, perplexity."""
    s = result["scores"]
    lines = [f"{result['model']} on {result['split']} ({s['tunes']} tunes, {s['tokens']} tokens)",
             f"{'':12} {'nats/token':>10} {'bits/char':>10} {'perplexity':>10}",
             f"{'model':12} {s['nll']:10.4f} {s['bpc']:10.4f} {s['perplexity']:10.3f}"]
    if "ngram" in result:
        n = result["ngram"]
        lines.append(f"{'KN ' + str(n['order']) + '-gram':12} {n['nll']:10.4f} {n['bpc']:10.4f} "
                     f"{n['perplexity']:10.3f}")
    if "form_token" in result:
        f = result["form_token"]
        lines.append(f"the form token: {f['nats_per_tune']:.3f} nats a tune, {f['bpc']:.4f} of the "
                     f"model's bits/char (counted in; {f['bpc_without']:.4f} without it)")
    if not result.get("corpus_hash_matches", True):
        n = result.get("corpus_tunes_differ")
        lines.append("note: the model was trained on a different corpus version"
                     + ("" if n is None else f" ({n} tune{' differs' if n == 1 else 's differ'})"))
    return "\n".join(lines)
