"""Reading files: tunes, fields, encodings, and located errors."""

from folkrnn.abc.reader import read_file, read_text
from folkrnn.errors import AbcError

TWO = """% a file comment
%%directive

X:1
T:First
T:Second title
R:reel
M:C|
L:1/8
Q:1/2=100
C:Trad.
K:D
|:ABcd efge|\\
fed2 d4:|

X:2
T:Other
M:6/8
K:G
GAB c2d|
M:3/4
def g3|]
"""


def test_tunes_and_fields():
    r = read_text(TWO, "two.abc")
    assert not r.errors and [t.x for t in r.tunes] == [1, 2]
    t = r.tunes[0]
    assert t.titles == ["First", "Second title"] and t.rhythm == "reel"
    assert str(t.meter) == "2/2" and t.unit == 1 / 8 and t.key.name() == "D"
    assert t.get("C") == "Trad." and t.get("Q") == "1/2=100"


def test_body_field_lines_become_symbols():
    t = read_text(TWO).tunes[1]
    assert [s.value for s in t.symbols if s.kind == "field"] == [("M", "3/4")]


def test_default_unit_length_from_meter():
    assert read_text("X:1\nM:2/4\nK:C\nAB|\n").tunes[0].unit == 1 / 16
    assert read_text("X:1\nM:6/8\nK:C\nAB|\n").tunes[0].unit == 1 / 8


def test_one_bad_tune_does_not_sink_the_others_when_strict():
    text = TWO.replace("GAB c2d|", "GAB & c2d|")
    r = read_text(text, "f.abc", strict=True)
    assert [t.x for t in r.tunes] == [1]
    (err,) = r.errors
    assert isinstance(err, AbcError)
    assert str(err).startswith("f.abc:20:5 (tune X:2 'Other')") and "unknown symbol" in str(err)


def test_truncated_tune_without_key():
    r = read_text("X:1\nT:Cut\nM:6/8\n", "cut.abc")
    assert not r.tunes and "no K: field" in str(r.errors[0]) and "cut.abc:1:1" in str(r.errors[0])


def test_bad_key_is_located():
    r = read_text("X:3\nT:K\nM:6/8\nK:Hm7\nABC|\n", "k.abc")
    assert "unknown" in str(r.errors[0]) and "k.abc:4:1" in str(r.errors[0])


def test_bad_meter_is_located():
    r = read_text("X:3\nT:M\nM:7/9\nK:G\nABC|\n", "m.abc")
    assert "unknown meter '7/9'" in str(r.errors[0]) and "m.abc:3:1" in str(r.errors[0])


def test_binary_junk(tmp_path):
    p = tmp_path / "junk.abc"
    p.write_bytes(b"\x00\x01\x02PNG\x00" * 50)
    r = read_file(p)
    assert not r.tunes and "binary" in str(r.errors[0]) and "junk.abc" in str(r.errors[0])


def test_latin1_file(tmp_path):
    p = tmp_path / "l1.abc"
    p.write_bytes("X:1\nT:Caf\xe9 na Sl\xe1inte\nM:6/8\nK:G\nGAB|\n".encode("latin-1"))
    assert read_file(p).tunes[0].title == "Café na Sláinte"


def test_tune_without_x_starting_with_title():
    assert read_text("T:Only a title\nM:2/4\nK:A\nAB|\n").tunes[0].title == "Only a title"
