"""Tolerant reading (what abc2midi skips is a warning) and the reader's limits."""
import pytest

from folkrnn.abc import lexer, reader
from folkrnn.abc.reader import read_file, read_text
from folkrnn.abc.symbols import MREST, NOTE
from folkrnn.errors import AbcError, AbcLimitError

HEAD = "X:1\nT:Debris\nM:4/4\nL:1/8\nK:G\n"


def read(body: str, strict: bool = False):
    return read_text(HEAD + body + "\n", "f.abc", strict)


def notes(tune) -> str:
    return "".join(s.text for s in tune.symbols if s.kind == NOTE)


@pytest.mark.parametrize("body, skipped, col", [
    ("GABc dedB|ABcA G4|=20", "=20", 19),  # quoted-printable space
    ("GABc dedB| ]ABcA G4|]", "]", 12),  # a stray ]
    ("GABc dedB|/ABcA G4|]", "/", 11),
    ("GABc dedB|ABc?A G4|]", "?", 14),
    ("GABc dedB|ABcA [Gc:]4|]", ":", 19),  # a `:` inside a chord
    ("GABc dedB|ABcA G4|]]", "]", 20),
])
def test_debris_is_skipped_with_a_located_warning_and_the_tune_reads(body, skipped, col):
    r = read(body)
    assert not r.errors
    (tune,) = r.tunes
    (w,) = tune.warnings
    assert (w.source, w.tune, w.line, w.col) == ("f.abc", "X:1 'Debris'", 6, col)
    assert w.message.startswith(f"skipped {skipped!r}: ")
    assert str(w).startswith(f"f.abc:6:{col} (tune X:1 'Debris'): skipped")
    assert "GABcdedBABcA" in notes(tune)


@pytest.mark.parametrize("body", ["GABc dedB| ]ABcA G4|]", "GABc dedB|ABcA G4|=20", "GA [Ac:]4|"])
def test_strict_reading_refuses_the_debris(body):
    r = read(body, strict=True)
    assert not r.tunes and "f.abc:6:" in str(r.errors[0])


def test_the_same_debris_is_one_warning_with_a_count():
    (tune,) = read("GABc dedB| ]ABc]A G4|=20\nGABc dedB| ]ABcA G4|]").tunes
    strays = [w for w in tune.warnings if "not an ABC symbol" in w.message]
    assert [(w.line, w.col, w.count) for w in strays] == [(6, 12, 3)]
    assert "(2 more like it in this tune)" in str(strays[0])


@pytest.mark.parametrize("body, played, warned", [
    ('GABc "Am dedB|', "GABc", "an unclosed chord symbol"),  # the rest of the line is its text
    ("GA{gB2|", "GAgB2", "unclosed grace notes"),  # no `}` on the line: the `{` is skipped
    ("[GB c2|", "GBc2", "an unclosed chord"),
    ("[CE|G]2 abc|", "[CE|G]2abc", "not a note, in a chord"),  # abc2midi plays C-E-G too
    ("{g|a}bc|", "{g|a}bc", "not a note, in grace notes"),
    ("{}ABc|", "ABc", "no notes in grace notes"),
    ("ab&cd|ef|", "abef", "a voice overlay: its second voice is left out"),
])
def test_unclosed_and_broken_groups_are_read_as_abc2midi_reads_them(body, played, warned):
    (tune,) = read(body).tunes
    kinds = ("note", "chord", "grace")
    assert "".join(s.text for s in tune.symbols if s.kind in kinds) == played
    (w,) = tune.warnings
    assert warned in w.message


def test_junk_in_grace_notes_is_located_at_the_junk():
    (tune,) = read("ab {g#a}b|").tunes
    assert (tune.warnings[0].col, tune.warnings[0].message) == (6, "skipped '#': not a note, in grace notes")


def test_clipped_rests_are_one_warning_with_a_count():
    (tune,) = read("Z100 Z100 Z100|GABc|").tunes
    (w,) = tune.warnings
    assert w.count == 3 and (w.line, w.col) == (6, 1)


def test_limits_follow_inline_unit_and_meter_fields():
    r = read_text(HEAD.replace("L:1/8", "L:1/512") + "[L:1/1]a999|\n", "f.abc")
    assert "longer than the 16 bars" in str(r.errors[0])
    assert read_text(HEAD + "[M:12/4]a128|\n").tunes  # 16 bars of 4/4 ... fits easily in 12/4


@pytest.mark.parametrize("body", ["|1-100000000 abc|", "|" + "1" * 5000 + " abc|", "[17 abc|"])
def test_endings_past_sixteen_are_refused(body):
    assert "numbered past 16" in str(read(body).errors[0])


def test_a_huge_body_is_refused_before_it_is_lexed(monkeypatch):
    monkeypatch.setattr(reader, "MAX_BODY_CHARS", 1000)
    assert "longer than 1,000 characters" in str(read("a" * 1001).errors[0])


def test_warnings_and_errors_name_the_field_line_past_comment_lines():
    text = "X:1\n%c\nT:t\n%%MIDI program 1\nM:4/4\nK:Bbn\nabc|\n"
    (tune,) = read_text(text).tunes
    assert tune.warnings[0].line == 6 and "read as Bb major" in tune.warnings[0].message
    assert read_text("X:1\n%c\n%c\nT:t\nK:Hq\nabc|\n").errors[0].line == 5


@pytest.mark.parametrize("body, message", [
    ("ab/0c d4|", "a length of zero (/0)"),
    ("a0bc d4|", "a length of zero (0)"),
    ("a" + "9" * 5000 + "|", "more than 6 digits"),  # Python would refuse int() of it
    ("[ab]/0 c|", "a length of zero"),
    ("a99999|", "longer than the 16 bars"),
    ("z129|", "longer than the 16 bars"),  # 16 bars of 4/4 in quavers is z128
    ("(3:0abc d|", "q and r must be 1 to 32"),
    ("(3:2:0abc d|", "q and r must be 1 to 32"),
    ("(3:2:33abc d|", "q and r must be 1 to 32"),
])
def test_what_cannot_be_played_is_a_located_error_even_when_tolerant(body, message):
    r = read(body)
    (err,) = r.errors
    assert isinstance(err, AbcLimitError) and message in err.message
    assert str(err).startswith("f.abc:6:") and "(tune X:1 'Debris')" in str(err)


def test_a_note_of_sixteen_bars_is_read():
    assert notes(read("a128|").tunes[0]) == "a128"


def test_a_long_rest_is_clipped_when_tolerant_and_refused_when_strict():
    (tune,) = read("Z99999999|GABc dedB|").tunes
    (rest,) = [s for s in tune.symbols if s.kind == MREST]
    assert rest.value == reader.MAX_REST_BARS == 64
    assert "clipped to 64 bars" in tune.warnings[0].message
    assert read("Z64|GABc dedB|").tunes[0].warnings == []
    assert "longer than the 64 bars" in str(read("Z65|GABc|", strict=True).errors[0])


@pytest.mark.parametrize("field", ["M:99999/4", "M:0/4", "M:" + "1+" * 70 + "1/8", "L:0/8", "L:1/0",
                                   "L:1/" + "9" * 40])
def test_absurd_meters_and_units_are_errors(field):
    r = read_text(HEAD.replace("M:4/4\nL:1/8", field) + "GABc|\n", "f.abc")
    assert not r.tunes and isinstance(r.errors[0], AbcError)


def test_a_huge_tune_number_is_no_number():
    assert read_text("X:" + "9" * 5000 + "\nK:G\nG|\n").tunes[0].x is None


def test_too_many_symbols(monkeypatch):
    monkeypatch.setattr(reader, "MAX_SYMBOLS", 50)
    r = read("GABc dedB|" * 20)
    assert "more than 50 symbols" in str(r.errors[0])


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.abc"
    path.write_text(HEAD + "GABc|\n" * 100)
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 100)
    with pytest.raises(AbcLimitError, match="bytes, more than the 100 an ABC file"):
        read_file(path)


def test_lexer_strict_without_a_list_and_tolerant_with_one():
    with pytest.raises(AbcError, match="unknown symbol"):
        lexer.lex_line("ab]c")
    skipped = []
    assert [s.text for s in lexer.lex_line("ab]c", skipped=skipped) if s.kind == NOTE] == ["a", "b", "c"]
    assert skipped == [lexer.Skipped(1, 3, "]", "not an ABC symbol (abc2midi skips it too)")]


def test_an_unknown_mode_on_a_good_tonic_is_its_major_key_when_tolerant():
    text = HEAD.replace("K:G", "K:Bn") + "Bcde fgab|\n"
    (tune,) = read_text(text, "f.abc").tunes
    assert tune.key.tonic == "B" and tune.key.mode == "maj"
    assert str(tune.warnings[0]) == ("f.abc:5:1 (tune X:1 'Debris'): unknown mode 'n' in key 'Bn': "
                                     "read as B major, as abc2midi does")
    assert "unknown mode" in str(read_text(text, "f.abc", strict=True).errors[0])
    assert read_text(HEAD.replace("K:G", "K:Hm7") + "B|\n").errors  # no tonic: no tune


def test_an_inline_key_with_an_unknown_mode_is_its_major_key_too():
    (tune,) = read("GABc [K:Ebn] dedB|\nK:F#n\nABcA|").tunes
    keys = [s.value for s in tune.symbols if s.kind == "field"]
    assert keys == [("K", "Eb"), ("K", "F#")]
    assert [(w.line, w.col) for w in tune.warnings] == [(6, 6), (7, 1)]
