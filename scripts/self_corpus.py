#!/usr/bin/env python3
"""A prepared corpus with the model's own constrained tunes added to its training split.

    python scripts/self_corpus.py [--model DIR] [-n 1500] [--seed 11] [--corpus data/corpus]
                                  [--out data/corpus-self] [--bar-lines-only]

Self-training for form (issue 14): tunes made at default settings (bar lengths, repeats and
the form the model chose are kept by the constraints, so every part closes where its form
token says) join the training split as `source: self`; valid and test stay the corpus's
own, so the scores stay comparable. With `--bar-lines-only` only their bar lines and ends
count in the loss (`train.batches.learned_targets`): they teach where parts close without
teaching the model its own notes (its formed tunes hold fewer semiquavers than the corpus's).
The F: line is dropped, as the corpus's texts have none: the tokenizer reads the form from
the body, as for every other tune. The manifest is the corpus's, with a new content hash
and a `self` entry saying what was added.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="checkpoint folder (default: the bundled model)")
    ap.add_argument("-n", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--corpus", default=str(ROOT / "data" / "corpus"))
    ap.add_argument("--out", default=str(ROOT / "data" / "corpus-self"))
    ap.add_argument("--bar-lines-only", action="store_true",
                    help="the added tunes teach only their bar lines and ends (`learn: bar lines`)")
    ap.add_argument("--pool", type=int, default=0,
                    help="make this many tunes and keep -n of them whose meters and share of "
                         "notes shorter than a quaver are distributed as the training tunes' (`matched`)")
    args = ap.parse_args()

    from folkrnn.corpus.prepare import load_manifest, load_prepared
    from folkrnn.generate.api import generate
    from folkrnn.model.checkpoint import load_model
    from folkrnn.train.batches import LEARN_BAR_LINES

    records, manifest = load_prepared(args.corpus), load_manifest(args.corpus)
    ck = load_model(args.model)
    tunes = [g for g in generate(ck, max(args.n, args.pool), seed=args.seed, workers=2) if g.complete]
    if args.pool:
        tunes = matched(tunes, [r["text"] for r in records if r["split"] == "train"], args.n)
    added = []
    for g in tunes:
        text = "\n".join(line for line in g.text.splitlines() if not line.startswith("F:"))
        added.append({"id": f"self/{args.seed}#{g.index}", "source": "self", "title": g.title,
                      "rhythm": g.rhythm, "meter": g.meter, "mode": g.mode, "text": text,
                      "split": "train", "group": f"self/{args.seed}#{g.index}",
                      **({"learn": LEARN_BAR_LINES} if args.bar_lines_only else {})})
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records + added)
    (out / "tunes.jsonl").write_text(lines, encoding="utf-8")
    for vocab in Path(args.corpus).glob("vocab_*.json"):
        shutil.copy(vocab, out / vocab.name)
    digest = hashlib.sha256((manifest["content_hash"] + lines).encode("utf-8")).hexdigest()
    model = str(ck.path.relative_to(ROOT)) if ck.path.is_relative_to(ROOT) else str(ck.path)
    manifest.update(content_hash=digest, count=len(records) + len(added),
                    self={"tunes": len(added), "asked": args.n, "seed": args.seed, "model": model,
                          "from_corpus": manifest["content_hash"],
                          "learn": LEARN_BAR_LINES if args.bar_lines_only else "all",
                          **({"pool": args.pool, "matched": "meter and short-note share"}
                             if args.pool else {})})
    manifest["splits"] = dict(Counter(r["split"] for r in records + added))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"{out}: {len(records)} corpus tunes + {len(added)} of the model's own "
          f"(of {args.n} asked), hash {digest[:12]}")


SHORT_BINS = (0.05, 0.15, 0.3, 0.5)  # a tune's share of notes shorter than a quaver, binned


def rhythm_cell(text: str) -> tuple[str, int] | None:
    """A normalised tune's meter and the bin of its share of notes shorter than a quaver
    (None: unreadable)."""
    from bisect import bisect_right

    from folkrnn.abc.normalise import read_normal
    from folkrnn.check.form import measure_tune
    from folkrnn.errors import FolkrnnError

    try:
        tune = read_normal(text)
        lengths = measure_tune(tune).note_lengths
    except FolkrnnError:
        return None
    short = sum(1 for d in lengths if d < 1) / max(len(lengths), 1)
    return str(tune.meter), bisect_right(SHORT_BINS, short)


def matched(tunes: list, corpus_texts: list[str], n: int) -> list:
    """Up to `n` of `tunes` (in their order) whose cells (`rhythm_cell`) are as common as
    among `corpus_texts`: the model's formed tunes hold fewer short notes than the corpus's,
    and more 6/8, so taking them as they come would teach it a plainer rhythm."""
    want = Counter(c for c in map(rhythm_cell, corpus_texts) if c is not None)
    total = sum(want.values())
    quota = {c: round(n * k / total) for c, k in want.items()}
    kept = []
    for g in tunes:
        c = rhythm_cell(g.text)
        if c is not None and quota.get(c, 0) > 0:
            quota[c] -= 1
            kept.append(g)
    return kept


if __name__ == "__main__":
    main()
