"""The musical measure of tunes: form shares, cadences on the tonic, repeated bars, lengths."""
from fractions import Fraction as F

import pytest

from folkrnn.abc.reader import read_text
from folkrnn.check.form import FIGURES, measure_abc, measure_normal, measure_tune, summarise

AABB = ("|:GABc dBAG|FGAF DEFD|GABc dBAG|FGAF DEFD|GABc dBAG|FGAF DEFD|GABc dBAG|1 FGAF G4:|2 FGAF G2Bc||"
        "|:d2gf gdBd|c2ec BcAG|d2gf gdBd|cAFA G2Bc|d2gf gdBd|c2ec BcAG|B2dB cAFA|1 GBAF G2Bc:|2 GBAF G4|]")


def tune(body: str, key: str = "G", meter: str = "4/4"):
    return read_text(f"X:1\nT:t\nM:{meter}\nL:1/8\nK:{key}\n{body}\n").tunes[0]


def test_two_repeated_8_bar_parts_are_aabb_of_8_bar_parts():
    f = measure_tune(tune(AABB))
    assert (f.lengths, f.form, f.standard_sections, f.aabb_8) == ((8, 8), "AABB", True, True)


def test_a_6_bar_part_fails_every_section_4_8_16():
    f = measure_tune(tune("|:GABc dBAG|FGAF DEFD|GABc dBAG|FGAF DEFD|GABc dBAG|FGAF G4:|"
                          "|:d2gf gdBd|c2ec BcAG|d2gf gdBd|c2ec BcAG|d2gf gdBd|c2ec BcAG|"
                          "d2gf gdBd|cAFA G4:|"))
    assert (f.lengths, f.standard_sections, f.aabb_8) == ((6, 8), False, False)


def test_cadences_on_the_tonic_in_g_major():
    f = measure_tune(tune(AABB))
    assert f.cadences == (False, True)  # the A part's second ending leads on (c), the B part ends on G
    assert f.ends_on_tonic is True


@pytest.mark.parametrize("key,last,on_tonic", [("Ador", "A4", True), ("Ador", "G4", False),
                                               ("G", "A4", False), ("Amin", "A4", True)])
def test_the_tonic_follows_the_mode(key, last, on_tonic):
    f = measure_tune(tune(f"|:EAAB c2BA|G2BG DGBG|EAAB c2Bc|dcBG {last}:|", key))
    assert f.cadences == (on_tonic,) and f.ends_on_tonic is on_tonic


def test_bars_repeating_an_earlier_bar_are_counted_by_sound_and_length():
    f = measure_tune(tune("GABc dBAG|GABc dBAG|FGAF DEFD|GABc dBAG|"))
    assert (f.bars, f.repeating_bars) == (4, 2)
    # an accidental carried through the bar sounds the same; another length is another bar
    f = measure_tune(tune("^FGAF DEFD|^FGA^F DEFD|^FGAF D2FD|"))
    assert (f.bars, f.repeating_bars) == (3, 1)


def test_the_halves_of_an_8_bar_part():
    f = measure_tune(tune("|:GABc dBAG|FGAF DEFD|GABc dBAG|FGAF G4|"
                          "GABc dBAG|FGAF DEFD|GABc dBAG|cAFA G4:|"))
    assert f.halves == (3,)  # bars 5-7 are bars 1-3; bar 8 is not bar 4


def test_note_lengths_are_in_quavers_after_broken_rhythm_and_tuplets():
    f = measure_tune(tune("G>A (3GAB c2 z2|"))
    assert f.note_lengths == (F(3, 2), F(1, 2), F(2, 3), F(2, 3), F(2, 3), F(2))


def test_pitch_classes_intervals_and_range_from_the_tonic():
    f = measure_tune(tune("GBdg [Bg]2 z2|", "G"))
    assert f.pitch_classes == (0, 4, 7, 0, 0)  # a chord counts its highest note
    assert f.intervals == (4, 3, 5, 0)
    assert f.range == 12


def test_a_summary_has_every_figure_and_counts_unreadable_tunes():
    text = f"X:1\nT:t\nM:4/4\nL:1/8\nK:G\n{AABB}\n"
    s = measure_abc([text, "", text.replace("K:G", "K:Ador")])
    assert (s.tunes, s.unreadable) == (2, 1)
    assert set(s.figures) == {key for key, _, _ in FIGURES}
    assert s.figures["sections_4_8_16"] == 1.0 and s.figures["aabb_8"] == 1.0
    assert s.figures["sections_on_tonic"] == 0.25  # G: (no, yes); A dorian: (no, no)
    assert s.forms == {"AABB": 2}


def test_normalised_texts_read_as_the_corpus_holds_them():
    s = measure_normal(["T:x\nM:6/8\nK:Cmaj\nG|c2e g2e|f2d B2G|c2e g2e|d2B c2:|", "T:y\nM:6/8\nno key"])
    assert (s.tunes, s.unreadable, s.forms) == (1, 1, {"AA": 1})
    assert s.figures["tunes_on_tonic"] == 1.0


def test_a_summary_of_nothing_has_no_shares():
    s = summarise([])
    assert s.tunes == 0 and all(v is None for v in s.figures.values())
