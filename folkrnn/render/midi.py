"""Note events to a type-1 MIDI file with mido: tempo, meter and key maps, melody, accompaniment.

Track 0 holds the tempo, time and key signatures and the title; then one
track per voice (named by the title); then the accompaniment, if any:
`drone` (tonic and fifth held under each key) or `chords` (bass on the
strong beats, the chord on the others, one harmony a bar: the tune's chord
symbols where it has them, else the triad of the key that best fits the
melody).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import mido

from folkrnn.abc.keys import Key
from folkrnn.abc.meter import Meter
from folkrnn.abc.spelling import plain
from folkrnn.atomic import atomic_write_bytes
from folkrnn.errors import RenderError
from folkrnn.render.events import NoteEvent, TuneEvents, main_beat
from folkrnn.render.harmony import Harmony, bar_harmonies
from folkrnn.render.ticks import WHOLE

TICKS_PER_BEAT = 480
# General MIDI programs, 0-based as MIDI messages carry them (GM 41 Violin is 40)
INSTRUMENTS = {"piano": 0, "harpsichord": 6, "accordion": 21, "harmonica": 22, "concertina": 23,
               "guitar": 24, "bass": 32, "violin": 40, "fiddle": 40, "cello": 42, "harp": 46,
               "strings": 48, "flute": 73, "recorder": 74, "whistle": 78, "pipes": 109,
               "bagpipe": 109}
ACCOMPANIMENTS = ("none", "drone", "chords")
MELODY_CHANNELS = (0, 3, 4, 5, 6, 7, 8, 10, 11, 12)
DRONE_CHANNEL, BASS_CHANNEL, CHORD_CHANNEL = 1, 1, 2
DRONE_PROGRAM, BASS_PROGRAM, CHORD_PROGRAM = 48, 32, 0  # strings, bass, piano (0-based)
ACCOMPANIMENT_VELOCITY = 60
_MAJOR = {-7: "Cb", -6: "Gb", -5: "Db", -4: "Ab", -3: "Eb", -2: "Bb", -1: "F", 0: "C",
          1: "G", 2: "D", 3: "A", 4: "E", 5: "B", 6: "F#", 7: "C#"}
_MINOR = {-7: "Abm", -6: "Ebm", -5: "Bbm", -4: "Fm", -3: "Cm", -2: "Gm", -1: "Dm", 0: "Am",
          1: "Em", 2: "Bm", 3: "F#m", 4: "C#m", 5: "G#m", 6: "D#m", 7: "A#m"}


@dataclass(frozen=True)
class MidiOptions:
    """instrument: a name from INSTRUMENTS or a General MIDI number 1-128.
    accompaniment: none, drone or chords. accents: velocities from the meter (else flat).
    """

    instrument: str | int = "fiddle"
    accompaniment: str = "none"
    accents: bool = True


def program_number(instrument: str | int) -> int:
    """0-based MIDI program of an instrument name or a 1-based GM number ("41" is violin).

    Raises:
        RenderError: for an unknown name or a number outside 1-128.
    """
    text = str(instrument).strip().lower()
    if text.isascii() and text.isdigit() and len(text) <= 3:
        n = int(text)
        if 1 <= n <= 128:
            return n - 1
        raise RenderError(f"General MIDI instrument numbers run from 1 to 128, not {n}")
    if text not in INSTRUMENTS:
        raise RenderError(f"unknown instrument {instrument!r}; use one of "
                          f"{', '.join(sorted(INSTRUMENTS))} or a GM number 1-128")
    return INSTRUMENTS[text]


def latin1(text: str) -> str:
    """`text` as MIDI's text events can carry it (mido writes latin-1): other letters lose
    their accents (`Ł` stays `?`, `ź` becomes `z`)."""
    def one(c: str) -> str:
        base = c if ord(c) < 256 else plain(c)
        return base if base and all(ord(b) < 256 for b in base) else "?"
    return "".join(map(one, text))


def write_midi(events: TuneEvents, path: str | Path | None = None,
               options: MidiOptions = MidiOptions()) -> mido.MidiFile:
    """The MIDI file of `events`; saved to `path` when one is given."""
    if options.accompaniment not in ACCOMPANIMENTS:
        raise RenderError(f"unknown accompaniment {options.accompaniment!r}; "
                          f"use one of {', '.join(ACCOMPANIMENTS)}")
    program = program_number(options.instrument)
    mf = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    mf.tracks.append(conductor_track(events))
    for v in range(events.voices):
        notes = [n for n in events.notes if n.voice == v]
        channel = MELODY_CHANNELS[v % len(MELODY_CHANNELS)]
        mf.tracks.append(note_track(events.title, notes, channel, program, options.accents))
    if options.accompaniment != "none":
        mf.tracks.append(accompaniment_track(events, options.accompaniment))
    if path is not None:
        save_midi(mf, path)
    return mf


def save_midi(mf: mido.MidiFile, path: str | Path) -> Path:
    """Save `mf` atomically (a killed run leaves no half file); returns the path."""
    return atomic_write_bytes(path, midi_bytes(mf))


_STATUS = {"note_on": 0x90, "note_off": 0x80}


def midi_bytes(mf: mido.MidiFile) -> bytes:
    """The bytes `mf.save()` writes, the same to the byte (running status, one
    `end_of_track` a track), with the note messages packed here rather than by mido, which
    re-encodes each message field by field; any other message is mido's own `bytes()`."""
    if mf.charset != "latin1":
        buf = io.BytesIO()
        mf.save(file=buf)
        return buf.getvalue()
    out = bytearray(b"MThd" + (6).to_bytes(4, "big") + mf.type.to_bytes(2, "big")
                    + len(mf.tracks).to_bytes(2, "big") + mf.ticks_per_beat.to_bytes(2, "big"))
    for track in mf.tracks:
        data, running, carried = bytearray(), None, 0
        for msg in track:
            kind = msg.type
            if kind == "end_of_track":
                carried += msg.time
                continue
            data += _vlq(msg.time + carried)
            carried = 0
            status = _STATUS.get(kind)
            if status is not None:
                status |= msg.channel
                if status != running:
                    data.append(status)
                data += bytes((msg.note, msg.velocity))
                running = status
            elif msg.is_meta:
                data += bytes(msg.bytes())
                running = None
            else:
                raw = msg.bytes()
                data += bytes(raw[1:] if raw[0] == running else raw)
                running = raw[0] if raw[0] < 0xF0 else None
        data += _vlq(carried) + b"\xff\x2f\x00"
        out += b"MTrk" + len(data).to_bytes(4, "big") + data
    return bytes(out)


def _vlq(n: int) -> bytes:
    """A MIDI variable-length quantity."""
    if n < 0x80:
        return bytes((n,))
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def tick(t: Fraction) -> int:
    """Whole notes -> MIDI ticks, rounded half up (integer arithmetic: Fraction.round is slow)."""
    return _half_up(t.numerator * 4 * TICKS_PER_BEAT, t.denominator)


def tick_of(t: int | Fraction) -> int:
    """Interpreter ticks (`ticks.WHOLE` a whole note) -> MIDI ticks, rounded as `tick` rounds."""
    if isinstance(t, int):
        return _half_up(t * 4 * TICKS_PER_BEAT, WHOLE)
    return tick(t / WHOLE)


def _half_up(n: int, d: int) -> int:
    """n / d rounded half up (d > 0)."""
    return (2 * n + d) // (2 * d)


def conductor_track(events: TuneEvents) -> mido.MidiTrack:
    """Track 0: title, tempo, time signatures and key signatures."""
    timed = [(0, mido.MetaMessage("track_name", name=latin1(events.title or "folkrnn")))]
    timed += [(tick(t), mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(q)))
              for t, q in events.tempos]
    timed += [(tick(t), time_signature(m)) for t, m in events.meters]
    timed += [(tick(t), msg) for t, k in events.keys if (msg := key_signature(k))]
    return _track(timed, tick(events.length))


def time_signature(meter: Meter) -> mido.MetaMessage:
    """The time signature; the metronome clicks dotted crotchets in 6/8, 9/8, 12/8, else a
    note of the denominator (24 MIDI clocks a crotchet)."""
    den = meter.den if meter.den & (meter.den - 1) == 0 else 4
    click = meter.beat if meter.compound and den == 8 else Fraction(1, den)
    return mido.MetaMessage("time_signature", numerator=meter.num, denominator=den,
                            clocks_per_click=int(24 * 4 * click))


def key_signature(key: Key) -> mido.MetaMessage | None:
    """The key signature, modes as their relative major (A dorian shows as G); None past 7."""
    fifths = key.fifths
    if abs(fifths) > 7:
        return None
    name = _MINOR[fifths] if key.mode == "min" else _MAJOR[fifths]
    return mido.MetaMessage("key_signature", key=name)


def note_track(title: str, notes: list[NoteEvent], channel: int, program: int,
               accents: bool = True) -> mido.MidiTrack:
    timed = [(0, mido.MetaMessage("track_name", name=latin1(title or "melody"))),
             (0, mido.Message("program_change", channel=channel, program=program))]
    for n in notes:
        vel = n.velocity if accents else 90
        timed += _note(tick_of(n.on), tick_of(n.on + n.dur), n.pitch, vel, channel)
    return _track(timed)


def accompaniment_track(events: TuneEvents, kind: str) -> mido.MidiTrack:
    if kind == "drone":
        timed = [(0, mido.MetaMessage("track_name", name="drone")),
                 (0, mido.Message("program_change", channel=DRONE_CHANNEL, program=DRONE_PROGRAM))]
        for start, end, key in _key_spans(events):
            root = 36 + key.tonic_semitone  # tonic in the second octave (D2 = 38)
            for pitch in (root, root + 7):
                timed += _note(tick(start), tick(end), pitch, ACCOMPANIMENT_VELOCITY, DRONE_CHANNEL)
        return _track(timed)
    return _chords_track(events)


def _key_spans(events: TuneEvents) -> list[tuple[Fraction, Fraction, Key]]:
    keys = events.keys
    ends = [t for t, _ in keys[1:]] + [events.length]
    return [(t, end, k) for (t, k), end in zip(keys, ends) if end > t]


def _chords_track(events: TuneEvents) -> mido.MidiTrack:
    timed = [(0, mido.MetaMessage("track_name", name="accompaniment")),
             (0, mido.Message("program_change", channel=BASS_CHANNEL, program=BASS_PROGRAM)),
             (0, mido.Message("program_change", channel=CHORD_CHANNEL, program=CHORD_PROGRAM))]
    for start, end, meter, harmony in bar_harmonies(events):
        timed += _bar_pattern(start, end, meter, harmony)
    return _track(timed)


def _bar_pattern(start: Fraction, end: Fraction, meter: Meter, h: Harmony) -> list:
    """Bass on the first (and alternate) beats, the chord on the others."""
    beat = main_beat(meter) if meter.num != 4 else Fraction(1, meter.den)
    beats = [start + k * beat for k in range(int((end - start) / beat) or 1)]
    waltz = len(beats) == 3
    out = []
    for k, t in enumerate(beats):
        stop = min(t + beat, end)
        if k == 0 or (not waltz and k % 2 == 0):
            out += _note(tick(t), tick(stop), h.bass, ACCOMPANIMENT_VELOCITY + 10, BASS_CHANNEL)
        else:
            for p in h.chord:
                out += _note(tick(t), tick(stop), p, ACCOMPANIMENT_VELOCITY, CHORD_CHANNEL)
    return out


def _note(on: int, off: int, pitch: int, velocity: int, channel: int) -> list:
    """A note as two (tick, message spec) pairs; specs become messages once, in `_track`."""
    if off <= on or not 0 <= pitch <= 127:
        return []
    return [(on, ("note_on", channel, pitch, velocity)), (off, ("note_off", channel, pitch, 0))]


def _track(timed: list, end: int = 0) -> mido.MidiTrack:
    """A track from (tick, message or note spec) pairs: note-offs before note-ons at a tick."""
    order = {"note_off": 0, "note_on": 2}
    timed = sorted(timed, key=lambda x: (x[0], order.get(_type(x[1]), 1)))
    track, now = mido.MidiTrack(), 0
    for t, msg in timed:
        if isinstance(msg, tuple):  # built once, unchecked: `_note` made every field valid
            kind, channel, note, velocity = msg
            track.append(mido.Message(kind, skip_checks=True, channel=channel, note=note,
                                      velocity=velocity, time=t - now))
        else:
            track.append(msg.copy(time=t - now))
        now = t
    track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    return track


def _type(msg) -> str:
    return msg[0] if isinstance(msg, tuple) else msg.type
