"""Keeping only good tunes: `--valid-only` and `--novel-only` with a bounded number of tries.

A tune that fails the strict check (or is a near copy of a training tune)
is made again from the next generator of its own number, so the result is
still reproducible from the seed.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from folkrnn.check.strict import check_text
from folkrnn.errors import FolkrnnError
from folkrnn.generate.api import GeneratedTune, GenerationOptions, generate
from folkrnn.generate.parallel import model_of, shared
from folkrnn.generate.stamp import RETRY_STRIDE, renumbered

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    """Which tunes are made again, and how often (--valid-only, --novel-only, --tries, --corpus)."""

    valid_only: bool = False  # remake tunes that fail the strict check
    novel_only: bool = False  # remake near copies of a training tune
    tries: int = 5  # attempts a tune at most
    corpus: str | None = None  # prepared corpus to compare with (None: the model's training tunes)

    def to_dict(self) -> dict:
        """As a collection records it: the corpus folder resolved."""
        return {**asdict(self), "corpus": str(Path(self.corpus).resolve()) if self.corpus else None}


@dataclass
class Selection:
    tunes: list[GeneratedTune]
    rejects: Counter = field(default_factory=Counter)
    failed: list[int] = field(default_factory=list)  # tune numbers with no good attempt
    tune_rejects: dict[int, Counter] = field(default_factory=dict)  # tune number -> its rejects


def assess(tune: GeneratedTune, novelty=None, music21: bool = False) -> list[str]:
    """Reasons the tune is not good (empty: good); fills `tune.checks`."""
    if not tune.abc:
        tune.checks.setdefault("passed", False)
        return ["unreadable"]
    if "reasons" not in tune.checks or music21:
        _strict(tune, music21)  # not checked yet (`_first_pass` checks in its own process)
    reasons = ["check: " + r.split(":")[0] for r in tune.checks["reasons"][:1]]
    if not tune.complete:
        reasons.append("length cap reached")
    if novelty is not None:
        nov = novelty.check(tune.text)
        tune.checks["novelty"] = {"near_copy": nov.near_copy, "similarity": round(nov.similarity, 3),
                                  "closest": nov.closest_title, "shared_bars": nov.shared_bars}
        if nov.near_copy:
            reasons.append("near copy")
    return reasons


def generate_selected(model, n: int, options: GenerationOptions | None = None, *, seed: int = 0,
                      valid_only: bool = False, novelty=None, tries: int = 5,
                      music21: bool = False, first_index: int = 0, workers: int = 1) -> Selection:
    """`n` tunes; with valid_only / novelty each failing tune is made again (at most `tries`).
    With `workers` > 1 the tunes are made and strictly checked in that many processes
    (`generate.parallel`; the same tunes); remakes and novelty checks are made here."""
    from folkrnn.model.checkpoint import load_model

    options = options or GenerationOptions()
    model = model if hasattr(model, "tokenizer") else load_model(model)
    numbers = list(range(first_index, first_index + n))
    tunes = None if options.beam else shared(model, _first_pass, (options, seed, music21),
                                                numbers, workers)
    if tunes is None:
        tunes = generate(model, options=options, indices=numbers, seed=seed)
    sel = Selection(tunes)
    todo = list(range(n))
    for attempt in range(1, tries + 1):
        todo = [i for i in todo if _rejected(sel, sel.tunes[i], valid_only, novelty, music21)]
        if not todo:
            break
        again = generate(model, options=options, seed=seed,
                         indices=[numbers[i] + attempt * RETRY_STRIDE for i in todo])
        for i, tune in zip(todo, again):
            renumbered(model, tune, options, numbers[i], attempt)
            sel.tunes[i] = tune
    else:
        todo = [i for i in todo if _rejected(sel, sel.tunes[i], valid_only, novelty, music21)]
    sel.failed = [numbers[i] for i in todo]
    return sel


def _first_pass(spec: dict, options: GenerationOptions, seed: int, music21: bool,
                numbers: list[int]) -> list[GeneratedTune]:
    """The tunes `numbers`, strictly checked, in whichever process runs this."""
    tunes = generate(model_of(spec), options=options, indices=numbers, seed=seed)
    for t in tunes:
        if t.abc and not music21:  # (with music21, `assess` checks here: it is the slow part)
            _strict(t, music21)
    return tunes


def _strict(tune: GeneratedTune, music21: bool) -> None:
    tune.checks.update(check_text(tune.abc, "<generated>", music21=music21)[0].to_dict())


def rejections(reasons: list[str], valid_only: bool) -> list[str]:
    """The reasons (from `assess`) that make a tune be remade under the filters."""
    # a tune that cannot even be written is remade whatever the filters
    return [r for r in reasons if valid_only or r in ("near copy", "unreadable")]


def _rejected(sel: Selection, tune: GeneratedTune, valid_only: bool, novelty, music21: bool) -> bool:
    bad = rejections(assess(tune, novelty, music21), valid_only)
    for r in bad:
        sel.rejects[r] += 1
        sel.tune_rejects.setdefault(tune.index, Counter())[r] += 1
    return bool(bad)


def novelty_index(model, corpus: str | Path | None = None, required: bool = False):
    """The `NoveltyIndex` of the model's training tunes, or of the prepared corpus `corpus`.

    Raises:
        FolkrnnError: `required` (--novel-only) and there are no training tunes to compare with.
    """
    if corpus:
        from folkrnn.corpus.novelty import index_of
        from folkrnn.corpus.prepare import load_prepared

        index = index_of(Path(corpus) / "tunes.jsonl", lambda: load_prepared(corpus))
    else:
        index = model.novelty()
    if index is None and required:
        raise FolkrnnError("--novel-only needs the training tunes: pass --corpus data/corpus "
                           "(build it with `folkrnn corpus build`)")
    return index
