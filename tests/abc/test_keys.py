import pytest

from folkrnn.abc.keys import key_for, parse_key
from folkrnn.abc.meter import parse_meter
from folkrnn.errors import UnknownKeyError, UnknownMeterError


@pytest.mark.parametrize("text,name,fifths", [
    ("G", "G", 1), ("Gm", "Gmin", -2), ("Gmin", "Gmin", -2), ("Ador", "Ador", 1),
    ("A Dorian", "Ador", 1), ("E Minor", "Emin", 1), ("Amix", "Amix", 2),
    ("D mixolydian", "Dmix", 1), ("HP", "Amix", 2), ("Hp", "Amix", 2), ("none", "C", 0),
    ("Bb", "Bb", -2), ("F#m", "F#min", 3), ("EDorian", "Edor", 2), ("Glydian", "Glyd", 2),
    ("Bphr", "Bphr", 1), ("C clef=bass", "C", 0), ("AMix", "Amix", 2), ("Eb", "Eb", -3)])
def test_key_spellings(text, name, fifths):
    k = parse_key(text)
    assert (k.name(), k.fifths) == (name, fifths)


def test_signature_and_extra_accidentals():
    assert {x for x, a in parse_key("D").signature().items() if a == 1} == {"F", "C"}
    assert parse_key("Dmix ^g").signature()["G"] == 1
    assert parse_key("Dmix=c").signature()["C"] == 0


@pytest.mark.parametrize("bad", ["Bn", "H", "Xmaj", "G foo"])
def test_unknown_keys(bad):
    with pytest.raises(UnknownKeyError):
        parse_key(bad)


def test_key_for_spells_conventionally():
    assert key_for(10, "maj").name() == "Bb" and key_for(6, "min").name() == "F#min"


@pytest.mark.parametrize("text,num,den", [("6/8", 6, 8), ("C", 4, 4), ("C|", 2, 2), ("(2+3)/8", 5, 8)])
def test_meters(text, num, den):
    m = parse_meter(text)
    assert (m.num, m.den) == (num, den)


@pytest.mark.parametrize("bad", ["7/9", "FREI4/4", "x"])
def test_unknown_meters(bad):
    with pytest.raises(UnknownMeterError):
        parse_meter(bad)


def test_free_meter_is_none():
    assert parse_meter("none") is None
