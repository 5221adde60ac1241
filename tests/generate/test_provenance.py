"""Provenance: the N: lines every tune carries, remaking a tune from them, and --vary."""
from __future__ import annotations

import shutil
import subprocess

import mido
import pytest

from folkrnn.abc.reader import read_text
from folkrnn.cli import main
from folkrnn.errors import FolkrnnError
from folkrnn.generate import GenerationOptions, Prime, generate, remake, reroll, vary
from folkrnn.generate.stamp import decode, encode, read, stamp
from folkrnn.model.checkpoint import load_model
from tests.generate.test_compose import JIG


@pytest.fixture(scope="module")
def ck():
    return load_model()


@pytest.mark.parametrize("value", [None, True, 0, 12, 0.9, "D", "6/8", "", "-", "12", "true",
                                   'a "b" = c', "50% off", "|: GAB c2d |", "Réel"])
def test_values_read_back_as_written(value):
    text = encode(value)
    assert " " not in text or text.startswith('"')
    assert "%" not in text
    assert decode(text) == value


def test_every_generated_tune_names_its_maker_and_settings(ck):
    (g,) = generate(ck, 1, GenerationOptions(prime=Prime(meter="6/8", key="D")), seed=9)
    prov = read(read_text(g.abc).tunes[0])
    assert prov.version and prov.sha256 and prov.model == "default"
    assert prov.made["made"] == "generate" and prov.made["seed"] == 9 and prov.made["tune"] == 1
    assert prov.made["meter"] == "6/8" and prov.made["key"] == "D" and prov.made["temperature"] == 1.0


def test_remake_gives_the_same_text(ck):
    tunes = generate(ck, 3, GenerationOptions(prime=Prime(title='50% "odd"')), seed=4,
                     first_index=5)
    book = "\n".join(t.abc for t in tunes)
    assert [t.abc for t in remake(book, ck)] == [t.abc for t in tunes]


def test_a_reroll_remakes_from_its_own_text(ck):
    from folkrnn.generate.stamp import op_lines

    (g,) = reroll(JIG, 3, 4, candidates=4, seed=2, model=ck)
    g.abc = stamp(g.abc, op_lines(ck, g, GenerationOptions(), read_text(JIG).tunes[0]))
    assert "made=reroll" in g.abc and remake(g.abc, ck)[0].abc == g.abc


def test_what_cannot_be_remade_is_said_in_one_sentence(ck):
    (g,) = generate(ck, 1, seed=1, max_tokens=300)
    other = g.abc.replace("N:folkrnn 0.", "N:folkrnn 9.", 1)
    with pytest.raises(FolkrnnError, match="only the same version remakes it"):
        remake(other, ck)
    with pytest.raises(FolkrnnError, match="not this one"):
        remake(g.abc.replace("sha256=", "sha256=0", 1), ck)
    with pytest.raises(FolkrnnError, match="has no folkrnn N: lines"):
        remake(JIG, ck)


def test_vary_changes_one_setting_and_keeps_the_seed(ck):
    tunes = vary(ck, "temperature", [0.7, 1.0], seed=3)
    assert [t.operation["value"] for t in tunes] == [0.7, 1.0]
    (plain,) = generate(ck, 1, seed=3)
    assert tunes[1].text == plain.text  # the default's value gives generate's tune
    assert "X:2" in tunes[1].abc and "vary=temperature" in tunes[1].abc
    with pytest.raises(FolkrnnError, match="--vary takes one of"):
        vary(ck, "seed", [1])


@pytest.mark.skipif(not shutil.which("abc2midi") or not shutil.which("abcm2ps"),
                    reason="abc2midi and abcm2ps are installed by scripts/setup.sh")
def test_other_readers_read_the_tunes_as_without_the_lines(tmp_path):
    import music21

    (g,) = generate(load_model(), 1, seed=9)
    bare = "\n".join(ln for ln in g.abc.split("\n") if not ln.startswith("N:"))
    assert bare != g.abc
    midi = {}
    for name, text in (("with", g.abc), ("bare", bare)):
        path = tmp_path / f"{name}.abc"
        path.write_text(text)
        said = subprocess.run(["abc2midi", str(path), "-o", str(tmp_path / f"{name}.mid")],
                              capture_output=True, text=True, timeout=60)
        assert "Error" not in said.stdout + said.stderr
        midi[name] = [(m.type, m.time, getattr(m, "note", None), getattr(m, "tempo", None))
                      for track in mido.MidiFile(tmp_path / f"{name}.mid").tracks for m in track
                      if m.type in ("note_on", "note_off", "set_tempo", "time_signature")]
        ps = subprocess.run(["abcm2ps", str(path), "-O", str(tmp_path / f"{name}.ps")],
                            capture_output=True, text=True, timeout=60)
        assert ps.returncode == 0 and "error" not in ps.stderr.lower()
    assert midi["with"] == midi["bare"] and midi["with"]  # the N: text aside, the same file
    notes = [[(n.pitch.midi, n.quarterLength) for n in music21.converter.parse(t, format="abc")
              .flatten().notes if hasattr(n, "pitch")] for t in (g.abc, bare)]
    assert notes[0] == notes[1] and notes[0]


def test_cli_generate_from_remakes_the_file(tmp_path, capsys):
    assert main(["generate", "--seed", "9", "--formats", "none"]) == 0
    first = capsys.readouterr().out
    assert "N:folkrnn made=generate seed=9 tune=1" in first
    path = tmp_path / "t.abc"
    path.write_text(first)
    assert main(["generate", "--from", str(path), "--formats", "none"]) == 0
    assert capsys.readouterr().out == first
    assert main(["generate", "--vary", "key=D,G", "--seed", "2", "--formats", "none"]) == 0
    book = capsys.readouterr().out
    assert [t.key.name() for t in read_text(book).tunes] == ["D", "G"]
    assert main(["generate", "--vary", "seed=1,2", "--formats", "none"]) == 2
    assert main(["generate", "--from", str(path), "--workers", "2", "--formats", "none"]) == 2
    assert "--workers go with plain generate" in capsys.readouterr().err


def test_damaged_or_odd_lines_are_said_in_a_sentence(ck):
    (g,) = generate(ck, 1, GenerationOptions(prime=Prime(title="Tune\u2028Two")), seed=1,
                    max_tokens=300)
    assert remake(g.abc, ck)[0].abc == g.abc  # a line break inside a value stays escaped
    with pytest.raises(FolkrnnError, match="damaged"):
        remake(g.abc.replace("seed=1 ", "seed=abc ", 1), ck)
    spaced = g.abc.replace("N:folkrnn ", "N: folkrnn ")
    assert "N: folkrnn" not in stamp(spaced, ["folkrnn x"])  # read and replaced alike
