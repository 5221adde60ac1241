"""A tune as timed note events: the interpreter over the project's ABC model.

`tune_events(tune)` reads each voice's symbols into items (`items`), puts them
in playing order (`repeats`), realises ornaments (`ornaments`), joins ties and
gives every note a velocity from its place in the bar. Times are whole notes from the
start (`Fraction`s; `TuneEvents.seconds` converts with the tempo map); the interpreter
itself counts integer ticks (`ticks.py`), and a `NoteEvent` keeps its own (`on`, `dur`).

abc2midi is the reference: for the same tune, the (pitch, onset, duration) of
the melody equal abc2midi's (with `EventOptions(default_tempo=120)`: abc2midi's own
defaults, hornpipes swung); `scripts/oracle_abc2midi.py` checks.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from fractions import Fraction

from folkrnn.abc.keys import Key, parse_key
from folkrnn.abc.meter import Meter, parse_meter
from folkrnn.abc.reader import Tune
from folkrnn.abc.symbols import FIELD, Sym
from folkrnn.errors import FolkrnnError, RenderError
from folkrnn.render.items import Item, ItemReader
from folkrnn.render.ornaments import Piece, realise
from folkrnn.render.repeats import play_order
from folkrnn.render.ticks import from_whole, whole

DEFAULT_QPM = 120.0
# the tempos a tune may have, in crotchets a minute (MIDI cannot hold one under ~3.6)
QPM_RANGE = (4.0, 1000.0)
# crotchets a minute by rhythm when a tune has no Q: (first match wins)
RHYTHM_QPM = (("slip jig", 180.0), ("double jig", 180.0), ("jig", 180.0), ("slide", 200.0),
              ("reel", 200.0), ("hornpipe", 150.0), ("polka", 160.0), ("strathspey", 130.0),
              ("fling", 140.0), ("barndance", 160.0), ("march", 120.0), ("waltz", 150.0),
              ("mazurka", 130.0), ("air", 80.0))
LOUD, MEDIUM, SOFT = 105, 95, 80  # abc2midi's beat accents


@dataclass(frozen=True)
class NoteEvent:
    """One sounding note: `on` and `dur` in ticks (`ticks.WHOLE` a whole note); `onset`,
    `duration` and `end` in whole notes."""

    pitch: int
    on: int | Fraction
    dur: int | Fraction
    velocity: int = SOFT
    is_grace: bool = False
    voice: int = 0

    @property
    def onset(self) -> Fraction:
        return whole(self.on)

    @property
    def duration(self) -> Fraction:
        return whole(self.dur)

    @property
    def end(self) -> Fraction:
        return whole(self.on + self.dur)


@dataclass(frozen=True)
class EventOptions:
    """How to play a tune.

    repeats: "expand" (play repeats and endings) or "once".
    swing: play hornpipes (`R:hornpipe`, 2/4 or 4/4) with paired quavers 2:1, as abc2midi does
        by default and players do; False plays them as written (`--straight`).
    default_tempo: crotchets a minute without `Q:`; None picks one by rhythm (reel, jig, ...).
    tempo: crotchets a minute for the whole tune, whatever `Q:` says.
    """

    def __post_init__(self) -> None:
        if self.repeats not in ("expand", "once"):
            raise RenderError(f"repeats must be 'expand' or 'once', not {self.repeats!r}")
        if self.tempo is not None and not QPM_RANGE[0] <= self.tempo <= QPM_RANGE[1]:
            raise RenderError(f"tempo must be {QPM_RANGE[0]:g}-{QPM_RANGE[1]:g} crotchets a minute, "
                              f"not {self.tempo}")

    repeats: str = "expand"
    swing: bool = True
    default_tempo: float | None = None
    tempo: float | None = None  # crotchets a minute, overriding `Q:` and the default


@dataclass
class TuneEvents:
    """A tune's notes with its tempo, meter, key and bar-line maps, all in whole notes."""

    title: str
    notes: list[NoteEvent]
    tempos: list[tuple[Fraction, float]]
    meters: list[tuple[Fraction, Meter]]
    keys: list[tuple[Fraction, Key]]
    bars: list[Fraction] = field(default_factory=list)
    chords: list[tuple[Fraction, str]] = field(default_factory=list)
    length: Fraction = Fraction(0)
    voices: int = 1

    def seconds(self, t: Fraction) -> float:
        """Seconds from the start to time t (whole notes), following tempo changes."""
        out, last_t, qpm = 0.0, Fraction(0), self.tempos[0][1]
        for at, q in self.tempos[1:]:
            if at >= t:
                break
            out += float(at - last_t) * 4 * 60 / qpm
            last_t, qpm = at, q
        return out + float(t - last_t) * 4 * 60 / qpm


def tune_events(tune: Tune, options: EventOptions = EventOptions()) -> TuneEvents:
    """Interpret a tune (see the module docstring)."""
    qpm = options.tempo or header_tempo(tune, options.default_tempo)
    ev = TuneEvents(tune.title, [], [(0, qpm)], [(0, tune.meter or Meter(4, 4))], [(0, tune.key)],
                    length=0)
    voices = split_voices(tune.symbols)
    ev.voices = len(voices)
    for v, syms in enumerate(voices):
        _play_voice(tune, syms, v, options, qpm, ev)  # in ticks, made whole notes below
    ev.notes.sort(key=lambda n: (n.on, n.voice, n.pitch))
    ev.tempos, ev.meters, ev.keys, ev.chords = ([(whole(t), x) for t, x in pairs]
                                                for pairs in (ev.tempos, ev.meters, ev.keys, ev.chords))
    ev.bars, ev.length = [whole(t) for t in ev.bars], whole(ev.length)
    return ev


def header_tempo(tune: Tune, default: float | None = None) -> float:
    """Crotchets a minute: the header's `Q:`, else `default`, else one by rhythm."""
    q = parse_tempo(tune.get("Q") or "", tune.unit)
    if q:
        return q
    if default:
        return default
    rhythm = tune.rhythm.lower()
    return next((v for name, v in RHYTHM_QPM if name in rhythm), DEFAULT_QPM)


def parse_tempo(text: str, unit: Fraction = Fraction(1, 8)) -> float | None:
    """`1/4=120`, `3/8=120`, `"Allegro" 1/4=120`, `1/4 1/8=80`; a bare `120` counts `L:` units.

    None for no tempo, or one outside QPM_RANGE crotchets a minute (`Q:1/0=120`, or
    `Q:1/4=3D120`, an e-mail's `=3D` for `=`): the tune plays at its default instead."""
    text = re.sub(r'"[^"]*"', " ", text)
    m = re.search(r"((?:\d{1,6}/[1-9]\d{0,5}\s*)+)=\s*(\d{1,6}(?:\.\d{1,6})?)", text)
    if m:
        beat = sum((Fraction(f) for f in m[1].split()), Fraction(0))
        return _in_range(float(beat * 4) * float(m[2]))
    m = re.fullmatch(r"\s*(?:C\s*=\s*)?(\d{1,6}(?:\.\d{1,6})?)\s*", text)
    return _in_range(float(unit * 4) * float(m[1])) if m else None


def _in_range(qpm: float) -> float | None:
    return qpm if QPM_RANGE[0] <= qpm <= QPM_RANGE[1] else None


def split_voices(syms: list[Sym]) -> list[list[Sym]]:
    """The symbols of each voice (`V:` fields switch voice), first voice first."""
    names: list[str] = []
    out: list[list[Sym]] = []
    current = ""
    for s in syms:
        if s.kind == FIELD and s.value[0] == "V":
            current = (s.value[1].split() or [""])[0]
            continue
        if current not in names:
            names.append(current)
            out.append([])
        out[names.index(current)].append(s)
    return out or [[]]


def _play_voice(tune: Tune, syms: list[Sym], voice: int, options: EventOptions,
                qpm: float, ev: TuneEvents) -> None:
    items = ItemReader(tune, swing=options.swing).read(syms)
    parts = (tune.get("P") or "") if any(it.kind == "field" and it.value[0] == "P" for it in items) else ""
    order = play_order(items, parts, options.repeats)
    player = _Player(tune, voice, int(60_000_000 / qpm), ev)
    player.fixed_tempo = options.tempo is not None
    for i in order:
        player.play(items[i])
    ev.notes.extend(merge_ties(player.raw))
    ev.length = max(ev.length, player.t)


@dataclass
class _Raw:
    """A note before ties are joined (times in ticks)."""

    pitch: int
    onset: int | Fraction
    duration: int | Fraction
    velocity: int
    is_grace: bool
    voice: int
    staff: tuple[str, int] | None
    tie: bool


class _Player:
    """Walks items in playing order, keeping time, the bar position and the maps."""

    def __init__(self, tune: Tune, voice: int, tempo_us: int, ev: TuneEvents) -> None:
        self.voice, self.tempo_us, self.ev = voice, tempo_us, ev
        self.header_unit = tune.unit
        self.meter = tune.meter or Meter(4, 4)
        self.beat = from_whole(main_beat(self.meter))
        self.t, self.bar_start = 0, 0  # ticks
        self.raw: list[_Raw] = []
        self.fixed_tempo = False

    def play(self, it: Item) -> None:
        if it.kind in ("note", "chord", "rest"):
            length = from_whole(it.length)
            for p in realise(it, length, self.tempo_us, self.header_unit):
                self.add(p)
            self.t += length
        elif it.kind == "bar":
            self.bar_start = self.t
            if self.voice == 0 and (not self.ev.bars or self.ev.bars[-1] != self.t):
                self.ev.bars.append(self.t)
        elif it.kind == "gchord" and self.voice == 0:
            self.ev.chords.append((self.t, str(it.value)))
        elif it.kind == "field":
            self.field_(*it.value)

    def add(self, p: Piece) -> None:
        onset = self.t + p.offset
        vel = accent(onset - self.bar_start, self.beat)
        self.raw.append(_Raw(p.pitch, onset, p.duration, vel, p.is_grace, self.voice, p.staff, p.tie))

    def field_(self, name: str, text: str) -> None:
        if self.voice != 0:
            return
        try:
            if name == "M":
                self.meter = parse_meter(text) or self.meter
                self.beat = from_whole(main_beat(self.meter))
                self.ev.meters.append((self.t, self.meter))
            elif name == "K":
                self.ev.keys.append((self.t, parse_key(text)))
            elif name == "Q" and not self.fixed_tempo and (q := parse_tempo(text)):
                self.ev.tempos.append((self.t, q))
        except FolkrnnError:
            pass  # the item reader already logged it


def accent(pos: int | Fraction, beat: int | Fraction) -> int:
    """Velocity by place in the bar (`pos` ticks from its start; `beat`: the ticks of its
    `main_beat`): loud on the downbeat, medium on main beats, else soft."""
    if pos <= 0:
        return LOUD
    return MEDIUM if pos % beat == 0 else SOFT


def main_beat(meter: Meter) -> Fraction:
    """The beat that gets a medium accent: a half bar in 4/4, a dotted crotchet in 6/8, 9/8,
    12/8 (`Meter.beat`); a note of the denominator otherwise, other compound meters (6/4)
    and 3/8 included."""
    if meter.compound and meter.den == 8:
        return meter.beat
    if meter.num == 4 and meter.den in (2, 4):
        return Fraction(2, meter.den)
    return Fraction(1, meter.den)


def merge_ties(raw: list[_Raw]) -> list[NoteEvent]:
    """Join each tied note to the note on the same staff position that starts where it ends.

    The joined note keeps the first note's pitch (a tie carries an accidental
    over the bar line); a `-` between different notes is a slur and joins nothing.
    """
    raw.sort(key=lambda r: (r.onset, r.is_grace is False))
    starts: dict[tuple[int | Fraction, tuple[str, int]], int] = {}
    for k, r in enumerate(raw):
        if r.staff is not None:
            starts.setdefault((r.onset, r.staff), k)
    dead: set[int] = set()
    for k, r in enumerate(raw):
        while k not in dead and r.tie:
            nxt = starts.get((r.onset + r.duration, r.staff))
            if nxt is None or nxt in dead or nxt == k:
                break
            dead.add(nxt)
            r = replace(r, duration=r.duration + raw[nxt].duration, tie=raw[nxt].tie)
        raw[k] = r
    return [NoteEvent(r.pitch, r.onset, r.duration, r.velocity, r.is_grace, r.voice)
            for k, r in enumerate(raw) if k not in dead and r.duration > 0]
