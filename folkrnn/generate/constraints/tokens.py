"""The token classes of a folkrnn vocabulary, as bool masks, and what the rules share.

`Vocab` is built once per vocabulary; every `TuneState` of a batch reads it.
"""
from __future__ import annotations

import re
from fractions import Fraction

import torch

from folkrnn.abc.keys import LETTERS
from folkrnn.abc.lengths import TICKS, parse_length, to_ticks, tuplet_value
from folkrnn.abc.lexer import LENGTH_PATTERN, PITCH_PATTERN, TUPLET_PATTERN, lex_line
from folkrnn.abc.meter import Meter, parse_meter
from folkrnn.abc.sections import parse_form_label
from folkrnn.abc.symbols import midi_number
from folkrnn.abc.timing import BROKEN_RATIOS, broken_ratio
from folkrnn.tokenize import EOS, FORM_PREFIX

# the lexer's patterns, each a whole token here: a pitch token has no length, a length
# token no pitch (`^...$`: the lexer matches them where a symbol starts, inside a note)
PITCH_RE = re.compile(f"^{PITCH_PATTERN}$")
LENGTH_RE = re.compile(f"^{LENGTH_PATTERN}$")
TUPLET_RE = re.compile(f"^{TUPLET_PATTERN}$")
# broken-rhythm tokens -> (first, second) factors
BROKEN = {mark: broken_ratio(mark) for n in BROKEN_RATIOS for mark in (">" * n, "<" * n)}
BARS = {"|", "||", "|]", "|:", ":|", "::", "|1", ":|2"}


def is_bar_line(tok: str) -> bool:
    """A bar line or ending token (`BARS`, and any other a vocabulary has, such as `:|1`)."""
    return tok in BARS or tok.startswith(("|", ":"))
ENDING_ZONE = 60  # this close to the length cap, a tune ends at the first bar line it may


class Vocab:
    """Token classes of a folkrnn vocabulary, as bool masks and lookup tables."""

    def __init__(self, vocab: list[str]) -> None:
        self.vocab, V = vocab, len(vocab)
        self.index = {t: i for i, t in enumerate(vocab)}

        def mask(pred) -> torch.Tensor:
            return torch.tensor([bool(pred(t)) for t in vocab], dtype=torch.bool)

        self.pitch = mask(PITCH_RE.match)
        self.title_chars = mask(lambda t: len(t) == 1 and t not in "\n")
        self.rhythms = mask(lambda t: t.startswith("R:"))
        self.meters = mask(lambda t: t.startswith("M:") and parse_meter(t[2:]) is not None)
        self.modes = mask(lambda t: t.startswith("K:C"))
        self.forms = mask(lambda t: t.startswith(FORM_PREFIX))
        self.bar_lines = mask(is_bar_line)
        self.form_first_twice = mask(lambda t: t.startswith(FORM_PREFIX + "AA"))
        self.lengths = sorted((to_ticks(length), i)
                              for i, length in enumerate(map(note_length, vocab)) if length)
        self.length_values = [v for v, _ in self.lengths]
        self.length_upto = [torch.zeros(V, dtype=torch.bool)]  # [k]: the k shortest lengths
        for _, i in self.lengths:
            m = self.length_upto[-1].clone()
            m[i] = True
            self.length_upto.append(m)
        self.min_length = self.length_values[0] if self.lengths else TICKS
        self.tuplets = {i: parse_tuplet(t) for i, t in enumerate(vocab) if TUPLET_RE.match(t)}
        self._check_ticks()
        self.none = torch.zeros(V, dtype=torch.bool)
        self.notes = {i: lex_line(t)[0].note for i, t in enumerate(vocab) if PITCH_RE.match(t)}
        # the tonic of every tune the model writes (in C): `C` as the bar carries it, and `=C`
        self.tonic_plain = mask(lambda t: PITCH_RE.match(t) and t.strip(",'").lower() == "c")
        self.tonic_natural = mask(lambda t: PITCH_RE.match(t) and t.strip(",'").lower() == "=c")
        self.spellings: dict[tuple[str, int], list[tuple[int, int | None]]] = {}
        for i, n in self.notes.items():  # (letter, octave) -> [(token id, accidental)]
            self.spellings.setdefault((n.letter, n.octave), []).append((i, n.accidental))
        self.tie_free = ~(self.pitch | self.one("z") | self.one("[") | self.one(EOS)
                          | mask(lambda t: t in BARS))  # what a pending tie never restricts
        self._pitch_tables()

    def _pitch_tables(self) -> None:
        """The pitch tokens as tensors, for RangeRules: token id, MIDI number unaltered,
        letter, accidental written (`pitch_written` False: the bar's or the key's)."""
        notes = sorted(self.notes.items())
        natural = [midi_number(n.letter, n.octave, 0) for _, n in notes]
        self.pitch_ids = torch.tensor([i for i, _ in notes], dtype=torch.long)
        self.pitch_natural = torch.tensor(natural, dtype=torch.long)
        self.pitch_letter = torch.tensor([LETTERS.index(n.letter) for _, n in notes], dtype=torch.long)
        self.pitch_written = torch.tensor([n.accidental is not None for _, n in notes], dtype=torch.bool)
        self.pitch_acc = torch.tensor([n.accidental or 0 for _, n in notes], dtype=torch.long)
        self.pitch_span = (min(natural) - 2, max(natural) + 2) if natural else (0, 0)
        self.range_cache: dict[tuple, torch.Tensor] = {}  # (lo, hi, alterations) -> refused
        self.crossing_cache: dict[tuple, bool] = {}  # (pitches, signature) -> a tie may cross

    def form_bars(self, bars: int) -> torch.Tensor:
        """The form tokens whose parts have `bars` bars."""
        def has(t: str) -> bool:
            parts = parse_form_label(t[len(FORM_PREFIX):]) if t.startswith(FORM_PREFIX) else None
            return bool(parts) and parts[0].bars == bars

        return torch.tensor([has(t) for t in self.vocab], dtype=torch.bool)

    def _check_ticks(self) -> None:
        """Every written length stays whole in ticks in a tuplet, a broken pair (/8 at most)
        and the tuplet rule's half."""
        ps = {p for p, _, _ in self.tuplets.values()}
        for length in {TICKS, *self.length_values}:  # the lengths the rules allow
            for d in ps | {8}:
                if length % d or TICKS % (2 * d):
                    raise ValueError(f"a length of {length} ticks does not divide by {d}")

    def one(self, token: str) -> torch.Tensor:
        m = self.none.clone()
        if token in self.index:
            m[self.index[token]] = True
        return m


def note_length(tok: str) -> Fraction | None:
    """The length a length token writes, or None: not a length, or one abc2midi refuses.

    abc2midi wants the written divisor a power of 2 (`/3`: "3 b is not a power of 2", an
    error); the corpus has a few such lengths, so the vocabulary does too."""
    m = LENGTH_RE.match(tok)
    if not tok or not m or tok == "/" or not tok.strip("0/"):
        return None
    num, slashes, den = m.groups()
    divisor = int(den) if den else 2 ** len(slashes or "")
    return parse_length(num, slashes, den) if divisor & (divisor - 1) == 0 else None


def parse_tuplet(t: str, meter: Meter | None = None) -> tuple[int, int, int]:
    """(p, q, r) of a tuplet token in a tune of `meter` (see `lengths.default_q`)."""
    return tuplet_value(TUPLET_RE.match(t), meter)
