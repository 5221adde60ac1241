"""`folkrnn render`: argv -> files written and exit codes."""
import mido
import pytest

from folkrnn.cli import main

BOOK = """X:1
T:Good One
M:6/8
L:1/8
K:D
|:d2A FAd|B2G A3:|

X:2
T:Bad Key
K:Q
abc|

X:3
T:Third
M:4/4
L:1/8
K:G
GABc d4|]
"""


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "book.abc"
    path.write_text(BOOK)
    return path


def test_first_tune_to_midi_by_default(book, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["render", str(book), "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["001-good-one.mid"]
    assert capsys.readouterr().out.strip().endswith("001-good-one.mid")


def test_one_bad_tune_does_not_stop_the_others(book, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["render", str(book), "--all", "--out", str(out), "--instrument", "flute"]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["001-good-one.mid", "003-third.mid"]
    err = capsys.readouterr().err
    assert f"{book}:10:1 (tune X:2 'Bad Key'): unknown key 'Q'" in err
    programs = [m.program for m in mido.MidiFile(str(out / "003-third.mid")).tracks[1]
                if m.type == "program_change"]
    assert programs == [73]


def test_chosen_tune_with_options(book, tmp_path):
    out = tmp_path / "out"
    argv = ["render", str(book), "--tune", "3", "--out", str(out), "--tempo", "60",
            "--accompaniment", "drone", "--repeats", "once"]
    assert main(argv) == 0
    mf = mido.MidiFile(str(out / "003-third.mid"))
    assert len(mf.tracks) == 3 and mf.length == pytest.approx(4.0)


@pytest.mark.parametrize("argv,message", [
    (["--tune", "9"], "has no tune X:9"),
    (["--tune", "2"], "unknown key 'Q'"),
    (["--instrument", "kazoo"], "unknown instrument"),
])
def test_input_errors_exit_2_with_one_sentence(book, tmp_path, capsys, argv, message):
    assert main(["render", str(book), "--out", str(tmp_path)] + argv) == 2
    assert message in capsys.readouterr().err
