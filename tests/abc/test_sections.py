"""Sections and form as musicians count them: pickups, endings, repeats, `::`, no marks."""
import pytest

from folkrnn.abc.reader import read_text
from folkrnn.abc.sections import FREE, bar_endings, form, sections
from folkrnn.abc.timing import bars
from folkrnn.check.strict import check_text

REEL = """X:1
T:Reel with pickups and endings
M:4/4
L:1/8
K:G
D2|:G2BG dGBG|FGAF DEFD|G2BG dGBG|cAFA GABc|d2gf gdBd|cBAG FGAF|G2BG dGBG|1 cAFA G2D2:|2 cAFA G2Bc||
|:d2gf gdBd|c2ec BcAG|d2gf gdBd|cAFA G2Bc|d2gf gdBd|c2ec BcAG|B2dB cAFA|1 GBAF G2Bc:|2 GBAF G4|]
"""


def tune(body: str, meter: str = "4/4", key: str = "G"):
    return read_text(f"X:1\nT:t\nM:{meter}\nL:1/8\nK:{key}\n{body}\n").tunes[0]


def lengths_and_form(t) -> tuple[list[int], str]:
    secs = sections(t)
    return [s.length for s in secs], form(secs)


def test_the_test_tunes_are_good_abc():
    assert check_text(REEL, music21=False)[0].passed


def test_a_reel_with_pickups_and_two_endings_is_two_8_bar_parts_aabb():
    t = read_text(REEL).tunes[0]
    assert lengths_and_form(t) == ([8, 8], "AABB")


def test_the_second_ending_replaces_the_first():
    t = tune("|:GABc dBAG|FGAF DEFD|GABc dBAG|FGAF DEFD|GABc dBAG|FGAF DEFD|GABc dBAG|"
             "1 FGAF G4:|2 FGAF G2Bc||")
    secs = sections(t)
    assert [s.length for s in secs] == [8]
    every_bar = bars(t.symbols, t.unit)
    assert bar_endings(t.symbols, every_bar) == [0] * 7 + [1, 2]
    assert 7 not in secs[0].counted and 8 in secs[0].counted  # bar 8 (first ending) left out


def test_a_spaced_second_ending_after_the_repeat_keeps_the_part_whole():
    t = tune("|:GABc dBAG|FGAF DEFD|GABc dBAG|[1 FGAF G4 :| [2 FGAF G2Bc|]")
    assert lengths_and_form(t) == ([4], "AA")


def test_a_6_bar_part_counts_6():
    t = tune("|:GABc dBAG|FGAF DEFD|GABc dBAG|FGAF DEFD|GABc dBAG|FGAF G4:|"
             "|:d2gf gdBd|c2ec BcAG|d2gf gdBd|cAFA G4:|")
    assert lengths_and_form(t) == ([6, 4], "AABB")


def test_a_double_repeat_between_parts():
    t = tune("|:GABc dBAG|FGAF DEFD|GABc dBAG|FGAF G4::d2gf gdBd|c2ec BcAG|d2gf gdBd|cAFA G4:|")
    assert lengths_and_form(t) == ([4, 4], "AABB")


@pytest.mark.parametrize("end", ["|", "|]", "||", ""])
def test_a_tune_with_no_section_marks_is_one_free_section(end):
    t = tune("GABc dBAG|FGAF DEFD|GABc dBAG|FGAF G4" + end)
    assert lengths_and_form(t) == ([4], FREE)


def test_a_short_closing_bar_completing_the_pickup_counts_as_a_bar():
    t = tune("D|G2B d2B|c2A F2A|G2B d2B|c2A G2:|", meter="6/8")
    assert check_text(f"X:1\nT:t\nM:6/8\nL:1/8\nK:G\n{t.body[0][1]}\n", music21=False)[0].passed
    assert lengths_and_form(t) == ([4], "AA")


def test_a_pickup_before_the_repeat_is_no_section():
    t = tune("D2|:G2BG dGBG|FGAF DEFD|G2BG dGBG|cAFA G2D2:|")
    assert lengths_and_form(t) == ([4], "AA")


def test_a_pickup_at_the_start_of_each_part_is_not_counted():
    t = tune("D2|G2BG dGBG|FGAF DEFD|G2BG dGBG|cAFA G2||Bc|d2gf gdBd|c2ec BcAG|d2gf gdBd|cAFA G2|]")
    assert lengths_and_form(t) == ([4, 4], "AB")


def test_a_repeat_without_a_start_goes_back_to_the_last_section_bar_line():
    t = tune("GABc dBAG|FGAF G4:|d2gf gdBd|cAFA G4:|")
    assert lengths_and_form(t) == ([2, 2], "AABB")
    t = tune("GABc dBAG|FGAF G4||d2gf gdBd|cAFA G4:|")
    assert lengths_and_form(t) == ([2, 2], "ABB")


def test_a_repeat_over_two_sections_plays_both_again():
    t = tune("|:GABc dBAG|FGAF G4||d2gf gdBd|cAFA G4:|")
    assert lengths_and_form(t) == ([2, 2], "ABAB")


def test_a_written_out_repeat_is_a_new_letter():
    part = "GABc dBAG|FGAF DEFD|GABc dBAG|FGAF G4"
    t = tune(f"{part}||{part}||d2gf gdBd|c2ec BcAG|d2gf gdBd|cAFA G4|]")
    assert lengths_and_form(t) == ([4, 4, 4], "ABC")


def test_the_last_note_of_a_section_is_its_last_ending_and_passes_over_rests():
    t = tune("|:GABc dBAG|FGAF DEFD|1 GABc d4:|2 GABc B2z2||d2gf gdBd|cAFA G4|]")
    assert [s.last_pitch for s in sections(t)] == [71, 67]  # B4 (the rest passed over), G4


@pytest.mark.parametrize("body, label", [
    ("|:" + "GABc dedB|" * 7 + "GABc d4:|\n|:" + "gfed cBAG|" * 7 + "gfed c4:|", "AABB8"),
    ("GABc dedB|" * 7 + "GABc d4||" + "gfed cBAG|" * 7 + "gfed c4|]", "AB8"),
    ("|:" + "GABc dedB|" * 3 + "GABc d4:|", "AA4"),
    ("|:" + "GABc dedB|" * 7 + "GABc d4:|\n" + "gfed cBAG|" * 5 + "gfed c4|]", FREE),  # 8 and 6
    ("GABc dedB|" * 12 + "GABc d4|]", FREE),  # one section played once
])
def test_the_form_label_names_the_form_and_the_bars_of_every_part(body, label):
    from folkrnn.abc.sections import form_label

    assert form_label(sections(tune(body))) == label


def test_form_labels_parse_into_parts_played_once_or_twice():
    from folkrnn.abc.sections import Part, parse_form_label

    assert parse_form_label("AABB8") == (Part(8, True), Part(8, True))
    assert parse_form_label("ABB16") == (Part(16, False), Part(16, True))
    for bad in ("ABAB8", "AABB12", "BA8", "AAAB8", FREE, "AABB"):
        assert parse_form_label(bad) is None
