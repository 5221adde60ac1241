"""Priming with a title the model cannot spell: folded to its letters, written as given."""
import logging
import string
import subprocess
import sys

import pytest
import torch

from folkrnn.cli import main
from folkrnn.errors import FolkrnnError
from folkrnn.generate import Prime, generate
from folkrnn.generate.output import to_abc
from folkrnn.generate.prime import fold_title
from folkrnn.model.checkpoint import load_model, save_checkpoint
from folkrnn.model.config import ModelConfig
from folkrnn.model.lstm import FolkLSTM
from folkrnn.tokenize import CharTokenizer, FolkrnnTokenizer

TUNES = [
    "T:The Kettle Jig\nR:jig\nM:6/8\nK:Cmaj\nG|:c2ce2g|f2de2c|d>efgfe|dcBc2:|",
    "T:Reel of Tullochgorum\nR:reel\nM:2/2\nK:Cdor\n|:cBAGFGAB|c2e2d2c2|(3cdcBAG2F2|1E2C2C4:|2E2G2c4||",
]
PLAIN = list(string.ascii_letters + string.digits + " '-")  # a vocabulary of plain letters


def toy(tok) -> object:
    torch.manual_seed(0)
    return FolkLSTM(ModelConfig(len(tok.vocab), layers=1, hidden=32, embed=16, dropout=0.0))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    tok = FolkrnnTokenizer.build(TUNES)
    return save_checkpoint(tmp_path_factory.mktemp("m") / "model", toy(tok), tok)


@pytest.fixture(scope="module")
def ck(model_dir):
    return load_model(model_dir)


@pytest.mark.parametrize("title,folded", [
    ("Gånglåt från Mockfjärd", "Ganglat fran Mockfjard"),
    ("Äpplet Östra Vägen", "Applet Ostra Vagen"),
    ("Été à Québec", "Ete a Quebec"),
    ("Straße", "Strasse"),
    ("Cœur de Bœuf", "Coeur de Boeuf"),
    ("Ærø Søndag", "AEro Sondag"),
    ("O’Neill’s", "O'Neill's"),
    ("The 🎻 Jig", "The Jig"),           # dropped, and the doubled space made one
    ("  The   Jig ", "The Jig"),
])
def test_fold_title_spells_in_the_vocabulary(title, folded):
    assert fold_title(title, PLAIN) == folded


def test_a_letter_known_only_in_the_other_case_changes_case():
    # the bundled vocabulary has `x` but no `X` (no corpus title starts with one)
    vocab = load_model().tokenizer.vocab
    assert "X" not in vocab and fold_title("Xavier's Reel", vocab) == "xavier's Reel"


@pytest.mark.parametrize("title", ["🎻🎻", "北京", "", "   "])
def test_a_title_with_nothing_spellable_is_a_clear_error(title):
    with pytest.raises(FolkrnnError, match="can spell nothing of the title"):
        fold_title(title, PLAIN)


def test_the_abc_carries_the_users_own_title(ck):
    (t,) = generate(ck, 1, seed=1, max_tokens=300, prime=Prime(title="Thé Kettle Jïg"))
    assert t.text.startswith("T:The Kettle Jig\n")
    assert t.abc.splitlines()[1] == "T:Thé Kettle Jïg" and t.title == "Thé Kettle Jïg"


def test_the_folded_title_as_given_writes_the_same_notes(ck):
    (accented,) = generate(ck, 1, seed=4, max_tokens=300, prime=Prime(title="Réel of Tullöchgorum"))
    (plain,) = generate(ck, 1, seed=4, max_tokens=300, prime=Prime(title="Reel of Tullochgorum"))
    assert accented.text == plain.text
    assert accented.abc.replace("Réel of Tullöchgorum", "Reel of Tullochgorum") == plain.abc


def test_a_char_model_is_primed_with_the_folded_title(tmp_path):
    tok = CharTokenizer.build(TUNES)
    ck = load_model(save_checkpoint(tmp_path / "char", toy(tok), tok))
    (t,) = generate(ck, 1, seed=2, max_tokens=60, prime=Prime(title="Thé Këttle"))
    assert t.text.startswith("T:The Kettle\n")


def test_to_abc_writes_the_title_it_is_given():
    abc = to_abc("T:The Kettle\nM:6/8\nK:Cmaj\n|:GAB c2d|e2d c2A:|", title="Thé Kettle")
    assert abc.splitlines()[1] == "T:Thé Kettle"


def test_generate_says_once_that_it_folded(ck, caplog):
    with caplog.at_level(logging.WARNING, logger="folkrnn.generate.prime"):
        for _ in range(3):  # a collection primes once a tune
            generate(ck, 1, seed=1, max_tokens=100, prime=Prime(title="Jïg of Tullöch"))
    said = [r.getMessage() for r in caplog.records]
    assert said == ["the model cannot spell every letter of 'Jïg of Tullöch'; it is primed with "
                    "'Jig of Tulloch' (the ABC keeps your title)"]


def test_cli_generate_writes_the_title_and_quiet_hides_the_note(model_dir, capsys):
    assert main(["generate", "--model", str(model_dir), "--title", "Kettle Jïg", "--seed", "1",
                 "--formats", "none", "--max-tokens", "300"]) == 0
    assert "T:Kettle Jïg\n" in capsys.readouterr().out
    proc = subprocess.run([sys.executable, "-m", "folkrnn", "-q", "generate", "--model", str(model_dir),
                           "--title", "Kettle Jïg", "--seed", "1", "--formats", "none",
                           "--max-tokens", "300"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "" and "T:Kettle Jïg" in proc.stdout


def test_the_bundled_model_writes_ganglat_fran_mockfjard_as_asked():
    ck = load_model()
    (swedish,) = generate(ck, 1, seed=1, prime=Prime(title="Gånglåt från Mockfjärd"))
    (plain,) = generate(ck, 1, seed=1, prime=Prime(title="Ganglat fran Mockfjard"))
    assert swedish.text == plain.text and swedish.text.startswith("T:Ganglat fran Mockfjard\n")
    assert swedish.abc.splitlines()[1] == "T:Gånglåt från Mockfjärd"
