"""One test per ABC construct the body lexer reads, with inline strings."""
from fractions import Fraction as F

import pytest

from folkrnn.abc.lexer import canonical_bar, lex_line
from folkrnn.abc.reader import read_text
from folkrnn.abc.symbols import (
    ANNOT,
    BAR,
    BROKEN,
    CHORD,
    DECO,
    ENDING,
    EOL,
    FIELD,
    GRACE,
    MREST,
    NOTE,
    REST,
    SLUR,
    TUPLET,
)
from folkrnn.abc.timing import bars
from folkrnn.abc.writer import sym_text
from folkrnn.errors import AbcError


def syms(text):
    return [s for s in lex_line(text) if s.kind != EOL]


def test_note_with_accidentals_and_octaves():
    s = syms("^c' _B,, =F ^^G __e")
    assert [(n.note.letter, n.note.octave, n.note.accidental) for n in s] == [
        ("C", 2, 1), ("B", -2, -1), ("F", 0, 0), ("G", 0, 2), ("E", 1, -2)]


@pytest.mark.parametrize("text,length", [
    ("A", F(1)), ("A2", F(2)), ("A/", F(1, 2)), ("A//", F(1, 4)), ("A/2", F(1, 2)),
    ("A3/2", F(3, 2)), ("A/4", F(1, 4)), ("A3/", F(3, 2)), ("A3", F(3))])
def test_durations(text, length):
    assert syms(text)[0].length == length


def test_rests():
    s = syms("z2 x/ Z4")
    assert [(x.kind, x.length) for x in s[:2]] == [(REST, F(2)), (REST, F(1, 2))]
    assert s[2].kind == MREST and s[2].value == 4


@pytest.mark.parametrize("text,bar,ending", [
    ("|", "|", ""), ("||", "||", ""), ("|]", "|]", ""), ("[|", "[|", ""), ("|:", "|:", ""),
    (":|", ":|", ""), ("::", "::", ""), ("|1", "|", "1"), (":|2", ":|", "2"),
    ("|[1", "|", "1"), (":|[2", ":|", "2"), (":||:", "::", ""), ("[|]", "|", ""),
    ("|1,3", "|", "1,3")])
def test_bar_lines_and_endings(text, bar, ending):
    s = syms(text)
    assert len(s) == 1 and s[0].kind == BAR and (s[0].bar, s[0].ending) == (bar, ending)


def test_standalone_ending():
    s = syms("| [2 AB")
    assert s[1].kind == ENDING and s[1].ending == "2"


def test_broken_rhythm():
    assert [s.value for s in syms("A>B C<D E>>F") if s.kind == BROKEN] == [">", "<", ">>"]


def test_tuplets():
    t = [s.value for s in syms("(3abc (3:2:3abc (2ab (5abcde") if s.kind == TUPLET]
    assert t == [(3, 2, 3), (3, 2, 3), (2, 3, 2), (5, 2, 5)]


@pytest.mark.parametrize("meter,q", [
    ("6/8", 3), ("9/8", 3), ("12/8", 3), ("6/4", 3), ("2/4", 2), ("4/4", 2), ("2/2", 2),
    ("3/4", 3), ("3/8", 3)])  # as abc2midi: 3 when the numerator is a multiple of 3
def test_default_q_of_five_seven_nine_is_the_meters(meter, q):
    body = "(5abcde (7abcdefg (9abcdefgab (5:2:5abcde (3abc"
    tune = read_text(f"X:1\nT:t\nM:{meter}\nL:1/8\nK:C\n{body}\n").tunes[0]
    t = [s.value for s in tune.symbols if s.kind == TUPLET]
    assert t == [(5, q, 5), (7, q, 7), (9, q, 9), (5, 2, 5), (3, 2, 3)]


def test_an_inline_meter_leaves_the_default_q():  # abc2midi reads the header's meter only
    tune = read_text("X:1\nT:t\nM:2/4\nL:1/8\nK:C\n(5abcde|[M:6/8](5abcde|\nM:4/4\n(5abcde|\n").tunes[0]
    assert [s.value[1] for s in tune.symbols if s.kind == TUPLET] == [2, 2, 2]


def test_the_q_of_a_tuplet_decides_its_bar_length():
    tune = read_text("X:1\nT:t\nM:6/8\nL:1/8\nK:C\n(5abcde c3|(9abcdefgab c3|\n").tunes[0]
    assert [b.length for b in bars(tune.symbols, tune.unit)] == [F(3, 4), F(3, 4)]


def test_a_short_tuplet_is_written_short_and_an_explicit_one_stays_explicit():
    tune = read_text("X:1\nT:t\nM:6/8\nL:1/8\nK:C\n(5abcde c|(5:2:5abcde c2|\n").tunes[0]
    assert [sym_text(s) for s in tune.symbols if s.kind == TUPLET] == ["(5", "(5:2:5"]


@pytest.mark.parametrize("text", ["A2>-A2", "A2->A2"])
def test_a_tie_next_to_a_broken_rhythm_is_kept(text):
    s = syms(text)
    assert [(x.kind, x.tie) for x in s] == [(NOTE, True), (BROKEN, False), (NOTE, False)]


def test_ties_and_slurs():
    s = syms("(A2-A) [CE]-[CE]")
    assert s[0].kind == SLUR and s[1].tie and not s[2].tie and s[3].kind == SLUR
    assert s[4].kind == CHORD and s[4].tie


def test_grace_notes():
    g = syms("{g}A {/ag}B")
    assert g[0].kind == GRACE and [n.letter for n in g[0].notes] == ["G"]
    assert [n.letter for n in g[2].notes] == ["A", "G"]


def test_chord_length_and_notes():
    c = syms("[CEG]2")[0]
    assert c.kind == CHORD and c.length == 2 and [n.letter for n in c.notes] == ["C", "E", "G"]
    assert syms("[C2E2]")[0].length == 2


def test_chord_symbols_and_annotations():
    s = syms('"Am"A "^Segno"B')
    assert [x.value for x in s if x.kind == ANNOT] == ["Am", "^Segno"]


@pytest.mark.parametrize("text,value", [
    ("~A", "~"), (".A", "."), ("TA", "T"), ("HA", "H"), ("uA", "u"), ("vA", "v"),
    ("!trill!A", "trill"), ("+fermata+A", "fermata"), ("kA", "k")])
def test_decorations(text, value):
    s = syms(text)
    assert s[0].kind == DECO and s[0].value == value and s[1].kind == NOTE


def test_inline_fields():
    s = syms("A [K:Dmix] B [M:3/4] [L:1/16] c")
    assert [x.value for x in s if x.kind == FIELD] == [("K", "Dmix"), ("M", "3/4"), ("L", "1/16")]


def test_continuation_has_no_end_of_line():
    assert lex_line("AB \\")[-1].kind != EOL
    assert lex_line("AB")[-1].kind == EOL


def test_comment_ends_the_line():
    assert [s.kind for s in syms("AB % CD")] == [NOTE, NOTE]


def test_unknown_symbol_is_located():
    with pytest.raises(AbcError) as e:
        lex_line("ABC & D", line=7, source="f.abc")
    assert (e.value.line, e.value.col) == (7, 5) and "unknown symbol '&'" in str(e.value)


def test_canonical_bar():
    assert canonical_bar("::|") == ":|" and canonical_bar("|::") == "|:"
