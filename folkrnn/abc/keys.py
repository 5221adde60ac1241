"""Keys and modes: parse every spelling of `K:` that real files use.

A key is a tonic (letter + accidental), a mode, and explicit extra
accidentals. Its signature maps each letter to a semitone alteration.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from folkrnn.errors import UnknownKeyError

LETTERS = "CDEFGAB"
NATURAL_SEMITONE = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# position on the circle of fifths of each natural letter (C = 0)
LETTER_FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}
# how many fifths each mode lies below the major key on the same tonic
MODE_FIFTHS = {"lyd": 1, "maj": 0, "mix": -1, "dor": -2, "min": -3, "phr": -4, "loc": -5}
MODES = tuple(MODE_FIFTHS)
SHARP_ORDER, FLAT_ORDER = "FCGDAEB", "BEADGCF"
ACCIDENTAL_VALUE = {"^^": 2, "^": 1, "=": 0, "_": -1, "__": -2}
ACCIDENTAL_TEXT = {2: "^^", 1: "^", 0: "=", -1: "_", -2: "__"}

MODE_ALIASES = {
    "": "maj", "m": "min", "maj": "maj", "major": "maj", "ion": "maj", "ionian": "maj",
    "min": "min", "minor": "min", "aeo": "min", "aeolian": "min",
    "dor": "dor", "dorian": "dor", "phr": "phr", "phrygian": "phr",
    "lyd": "lyd", "lydian": "lyd", "mix": "mix", "mixolydian": "mix",
    "loc": "loc", "locrian": "loc",
}
_KEY_RE = re.compile(r"^(?P<tonic>[A-Ga-g])(?P<acc>[#b]?)\s*(?P<mode>[A-Za-z]*)")
_ACC_RE = re.compile(r"^(\^\^|\^|=|__|_)([A-Ga-g])$")
# K: words that are not about the key (clefs and the like), ignored
_IGNORED_WORDS = ("clef=", "middle=", "transpose=", "octave=", "stafflines=", "t=", "m=")
_CLEFS = {"treble", "bass", "alto", "tenor", "perc", "none"}


@dataclass(frozen=True)
class Key:
    """A key: tonic letter (upper case), tonic alteration (-1, 0, 1), mode, extra accidentals."""

    tonic: str = "C"
    tonic_acc: int = 0
    mode: str = "maj"
    extra: tuple[tuple[str, int], ...] = ()
    bagpipe: bool = False
    explicit_only: bool = False  # `K:... exp ...`: only the listed accidentals

    @property
    def fifths(self) -> int:
        """Sharps (positive) or flats (negative) of the signature before extras."""
        return LETTER_FIFTHS[self.tonic] + 7 * self.tonic_acc + MODE_FIFTHS[self.mode]

    @property
    def tonic_semitone(self) -> int:
        return (NATURAL_SEMITONE[self.tonic] + self.tonic_acc) % 12

    def signature(self) -> dict[str, int]:
        """Letter (upper case) -> semitone alteration that the key applies."""
        sig = {letter: 0 for letter in LETTERS}
        if not self.explicit_only:
            n = self.fifths
            for letter in (SHARP_ORDER if n > 0 else FLAT_ORDER)[:min(abs(n), 7)]:
                sig[letter] = 1 if n > 0 else -1
            if abs(n) > 7:  # double sharps/flats: keys such as G# major
                for letter in (SHARP_ORDER if n > 0 else FLAT_ORDER)[:abs(n) - 7]:
                    sig[letter] += 1 if n > 0 else -1
        for letter, alt in self.extra:
            sig[letter] = alt
        return sig

    def name(self) -> str:
        """ABC spelling, e.g. `G`, `Ador`, `Bbmin`, `F#mix`."""
        acc = {1: "#", -1: "b", 0: ""}[self.tonic_acc]
        mode = "" if self.mode == "maj" else self.mode
        extra = "".join(f" {ACCIDENTAL_TEXT[a]}{letter.lower()}" for letter, a in self.extra)
        return f"{self.tonic}{acc}{mode}{extra}"


def parse_key(text: str) -> Key:
    """Parse the value of a `K:` field.

    Raises:
        UnknownKeyError: for a tonic or mode that is not a key.
    """
    words = [part for w in text.split("%")[0].split()
             if not w.lower().startswith(_IGNORED_WORDS) and w.lower() not in _CLEFS - {"none"}
             for part in re.split(r"(?<=[^\s^=_])(?=[\^=_])", w)]  # `Dmix=c`: split extras off
    if not words or words[0].lower() == "none":
        return Key(explicit_only=bool(words))
    if words[0] in ("HP", "Hp"):
        # Highland pipes: played with F# and C# (A mixolydian); no signature shown for HP
        return Key("A", 0, "mix", bagpipe=True)
    head, rest = _split_head(words)
    m = _KEY_RE.match(head)
    if not m or m.end() != len(head):
        raise UnknownKeyError(f"unknown key {text.strip()!r}")
    mode = MODE_ALIASES.get(m["mode"].lower())
    if mode is None:
        mode = MODE_ALIASES.get(m["mode"].lower()[:3]) if len(m["mode"]) >= 3 else None
    if mode is None:
        raise UnknownKeyError(f"unknown mode {m['mode']!r} in key {text.strip()!r}; "
                              f"use one of maj, min, dor, mix, phr, lyd, loc")
    extra, explicit = _parse_extras(rest, text)
    return Key(m["tonic"].upper(), {"#": 1, "b": -1, "": 0}[m["acc"]], mode, extra,
               explicit_only=explicit)


def _split_head(words: list[str]) -> tuple[str, list[str]]:
    """Join `A Dorian` / `E Minor` into one head word; return it and the rest."""
    head, rest = words[0], words[1:]
    if rest and rest[0].lower() in MODE_ALIASES and not _ACC_RE.match(rest[0]):
        head, rest = head + rest[0], rest[1:]
    return head, rest


def _parse_extras(words: list[str], text: str) -> tuple[tuple[tuple[str, int], ...], bool]:
    explicit = False
    extra: list[tuple[str, int]] = []
    for w in words:
        if w.lower() == "exp":
            explicit = True
            continue
        m = _ACC_RE.match(w)
        if not m:
            raise UnknownKeyError(f"unknown word {w!r} in key {text.strip()!r}")
        extra.append((m[2].upper(), ACCIDENTAL_VALUE[m[1]]))
    return tuple(extra), explicit


def key_for(tonic_semitone: int, mode: str, prefer_flats: bool | None = None) -> Key:
    """The conventional spelling of the key with this tonic pitch class and mode."""
    best = None
    for letter in LETTERS:
        for acc in (0, 1, -1):
            if (NATURAL_SEMITONE[letter] + acc) % 12 != tonic_semitone % 12:
                continue
            k = Key(letter, acc, mode)
            score = (abs(k.fifths), acc != 0)
            if prefer_flats is not None and k.fifths != 0:
                score = (abs(k.fifths) + (3 if (k.fifths < 0) != prefer_flats else 0), acc != 0)
            if best is None or score < best[0]:
                best = (score, k)
    return best[1]
