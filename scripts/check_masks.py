#!/usr/bin/env python3
"""The mask table against the rules (`TuneState.allowed`) on every corpus tune and on
generated tunes: the equivalence check of issue 15 in full (the test suite runs a sample).

    python scripts/check_masks.py [--generated 500] [--model DIR]

Corpus tunes are teacher-forced under each form setting in turn (none, free, AABB8, AB8,
AABB4) with the length cap at the default and just past the tune's end, alternately; the
generated tunes are made with the table checking every state against the rules at every
step, under ten settings in turn. Prints the tunes and steps compared, the first
difference if any, and the table's size.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from folkrnn.corpus.prepare import build  # noqa: E402
from folkrnn.generate import beam, decode  # noqa: E402
from folkrnn.generate.api import GenerationOptions, generate  # noqa: E402
from folkrnn.generate.constraints import Header, TuneState, Vocab  # noqa: E402
from folkrnn.generate.constraints.form import resolve_form  # noqa: E402
from folkrnn.generate.constraints.table import CheckedTable, MaskTable, first_difference  # noqa: E402
from folkrnn.generate.prime import Prime  # noqa: E402
from folkrnn.generate.sampling import SamplingOptions  # noqa: E402
from folkrnn.model.checkpoint import load_model  # noqa: E402
from folkrnn.tokenize import BOS, EOS  # noqa: E402

FORMS = ("", "free", "AABB8", "AB8", "AABB4")
SETTINGS = [GenerationOptions(), GenerationOptions(form="free"), GenerationOptions(part_bars=8),
            GenerationOptions(form="AB8"), GenerationOptions(restate=False),
            GenerationOptions(sampling=SamplingOptions(temperature=1.4)),
            GenerationOptions(prime=Prime(meter="9/8")),
            GenerationOptions(prime=Prime(rhythm="hornpipe")),
            GenerationOptions(prime=Prime(body="|:G2 | c2e2")),
            GenerationOptions(sampling=SamplingOptions(top_k=5, temperature=0.8))]


def corpus_check(ck, entries) -> tuple[int, int, list[str], dict]:
    tok = ck.tokenizer
    table = MaskTable(Vocab(tok.vocab))
    index, tunes, steps, bad = set(tok.vocab), 0, 0, []
    for k, entry in enumerate(entries):
        tokens = [BOS, *tok.tokens(entry.text), EOS]
        if not set(tokens) <= index:
            continue
        form = resolve_form(FORMS[k % len(FORMS)], 0, tok.vocab)
        cap = 800 if k % 2 else len(tokens) + 20
        at = first_difference(table, tokens,
                              lambda f=form: TuneState(table.v, Header(), **f.state_fields()), cap)
        if at is not None:
            bad.append(f"{entry.text.splitlines()[0]} step {at}")
        tunes, steps = tunes + 1, steps + len(tokens)
    return tunes, steps, bad, table.stats()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generated", type=int, default=500)
    ap.add_argument("--model")
    args = ap.parse_args()
    ck = load_model(args.model)
    start = time.perf_counter()
    corpus = build()  # the default corpus, as `folkrnn corpus build` makes it
    tunes, steps, bad, stats = corpus_check(ck, corpus.entries)
    print(f"corpus: {tunes} tunes, {steps} steps teacher-forced, {len(bad)} differ"
          f"{': ' + bad[0] if bad else ''}; table {stats} ({time.perf_counter() - start:.0f} s)")
    table = CheckedTable(Vocab(ck.tokenizer.vocab))
    decode.shared_table = beam.shared_table = lambda vocab: table
    per = max(1, args.generated // len(SETTINGS))
    made = 0
    for k, opts in enumerate(SETTINGS):
        made += len(generate(ck, per, opts, seed=100 + k))
    print(f"generated: {made} tunes under {len(SETTINGS)} settings, {table.checked} states "
          f"checked against the rules, none differ; table {table.stats()}")


if __name__ == "__main__":
    main()
