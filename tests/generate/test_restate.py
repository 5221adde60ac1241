"""Restatement (`generate.restate`): a bar begun as an earlier one goes on as it went."""
from folkrnn.check.form import measure_abc
from folkrnn.check.strict import check_text
from folkrnn.generate import generate
from folkrnn.generate.restate import Restatement
from folkrnn.model.checkpoint import load_model
from folkrnn.tokenize import FolkrnnTokenizer

HEAD = "T:x\nM:2/2\nK:Cmaj\n"
TOK = FolkrnnTokenizer.build([HEAD + "GABcdedB|cBAGFGAB|GABcd2B2|A2G2A2B2|gfedcBAG||\n"])


def fed(text: str) -> Restatement:
    r = Restatement(TOK.index, 1)
    for t in ["<s>", *TOK.tokens(text)]:
        r.advance(0, t)
    return r


def test_a_bar_begun_as_the_bar_four_before_goes_on_as_it_went():
    bars = "GABcdedB|cBAGFGAB|GABcd2B2|A2G2A2B2|"
    r = fed(HEAD + bars + "G")  # bar 5 begins as bar 1 did
    assert TOK.vocab[r.forced(0)] == "A"
    r.advance(0, "A")
    assert TOK.vocab[r.forced(0)] == "B"


def test_a_bar_begun_otherwise_or_too_early_is_left_to_the_model():
    bars = "GABcdedB|cBAGFGAB|GABcd2B2|A2G2A2B2|"
    assert fed(HEAD + bars + "g").forced(0) is None  # not as bar 1 began
    assert fed(HEAD + "GABcdedB|cBAGFGAB|G").forced(0) is None  # bar 3: nothing four back
    r = fed(HEAD + bars + "GA")
    r.advance(0, "c")  # the model went its own way: the bar is its own from here
    assert r.forced(0) is None


def test_restating_makes_bars_repeat_and_keeps_the_tunes_clean():
    model = load_model()
    on = generate(model, n=12, seed=4)
    off = generate(model, n=12, seed=4, restate=False)
    assert all(r.passed for t in on for r in check_text(t.abc, music21=False))
    repeating = [measure_abc([t.abc for t in tunes]).figures["bars_repeating"] for tunes in (on, off)]
    assert repeating[0] > repeating[1]
