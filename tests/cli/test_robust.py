"""Real-world and hostile ABC at the command line: a clear answer, no traceback, nothing lost."""
import json

import mido
import pytest

from folkrnn.cli import main

HEAD = "X:{x}\nT:{title}\nM:4/4\nL:1/8\nK:G\n"
GOOD = HEAD.format(x=1, title="Good") + "|:GABc dedB|ABcA G4:|\n|:gfed BcdB|ABcA G4:|\n"
DEBRIS = (HEAD.format(x=2, title="Scraped") + "|:GABc dedB|ABcA G4:|=20\n"
          "|:gfed BcdB| ]ABcA G4:|=20\n")


def book(tmp_path, *tunes: str):
    path = tmp_path / "book.abc"
    path.write_text("\n".join(tunes))
    return path


def one_line(err: str) -> bool:
    return err.count("\n") == 1 and "Traceback" not in err


def test_a_zero_length_is_a_located_error_and_the_other_tunes_are_kept(tmp_path, capsys):
    path = book(tmp_path, GOOD, HEAD.format(x=3, title="Zero") + "GABc ab/0c d4|\n")
    assert main(["check", str(path), "--no-music21"]) == 1
    out = capsys.readouterr().out
    assert "ok   X:1 'Good'" in out and f"{path}:14:7: a length of zero (/0) cannot be played" in out
    assert main(["render", str(path), "--all", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "X:3 'Zero'" in err and "a length of zero" in err
    assert [p.name for p in (tmp_path / "r").iterdir()] == ["001-good.mid"]


def test_a_huge_multi_measure_rest_is_clipped_with_a_warning(tmp_path, capsys):
    path = book(tmp_path, HEAD.format(x=1, title="Rest") + "Z99999999|GABc dedB|]\n")
    assert main(["render", str(path), "--midi", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert one_line(err) and err.startswith(f"folkrnn: warning: {path}:6:1 (tune X:1 'Rest'): the rest "
                                            "Z99999999 clipped to 64 bars")
    seconds = mido.MidiFile(tmp_path / "001-rest.mid").length
    assert 64 * 2 < seconds < 66 * 2  # 64 bars and one, at the default 120 crotchets a minute


def test_a_note_thousands_of_bars_long_is_refused_before_any_audio(tmp_path, capsys):
    path = book(tmp_path, HEAD.format(x=1, title="Long") + "a99999|\n")
    assert main(["render", str(path), "--wav", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "'a99999' lasts 12500 bars, longer than the 16 bars" in err
    assert not list(tmp_path.glob("*.wav"))


def test_audio_longer_than_the_limit_is_refused_before_synthesis(tmp_path, capsys):
    path = book(tmp_path, HEAD.format(x=1, title="Slow").replace("K:G", "Q:1/4=60\nK:G") + "Z64|GABc|]\n")
    argv = ["render", str(path), "--wav", "--out", str(tmp_path), "--max-audio-minutes", "2"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "plays for 4 minutes, more than the 2 minutes of audio allowed" in err
    assert not list(tmp_path.glob("*.wav"))


def test_debris_renders_and_checks_with_one_warning_line_per_kind(tmp_path, capsys):
    path = book(tmp_path, GOOD, DEBRIS)
    assert main(["check", str(path), "--no-music21"]) == 0
    captured = capsys.readouterr()
    assert "2 of 2 tunes pass" in captured.out
    lines = captured.err.splitlines()
    assert lines == [
        f"folkrnn: warning: {path}:14:22 (tune X:2 'Scraped'): skipped '=20': a quoted-printable code "
        "from an e-mail, not ABC (1 more like it in this tune)",
        f"folkrnn: warning: {path}:15:14 (tune X:2 'Scraped'): skipped ']': not an ABC symbol "
        "(abc2midi skips it too)"]
    assert main(["render", str(path), "--tune", "2", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().err.splitlines() == lines
    assert mido.MidiFile(tmp_path / "002-scraped.mid").length > 0


def test_json_carries_the_warnings_and_quiet_hides_them(tmp_path, capsys):
    path = book(tmp_path, DEBRIS)
    assert main(["check", str(path), "--no-music21", "--json"]) == 0
    captured = capsys.readouterr()
    (report,) = [json.loads(line) for line in captured.out.splitlines()]
    assert [(w["line"], w["col"], w["count"]) for w in report["warnings"]] == [(6, 22, 2), (7, 14, 1)]
    assert captured.err == ""
    assert main(["-q", "render", str(path), "--json", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and len(json.loads(captured.out)[0]["warnings"]) == 2
    assert main(["render", str(path), "-q", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().err == ""


HORNPIPE = "X:1\nT:Hornpipe\nR:hornpipe\nM:4/4\nL:1/8\nK:D\n|:dcdB AFDF|A2 FA d2 fe:|\n"


@pytest.mark.parametrize("flags, first", [([], 2 / 3), (["--swing"], 2 / 3), (["--straight"], 1 / 2)])
def test_hornpipes_swing_by_default_as_abc2midi_does(tmp_path, flags, first):
    path = book(tmp_path, HORNPIPE)
    assert main(["render", str(path), "--tempo", "60", "--out", str(tmp_path), *flags]) == 0
    track = mido.MidiFile(tmp_path / "001-hornpipe.mid")
    onset, times = 0, []
    for msg in mido.merge_tracks(track.tracks):
        onset += msg.time
        if msg.type == "note_on" and msg.velocity:
            times.append(onset)
    beat = track.ticks_per_beat
    assert times[1] - times[0] == pytest.approx(first * beat, abs=2)  # the first quaver of a pair


def test_an_internal_error_is_one_sentence_unless_debug(monkeypatch, tmp_path, capsys):
    import folkrnn.cli.check as check

    def broken(*args, **kwargs):
        raise ZeroDivisionError("Fraction(1, 0)")

    monkeypatch.setattr(check, "check_text", broken)
    path = book(tmp_path, GOOD)
    assert main(["check", str(path)]) == 3
    err = capsys.readouterr().err
    assert one_line(err) and err.startswith("folkrnn: internal error: ZeroDivisionError: Fraction(1, 0);")
    with pytest.raises(ZeroDivisionError):
        main(["--debug", "check", str(path)])


def test_a_title_beyond_latin1_renders_with_a_plain_file_name(tmp_path):
    path = book(tmp_path, GOOD.replace("T:Good", "T:Łódź Gånglåt"))
    assert main(["render", str(path), "--out", str(tmp_path)]) == 0
    (mid,) = tmp_path.glob("*.mid")
    assert mid.name == "001-lodz-ganglat.mid"  # abc.spelling: Ł -> L, accents dropped
    names = [m.name for t in mido.MidiFile(mid).tracks for m in t if m.type == "track_name"]
    assert "Lódz Gånglåt" in names  # latin-1 keeps what it can carry


@pytest.mark.parametrize("command", ["check", "render"])
def test_a_file_over_the_size_limit_is_one_sentence_before_it_is_read(command, tmp_path, capsys,
                                                                      monkeypatch):
    from folkrnn.abc import reader

    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 10)
    path = book(tmp_path, GOOD)
    assert main([command, str(path), "--out" if command == "render" else "--json", *(
        [str(tmp_path)] if command == "render" else [])]) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "bytes, more than the 10 an ABC file may have here" in err
