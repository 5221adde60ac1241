"""The model's text (in C, L:1/8) as ABC 2.1: a full header, four bars a line, beamed
by the meter, in the key asked for and the octave that best fits the playable range."""
from __future__ import annotations

from fractions import Fraction

from folkrnn.abc.keys import Key
from folkrnn.abc.meter import Meter
from folkrnn.abc.normalise import read_normal
from folkrnn.abc.pitch import PLAYABLE, sounding_pitches
from folkrnn.abc.transpose import transpose_key, transpose_symbols
from folkrnn.abc.writer import write_body, write_tune
from folkrnn.generate.constraints.range import OCTAVE_SHIFTS, output_interval

DOTTED_CROTCHET = Fraction(3, 8)
TEMPO = {"reel": "1/2=100", "hornpipe": "1/2=80", "jig": "3/8=110", "slip jig": "3/8=110",
         "polka": "1/4=130", "waltz": "1/4=140", "air": "1/4=70", "strathspey": "1/4=110"}


def beam_unit(meter: Meter) -> Fraction:
    """How notes beam: by the beat where it is a dotted crotchet (6/8, 9/8, 12/8, and 3/8,
    a bar counted in one: `Meter.beat`), else by minims in bars of a whole note or more
    (4/4, 6/4, 3/2) and by crotchets in shorter ones."""
    if meter.beat == DOTTED_CROTCHET:
        return meter.beat
    return Fraction(1, 2) if meter.bar_length >= 1 else Fraction(1, 4)


def default_tempo(meter: Meter) -> str:
    """The `Q:` of a rhythm `TEMPO` does not know: 100 dotted crotchets a minute where the
    beat is one (`beam_unit`), else 120 crotchets."""
    return "3/8=100" if meter.beat == DOTTED_CROTCHET else "1/4=120"


def to_abc(text: str, x: int = 1, key: Key | None = None, title: str | None = None,
           tune=None) -> str:
    """ABC 2.1 for a normalised tune: X, T, R, M, L:1/8, Q, K and four bars a line,
    transposed from C to `key` (None: the mode's default key); `title` (None: the
    text's own) is the T: line, so a title the model could not spell is written as given.
    `tune`: `read_normal(text)`, when the caller has it."""
    tune = tune if tune is not None else read_normal(text)
    mode = tune.key.mode
    src = Key("C", 0, mode)
    _, semis, steps = output_interval(mode, key)
    semis, steps = _best_octave(tune.symbols, src, semis, steps)
    syms = [s for s in transpose_symbols(tune.symbols, src, semis, steps) if s.kind != "eol"]
    syms = explicit_repeat_starts(syms)
    rhythm = tune.rhythm
    fields = [("X", str(x)), ("T", title or tune.title or "Untitled")]
    fields += [("R", rhythm)] if rhythm else []
    meter = tune.meter
    fields += [("M", str(meter)), ("L", "1/8"), ("Q", TEMPO.get(rhythm, default_tempo(meter))),
               ("K", transpose_key(src, semis, steps).name())]
    return write_tune(fields, write_body(syms, 4, beam_unit(meter)))


def explicit_repeat_starts(syms: list) -> list:
    """Mark the start of each repeat but one from the tune's start: a `:|` or `::` closing a
    section that an earlier `:|` began makes that one `::`; one that `||` or `|]` began, `|:`.

    abc2midi reads `A:|B:|` as `A::B:|` and `A:|B||C:|` as `A:|B|:C:|` (the same notes), but
    warns "Assuming repeat" (and calls `A:|B::C:|` an error, "found :: before |:"); ABC
    leaves only the first repeat's `|:` to be understood. The model learnt the short form
    from its corpus (about a quarter of the tunes have it), so it is spelled out here rather than
    forbidden by the constraints, which would take the repeat off the part.
    """
    out, begun_at = list(syms), None  # the bar line that began this section, if implicit
    for i, s in enumerate(out):
        if s.kind != "bar" or (s.bar == "|" and not s.ending):
            continue
        if s.bar in (":|", "::") and not s.ending and begun_at is not None:
            out[begun_at] = out[begun_at].with_(bar="::" if out[begun_at].bar == ":|" else "|:")
        plain = s.bar in (":|", "||", "|]") and not s.ending
        begun_at = i if plain else None
    return out


def _best_octave(syms, key: Key, semis: int, steps: int) -> tuple[int, int]:
    """The interval, or the same an octave up or down, that leaves fewest notes outside
    the fiddle's and flute's range (G3..A6); the nearer one on a tie."""
    pitches = [p for _, p in sounding_pitches(syms, key)]
    low, high = PLAYABLE

    def outside(shift: int) -> int:
        return sum(1 for p in pitches if not low <= p + shift <= high)

    options = [(semis + o, steps + k) for o, k in OCTAVE_SHIFTS]  # as RangeRules assumes
    return min(options, key=lambda o: (outside(o[0]), abs(o[0])))
