"""Novelty: does a generated tune nearly copy a training tune?

    index = NoveltyIndex.from_corpus(corpus.load_prepared("data/corpus"))
    index = index_of(path, load)    # the same, built once per process for a file of tunes
    index.check(normalised_text) -> NoveltyResult(near_copy, similarity, closest_id,
                                                  closest_title, shared_bars)

A tune is a near copy of a training tune when either
- the edit-distance similarity of their bodies, over `folkrnn` tokens, is at
  least `SIMILARITY` (0.9): 1 - Levenshtein distance / the longer length, so a
  200-token tune may differ in at most 20 tokens; or
- they share a run of at least `SHARED_BARS` (8) consecutive identical bars
  (bar contents compared, bar lines ignored): a whole strain lifted.

Compare normalised texts (root C, `L:1/8`), i.e. the model's output before it is
transposed to the key asked for; `check_tune` normalises a `Tune` first.

Speed: an inverted index of runs of `RUN` (5) tokens finds the candidates (the
training tunes sharing the most runs; runs found in over `MAX_DF` of the tunes
are too common to tell tunes apart and are left out); only the best `CANDIDATES`
get the exact distance, a Levenshtein with numpy rows.
"""
from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from folkrnn.abc.normalise import normalise
from folkrnn.abc.reader import Tune
from folkrnn.tokenize import body_tokens

SIMILARITY = 0.9
SHARED_BARS = 8
RUN = 5  # tokens a run; short enough that a copy with a changed note every bar still shares runs
MAX_DF = 0.02  # share of tunes above which a run is too common to index
CANDIDATES = 6


@dataclass(frozen=True)
class NoveltyResult:
    """The verdict on one tune against the training tunes.

    similarity: 1 - edit distance / longer length, to `closest_id` (0.0 when no
    training tune shares a run with it). shared_bars: the longest run of
    consecutive identical bars shared with that tune.
    """

    near_copy: bool
    similarity: float
    closest_id: str | None
    closest_title: str | None
    shared_bars: int


@dataclass(frozen=True)
class _Body:
    ids: np.ndarray  # token ids, int32
    bars: tuple[tuple[str, ...], ...]  # contents of each non-empty bar
    runs: frozenset[int]  # hashes of the RUN-token runs
    counts: Counter  # token id -> occurrences


class NoveltyIndex:
    """Training tunes, indexed by their token runs, for `check`."""

    def __init__(self, ids: list[str], titles: list[str], bodies: list[str],
                 similarity: float = SIMILARITY, shared_bars: int = SHARED_BARS) -> None:
        self.similarity, self.shared_bars = similarity, shared_bars
        self.ids, self.titles = ids, titles
        self._vocab: dict[str, int] = {}
        self._bodies = [self._body(b) for b in bodies]
        self._index = self._build_index()

    @classmethod
    def from_corpus(cls, records: Iterable[dict], splits: tuple[str, ...] | None = ("train",),
                    **kw) -> "NoveltyIndex":
        """An index of the prepared corpus records (`corpus.load_prepared`) in `splits`
        (all records when None, or when a record has no split)."""
        rows = [r for r in records if splits is None or r.get("split", splits[0]) in splits]
        return cls([r["id"] for r in rows], [r.get("title", "") for r in rows],
                   [body_of(r["text"]) for r in rows], **kw)

    def __len__(self) -> int:
        return len(self.ids)

    def check(self, normalised_text: str) -> NoveltyResult:
        """Compare a normalised tune (header and body, or the body alone) with the index."""
        query = self._body(body_of(normalised_text), grow=False)
        best = (False, 0.0, 0, -1)  # (near copy, similarity, shared bars, tune)
        for i in self._candidates(query):
            body = self._bodies[i]
            bars = longest_shared_run(query.bars, body.bars)
            floor = 0.0 if bars >= self.shared_bars else best[1]
            if floor and similarity_bound(query, body) <= floor:
                continue  # cannot be closer than the best so far: skip the distance
            sim = similarity(query.ids, body.ids, floor)
            near = sim >= self.similarity or bars >= self.shared_bars
            best = max(best, (near, sim, bars, i))
        near, sim, bars, i = best
        if i < 0:
            return NoveltyResult(False, 0.0, None, None, 0)
        return NoveltyResult(near, round(sim, 4), self.ids[i], self.titles[i], bars)

    def check_tune(self, tune: Tune) -> NoveltyResult:
        """Normalise a tune (root C) and check it."""
        return self.check(normalise(tune).text)

    def _body(self, body: str, grow: bool = True) -> _Body:
        toks = body_tokens(body)
        if grow:
            for t in toks:
                self._vocab.setdefault(t, len(self._vocab))
        ids = np.array([self._vocab.get(t, -1) for t in toks], dtype=np.int32)
        runs = frozenset(hash(tuple(toks[i:i + RUN])) for i in range(len(toks) - RUN + 1))
        return _Body(ids, split_bars(toks), runs, Counter(ids.tolist()))

    def _build_index(self) -> dict[int, list[int]]:
        index: dict[int, list[int]] = defaultdict(list)
        for i, b in enumerate(self._bodies):
            for h in b.runs:
                index[h].append(i)
        limit = max(2, int(MAX_DF * len(self._bodies)))
        return {h: tunes for h, tunes in index.items() if len(tunes) <= limit}

    def _candidates(self, query: _Body) -> list[int]:
        """The training tunes sharing the largest share of runs with `query`."""
        shared: Counter = Counter()
        for h in query.runs:
            shared.update(self._index.get(h, ()))
        score = {i: n / max(1, min(len(query.runs), len(self._bodies[i].runs)))
                 for i, n in shared.items()}
        return sorted(score, key=lambda i: (-score[i], i))[:CANDIDATES]


def body_of(text: str) -> str:
    """The body of a normalised text: the lines after `K:` (the whole text if it has none)."""
    lines = text.strip("\n").split("\n")
    k = next((i for i, line in enumerate(lines) if line.startswith("K:")), -1)
    return "".join(lines[k + 1:])


def _is_bar(token: str) -> bool:
    return "|" in token or token == "::" or (token.startswith("[") and token[1:2].isdigit())


def split_bars(tokens: list[str]) -> tuple[tuple[str, ...], ...]:
    """The contents of each non-empty bar (bar lines and endings dropped)."""
    bars, cur = [], []
    for t in tokens:
        if _is_bar(t):
            if cur:
                bars.append(tuple(cur))
            cur = []
        else:
            cur.append(t)
    if cur:
        bars.append(tuple(cur))
    return tuple(bars)


def longest_shared_run(a: tuple, b: tuple) -> int:
    """Length of the longest run of consecutive equal items found in both `a` and `b`."""
    m = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return m.find_longest_match(0, len(a), 0, len(b)).size


def levenshtein(a: np.ndarray, b: np.ndarray, limit: int | None = None) -> int:
    """Edit distance (insertions, deletions, substitutions) of two int sequences;
    with `limit`, any distance over it may come back as `limit + 1` (early stop).

    One numpy row a step: substitutions and deletions come from the row above;
    insertions are a running minimum along the row (min over k <= j of row[k] + j - k).
    A row's minimum never falls, so once it passes `limit` the distance has too.
    """
    if len(a) < len(b):
        a, b = b, a
    steps = np.arange(len(b) + 1)
    prev = steps.copy()
    cur = np.empty_like(prev)
    for i, x in enumerate(a, start=1):
        cur[0] = i
        np.minimum(prev[:-1] + (b != x), prev[1:] + 1, out=cur[1:])
        prev = np.minimum.accumulate(cur - steps) + steps
        if limit is not None and i % 8 == 0 and prev.min() > limit:
            return limit + 1
    return int(prev[-1])


def similarity_bound(a: _Body, b: _Body) -> float:
    """An upper bound of `similarity`: at most as many tokens match as the two
    bodies have in common, counted with multiplicity."""
    longest = max(len(a.ids), len(b.ids))
    if not longest:
        return 1.0
    common = sum((a.counts & b.counts).values())
    return common / longest


def similarity(a: np.ndarray, b: np.ndarray, floor: float = 0.0) -> float:
    """1 - edit distance / the longer length (1.0 for two empty sequences);
    a similarity at or below `floor` may come back as any value at or below it."""
    longest = max(len(a), len(b))
    if not longest:
        return 1.0
    limit = int((1.0 - floor) * longest) if floor else None
    return 1.0 - levenshtein(a, b, limit) / longest


_INDEXES: dict[Path, "NoveltyIndex | None"] = {}  # building one takes ~10 s: a process keeps it


def index_of(source: Path, records: Callable[[], list[dict]]) -> "NoveltyIndex | None":
    """The index of the tunes `records()` reads from the file `source`, built once per
    process (None when there are no tunes)."""
    key = Path(source).resolve()
    if key not in _INDEXES:
        tunes = records()
        _INDEXES[key] = NoveltyIndex.from_corpus(tunes) if tunes else None
    return _INDEXES[key]
