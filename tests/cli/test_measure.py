"""`folkrnn measure`: the table, --json and --png for a file's tunes and for generated ones."""
import json
import subprocess
import sys

import pytest

from folkrnn.check.distributions import DISTRIBUTIONS
from folkrnn.check.form import FIGURES
from folkrnn.cli import main

TUNES = """X:1
T:Two Parts
M:4/4
L:1/8
K:G
D2|:G2BG dGBG|FGAF DEFD|G2BG dGBG|cAFA GABc|d2gf gdBd|cBAG FGAF|G2BG dGBG|1 cAFA G2D2:|2 cAFA G2Bc||
|:d2gf gdBd|c2ec BcAG|d2gf gdBd|cAFA G2Bc|d2gf gdBd|c2ec BcAG|B2dB cAFA|1 GBAF G2Bc:|2 GBAF G4|]

X:2
T:Free
M:6/8
L:1/8
K:Ador
EAA ABc|BAG EDE|EAA ABc|BAG A3|
"""
TEST_SPLIT = ["T:a\nM:6/8\nK:Cmaj\nG|c2eg2e|f2dB2G|c2eg2e|d2Bc2:|",  # as the corpus writes them
              "T:b\nM:4/4\nK:Cdor\n|:cdefg2fe|d2B2G4|cdefg2fe|dBGBc4:|"]


@pytest.fixture
def corpus(tmp_path):
    """A prepared corpus of two test tunes and a train tune (what `measure` reads of one)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    records = [{"split": "test", "text": t} for t in TEST_SPLIT] + [{"split": "train", "text": TEST_SPLIT[0]}]
    (folder / "tunes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_files_tunes_beside_the_test_split_as_a_table(tmp_path, corpus, capsys):
    (tmp_path / "tunes.abc").write_text(TUNES)
    code, out, _ = run(["measure", "--abc", str(tmp_path / "tunes.abc"), "--corpus", str(corpus)], capsys)
    assert code == 0
    assert "2 tunes measured; the test split: 2 tunes" in out
    row = next(line for line in out.splitlines() if line.startswith("every section 4, 8 or 16 bars"))
    assert row.split()[-2:] == ["100.0%", "100.0%"]
    assert "AABB 50%, free 50%" in out
    for _, label, _ in FIGURES:
        assert label in out


def test_json_and_png(tmp_path, corpus, capsys):
    (tmp_path / "tunes.abc").write_text(TUNES)
    png = tmp_path / "m.png"
    code, out, _ = run(["measure", "--abc", str(tmp_path / "tunes.abc"), "--corpus", str(corpus),
                        "--json", "--png", str(png)], capsys)
    result = json.loads(out)
    assert code == 0 and result["tunes"]["tunes"] == 2 and result["test"]["tunes"] == 2
    assert result["tunes"]["figures"]["aabb_8"] == 0.5
    assert result["test"]["figures"]["sections_on_tonic"] == 1.0
    assert set(result["compare"]) == {b.name for b in DISTRIBUTIONS}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_generated_tunes_have_every_figure(corpus, capsys):
    code, out, _ = run(["measure", "-n", "4", "--seed", "1", "--corpus", str(corpus), "--json"], capsys)
    result = json.loads(out)
    assert code == 0
    assert result["measured"]["n"] == 4 and result["measured"]["seed"] == 1
    assert result["tunes"]["tunes"] + result["tunes"]["unreadable"] == 4
    figures = result["tunes"]["figures"]
    assert set(figures) == {key for key, _, _ in FIGURES}
    assert all(isinstance(figures[k], float) for k in ("sections_4_8_16", "aabb_8", "bars_repeating",
                                                       "sections_on_tonic", "tunes_on_tonic", "range"))
    for c in result["compare"].values():
        assert 0 <= c["overlap"] <= 1 and c["kl"] >= 0
    nll = result["measured"]["nll"]  # the model's likelihood on the split, beside the music
    assert nll["tunes"] == 2 and 0.5 < nll["bpc"] < 5


@pytest.mark.parametrize("argv,words", [(["-n", "0"], "-n must be 1 to 10,000"),
                                        (["--abc", "/nonexistent/tunes.abc"], "/nonexistent/tunes.abc")])
def test_bad_input_is_one_sentence(argv, words, corpus, capsys):
    code, _, err = run(["measure", *argv, "--corpus", str(corpus)], capsys)
    assert code == 2 and err.startswith("folkrnn: error: ") and words in err


def test_a_file_or_tunes_to_generate_not_both(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["measure", "--abc", "x.abc", "-n", "3"])
    assert stop.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_help_loads_neither_torch_nor_music21_nor_matplotlib():
    code = ("import sys\nfrom folkrnn.cli import main\ntry:\n    main(['measure', '--help'])\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print(sorted(m for m in ('torch', 'music21', 'matplotlib') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    assert "usage: folkrnn measure" in proc.stdout
