"""Restatement: a folk tune restates its phrases, and an LSTM that samples each token on its
own seldom writes a bar again note for note (1% of its bars against 26% of the test split's).

A bar the model begins as an earlier bar began (its first `LEAD` tokens the same, by the
model's own choice) goes on as that bar went, token for token, for as long as the
constraints allow each token (a part's closing bar line or cadence may not allow it; then
the model writes on freely). The bar line that closes a restated bar is the model's own
choice, never copied: where a part closes (`:|`, `||`) is the form's business, and a copied
`|` would keep a part from closing where the model, free of a form (`--form free`), closes
it. The earlier bars that may be restated are those of the folk
tune's two usual restatements: the bar four before, from the fifth bar of a part on (the
second half of an 8-bar part restating the first), and the bar eight before, from the second
part on (a part's bar restating the previous part's). So the model decides whether a bar
restates, and the rule keeps a begun restatement from drifting a note off. Sampling only
(beam search explores without it); off with `--no-restate` or `--no-constrain`. Bars are
counted by `model.positions` (the counting of the model's inputs).
"""
from __future__ import annotations

from folkrnn.model.positions import FEATURES, Positions

LEAD = 1  # tokens of a bar the model writes itself before the rest is restated
# (copy feature, the first bar within the part, the first part) where a bar may restate it
SOURCES = (("copy4", 4, 0), ("copy8", 0, 1))


class Restatement:
    """The restatement state of a batch of tunes being written."""

    def __init__(self, index: dict[str, int], count: int,
                 where: list[Positions] | None = None) -> None:
        """`where`: the streams' position trackers when the decode loop already keeps them
        (a model with position inputs, `model.positions.Inputs`); it then advances them
        itself and `advance` only reads them. Else the restatement keeps its own."""
        self.own = where is None
        self.where = [Positions(index) for _ in range(count)] if where is None else where
        # per tune and source: tokens of this bar so far that are the earlier bar's; -1: not
        self.matched = [[0] * len(SOURCES) for _ in range(count)]
        self.bar = [p.cur for p in self.where]  # the bar each `matched` counts in
        self.none = len(index)
        self.bar_lines = {i for t, i in index.items() if "|" in t or t == "::"}
        self.slots = [(FEATURES.index(name), from_bar, from_part)
                      for name, from_bar, from_part in SOURCES]

    def _matched(self, i: int) -> list[int]:
        p = self.where[i]
        if p.cur is not self.bar[i]:  # a bar line has begun a new bar (a new list)
            self.bar[i], self.matched[i] = p.cur, [0] * len(SOURCES)
        return self.matched[i]

    def forced(self, i: int, values: tuple | None = None) -> int | None:
        """The token id tune `i` must write next to go on restating, or None (`values`:
        its tracker's `values()`, when the caller has them)."""
        p = self.where[i]
        if not p.body:
            return None
        values = values or p.values()
        matched = self._matched(i)
        for k, (slot, from_bar, from_part) in enumerate(self.slots):
            copy = values[slot]
            if (p.bar >= from_bar and p.part >= from_part and matched[k] >= LEAD
                    and copy != self.none):
                return None if copy in self.bar_lines else copy
        return None

    def advance(self, i: int, tok: str, values: tuple | None = None) -> None:
        """Tune `i` wrote `tok` (before its tracker takes it, when the tracker is shared)."""
        p = self.where[i]
        if p.body:
            values, tok_id, j = values or p.values(), p.index.get(tok), len(p.cur)
            matched = self._matched(i)
            for k, (slot, _, _) in enumerate(self.slots):
                same = tok_id == values[slot] and matched[k] == j
                matched[k] = j + 1 if same else -1
        if self.own:
            p.advance(tok)
