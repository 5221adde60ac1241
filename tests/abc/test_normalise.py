"""The model's text: root C with a mode, L:1/8, cleaned."""
import pytest

from folkrnn.abc.normalise import (
    NormaliseOptions,
    Unrepresentable,
    normalise,
    normalise_rhythm,
    normalise_title,
    read_normal,
)
from folkrnn.abc.reader import read_text


def norm(body, head="M:6/8\nL:1/8\nK:G", **opts):
    tune = read_text(f"X:1\nT:Test\n{head}\n{body}\n").tunes[0]
    return normalise(tune, NormaliseOptions(**opts))


def test_header_and_transposition_to_c():
    t = norm("|:GAB c2d:|", head="R:Jig\nM:6/8\nL:1/8\nK:G")
    assert t.text == "T:Test\nR:jig\nM:6/8\nK:Cmaj\n|:cde f2g:|".replace(" ", "")


def test_modes_keep_their_mode():
    assert norm("ABc|", head="M:2/4\nL:1/8\nK:A Dorian").text.split("\n")[2] == "K:Cdor"
    assert norm("EFG|", head="M:2/4\nL:1/8\nK:Em").mode == "min"


def test_unit_length_becomes_eighths():
    assert norm("A2B/|", head="M:2/4\nL:1/16\nK:C").body == ("A", "B/4", "|")
    assert norm("A[L:1/4]B|", head="M:2/4\nL:1/8\nK:C").body == ("A", "B2", "|")


def test_cleaning_drops_chord_symbols_decorations_grace_slurs():
    t = norm('"G"~G{a}A (Bc) !trill!d2|')
    assert "".join(t.body) == "cdefg2|"


def test_cleaning_can_keep_chord_symbols():
    assert norm('"G"GA|', keep_chord_symbols=True).body[0] == '"C"'


def test_tie_between_different_pitches_is_a_slur():
    assert "".join(norm("G2-A B2-B|").body) == "c2de2-e|"


def test_adjacent_bars_merge_and_section_bars_stay():
    assert "".join(norm("|GAB|:cde:|\n|:fga||bag|]").body) == "cde|:fga::bc'd'||e'd'c'|]"


def test_endings():
    assert "".join(norm("GAB|1 cde:|2 fga|]").body) == "cde|1fga:|2bc'd'|]"


def test_accidentals_carried_by_the_source_stay_right():
    # in G: {^c} grace sets C#, so the later c is sharp too (grace dropped, sharp kept)
    assert "".join(norm("{^c}d c d|").body) == "g^fg|"


@pytest.mark.parametrize("head,reason", [
    ("M:none\nL:1/8\nK:G", "no meter"), ("M:6/8\nL:1/8\nV:1\nK:G", "several voices")])
def test_unrepresentable(head, reason):
    with pytest.raises(Unrepresentable) as e:
        norm("GAB|", head=head)
    assert e.value.reason == reason


def test_key_change_is_unrepresentable():
    with pytest.raises(Unrepresentable, match="key change"):
        norm("GAB|[K:D]def|")


@pytest.mark.parametrize("raw,clean", [
    ("Lamentation of Owen Roe O'Neill, The", "The Lamentation of Owen Roe O'Neill"),
    ("LANIGAN'S BALL -- JIG", "Lanigan's Ball"), ("The Ranting Highlandman.", "The Ranting Highlandman")])
def test_titles(raw, clean):
    assert normalise_title(raw) == clean


def test_rhythms():
    assert normalise_rhythm("SlipJig") == "slip jig" and normalise_rhythm("", "X -- REEL") == "reel"
    assert normalise_rhythm("", "Brudder -- Bones.") == ""


def test_read_normal_reads_back():
    t = read_normal(norm("|:GAB c2d:|").text)
    assert t.key.name() == "C" and str(t.meter) == "6/8" and t.unit == 1 / 8
