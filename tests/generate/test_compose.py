"""Co-composition with the bundled model: continue, reroll, and what they keep."""
from __future__ import annotations

import glob
import os
import random
import shutil
import subprocess

import pytest

from folkrnn.abc.reader import file_text, read_text
from folkrnn.cli import main
from folkrnn.errors import FolkrnnError
from folkrnn.generate import GenerationOptions, continue_tune, reroll
from folkrnn.generate.compose import score
from folkrnn.generate.source import SourceTune
from folkrnn.model.checkpoint import load_model

JIG = """X:1
T:The Test Jig
R:jig
M:6/8
L:1/8
K:D
d2A FAd|B2G GBd|A2F DFA|E3 E2F|d2A FAd|B2G GBd|A2F EFE|D3 D3|]
"""
# the same tune in A dorian, L:1/16, with a pickup, chord symbols and ornaments
DORIAN = """X:7
T:Pickup Air
M:3/4
L:1/16
K:Ador
E2|"Am"A4 ~B4 c4|d4 e8|"G"G4 B4 d4|g8 e4|A4 B4 c4|d4 e4 g4|a4 g4 e4|A12|]
"""


@pytest.fixture(scope="module")
def ck():
    return load_model()


def contents(text: str, tok) -> list[str]:
    """Each bar's notes as written."""
    src = SourceTune.read(text, tok)
    return [src.text[b.content[0]:b.content[1]] for b in src.bars]


def test_reroll_keeps_every_other_bar_as_written(ck):
    before = contents(JIG, ck.tokenizer)
    spans = set()
    for seed in range(4):
        (g,) = reroll(JIG, 3, 4, seed=seed, model=ck)
        after = contents(g.abc, ck.tokenizer)
        assert after[:2] == before[:2] and after[4:] == before[4:]
        src, new = SourceTune.read(JIG, ck.tokenizer), SourceTune.read(g.abc, ck.tokenizer)
        assert [b.ticks for b in new.bars] == [b.ticks for b in src.bars]
        assert g.abc.split("K:")[0].startswith(JIG.split("K:")[0].split("\n")[0])
        spans.add(tuple(after[2:4]))
    assert len(spans) > 1  # over a few seeds the re-rolled bars differ


def test_reroll_returns_the_best_by_the_whole_tune_score(ck):
    results = reroll(JIG, 5, 6, n=3, candidates=6, seed=1, model=ck)
    scores = [g.logprob for g in results]
    assert scores == sorted(scores, reverse=True)
    assert results[0].logprob >= results[0].operation["logprob_first"]
    # the score is the model's teacher-forced log-probability of the whole tune
    tok = ck.tokenizer
    again = score(ck.model, tok.index, [["<s>", *tok.tokens(results[0].text), "</s>"]])
    assert again[0] == pytest.approx(results[0].logprob, abs=1e-6)


def test_continue_keeps_the_opening_and_finishes_the_tune(ck):
    (g,) = continue_tune(JIG, 4, seed=3, model=ck)
    src = SourceTune.read(JIG, ck.tokenizer)
    assert g.abc.startswith(src.text[:src.bars[3].after])
    assert contents(g.abc, ck.tokenizer)[:4] == contents(JIG, ck.tokenizer)[:4]
    assert g.complete and g.abc.rstrip().endswith(("|]", ":|", "||", "|"))


def test_a_tune_in_another_key_and_unit_stays_in_them(ck):
    src = SourceTune.read(DORIAN, ck.tokenizer)
    assert src.pickup and src.first_number == 0 and src.last_number == 8
    (g,) = reroll(DORIAN, 2, 3, seed=2, model=ck)
    assert "K:Ador" in g.abc and "L:1/16" in g.abc
    new = SourceTune.read(g.abc, ck.tokenizer)
    assert [b.ticks for b in new.bars] == [b.ticks for b in src.bars]
    kept = [k for k in range(len(src.bars)) if k not in (2, 3)]
    assert [contents(g.abc, ck.tokenizer)[k] for k in kept] == [
        contents(DORIAN, ck.tokenizer)[k] for k in kept]  # chord symbols and ~ included
    (c,) = continue_tune(DORIAN, 4, seed=2, model=ck)
    assert c.abc.startswith(src.text[:src.bars[4].after]) and "K:Ador" in c.abc


def test_an_open_last_bar_is_finished_note_for_note(ck):
    half = JIG.replace("|A2F EFE|D3 D3|]", "|A2F E")
    (g,) = continue_tune(half, seed=1, model=ck)
    src, new = SourceTune.read(half, ck.tokenizer), SourceTune.read(g.abc, ck.tokenizer)
    assert contents(g.abc, ck.tokenizer)[:6] == contents(half, ck.tokenizer)[:6]
    last = src.bars[6].tokens
    assert new.bars[6].tokens[:len(last)] == last and new.bars[6].ticks == new.bars[0].ticks


@pytest.mark.parametrize("first, last, says", [
    (9, 10, "has bars 1 to 8"), (4, 3, "comes after"), (0, 1, "not bar 0")])
def test_bad_spans_are_refused_in_a_sentence(ck, first, last, says):
    with pytest.raises(FolkrnnError, match=says):
        reroll(JIG, first, last, model=ck)


def test_a_tune_the_model_cannot_read_is_refused_with_the_reason(ck):
    voices = JIG.replace("K:D\n", "V:1\nK:D\n")
    with pytest.raises(FolkrnnError, match="several voices"):
        continue_tune(voices, model=ck)
    with pytest.raises(FolkrnnError, match="candidates"):
        reroll(JIG, 3, 4, candidates=0, model=ck)


def corpus_tunes(count: int, seed: int) -> list[SourceTune]:
    import music21

    root = os.path.join(os.path.dirname(music21.__file__), "corpus")
    files = sorted(glob.glob(os.path.join(root, "oneills1850", "*.abc"))
                   + glob.glob(os.path.join(root, "airdsAirs", "*.abc")))
    tok = load_model().tokenizer
    out = []
    for f in files:
        text = file_text(f).replace("\r\n", "\n").replace("\r", "\n")
        for t in read_text(text, f).tunes:
            try:
                out.append(SourceTune.of(text, t, tok))
            except FolkrnnError:
                pass  # several voices, key changes: counted by the corpus, not here
    return random.Random(seed).sample(out, count)


def test_over_200_corpus_tunes_reroll_and_continue_keep_what_they_keep(ck):
    rng = random.Random(5)
    quick = GenerationOptions(max_tokens=60)
    refused = 0
    for n, src in enumerate(corpus_tunes(200, 5)):
        a = rng.randint(max(src.first_number, 1), src.last_number)
        b = min(src.last_number, a + rng.randint(0, 1))
        try:
            (g,) = reroll(src, a, b, candidates=1, seed=n, model=ck)
        except FolkrnnError as err:
            assert "inline field" in str(err)
            refused += 1
            continue
        new = SourceTune.read(g.abc, ck.tokenizer)
        ia, ib = src.index(a), src.index(b)
        assert new.key == src.key and len(new.bars) == len(src.bars)
        for k, (x, y) in enumerate(zip(src.bars, new.bars)):
            if ia <= k <= ib:
                assert x.ticks == y.ticks
            else:
                assert (src.text[x.content[0]:x.content[1]], x.tokens) == (
                    new.text[y.content[0]:y.content[1]], y.tokens), (src.tune.label, a, b, k)
        keep = rng.randint(max(src.first_number, 1), src.last_number)
        try:
            (c,) = continue_tune(src, keep, seed=n, model=ck, options=quick)
        except FolkrnnError as err:
            assert "inline field" in str(err)
            refused += 1
            continue
        k = src.index(keep)
        if src.bars[k].closing:
            assert c.abc.startswith(src.text[:src.bars[k].after]), src.tune.label
        kept = SourceTune.read(c.abc, ck.tokenizer)
        assert kept.key == src.key
        assert [x.tokens for x in kept.bars[:k]] == [x.tokens for x in src.bars[:k]]
    assert refused <= 10  # spans and kept bars with inline [M:] / [L:]


needs_abc2midi = pytest.mark.skipif(not shutil.which("abc2midi"),
                                    reason="abc2midi is installed by scripts/setup.sh")


@needs_abc2midi
def test_the_cli_reroll_and_continue_print_tunes_abc2midi_reads_cleanly(tmp_path, capsys):
    path = tmp_path / "jig.abc"
    path.write_text(JIG)
    assert main(["reroll", str(path), "--bars", "3-4", "--seed", "4", "--formats", "none"]) == 0
    rerolled = capsys.readouterr().out
    assert contents(rerolled, load_model().tokenizer)[4:] == contents(JIG, load_model().tokenizer)[4:]
    assert main(["continue", str(path), "--bars", "4", "--seed", "4", "--formats", "none"]) == 0
    continued = capsys.readouterr().out
    for name, text in (("r", rerolled), ("c", continued)):
        out = tmp_path / f"{name}.abc"
        out.write_text(text)
        said = subprocess.run(["abc2midi", str(out), "-o", str(tmp_path / f"{name}.mid")],
                              capture_output=True, text=True, timeout=60)
        assert "Error" not in said.stdout + said.stderr and "Warning" not in said.stdout


def test_a_tie_the_models_reading_drops_still_ties_into_the_new_bar(ck):
    tune = JIG.replace("d2A FAd|B2G GBd|A2F DFA", "c2B A2^G-|G2G GBd|A2F DFA").replace("K:D", "K:C")
    for seed in range(3):
        (g,) = reroll(tune, 2, 2, seed=seed, model=ck)
        second = contents(g.abc, ck.tokenizer)[1]
        assert second.lstrip("(23456789:").startswith("^G"), second  # the tied note, as abc2midi wants it


def test_keys_with_their_own_accidentals_and_inline_fields_are_refused(ck):
    with pytest.raises(FolkrnnError, match="accidentals of its own"):
        reroll(JIG.replace("K:D", "K:Dphr ^f"), 3, 4, model=ck)
    with pytest.raises(FolkrnnError, match="inline field"):
        continue_tune(JIG.replace("|E3 E2F|", "|[M:3/4]E3 E3|"), 6, model=ck)


def test_an_open_only_bar_continues_below_the_header(ck):
    (g,) = continue_tune("X:1\nT:Frag\nM:4/4\nL:1/8\nK:D\nA2 d2 f\n", seed=1, model=ck)
    assert "\nK:D\n" in g.abc and read_text(g.abc).tunes[0].key.name() == "D"


def test_an_open_last_bar_re_rolled_keeps_the_lines_after_it(ck):
    tune = JIG.replace("|D3 D3|]\n", "|D3 D3\n% a comment\nW:words\n")
    (g,) = reroll(tune, 8, 8, seed=1, model=ck)
    assert g.abc.endswith("% a comment\nW:words\n")


def test_new_bars_spell_out_a_repeat_that_starts_implicitly():
    # kept bars end with `:|`; new bars that close with `:|` again open with `|:` (abc2midi
    # would "assume" the repeat), and a `:|` ... `:|` wholly in the new bars becomes `::`
    tok = load_model().tokenizer
    src = SourceTune.read("X:1\nT:t\nM:4/4\nL:1/8\nK:C\nc8|d8|e8|f8:|", tok)
    kept = src.body_tokens(3)
    start = src.symbol_count(kept)
    new = src.new_text(kept + ["g", "8", "|", "a", "8", ":|"], start, src.bars[3].unit)
    assert src.write(new, src.bars[3].unit).replace(" ", "").startswith("|:g8|a8:|")
    kept = src.body_tokens(2)
    start = src.symbol_count(kept)
    new = src.new_text(kept + ["f", "8", ":|", "g", "8", ":|"], start, src.bars[2].unit)
    assert src.write(new, src.bars[2].unit).replace(" ", "") == "f8::g8:|"
