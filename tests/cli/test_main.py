"""The command line as a table: argv -> exit code and what it prints (one-sentence errors)."""
import pytest

from folkrnn import __version__
from folkrnn.cli import main
from folkrnn.errors import FolkrnnError

GOOD = "X:1\nT:Good\nM:4/4\nL:1/8\nK:D\n|:DFAd fdAF|GBdg fdAF|DFAd fdAF|GEFD E2D2:|\n"
LOW = GOOD.replace("T:Good", "T:Too Low").replace("K:D", "K:D\nL:1/8").replace("DFAd", "D,F,A,D")


def run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own exits (--version, usage errors)
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


ERRORS = [  # argv, the words of the one-line error
    (["generate", "--seed", "1", "--meter", "5/9"], "unknown meter"),
    (["generate", "--seed", "1", "--mode", "blues"], "unknown mode"),
    (["generate", "--seed", "1", "--key", "H"], "key"),
    (["generate", "--seed", "1", "--formats", "ogg"], "unknown format 'ogg'"),
    (["generate", "--seed", "1", "--temperature", "0"], "temperature must be above 0"),
    (["generate", "--seed", "1", "--beam", "2", "-n", "3"], "at most"),
    (["generate", "--seed", "1", "--model", "/nonexistent/model"], "/nonexistent/model"),
    (["evaluate", "--model", "/nonexistent/model"], "/nonexistent/model"),
    (["evaluate", "--corpus", "data/corpus"], "no prepared corpus at data/corpus"),  # given: no cache
    (["check", "/nonexistent/tunes.abc"], "/nonexistent/tunes.abc"),
    (["render", "/nonexistent/tunes.abc"], "/nonexistent/tunes.abc"),
    (["batch", "-n", "0", "--out", "book"], "-n must be 1 to 1,000,000"),
    (["batch", "-n", "1000001", "--out", "book"], "-n must be 1 to 1,000,000"),
    (["generate", "-n", "1001"], "-n must be 1 to 1000; for more, `folkrnn batch -n 1001`"),
    (["generate", "--max-tokens", "99999999"], "--max-tokens must be 1 to 4000"),
    (["generate", "--beam", "1000"], "--beam must be 0 (none) to 64"),
    (["generate", "--prime", "|" + "GABc|" * 500], "--prime is 2501 characters long; at most 2000"),
    (["batch", "--title", "T" * 201, "--out", "book"], "--title is 201 characters long; at most 200"),
    (["batch", "--seed", "1", "--shard", "3/2", "--out", "book"], "--shard wants i/n"),
    (["batch", "merge", "--out", "book", "nope"], "nope is not a finished shard"),
    (["batch", "-n", "3"], "batch needs --out DIR"),
    (["batch", "--seed", "1", "--out", "book", "--formats", "png"], "unknown format 'png'"),
    (["batch", "--seed", "1", "--out", "book", "--formats", "abc,wav", "--soundfont", "no.sf2"],
     "soundfont no.sf2 does not exist"),
]


@pytest.mark.parametrize("argv,words", ERRORS, ids=[" ".join(a)[:50] for a, _ in ERRORS])
def test_bad_input_is_exit_2_and_one_sentence(argv, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(argv, capsys)
    assert code == 2
    assert err.startswith("folkrnn: error: ") and err.count("\n") == 1, err
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "book").exists(), "a refused batch leaves nothing behind"


@pytest.mark.parametrize("argv", [["nonsense"], ["generate", "--beam"], ["batch", "merge"],
                                  ["batch", "--out", "book", "stray"]])
def test_usage_errors_are_exit_2(argv, capsys):
    code, _, err = run(argv, capsys)
    assert code == 2 and "usage: folkrnn" in err


def test_version_and_help(capsys):
    assert run(["--version"], capsys)[:2] == (0, f"folkrnn {__version__}\n")
    code, out, _ = run([], capsys)
    assert code == 2 and all(c in out for c in ("generate", "batch", "check", "render", "train",
                                                "evaluate", "corpus"))
    for command in ("generate", "batch", "check", "render", "train", "evaluate", "corpus"):
        code, out, _ = run([command, "--help"], capsys)
        assert code == 0 and "examples:" in out, command


def test_debug_shows_the_traceback(capsys):
    with pytest.raises(FolkrnnError, match="unknown meter"):
        main(["--debug", "generate", "--seed", "1", "--meter", "5/9"])


def test_check_exit_codes_and_json(tmp_path, capsys):
    (tmp_path / "good.abc").write_text(GOOD)
    (tmp_path / "low.abc").write_text(GOOD + "\n" + LOW.replace("X:1", "X:2"))
    assert run(["check", str(tmp_path / "good.abc"), "--no-music21"], capsys)[0] == 0
    code, out, _ = run(["check", str(tmp_path / "low.abc"), "--no-music21", "--json"], capsys)
    assert code == 1 and out.count("\n") == 2 and '"passed": false' in out


def test_generate_prints_abc_and_quiet_prints_nothing_else(tmp_path, capsys):
    code, out, err = run(["-q", "generate", "--seed", "3", "--formats", "none"], capsys)
    assert code == 0 and out.startswith("X:1\nT:") and "\nK:" in out and err == ""
    code, out, err = run(["generate", "--seed", "3", "--formats", "abc", "--out",
                          str(tmp_path)], capsys)
    assert code == 0 and f"wrote {tmp_path}" in err
    code, out2, err = run(["generate", "--formats", "abc", "--out", str(tmp_path), "-q"], capsys)
    assert code == 0 and out2.startswith("X:1") and err == ""  # -q after the command too
