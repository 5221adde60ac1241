"""Parts of a set number of bars in constrained decoding (`constraints.form`)."""
import pytest

from folkrnn.abc.lengths import TICKS
from folkrnn.abc.reader import read_text
from folkrnn.abc.sections import sections
from folkrnn.check.form import measure_abc
from folkrnn.check.strict import check_text
from folkrnn.generate import generate
from folkrnn.generate.constraints import TuneState, Vocab
from folkrnn.model.checkpoint import load_model
from folkrnn.tokenize import FolkrnnTokenizer

REEL8 = ("T:Reel\nM:2/2\nK:Cmaj\n|:GABcdedB|GABcd2B2|GABcdedB|A2G2A2B2|"
         "GABcdedB|GABcd2B2|cBAGFGAB|c2G2c4:|\n")
ENDINGS = ("T:Endings\nM:6/8\nK:Cmaj\n|:G|cdedcB|cded2G|cdedcB|AGFG2G|cdedcB|cded2G|"
           "ABcdBG|1c3c2:|2c3c2||\n")
PICKUP = "T:Pickup\nM:6/8\nK:Cmaj\nG|cdedcB|cded2G|cdedcB|AGFG2G|cdedcB|cded2G|ABcdBG|c3c2|]\n"
TOK = FolkrnnTokenizer.build([REEL8, ENDINGS, PICKUP, "T:x\nM:4/4\nK:Cmaj\n=c^cCc_BB|\n",
                              "T:y\nM:2/2\nK:Cmaj\n|:GABcdedB::GABcdedB:|\n"])
V = Vocab(TOK.vocab)


def state_after(text: str, part_bars: int = 8) -> TuneState:
    st = TuneState(V, part_bars=part_bars)
    for t in TOK.tokens(text):
        assert st.allowed()[V.index[t]], f"{t!r} refused after {st.last!r} (bar {st.part_count})"
        st.advance(t)
    return st


def allowed(st: TuneState) -> set[str]:
    return {V.vocab[i] for i in st.allowed().nonzero().flatten().tolist()}


@pytest.mark.parametrize("text", [REEL8, ENDINGS, PICKUP])
def test_eight_bar_parts_with_repeats_endings_and_pickups_pass_every_step(text):
    st = state_after(text)
    assert st.allowed()[V.index["</s>"]]


def test_a_part_may_not_close_short_of_its_bars_nor_run_past_them():
    seven = state_after("T:x\nM:2/2\nK:Cmaj\n" + "GABcdedB|" * 6 + "GABcdedB")
    assert "|" in allowed(seven) and not ({"||", "|]", ":|", "::"} & allowed(seven))
    assert "</s>" not in allowed(state_after("T:x\nM:2/2\nK:Cmaj\n" + "GABcdedB|" * 4))
    eight = state_after("T:x\nM:2/2\nK:Cmaj\n" + "GABcdedB|" * 7 + "GABcdec2")
    assert "|" not in allowed(eight) and {"||", "|]"} <= allowed(eight)


def test_the_last_half_beat_of_a_part_sounds_the_tonic():
    st = state_after("T:x\nM:2/2\nK:Cmaj\n" + "GABcdedB|" * 7 + "GABcde")  # 2 eighths left of 8
    pitches = {t for t in allowed(st) if t.strip("=^_,'").isalpha() and len(t.strip("=^_,'")) == 1}
    assert pitches and {p.strip("=,'").lower() for p in pitches} == {"c"}
    assert "z" not in allowed(st) and "-" not in allowed(st)


def test_off_by_default():
    st = TuneState(V)
    assert st.part_bars == 0


@pytest.fixture(scope="module")
def tunes():
    return generate(load_model(), n=12, seed=3, part_bars=8)


def test_the_bundled_model_writes_parts_of_eight_bars_that_pass_the_checks(tunes):
    texts = [t.abc for t in tunes]
    assert all(r.passed for text in texts for r in check_text(text, music21=False))
    summary = measure_abc(texts)
    assert summary.figures["sections_4_8_16"] == 1.0
    for text in texts:
        assert {s.length for s in sections(read_text(text).tunes[0])} == {8}


def test_part_bars_is_recorded_only_when_set_so_older_records_read_the_same():
    from folkrnn.errors import FolkrnnError
    from folkrnn.generate import GenerationOptions

    assert "part_bars" not in GenerationOptions().to_dict()
    asked = GenerationOptions(part_bars=8)
    assert GenerationOptions.from_dict(asked.to_dict()) == asked
    with pytest.raises(FolkrnnError, match="--part-bars must be 4, 8 or 16"):
        GenerationOptions(part_bars=5)


def test_only_a_parts_first_bar_is_a_pickup():
    st = state_after("T:x\nM:6/8\nK:Cmaj\nG|cdedcB|")
    assert (st.part_count, st.part_started) == (1, True)
    st = state_after("T:x\nM:6/8\nK:Cmaj\nG|")
    assert (st.part_count, st.part_started) == (0, True)
    assert "|:" not in allowed(state_after("T:x\nM:6/8\nK:Cmaj\nG|c2"))  # not a part of two pickups


def test_near_the_length_cap_a_closed_part_ends_the_tune_and_no_part_opens():
    st = state_after(REEL8.rstrip("\n"))
    assert st.allowed(steps_left=10**6)[V.index["</s>"]]
    assert allowed_at(st, 100) == {"</s>"}  # 8 bars took ~70 tokens: another part would not fit
    seven = state_after("T:x\nM:2/2\nK:Cmaj\n" + "GABcdedB|" * 7 + "GABcdec2")
    assert "|:" not in allowed_at(seven, 100) and "||" in allowed_at(seven, 100)


def allowed_at(st: TuneState, steps_left: int) -> set[str]:
    return {V.vocab[i] for i in st.allowed(steps_left).nonzero().flatten().tolist()}


def test_a_prime_is_not_held_to_the_part_count_and_its_part_closes_after_it():
    from folkrnn.errors import FolkrnnError
    from folkrnn.generate import GenerationOptions, Prime

    model = load_model()
    options = GenerationOptions(prime=Prime(meter="4/4", body="GABc dedB||"), part_bars=8)
    (t,) = generate(model, n=1, seed=1, options=options)
    assert t.complete and all(r.passed for r in check_text(t.abc, music21=False))
    with pytest.raises(FolkrnnError, match="cannot go with --no-constrain"):
        generate(model, n=1, seed=1, part_bars=8, constrain=False)


# ------------------------------------------------------------------ forms

def form_state(text: str, label: str) -> TuneState:
    from folkrnn.generate.constraints.form import resolve_form

    st = TuneState(V, **resolve_form(label, 0, V.vocab).state_fields())
    for t in TOK.tokens(text):
        assert st.allowed()[V.index[t]], f"{t!r} refused after {st.last!r} (bar {st.part_count})"
        st.advance(t)
    return st


def test_a_form_says_which_bar_line_closes_each_part_and_when_the_tune_ends():
    head, bar = "T:x\nM:2/2\nK:Cmaj\n", "GABcdedB|"
    a = form_state(head + bar * 7 + "GABcdec2", "AABB8")
    assert allowed(a) & {"||", "|]", ":|", "::", "|:"} == {":|", "::"}  # twice, and so is B
    b = form_state(head + bar * 7 + "GABcdec2::" + bar * 7 + "GABcdec2", "AABB8")
    assert allowed(b) & {"||", "|]", ":|", "::"} == {":|"}  # the last part
    done = form_state(head + bar * 7 + "GABcdec2::" + bar * 7 + "GABcdec2:|", "AABB8")
    assert allowed(done) == {"</s>"}
    once = form_state(head + bar * 7 + "GABcdec2", "AB8")
    assert allowed(once) & {"||", "|]", ":|", "::", "|:"} == {"||", "|]"}
    assert "</s>" not in allowed(form_state(head + bar * 7 + "GABcdec2||", "AB8"))


def test_a_part_played_once_has_no_endings_and_opens_no_repeat():
    head = "T:x\nM:2/2\nK:Cmaj\n"
    assert "|1" not in allowed(form_state(head + "GABcdedB|" * 6 + "GABcdedB", "AB8"))
    assert "|1" in allowed(form_state(head + "|:" + "GABcdedB|" * 6 + "GABcdedB", "AABB8"))
    assert "|:" not in allowed(form_state(head, "AB8"))


def test_forms_are_checked_against_the_label_rules_and_the_model():
    from folkrnn.errors import FolkrnnError
    from folkrnn.generate.constraints.form import resolve_form

    assert resolve_form("AABB", 16, []).parts[0].bars == 16
    assert resolve_form("AABB", 0, []).parts[0].bars == 8
    assert resolve_form("free", 0, ["F:free"]).free
    assert resolve_form("AB8", 0, ["F:AB8", "F:free"]).token == "F:AB8"
    with pytest.raises(FolkrnnError, match="is no form"):
        resolve_form("ABAB8", 0, [])
    with pytest.raises(FolkrnnError, match="has 16 bars a part, --part-bars 8"):
        resolve_form("AB16", 8, [])
    with pytest.raises(FolkrnnError, match="knows the forms AB8, not ABC8"):
        resolve_form("ABC8", 0, ["F:AB8", "F:free"])


@pytest.mark.parametrize("label, played", [("AB8", "AB"), ("AABB8", "AABB")])
def test_the_bundled_model_keeps_an_asked_form(label, played):
    from folkrnn.abc.sections import form

    for t in generate(load_model(), n=4, seed=5, form=label):
        assert t.complete and all(r.passed for r in check_text(t.abc, music21=False))
        secs = sections(read_text(t.abc).tunes[0])
        assert {s.length for s in secs} == {8} and form(secs) == played


def test_near_the_length_cap_a_bar_aimed_mid_part_may_still_close_its_repeat():
    # the third bar of an 8-bar part, aimed short for the pickup as the cap nears: its repeat
    # may close it (the form steps aside there), so the tune is never ended mid-bar
    st = form_state("T:x\nM:6/8\nK:Cmaj\n|:G|cdedcB|cdedcB|cdedc", "AABB8")
    assert ":|" in allowed_at(st, 80) and (st.aimed, st.limit) == (True, 5 * TICKS)


def test_a_prime_that_opens_a_repeat_gets_a_form_whose_first_part_repeats():
    from folkrnn.generate import Prime

    model = load_model()
    for seed in range(6):
        (t,) = generate(model, n=1, seed=seed, max_tokens=300,
                        prime=Prime(meter="2/4", key="C", mode="maj", body="|:cdef|gfed|"))
        assert t.complete and t.form.startswith("AA")


def test_restatement_leaves_the_prime_alone():
    from folkrnn.generate import Prime

    prime = Prime(meter="2/4", key="C", mode="maj", body="cdef|gfed|cdef|gfed|ce")
    for restate in (True, False):
        (t,) = generate(load_model(), n=1, seed=3, prime=prime, restate=restate)
        assert "|cdef|gfed|ce" in t.abc.replace("\n", "").replace(" ", "")
