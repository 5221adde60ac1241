"""The interpreter: one test per construct, inline ABC, real pitches and times.

Times are in quavers (whole notes * 8) to keep the numbers readable.
"""
from fractions import Fraction as F

import pytest

from folkrnn.abc.reader import read_text
from folkrnn.errors import RenderError
from folkrnn.render.events import EventOptions, header_tempo, parse_tempo, tune_events
from folkrnn.render.midi import write_midi
from folkrnn.render.repeats import expand_parts


def tune(body: str, header: str = "M:4/4\nL:1/8\nK:C"):
    return read_text(f"X:1\nT:Test\n{header}\n{body}\n").tunes[0]


def play(body: str, header: str = "M:4/4\nL:1/8\nK:C", **options):
    ev = tune_events(tune(body, header), EventOptions(default_tempo=120, **options))
    return [(n.pitch, n.onset * 8, n.duration * 8) for n in ev.notes]


def pitches(body: str, header: str = "M:4/4\nL:1/8\nK:C", **options):
    return [p for p, _, _ in play(body, header, **options)]


def test_plain_notes_octaves_and_lengths():
    assert play("C c c' C, c2 c/") == [(60, 0, 1), (72, 1, 1), (84, 2, 1), (48, 3, 1),
                                      (72, 4, 2), (72, 6, F(1, 2))]


@pytest.mark.parametrize("key,expected", [
    ("G", [78, 72, 83]), ("D", [78, 73, 83]), ("F", [77, 72, 82]), ("Bb", [77, 72, 82]),
    ("Ador", [78, 72, 83]), ("Dmix", [78, 72, 83]), ("Em", [78, 72, 83]), ("Edor", [78, 73, 83]),
    ("Gm", [77, 72, 82]), ("Dphr", [77, 72, 82]), ("A", [78, 73, 83])])
def test_key_signatures_with_modes(key, expected):
    assert pitches("f c b", f"M:4/4\nL:1/8\nK:{key}") == expected


def test_accidental_carries_to_the_end_of_the_bar_in_every_octave():
    # abc2midi: an accidental holds for its letter in all octaves until the bar line
    assert pitches("^c c C =c c | c") == [73, 73, 61, 72, 72, 72]


def test_tie_joins_equal_pitches_and_carries_the_accidental_over_the_bar():
    assert play("^c2-|c2 c2") == [(73, 0, 4), (72, 4, 2)]


def test_dash_between_different_pitches_is_a_slur_not_a_tie():
    assert play("c2-d2") == [(72, 0, 2), (74, 2, 2)]


def test_tie_between_chords_joins_matching_notes():
    assert play("[ce]2-[cf]2") == [(72, 0, 4), (76, 0, 2), (77, 2, 2)]


@pytest.mark.parametrize("body", ["c2>-c2 d4", "c2->c2 d4"])
def test_a_tie_over_a_broken_rhythm_joins_the_notes(body):
    # abc2midi holds c for 3 + 1 quavers in both spellings
    assert play(body) == [(72, 0, 4), (74, 4, 4)]


def test_broken_rhythm():
    assert play("c>d e<f g>>a") == [(72, 0, F(3, 2)), (74, F(3, 2), F(1, 2)), (76, 2, F(1, 2)),
                                   (77, F(5, 2), F(3, 2)), (79, 4, F(7, 4)), (81, F(23, 4), F(1, 4))]


def test_broken_rhythm_needs_equal_lengths_as_in_abc2midi():
    assert play("c2>d") == [(72, 0, 2), (74, 2, 1)]


def test_triplet_and_general_tuplets():
    assert play("(3cde f") == [(72, 0, F(2, 3)), (74, F(2, 3), F(2, 3)), (76, F(4, 3), F(2, 3)),
                               (77, 2, 1)]
    assert [d for _, _, d in play("(3:2:4c2d2ef")] == [F(4, 3), F(4, 3), F(2, 3), F(2, 3)]


def test_quintuplet_in_compound_meter_takes_three():
    durations = [d for _, _, d in play("(5cdefg a", "M:6/8\nL:1/8\nK:C")]
    assert durations == [F(3, 5)] * 5 + [1]


def test_chord_takes_its_first_note_length():
    assert play("[CEG]2 [c2e] z") == [(60, 0, 2), (64, 0, 2), (67, 0, 2), (72, 2, 2), (76, 2, 2)]


def test_grace_notes_take_a_quarter_of_their_length_from_the_next_note():
    # abc2midi: the grace group sounds on the beat, taken from the start of its note
    ev = tune_events(tune("{g}a2 {ag}f2"), EventOptions(default_tempo=120))
    got = [(n.pitch, n.onset * 8, n.duration * 8, n.is_grace) for n in ev.notes]
    assert got == [(79, 0, F(1, 4), True), (81, F(1, 4), F(7, 4), False),
                   (81, 2, F(1, 4), True), (79, F(9, 4), F(1, 4), True), (77, F(5, 2), F(3, 2), False)]


def test_grace_group_longer_than_its_note_is_dropped():
    assert pitches("{gagag}a") == [81]


def test_grace_notes_before_a_bar_line_are_dropped():
    assert pitches("c2 {d}| e2") == [72, 76]


def test_rests_take_time():
    assert play("z2 c x c Z2 | c") == [(72, 2, 1), (72, 4, 1), (72, 21, 1)]


def test_repeat_plays_twice():
    assert pitches("|: c d :| e") == [72, 74, 72, 74, 76]


def test_repeat_without_start_goes_back_to_the_beginning():
    assert pitches("c d :| e") == [72, 74, 72, 74, 76]


def test_second_close_repeat_goes_back_to_the_first():
    # abc2midi: `A :| B :|` plays A A B B
    assert pitches("|: c :| d :|") == [72, 72, 74, 74]


def test_double_repeat():
    assert pitches("|: c :: d :|") == [72, 72, 74, 74]


@pytest.mark.parametrize("body", ["|: c |1 d :|2 e |]", "|: c [1 d :| [2 e |]", "|: c |[1 d :|[2 e |]"])
def test_first_and_second_endings(body):
    assert pitches(body) == [72, 74, 72, 76]


def test_ending_for_passes_one_and_three():
    # as abc2midi: a third pass through ending 1, then the section start once more
    assert pitches("|: c |1,3 d :|2 e :|") == [72, 74, 72, 76, 72, 74, 72]


def test_repeats_once_plays_each_section_once_with_the_last_ending():
    assert pitches("|: c |1 d :|2 e |] f", repeats="once") == [72, 76, 77]
    assert pitches("|: c d :| e", repeats="once") == [72, 74, 76]


def test_pickup_starts_at_zero_and_bars_follow():
    ev = tune_events(tune("G|:c4 d4:|"), EventOptions(default_tempo=120))
    assert [(n.pitch, n.onset * 8) for n in ev.notes] == [(67, 0), (72, 1), (74, 5), (72, 9), (74, 13)]
    assert ev.bars[:2] == [F(1, 8), F(9, 8)]


@pytest.mark.parametrize("q", ["1/0=120", "1/4=3", "1/4=3D120", "3", "1/99999=1", "1/4=99999",
                               "1/4=" + "9" * 5000, "1/" + "9" * 5000 + "=120"])
def test_a_tempo_midi_cannot_hold_or_that_is_no_tempo_plays_at_the_default(q, tmp_path):
    assert parse_tempo(q) is None
    t = tune("cdef|", f"M:4/4\nL:1/8\nQ:{q}\nK:C")
    assert header_tempo(t) == 120
    write_midi(tune_events(tune(f"cd [Q:{q}] ef|")), tmp_path / "t.mid")  # inline too: no error


def test_tempo_from_q_and_defaults_by_rhythm():
    assert parse_tempo("1/4=60") == 60
    assert parse_tempo("3/8=120") == 180
    assert parse_tempo('"Allegro" 1/2=100') == 200
    assert parse_tempo("120", F(1, 8)) == 60  # a bare number counts L: units
    assert header_tempo(tune("c", "M:4/4\nL:1/8\nR:reel\nK:C")) == 200
    assert header_tempo(tune("c", "M:6/8\nL:1/8\nR:jig\nK:C")) == 180
    assert header_tempo(tune("c")) == 120
    ev = tune_events(tune("c4 [Q:1/4=60] c4", "M:4/4\nL:1/8\nQ:1/4=120\nK:C"))
    assert ev.seconds(F(1)) == pytest.approx(1.0 + 2.0)  # two crotchets at 120, two at 60


def test_tempo_option_overrides_q():
    ev = tune_events(tune("c8", "M:4/4\nL:1/8\nQ:1/4=60\nK:C"), EventOptions(tempo=240))
    assert ev.seconds(F(1)) == pytest.approx(1.0)


def test_inline_field_changes_of_unit_meter_and_key():
    ev = tune_events(tune("c2 [L:1/4] c | [M:3/4] c [K:D] c f | [K:Bb] b", ), EventOptions(default_tempo=120))
    assert [(n.pitch, n.onset * 8, n.duration * 8) for n in ev.notes] == [
        (72, 0, 2), (72, 2, 2), (72, 4, 2), (73, 6, 2), (78, 8, 2), (82, 10, 2)]
    assert [str(m) for _, m in ev.meters] == ["4/4", "3/4"]
    assert [k.name() for _, k in ev.keys] == ["C", "D", "Bb"]


def test_field_lines_in_the_body_change_the_key():
    assert pitches("f f|\nK:G\nf f|") == [77, 77, 78, 78]


def test_staccato_halves_and_fermata_doubles():
    assert play(".c2 Hd2 e") == [(72, 0, 1), (74, 2, 4), (76, 6, 1)]


def test_trill_alternates_with_the_note_above_in_the_key():
    got = play("Tc2", "M:4/4\nL:1/8\nK:C")  # a crotchet at 120: 1/32 notes
    assert [p for p, _, _ in got] == [74, 72] * 4
    assert {d for _, _, d in got} == {F(1, 4)}


def test_roll_and_cut():
    assert pitches("Rc") == [72, 74, 72, 71, 72]
    ev = tune_events(tune("~c2"), EventOptions(default_tempo=120))
    assert [(n.pitch, n.is_grace) for n in ev.notes] == [(74, True), (72, False)]


def test_hornpipes_swing_by_default_as_abc2midi_plays_them_and_straight_is_an_option():
    header = "M:4/4\nL:1/8\nR:hornpipe\nK:C"
    assert play("cdef", header, swing=False) == [(72, 0, 1), (74, 1, 1), (76, 2, 1), (77, 3, 1)]
    assert play("cdef", header) == [(72, 0, F(4, 3)), (74, F(4, 3), F(2, 3)),
                                                (76, 2, F(4, 3)), (77, F(10, 3), F(2, 3))]


def test_voices_are_separate():
    ev = tune_events(tune("V:1\nc2 d2|\nV:2\nC2 D2|"), EventOptions(default_tempo=120))
    assert ev.voices == 2
    assert [(n.voice, n.pitch, n.onset * 8) for n in ev.notes] == [
        (0, 72, 0), (1, 60, 0), (0, 74, 2), (1, 62, 2)]


def test_parts_play_in_the_header_order():
    t = tune("C|\nP:A\nD E :|\nP:B\nF|]", "M:4/4\nL:1/4\nP:ABA\nK:C")
    assert [n.pitch for n in tune_events(t).notes] == [60, 62, 64, 62, 64, 65, 62, 64, 62, 64]
    assert expand_parts("(AB)2C") == "ABABC" and expand_parts("A2B.C") == "AABC"


def test_velocity_accents_follow_the_meter():
    vel = [n.velocity for n in tune_events(tune("cdef gabc|c")).notes]
    assert vel == [105, 80, 80, 80, 95, 80, 80, 80, 105]
    vel68 = [n.velocity for n in tune_events(tune("cde fga|", "M:6/8\nL:1/8\nK:C")).notes]
    assert vel68 == [105, 80, 80, 95, 80, 80]


def test_chord_symbols_are_kept_for_accompaniment():
    ev = tune_events(tune('"G"g2 "D7"d2 "text"c'))
    assert ev.chords == [(F(0), "G"), (F(1, 4), "D7")]


def test_bad_options_are_render_errors():
    with pytest.raises(RenderError, match="repeats"):
        EventOptions(repeats="twice")
    with pytest.raises(RenderError, match="tempo"):
        EventOptions(tempo=0)
