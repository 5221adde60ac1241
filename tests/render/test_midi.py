"""MIDI files from events: structure, maps, instruments and accompaniment, read back with mido."""
import io

import mido
import pytest

from folkrnn.abc.reader import read_text
from folkrnn.errors import RenderError
from folkrnn.render.events import EventOptions, tune_events
from folkrnn.render.harmony import parse_chord_symbol
from folkrnn.render.midi import MidiOptions, program_number, write_midi

JIG = """X:3
T:The Test Jig
M:6/8
L:1/8
Q:3/8=120
R:jig
K:Ador
|: A2B c2d | e2d c2B :|
"""


def midi(abc: str = JIG, **options) -> mido.MidiFile:
    tune = read_text(abc).tunes[0]
    mf = write_midi(tune_events(tune, EventOptions()), None, MidiOptions(**options))
    buf = io.BytesIO()
    mf.save(file=buf)  # a real round trip through bytes
    buf.seek(0)
    return mido.MidiFile(file=buf)


def notes(track: mido.MidiTrack) -> list[tuple[int, int, int, int]]:
    """(channel, pitch, on tick, off tick)."""
    t, on, out = 0, {}, []
    for msg in track:
        t += msg.time
        if msg.type == "note_on" and msg.velocity:
            on[(msg.channel, msg.note)] = t
        elif msg.type in ("note_off", "note_on"):
            out.append((msg.channel, msg.note, on.pop((msg.channel, msg.note)), t))
    return sorted(out, key=lambda n: (n[2], n[1]))


def test_type_1_with_conductor_and_melody_tracks():
    mf = midi()
    assert mf.type == 1 and mf.ticks_per_beat == 480 and len(mf.tracks) == 2
    metas = {m.type: m for m in mf.tracks[0] if m.is_meta}
    assert metas["track_name"].name == "The Test Jig"
    assert mido.tempo2bpm(metas["set_tempo"].tempo) == pytest.approx(180, rel=1e-4)
    ts = metas["time_signature"]
    assert (ts.numerator, ts.denominator, ts.clocks_per_click) == (6, 8, 36)
    assert metas["key_signature"].key == "G"  # A dorian shows as its relative major
    assert [m.name for m in mf.tracks[1] if m.type == "track_name"] == ["The Test Jig"]


def test_melody_notes_and_times_with_repeats_expanded():
    got = notes(midi().tracks[1])
    assert [n[1] for n in got] == [69, 71, 72, 74, 76, 74, 72, 71] * 2
    assert [(n[2], n[3]) for n in got[:3]] == [(0, 480), (480, 720), (720, 1200)]
    assert got[-1][3] == 24 * 240  # 24 quavers


def test_velocities_follow_the_meter_unless_flat():
    vel = [m.velocity for m in midi().tracks[1] if m.type == "note_on"][:4]
    assert vel == [105, 80, 95, 80]
    assert {m.velocity for m in midi(accents=False).tracks[1] if m.type == "note_on"} == {90}


@pytest.mark.parametrize("instrument,program", [
    ("fiddle", 40), ("violin", 40), ("flute", 73), ("whistle", 78), ("accordion", 21),
    ("piano", 0), ("111", 110), (74, 73), ("1", 0)])
def test_instrument_by_name_or_gm_number(instrument, program):
    assert program_number(instrument) == program
    pcs = [m.program for m in midi(instrument=instrument).tracks[1] if m.type == "program_change"]
    assert pcs == [program]


@pytest.mark.parametrize("bad", ["banjolele", "0", "129", ""])
def test_bad_instruments_are_render_errors(bad):
    with pytest.raises(RenderError, match="instrument|GM"):
        program_number(bad)


def test_drone_holds_tonic_and_fifth():
    mf = midi(accompaniment="drone")
    assert len(mf.tracks) == 3
    drone = notes(mf.tracks[2])
    assert [(c, p, on) for c, p, on, _ in drone] == [(1, 45, 0), (1, 52, 0)]  # A2 and E3
    assert {off for *_, off in drone} == {24 * 240}


def test_chords_put_bass_on_strong_beats_and_the_triad_between():
    acc = notes(midi(accompaniment="chords").tracks[2])
    first_bar = [n for n in acc if n[2] < 1440]
    assert first_bar[0][:3] == (1, 45, 0)  # bass A2 on the downbeat (A minor fits A B C D)
    assert sorted(p for c, p, on, _ in first_bar if c == 2) == [57, 60, 64]  # A minor triad


def test_chord_symbols_choose_the_harmony():
    abc = 'X:1\nT:t\nM:4/4\nL:1/8\nK:C\n"G"c8|"F"c8|]\n'
    acc = notes(midi(abc, accompaniment="chords").tracks[2])
    bass = [p for c, p, *_ in acc if c == 1]
    assert bass[0] == 43 and bass[-1] == 41  # G2 then F2, though the melody is all C
    assert parse_chord_symbol("D7").chord == (50, 54, 57, 60)
    assert parse_chord_symbol("Am/C").bass == 36
    assert parse_chord_symbol("Fine") is None


def test_unknown_accompaniment_is_a_render_error():
    with pytest.raises(RenderError, match="accompaniment"):
        midi(accompaniment="orchestra")


def test_write_midi_saves_to_a_path(tmp_path):
    tune = read_text(JIG).tunes[0]
    path = tmp_path / "jig.mid"
    write_midi(tune_events(tune), path)
    assert mido.MidiFile(str(path)).length == pytest.approx(4.0, rel=1e-4)  # 8 dotted crotchets at 120


def test_our_bytes_are_what_mido_writes_to_the_byte():
    import glob
    import os

    import music21

    from folkrnn.render.midi import midi_bytes

    books = os.path.join(os.path.dirname(music21.__file__), "corpus", "oneills1850")
    text = open(sorted(glob.glob(os.path.join(books, "*.abc")))[3], encoding="latin-1").read()
    tunes = read_text(text).tunes[:40]
    assert len(tunes) == 40
    for k, tune in enumerate(tunes):
        accompaniment = ("none", "drone", "chords")[k % 3]
        mf = write_midi(tune_events(tune), None, MidiOptions(accompaniment=accompaniment))
        buf = io.BytesIO()
        mf.save(file=buf)
        assert midi_bytes(mf) == buf.getvalue(), tune.label
