"""Each musical fact lives in one place in `folkrnn.abc`; every user takes it from there."""
import shutil
import tempfile
from fractions import Fraction as F
from pathlib import Path

import pytest

from folkrnn.abc import lengths, lexer, pitch, writer
from folkrnn.abc.keys import parse_key
from folkrnn.abc.meter import Meter
from folkrnn.abc.reader import read_text
from folkrnn.abc.symbols import CHORD, NOTE, TUPLET
from folkrnn.abc.timing import BROKEN_RATIOS, HORNPIPE_BROKEN, broken_ratio, durations
from folkrnn.check import strict
from folkrnn.errors import AbcError
from folkrnn.generate import output
from folkrnn.generate.constraints import range as range_rules
from folkrnn.generate.constraints import tokens
from folkrnn.render import svg
from folkrnn.render.events import EventOptions, main_beat, tune_events
from folkrnn.render.midi import time_signature


def tune(body: str, meter: str = "4/4", key: str = "C", extra: str = ""):
    return read_text(f"X:1\nT:t\n{extra}M:{meter}\nL:1/8\nK:{key}\n{body}\n").tunes[0]


# ---------------------------------------------------------------- 1. compound meter

@pytest.mark.parametrize("meter,in_threes,compound,beat", [
    ("6/8", True, True, F(3, 8)), ("9/8", True, True, F(3, 8)), ("12/8", True, True, F(3, 8)),
    ("6/4", True, True, F(3, 4)), ("9/4", True, True, F(3, 4)), ("6/16", True, True, F(3, 16)),
    ("3/8", True, False, F(3, 8)), ("3/16", True, False, F(3, 16)),  # three short notes: one beat
    ("3/4", True, False, F(1, 4)), ("3/2", True, False, F(1, 2)),
    ("2/4", False, False, F(1, 4)), ("4/4", False, False, F(1, 4)), ("2/2", False, False, F(1, 2)),
    ("5/4", False, False, F(1, 4)), ("7/8", False, False, F(1, 8))])
def test_meter_in_threes_compound_and_beat(meter, in_threes, compound, beat):
    num, den = map(int, meter.split("/"))
    m = Meter(num, den)
    assert (m.in_threes, m.compound, m.beat) == (in_threes, compound, beat)


@pytest.mark.parametrize("p,q", [(2, 3), (3, 2), (4, 3), (6, 2), (8, 3)])
@pytest.mark.parametrize("meter", ["2/4", "3/4", "3/8", "6/8", "6/4"])
def test_the_q_of_2_3_4_6_8_is_fixed(p, q, meter):
    assert lengths.default_q(p, Meter(*map(int, meter.split("/")))) == q


@pytest.mark.parametrize("meter,q", [
    ("6/8", 3), ("9/8", 3), ("12/8", 3), ("6/4", 3), ("3/4", 3), ("3/8", 3), ("3/2", 3),
    ("2/4", 2), ("4/4", 2), ("2/2", 2), ("5/4", 2), ("C", 2), ("none", 2)])
def test_the_q_of_5_7_9_follows_abc2midi(meter, q):
    t = tune("(5abcde (7abcdefg (9abcdefgab (5:2:5abcde|", meter)
    assert [s.value[1] for s in t.symbols if s.kind == TUPLET] == [q, q, q, 2]


def test_the_q_of_5_is_the_headers_meter_whatever_m_fields_follow():
    t = tune("(5abcde|[M:2/4](5abcde|\nM:4/4\n(5abcde|", "6/8")
    assert [s.value[1] for s in t.symbols if s.kind == TUPLET] == [3, 3, 3]


def test_tokens_read_tuplets_as_the_lexer_does():
    assert tokens.parse_tuplet("(5", Meter(3, 4)) == (5, 3, 5)
    assert tokens.parse_tuplet("(5", Meter(2, 4)) == (5, 2, 5)
    assert tokens.parse_tuplet("(6:6:6") == (6, 6, 6)


def _tuplet_abc(cases: list[tuple[str, str]]) -> str:
    return "\n".join(f"X:{x}\nT:t\nM:{meter}\nL:1/8\nK:C\n{tup}cdefg a4|z8|\n"
                     for x, (meter, tup) in enumerate(cases, 1))


TUPLET_CASES = [(m, t) for m in ("3/4", "3/8", "6/4", "6/8", "2/4", "4/4") for t in ("(3", "(5")]


def test_reader_and_renderer_time_a_tuplet_alike():
    for x, t in enumerate(read_text(_tuplet_abc(TUPLET_CASES)).tunes):
        meter, tup = TUPLET_CASES[x]
        p = int(tup[1:])
        written = sum(d for d in durations(t.symbols, t.unit)[:p + 1] if d)
        played = sum(n.duration for n in tune_events(t).notes[:p])
        assert written == played == lengths.default_q(p, t.meter) * F(1, 8), (meter, tup)


@pytest.mark.skipif(shutil.which("abc2midi") is None, reason="abc2midi not installed")
def test_tuplets_play_as_abc2midi_plays_them():
    from oracle import abc2midi_notes, first_difference, our_notes, run_abc2midi

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tuplets.abc"
        path.write_text(_tuplet_abc(TUPLET_CASES))
        mids = run_abc2midi(path, tmp)
        for x, t in enumerate(read_text(path.read_text()).tunes, 1):
            assert first_difference(our_notes(t), abc2midi_notes(mids[x])) is None, TUPLET_CASES[x - 1]


@pytest.mark.parametrize("meter,beat,clocks", [
    ("6/8", F(3, 8), 36), ("9/8", F(3, 8), 36), ("12/8", F(3, 8), 36), ("3/8", F(1, 8), 12),
    ("6/4", F(1, 4), 24), ("3/4", F(1, 4), 24), ("4/4", F(1, 2), 24), ("2/2", F(1, 2), 48)])
def test_accents_and_midi_clicks_of_a_meter(meter, beat, clocks):
    m = Meter(*map(int, meter.split("/")))
    assert main_beat(m) == beat
    assert time_signature(m).clocks_per_click == clocks


@pytest.mark.parametrize("meter,body,tempo,written", [
    ("3/8", "|:GAB|c2d|e2d|c3:|", "3/8=100", "|:ABc|d2e|f2e|d3:|"),
    ("6/8", "|:GAB c2d|e2d c3:|", "3/8=100", "|:ABc d2e|f2e d3:|"),
    ("9/8", "|:GAB c2d e2d|GAB c2d e3:|", "3/8=100", "|:ABc d2e f2e|ABc d2e f3:|"),
    ("3/4", "|:GA Bc d2|c6:|", "1/4=120", "|:AB cd e2|d6:|"),
    ("6/4", "|:GABc d2 e2d2c2|GABc d2 c6:|", "1/4=120", "|:ABcd e2f2 e2d2|ABcd e2d6:|"),
    ("4/4", "|:GABc d2e2|d2c2 c4:|", "1/4=120", "|:ABcd e2f2|e2d2 d4:|")])
def test_to_abc_beams_and_sets_the_tempo_by_the_meter(meter, body, tempo, written):
    abc = output.to_abc(f"T:t\nM:{meter}\nK:Cmaj\n{body}")
    assert f"\nQ:{tempo}\n" in abc and abc.endswith(f"K:D\n{written}\n")


# ---------------------------------------------------------------- 2. token patterns

@pytest.mark.parametrize("name,piece", [("PITCH_RE", "PITCH_PATTERN"), ("LENGTH_RE", "LENGTH_PATTERN"),
                                        ("TUPLET_RE", "TUPLET_PATTERN")])
def test_token_patterns_are_the_lexers_as_whole_tokens(name, piece):
    assert getattr(tokens, name).pattern == f"^{getattr(lexer, piece)}$"


@pytest.mark.parametrize("tok,is_pitch", [
    ("C", True), ("^c'", True), ("__B,,", True), ("=F", True), ("c2", False), ("z", False),
    ("H", False), ("^", False)])
def test_a_pitch_token_is_a_note_the_lexer_reads_without_length(tok, is_pitch):
    assert bool(tokens.PITCH_RE.match(tok)) == is_pitch
    if is_pitch:
        (s, _eol) = lexer.lex_line(tok)
        assert s.kind == NOTE and s.text == tok and s.length == 1


@pytest.mark.parametrize("tok,length", [
    ("2", F(2)), ("/", F(1, 2)), ("//", F(1, 4)), ("/4", F(1, 4)), ("3/2", F(3, 2)), ("3/", F(3, 2))])
def test_a_length_token_means_what_the_lexer_reads_after_a_note(tok, length):
    assert lengths.parse_length(*tokens.LENGTH_RE.match(tok).groups()) == length
    assert lexer.lex_line("c" + tok)[0].length == length


@pytest.mark.parametrize("tok,ok", [("(3", True), ("(9", True), ("(3:2:3", True), ("(5::5", True),
                                    ("(1", False), ("(", False), ("(3abc", False)])
def test_a_tuplet_token_is_a_whole_lexer_tuplet(tok, ok):
    assert bool(tokens.TUPLET_RE.match(tok)) == ok


# ---------------------------------------------------------------- 3. broken rhythm

def test_broken_ratios_by_count_and_hornpipe():
    assert BROKEN_RATIOS == {1: (F(3, 2), F(1, 2)), 2: (F(7, 4), F(1, 4)), 3: (F(15, 8), F(1, 8))}
    assert HORNPIPE_BROKEN == (F(4, 3), F(2, 3))


@pytest.mark.parametrize("mark,ratio", [
    (">", (F(3, 2), F(1, 2))), ("<", (F(1, 2), F(3, 2))), (">>", (F(7, 4), F(1, 4))),
    ("<<", (F(1, 4), F(7, 4))), (">>>", (F(15, 8), F(1, 8))), ("<<<", (F(1, 8), F(15, 8))),
    (">>>>", None), ("<>", None)])
def test_broken_ratio_of_a_mark(mark, ratio):
    assert broken_ratio(mark) == ratio
    assert tokens.BROKEN.get(mark) == ratio


def test_reader_constraints_and_renderer_share_the_ratios():
    t = tune("A>B C<D E>>F G<<<A|")
    written = [d for d in durations(t.symbols, t.unit) if d]
    assert written == [F(3, 16), F(1, 16), F(1, 16), F(3, 16), F(7, 32), F(1, 32), F(1, 64), F(15, 64)]
    assert [n.duration for n in tune_events(t).notes] == written


def test_a_hornpipe_plays_broken_rhythm_two_to_one():
    # in 3/4 abc2midi does not swing the quavers of a hornpipe on its own; `>` is 2:1 still
    t = tune("A>B A>>B c2|", "3/4", extra="R:hornpipe\n")
    played = [n.duration for n in tune_events(t, EventOptions(swing=True)).notes]
    assert played == [F(1, 6), F(1, 12), F(7, 32), F(1, 32), F(1, 4)]


# ---------------------------------------------------------------- 4. sounding pitches

BODY = "F ^f f | f [Fa] =F F | [K:F] B b {c}c|"


def test_sounding_pitches_carry_accidentals_to_the_bar_and_follow_inline_keys():
    t = tune(BODY, key="G")
    found = pitch.sounding_pitches(t.symbols, t.key)
    assert [p for _, p in found] == [66, 78, 78, 78, 66, 81, 65, 65, 70, 82, 72]
    assert all(t.symbols[i].kind in (NOTE, CHORD) for i, _ in found)  # grace notes left out


def test_the_checker_and_to_abc_use_the_one_walk():
    t = tune(BODY, key="G")
    assert strict.pitches(t) == pitch.sounding_pitches(t.symbols, parse_key("G"))
    assert output.sounding_pitches is pitch.sounding_pitches


def test_an_unknown_inline_key_is_located():
    t = read_text("X:1\nT:t\nM:4/4\nL:1/8\nK:C\nC4 [K:Q] C4|\n", "q.abc").tunes[0]
    with pytest.raises(AbcError) as err:
        strict.pitches(t)
    assert (err.value.source, err.value.tune, err.value.line, err.value.col) == ("q.abc", t.label, 6, 4)


# ---------------------------------------------------------------- 5. playable range

def test_the_playable_range_is_g3_to_a6():
    assert pitch.PLAYABLE == (55, 93)
    assert [strict.midi_name(p) for p in pitch.PLAYABLE] == ["G3", "A6"]


def test_checker_constraints_and_to_abc_use_the_one_range():
    assert strict.PLAYABLE is range_rules.PLAYABLE is output.PLAYABLE is pitch.PLAYABLE


@pytest.mark.parametrize("note,outside", [("G,", False), ("a'", False), ("^F,", True), ("b'", True)])
def test_the_checker_refuses_notes_outside_the_range(note, outside):
    report = strict.check_tune(tune(f"{note}8|"), music21=False)
    assert any("playable range G3..A6" in r for r in report.reasons) == outside


# ---------------------------------------------------------------- 6. tune text

def test_tune_text_is_header_fields_then_body_lines():
    t = read_text("X:2\nT:Second\nM:6/8\nL:1/8\nK:D\ndef gfe|]\n% a comment\nabc abc|]\n").tunes[0]
    assert writer.tune_text(t) == "X:2\nT:Second\nM:6/8\nL:1/8\nK:D\ndef gfe|]\nabc abc|]\n"


def test_checker_and_svg_use_the_one_tune_text():
    assert strict.tune_text is svg.tune_text is writer.tune_text
