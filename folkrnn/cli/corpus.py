"""`folkrnn corpus build|stats`: prepare the training corpus and describe it."""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from folkrnn.abc.normalise import NormaliseOptions
from folkrnn.corpus import prepare as corpus
from folkrnn.corpus.cache import write_vocabularies
from folkrnn.tokenize import build_tokenizer

DEFAULT_OUT = Path("data/corpus")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("corpus", help="build or describe the training corpus",
                       description="Build the training corpus from music21's bundled ABC "
                       "collections (and your own files), or print its statistics.",
                       epilog="examples:\n  folkrnn corpus stats\n"
                       "  folkrnn corpus build --out data/corpus --source essenFolksong\n"
                       "  folkrnn corpus stats --json --source my_tunes/",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=["build", "stats"])
    p.add_argument("--source", action="append", default=[], metavar="NAME|PATH",
                   help="add a source: essenFolksong, or an ABC file or folder (repeatable)")
    p.add_argument("--no-default-sources", action="store_true",
                   help=f"leave out the default collections ({', '.join(corpus.DEFAULT_SOURCES)})")
    p.add_argument("--keep-chord-symbols", action="store_true")
    p.add_argument("--keep-decorations", action="store_true")
    p.add_argument("--keep-grace-notes", action="store_true")
    p.add_argument("--bars-ok-only", action="store_true",
                   help="keep only tunes whose every bar has the right length for the meter")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where `build` writes (default %(default)s)")
    p.add_argument("--json", action="store_true", help="machine-readable statistics")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    sources = ([] if args.no_default_sources else list(corpus.DEFAULT_SOURCES)) + args.source
    options = NormaliseOptions(args.keep_chord_symbols, args.keep_decorations, args.keep_grace_notes)
    start = time.perf_counter()
    built = corpus.build(sources, options)
    if args.bars_ok_only:
        dropped = sum(not e.bars_ok for e in built.entries)
        built.entries = [e for e in built.entries if e.bars_ok]
        built.stats["drops"]["bars do not fit the meter"] = dropped
    stats = full_stats(built)
    if args.action == "build":
        corpus.write(built, args.out)
        write_vocabularies(built.entries, args.out)
    stats["wall_seconds"] = round(time.perf_counter() - start, 2)
    print(json.dumps(stats, indent=1, ensure_ascii=False) if args.json else format_stats(stats))
    if args.action == "build" and not args.json:
        print(f"\nwrote {len(built.entries)} tunes to {args.out}/tunes.jsonl")
    return 0


def full_stats(built: corpus.Corpus) -> dict:
    """The corpus statistics plus tokens and vocabulary per tokenizer and the leakage figure."""
    texts = [e.text for e in built.entries]
    stats = dict(built.stats)
    for kind in ("char", "folkrnn"):
        tok = build_tokenizer(kind, texts)
        stats[f"tokens_{kind}"] = sum(len(tok.encode(t)) for t in texts)
        stats[f"vocab_{kind}"] = len(tok.vocab)
    stats["leakage_test_80pct"] = round(corpus.leakage(built.entries), 4)
    stats["content_hash"] = corpus.content_hash(built.entries)
    return stats


def format_stats(s: dict) -> str:
    lines = ["tunes per source (read / normalised / after dedup):"]
    for src in s["tunes_read"]:
        lines.append(f"  {src:16} {s['tunes_read'][src]:6} {s['tunes_normalised'].get(src, 0):6}"
                     f" {s['tunes_after_dedup'].get(src, 0):6}")
    lines.append("dropped, by reason:")
    lines += [f"  {n:6}  {reason}" for reason, n in s["drops"].items()]
    lines.append("meters: " + ", ".join(f"{k} {v}" for k, v in s["meters"].items()))
    lines.append("modes:  " + ", ".join(f"{k} {v}" for k, v in s["modes"].items()))
    lines.append("splits: " + ", ".join(f"{k} {v}" for k, v in s["splits"].items())
                 + f"  ({s['groups']} groups of near duplicates)")
    for kind in ("char", "folkrnn"):
        lines.append(f"tokens ({kind}): {s[f'tokens_{kind}']:,}  vocabulary {s[f'vocab_{kind}']}")
    lines.append(f"tunes whose every bar fits the meter: {100 * s['bars_ok_share']:.1f}%")
    lines.append(f"test tunes with >=80% of their 10-token runs in train: "
                 f"{100 * s['leakage_test_80pct']:.2f}%")
    lines.append(f"content hash: {s['content_hash'][:16]}  ({s.get('wall_seconds', 0)} s)")
    return "\n".join(lines)
