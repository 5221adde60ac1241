"""Checking: one test per strict rule, the music21 pass, check_text, the CLI exit codes."""
import json

import pytest

from folkrnn.abc import parse_key, read_text
from folkrnn.abc.timing import bar_problems
from folkrnn.check.strict import check_normal, check_text, check_tune, ending_numbers, key_relation
from folkrnn.cli import main

# a 16-bar jig in G with a pickup, first and second endings, and a B part whose
# `:|` has no `|:` (repeat from the last section bar line)
JIG = """X:1
T:The Test Jig
M:6/8
L:1/8
K:G
|:D|GAB c2d|e2d c2A|B2G A2F|GAB c2A|B2G A2F|GAB AGF|1 G3 G2:|2 G3 G2||
d|g2d B2d|c2A F2A|G2B A2F|GAB c2d|e2d c2A|B2G A2F|G3 G2:|
"""


def tune(body: str, key: str = "G", meter: str = "6/8", title: str = "T"):
    text = f"X:1\nT:{title}\nM:{meter}\nL:1/8\nK:{key}\n{body}\n"
    result = read_text(text)
    assert not result.errors, result.errors
    return result.tunes[0]


def reasons(body: str, **kw) -> list[str]:
    return check_tune(tune(body, **kw), music21=False).reasons


def test_good_tune_passes_strict_with_its_facts():
    r = check_tune(read_text(JIG).tunes[0], music21=False)
    assert r.passed and r.reasons == []
    assert (r.bars, r.notes, r.lowest, r.highest) == (17, 61, 62, 79)  # D4..G5


def test_overfull_bar():
    assert reasons("GAB c2d|e2d c2Ac|B2G A2F|G3 G3|]") == [
        "bar 2 is too long: 7/8 of a whole note where the meter 6/8 wants 3/4"]


def test_short_bar_mid_section():
    assert reasons("GAB c2d|e2d c2|B2G A2F|G3 G3|]") == [
        "bar 2 is too short: 5/8 of a whole note where the meter 6/8 wants 3/4"]


def test_pickup_excused_by_the_last_bar():
    assert reasons("D|GAB c2d|e2d c2A|B2G A2F|G3 G2|]") == []
    # without the pickup the short last bar is wrong
    assert reasons("GAB c2d|e2d c2A|B2G A2F|G3 G2|]") == [
        "bar 4 is too short: 5/8 of a whole note where the meter 6/8 wants 3/4"]


def test_last_bar_with_a_plain_bar_line_is_excused_by_the_pickup():
    # timing fix: the tune's last bar ends a section whatever its bar line
    assert reasons("D|GAB c2d|e2d c2A|B2G A2F|G3 G2|") == []


def test_bar_before_a_section_is_excused_by_the_next_sections_pickup():
    # timing fix: `A>G G ||` + the next section's pickup `B` make a full bar
    t = tune("GABc|BAGF|GABc|A>GG||B|c>dec|A>Bcd|B>GcB|AGG2|]", meter="2/4")
    assert bar_problems(t.symbols, t.unit, t.meter) == []
    t = tune("GABc|BAGF|GABc|A>GG||c>dec|A>Bcd|B>GcB|AGG2|]", meter="2/4")
    assert [m.split(":")[0] for _, m in bar_problems(t.symbols, t.unit, t.meter)] == [
        "bar 4 is too short"]


def test_a_repeat_closes_short_only_by_the_pickup_it_goes_back_to():
    # abc2midi joins the closing bar to the first bar after |: when it repeats: 5 + 6 eighths
    assert reasons("D|:GAB c2d|e2d c2A|B2G A2F|G3 G2:|") == [
        "bar 5 is too short: 5/8 of a whole note where the meter 6/8 wants 3/4"]
    assert reasons("|:D|GAB c2d|e2d c2A|B2G A2F|G3 G2:|") == []
    assert reasons("D|GAB c2d|e2d c2A|B2G A2F|G3 G2:|") == []  # back to the start
    # a B part's :| goes back to the :| before it, whose next bar is the pickup d
    assert reasons("D|GAB c2d|e2d c2A|G3 G2:|d|g2d B2d|c2A F2A|G3 G2:|") == []


def test_repeat_start_inside_an_open_repeat():
    assert reasons("|:GAB c2d|e2d c2A|:B2G A2F|G3 G3:|") == [
        "bar 2: |: inside the repeat opened at bar 1"]


def test_repeat_never_closed():
    assert reasons("GAB c2d|e2d c2A|:B2G A2F|G3 G3|") == [
        "bar 3: the repeat |: is never closed"]
    assert reasons("|:GAB c2d|e2d c2A|B2G A2F|G3 G3|]") == [
        "bar 4: |] ends the repeat opened at bar 1 without a :|"]


def test_end_repeat_without_start_is_a_repeat_from_the_last_section():
    assert reasons("GAB c2d|e2d c2A:|B2G A2F|G3 G3:|") == []


def test_second_ending_without_a_first():
    assert reasons("|:GAB c2d|e2d c2A|B2G A2F:|[2 G3 G3|]") == [
        "bar 4: ending [2 with no ending [1 before it"]


def test_first_ending_must_be_closed_before_the_second():
    assert reasons("|:GAB c2d|e2d c2A|B2G A2F|1 G3 G3|2 G3 G3|]") == [
        "bar 5: ending [2 follows an ending that no :| closes",
        "bar 5: |] ends the repeat opened at bar 1 without a :|"]


def test_ending_needs_music_before_it():
    assert reasons("GAB c2d|e2d c2A|B2G A2F||[1 G3 G3:|2 G3 G3|]") == [
        "bar 4: ending [1 with no music before it in its section"]


def test_ending_numbers():
    assert [ending_numbers(e) for e in ("1", "2", "1,3", "1-3", "1-2,4")] == [
        {1}, {2}, {1, 3}, {1, 2, 3}, {1, 2, 4}]
    assert reasons("|:GAB c2d|e2d c2A|B2G A2F|1,2 G3 G3:|3 G3 G3|]") == []


def test_missing_final_bar_line():
    assert reasons("GAB c2d|e2d c2A|B2G A2F|G3 G3") == ["bar 4: the tune ends without a bar line"]


def test_out_of_range_notes():
    # D, is D3 (MIDI 50) in bar 2; b' is B6 (95) in bar 3; a' (A6, 93) is the top
    assert reasons("GAB c2d|e2d D,2A|B2G b'2a'|G3 G3|]") == [
        "bar 2: D3 is below the playable range G3..A6",
        "bar 3: B6 is above the playable range G3..A6"]
    # accidentals apply: _G, sounds F#3 (MIDI 54), a semitone below G3
    assert reasons("GAB c2d|e2d _G,2A|B2G A2F|G3 G3|]") == [
        "bar 2: F#3 is below the playable range G3..A6"]


def test_too_short_a_tune():
    assert reasons("GAB c2d|G3 G3|]") == ["only 2 bars (at least 4)", "only 7 notes (at least 8)"]


def test_music21_pass_agrees_and_reports_ambitus():
    r = check_tune(read_text(JIG).tunes[0])
    assert r.passed
    assert (r.analysed_key, r.relation, r.ambitus) == ("G major", "same", "D4..G5")


def test_music21_key_disagreement():
    # written and heard in E flat, labelled K:D
    body = ("_E_B,=DF _B2_AG|_E=DCD _EFGF|_E_B,=DF _B2_AG|=FGF=D _E4|\n"
            "_efg_e =d_BG_B|cd_ec _B=AGF|_E_B,=DF _B2_AG|=FGF=D _E4|]")
    r = check_tune(tune(body, key="D", meter="4/4"))
    assert r.reasons == ["music21 hears Eb major, which K:D does not match"]
    assert r.relation is None
    # the same tune labelled K:Eb passes
    assert check_tune(tune(body.replace("_", "").replace("=", "="), key="Eb", meter="4/4")).passed


@pytest.mark.parametrize("k, tonic_pc, mode, sharps, expected", [
    ("G", 7, "major", 1, "same"),
    ("G", 4, "minor", 1, "relative"),
    ("G", 7, "minor", -2, None),  # parallel minor of a major K: disagrees
    ("Ador", 9, "minor", 0, "tonic"),  # modal: the same tonic in either mode
    ("Ador", 7, "major", 1, "relative"),
    ("Ador", 2, "major", 2, None),
    ("D", 3, "major", -3, None),
])
def test_key_relation(k, tonic_pc, mode, sharps, expected):
    assert key_relation(parse_key(k), tonic_pc, mode, sharps) == expected


def test_check_text_reports_an_unreadable_tune_and_checks_the_others():
    bad = "X:2\nT:Broken\nM:6/8\nL:1/8\nK:Q\nabc|\n"
    text = JIG + "\n" + bad + "\n" + JIG.replace("X:1", "X:3")
    reports = check_text(text, "t.abc", music21=False)
    assert [(r.label, r.passed) for r in reports] == [
        ("X:1 'The Test Jig'", True), ("X:2 'Broken'", False), ("X:3 'The Test Jig'", True)]
    assert reports[1].reasons == ["unreadable: t.abc:13:1: unknown key 'Q'"]
    assert reports[1].line == 13 and reports[1].source == "t.abc"


def test_check_normal_reads_the_models_text():
    # L:1/8 is implied: the same body read with ABC's default L:1/16 for 2/4 would fail
    r = check_normal("T:Polka\nM:2/4\nK:Cmaj\n|:GABc|dcBA|GABc|d2c2:|", music21=False)
    assert r.passed and (r.bars, r.notes, r.lowest, r.highest) == (4, 14, 67, 74)
    assert check_normal("T:No key\nM:2/4\n|:GABc|", music21=False).reasons == [
        "unreadable: no key: a normalised tune needs a K: line"]


def test_cli_exit_codes(tmp_path, capsys):
    good, bad = tmp_path / "good.abc", tmp_path / "bad.abc"
    good.write_text(JIG)
    bad.write_text(JIG + "\nX:2\nT:Short\nM:6/8\nL:1/8\nK:G\nGAB c2|]\n")
    assert main(["check", str(good), "--no-music21"]) == 0
    assert "1 of 1 tunes pass" in capsys.readouterr().out
    assert main(["check", str(bad), "--no-music21"]) == 1
    out = capsys.readouterr().out
    assert "FAIL X:2 'Short'" in out and "bar 1 is too short" in out
    assert main(["check", str(tmp_path / "missing.abc")]) == 2
    (tmp_path / "empty.abc").write_text("% nothing here\n")
    assert main(["check", str(tmp_path / "empty.abc")]) == 2


def test_cli_json(tmp_path, capsys):
    path = tmp_path / "bad.abc"
    path.write_text(JIG + "\nX:2\nT:Short\nM:6/8\nL:1/8\nK:G\nGAB c2|]\n")
    assert main(["check", str(path), "--json", "--no-music21"]) == 1
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["label"], r["passed"], r["bars"]) for r in rows] == [
        ("X:1 'The Test Jig'", True, 17), ("X:2 'Short'", False, 1)]
