"""The playing order: repeats, `::`, first and second endings, and parts (`P:`).

Follows abc2midi (store.c `scan_for_missing_repeats`, `fixreps`; genmidi.c
`writetrack`) so that the oracle agrees, quirks included:

- a `:|` or `::` with no `|:` before it repeats from the start (of the part);
- a second `:|` after a `:|` repeats from the first one (which becomes `::`);
- an ending not played on this pass is skipped up to the next `:|`, `|:`,
  `||`, `|]`, `[|`, ending or part; a section with endings is played one more
  time than its highest ending asks for at most three passes;
- with `P:` in the header, the music before the first `P:` label is played,
  then each part in the header's order (`P:(AB)2C`, `P:A2B`, dots ignored).

`once` plays each section once: no jumps, and only the last ending.
"""
from __future__ import annotations

from folkrnn.errors import RenderError
from folkrnn.render.items import Item

SINGLE, DOUBLE, BAR_REP, REP_BAR, DOUBLE_REP = "|", "||", "|:", ":|", "::"
ENDING, PART = "ending", "part"
_BARS = {"|": SINGLE, "||": DOUBLE, "|]": DOUBLE, "[|": DOUBLE, "|:": BAR_REP, ":|": REP_BAR,
         "::": DOUBLE_REP}
# where skipping an ending that is not played stops (genmidi.c PLAY_ON_REP)
_SKIP_STOP = {REP_BAR, BAR_REP, PART, DOUBLE, ENDING}


def play_order(items: list[Item], parts: str = "", repeats: str = "expand") -> list[int]:
    """Indices into `items` in the order they are played."""
    feats, index = _features(items, bool(parts))
    _add_missing_start(feats, index, bool(parts))
    _fix_repeats(feats)
    walk = _walk_once if repeats == "once" else _walk
    ends = [items[i].endings if i is not None else frozenset() for i in index]
    order: list[int] = []
    for lo, hi in _segments(feats, index, items, parts):
        order.extend(index[j] for j in walk(feats, ends, lo, hi) if index[j] is not None)
    return order


def _features(items: list[Item], parts_on: bool) -> tuple[list[str], list[int | None]]:
    """abc2midi's feature codes, with the `||` it puts at the start of the music."""
    feats, index = [DOUBLE], [None]
    for i, it in enumerate(items):
        if it.kind == "bar":
            feats.append(_BARS.get(it.bar, SINGLE))
        elif it.kind == "ending":
            feats.append(ENDING)
        elif it.kind == "field" and it.value[0] == "P" and parts_on:
            feats.append(PART)
        else:
            feats.append("")
        index.append(i)
    return feats, index


def _add_missing_start(feats: list[str], index: list[int | None], parts_on: bool) -> None:
    """A `:|` or `::` before any `|:` gets a `|:` at the start (of its part)."""
    start, found, inserts = 0, False, []
    for j, f in enumerate(feats):
        if f == PART and parts_on:
            start, found = j, False
        elif f == BAR_REP:
            found = True
        elif f in (REP_BAR, DOUBLE_REP) and not found:
            inserts.append(start + 1)
            found = True
    for at in reversed(inserts):
        feats.insert(at, BAR_REP)
        index.insert(at, None)


def _fix_repeats(feats: list[str]) -> None:
    """abc2midi's `fixreps`: turn bars into the repeat signs that are missing."""
    rep_point, expect, use_next, plays = 0, False, False, 0
    for j, f in enumerate(feats):
        if f == SINGLE and use_next:
            rep_point, use_next = j, False
        elif f == DOUBLE:
            rep_point, use_next = j, False
        elif f == BAR_REP:
            if expect:
                feats[j] = DOUBLE_REP  # `|: ... |:` : the second is `::`
            expect, use_next = True, False
        elif f == REP_BAR:
            if not expect and plays < 1:
                _place_start(feats, rep_point)
            expect, rep_point, use_next = False, j, False
        elif f == ENDING:
            if plays == 0 and not expect:
                _place_start(feats, rep_point)
            plays += 1
        elif f == DOUBLE_REP:
            if not expect:
                _place_start(feats, rep_point)
            expect = True


def _place_start(feats: list[str], j: int) -> None:
    if feats[j] in (SINGLE, DOUBLE):
        feats[j] = BAR_REP
    elif feats[j] == REP_BAR:
        feats[j] = DOUBLE_REP


def _segments(feats: list[str], index: list[int | None], items: list[Item],
              parts: str) -> list[tuple[int, int]]:
    """(lo, hi) feature ranges to walk: the whole tune, or the intro then each part."""
    if not parts:
        return [(0, len(feats))]
    starts = [j for j, f in enumerate(feats) if f == PART]
    if not starts:
        return [(0, len(feats))]
    bounds = dict(zip(starts, starts[1:] + [len(feats)]))
    by_label: dict[str, tuple[int, int]] = {}
    for j in starts:
        label = str(items[index[j]].value[1]).strip()[:1]
        by_label.setdefault(label, (j, bounds[j]))
    return [(0, starts[0])] + [by_label[p] for p in expand_parts(parts) if p in by_label]


MAX_PARTS = 256  # parts a `P:` may play in all, and how deep its brackets may nest: 16
MAX_DEPTH = 16
_DIGITS = "0123456789"


def expand_parts(text: str) -> str:
    """`(AB)2C` -> `ABABC`; `A2B` -> `AAB`; anything but letters, digits, brackets ignored.

    Raises:
        RenderError: the order plays more than MAX_PARTS parts, or nests deeper than MAX_DEPTH.
    """
    out, _ = _parts(text, 0, 0)
    return out


def _parts(text: str, i: int, depth: int) -> tuple[str, int]:
    if depth > MAX_DEPTH:
        raise RenderError(f"the part order P:{text} nests brackets more than {MAX_DEPTH} deep")
    out, last = "", ""
    while i < len(text):
        ch = text[i]
        if ch == "(":
            last, i = _parts(text, i + 1, depth + 1)
            out += last
        elif ch == ")":
            return out, i
        elif ch in _DIGITS:
            j = i
            while j < len(text) and text[j] in _DIGITS:
                j += 1
            times = int(text[i:j]) if j - i <= 3 else MAX_PARTS + 1
            if len(out) + len(last) * (times - 1) > MAX_PARTS:
                raise RenderError(f"the part order P:{text[:40]} plays more than {MAX_PARTS} parts")
            out += last * (times - 1)
            i, last = j - 1, ""
        elif ch.isascii() and ch.isalpha():
            out, last = out + ch, ch
        i += 1
    return out, i


class _Walk:
    """genmidi.c `writetrack`'s repeat state over one range of features."""

    def __init__(self, feats: list[str], ends: list[frozenset[int]], lo: int, hi: int) -> None:
        self.feats, self.ends, self.hi = feats, ends, hi
        self.pass_, self.max_pass, self.expect, self.saved = 1, 2, False, lo

    def run(self, lo: int) -> list[int]:
        out, j = [], lo
        while j < self.hi:
            f = self.feats[j]
            if f == "" or f == PART:
                out.append(j)
            elif f in (BAR_REP, REP_BAR, DOUBLE_REP):
                out.append(j)  # bar lines are played too: they mark where bars start
                j = self.repeat_sign(f, j)
            elif f in (SINGLE, DOUBLE):
                out.append(j)
            elif f == ENDING:
                j = self.ending(j)
            j += 1
        return out

    def repeat_sign(self, f: str, j: int) -> int:
        """Where to go on from a `|:`, `:|` or `::` at j (the caller steps past it)."""
        if f == BAR_REP or (f == DOUBLE_REP and (self.pass_ > 1 or not self.expect)):
            if f == BAR_REP or self.pass_ > 1:
                self.max_pass = 2
            self.saved, self.expect, self.pass_ = j, True, 1
            return j
        if f == DOUBLE_REP:  # a `::` met on the first pass goes back (and keeps expecting)
            self.pass_ += 1
            return self.saved
        if (self.pass_ == 1 and self.expect) or 1 < self.pass_ < self.max_pass:
            self.pass_, self.expect = self.pass_ + 1, False
            return self.saved
        return j

    def ending(self, j: int) -> int:
        """Play an ending (stay at j) or skip it: to just before a part, else past the stop."""
        pass_ = self.pass_ if (self.expect or self.pass_ > 1) else 1
        if pass_ in self.ends[j]:
            if self.max_pass < 4:
                self.max_pass = self.pass_ + 1
            return j
        j += 1
        while j < self.hi and self.feats[j] not in _SKIP_STOP:
            j += 1
        return j - 1 if j < self.hi and self.feats[j] == PART else j


def _walk(feats: list[str], ends: list[frozenset[int]], lo: int, hi: int) -> list[int]:
    return _Walk(feats, ends, lo, hi).run(lo)


def _walk_once(feats: list[str], ends: list[frozenset[int]], lo: int, hi: int) -> list[int]:
    """Each section once: no jumps back; an ending followed by another ending is skipped."""
    out, j = [], lo
    while j < hi:
        f = feats[j]
        if f != ENDING:
            out.append(j)
        else:
            stop = j + 1
            while stop < hi and feats[stop] not in _SKIP_STOP:
                stop += 1
            nxt = stop + 1
            while nxt < hi and feats[nxt] == SINGLE:
                nxt += 1
            if stop < hi and nxt < hi and feats[nxt] == ENDING:
                j = stop
        j += 1
    return out
