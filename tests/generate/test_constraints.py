"""The constrained-decoding masks: bars fill exactly, repeats balance, tunes end on a bar line."""
from fractions import Fraction

import pytest

from folkrnn.abc.keys import parse_key
from folkrnn.generate.constraints import Header, TuneState, Vocab
from folkrnn.generate.constraints.tokens import ENDING_ZONE
from folkrnn.tokenize import FolkrnnTokenizer

TUNES = [
    "T:Jig\nR:jig\nM:6/8\nK:Cmaj\n|:G|c2ce2g|f2de2c|d>efgfe|dcBc2::G|c6|c2ce2:|",
    "T:Reel\nM:2/2\nK:Cdor\n|:cBAGFGAB|c2e2d2c2|(3cdcBAG2F2|1E2C2C4:|2E2G2c4||",
    "T:Air\nM:3/4\nK:Cmin\nE|G2c2e2|[ce]4d2|c3/2B/2A2G2|F6|]",
    "T:Reel\nR:reel\nM:2/2\nK:Cmaj\nc8|c8|c8|c8|]",
    "T:Ties\nR:hornpipe\nM:4/4\nK:Cdor\n|:c2e2-e2^f2-|^f2f2[ce]2-[ce]2|c2A>-AG2c2-|c8:|",
]
TOK = FolkrnnTokenizer.build(TUNES)
V = Vocab(TOK.vocab)


def run(text, header=Header()):
    st = TuneState(V, header)
    for t in TOK.tokens(text) + ["</s>"]:
        assert st.allowed()[V.index[t]], f"{t!r} refused after {st.last!r}"
        st.advance(t)
    return st


def allowed(st):
    return {V.vocab[i] for i in st.allowed().nonzero().flatten().tolist()}


@pytest.mark.parametrize("text", TUNES)
def test_well_formed_tunes_pass_every_step(text):
    assert run(text).phase == "done"


def state_after(text):
    st = TuneState(V)
    for t in TOK.tokens(text):
        st.advance(t)
    return st


def test_a_note_that_would_overfill_is_refused():
    st = state_after("T:x\nM:6/8\nK:Cmaj\nc2cde")  # 4 of 6 eighths, then e with no length yet
    a = allowed(st)
    assert "2" in a and "3" not in a and "4" not in a


def test_the_bar_line_comes_when_the_bar_is_full():
    a = allowed(state_after("T:x\nM:6/8\nK:Cmaj\nc2ce2g"))
    assert "|" in a and not ({"c", "G", "z", "2"} & a)


def test_no_bar_line_in_the_middle_of_a_bar():
    assert "|" not in allowed(state_after("T:x\nM:6/8\nK:Cmaj\nG|c2ce"))


def test_a_pickup_may_be_short():
    assert "|" in allowed(state_after("T:x\nM:6/8\nK:Cmaj\nG"))


def test_a_repeat_closes_short_only_by_the_pickup_it_goes_back_to():
    # abc2midi joins the short closing bar to the first bar after |: on the repeat
    assert ":|" not in allowed(state_after("T:x\nM:6/8\nK:Cmaj\nG|:c2ce2g|c6|c2ce2"))
    assert ":|" in allowed(state_after("T:x\nM:6/8\nK:Cmaj\n|:G|c2ce2g|c6|c2ce2"))
    assert ":|" in allowed(state_after("T:x\nM:6/8\nK:Cmaj\nG|c2ce2g|c6|c2ce2"))


def test_a_repeat_back_to_a_pickup_leaves_room_for_it():
    assert ":|" not in allowed(state_after("T:x\nM:6/8\nK:Cmaj\n|:G|c2ce2g|c6|c6"))


def test_near_the_cap_the_closing_bar_of_a_repeat_still_leaves_room_for_its_pickup():
    st = state_after("T:x\nM:6/8\nK:Cmaj\n|:G|c6|c6|c")
    assert "6" in allowed(st)
    near = {V.vocab[i] for i in st.allowed(steps_left=70).nonzero().flatten().tolist()}
    assert "6" not in near and "4" in near  # the bar is aimed at 5 eighths, then :|
    for t in ["4", "c"]:
        st.advance(t)
    near = {V.vocab[i] for i in st.allowed(steps_left=28).nonzero().flatten().tolist()}
    assert ":|" in near and not {"|", "c", "2"} & near


def test_after_a_repeat_aimed_short_near_the_cap_the_next_bar_makes_it_up():
    # seed 1, tune 817 of 1000: an aimed 3/4 bar closed `:|`, then a full bar, which
    # abc2midi counted 7/2 beats on the repeat ("Bar 37 has 7/2 time units ... in repeat")
    st = state_after("T:x\nM:6/8\nK:Cmaj\n|:G|c6|c6|c")
    steps = ENDING_ZONE + 10  # inside the aiming margin, before the ending zone
    for t in ["4", "c", ":|", "c"]:
        assert st.allowed(steps_left=steps)[V.index[t]], t
        st.advance(t)
    a = {V.vocab[i] for i in st.allowed(steps_left=steps).nonzero().flatten().tolist()}
    assert "|" in a and not {"2", "c"} & a  # 5 + 1 eighths, as abc2midi counts


def test_after_a_short_closing_bar_the_next_bar_makes_it_up():
    st = state_after("T:x\nM:6/8\nK:Cmaj\nG|c6|c2ce2::c")
    assert "|" in allowed(st) and "2" not in allowed(st)  # 5 + 1 eighths, as abc2midi counts
    st = state_after("T:x\nM:6/8\nK:Cmaj\nG|c6|c2ce2||c")
    assert "|" in allowed(st) and "c" not in allowed(st)


def test_a_pickup_mid_tune_only_makes_up_a_short_bar():
    # abc2midi checks every bar but the tune's first at a plain bar line
    assert "|" not in allowed(state_after("T:x\nM:6/8\nK:Cmaj\nc6|c6||G"))
    assert "|" not in allowed(state_after("T:x\nM:6/8\nK:Cmaj\nc6|c6|:G"))


def test_the_notes_of_a_tuplet_are_as_long_as_the_first():
    st = state_after("T:x\nM:2/4\nK:Cmaj\n(3c2d")
    a = allowed(st)
    assert "2" in a and not {"c", "/2", "|"} & a  # d must be written 2 long, like c
    st = state_after("T:x\nM:2/4\nK:Cmaj\n(3cd")
    assert "2" not in allowed(st) and "c" in allowed(st)
    st = state_after("T:x\nM:2/4\nK:Cmaj\n(3cdec")  # the tuplet is done: any length
    assert {"2", "/2"} <= allowed(st)


def test_no_broken_rhythm_on_the_second_of_a_pair_abc2midi_swings_in_a_hornpipe():
    st = state_after("T:x\nR:hornpipe\nM:4/4\nK:Cmaj\ncd")  # c d: a swung pair of quavers
    assert ">" not in allowed(st)
    assert ">" in allowed(state_after("T:x\nR:hornpipe\nM:4/4\nK:Cmaj\ncde"))
    assert ">" in allowed(state_after("T:x\nM:4/4\nK:Cmaj\ncd"))  # no R:hornpipe, no swing


def test_no_broken_rhythm_off_the_beat_pair_in_a_hornpipe():
    # D/4A/4 d d: a/2 starts at an odd semiquaver; `a/2>f/2 d/2` made abc2midi swing d/2
    # against the shortened f/2: "Cannot apply broken rhythm. Notes not equal durations"
    st = state_after("T:x\nR:hornpipe\nM:2/4\nK:Cmaj\nD/4A/4dda/2")
    assert ">" not in allowed(st)
    assert ">" in allowed(state_after("T:x\nR:hornpipe\nM:2/4\nK:Cmaj\nD/2A/2da/2"))  # on the beat


def test_no_broken_rhythm_on_a_note_already_made_longer_or_shorter():
    assert ">" in allowed(state_after("T:x\nM:4/4\nK:Cmaj\nc>dcd"))
    assert ">" not in allowed(state_after("T:x\nM:4/4\nK:Cmaj\nc>d"))  # c>d>e
    assert ">" not in allowed(state_after("T:x\nM:4/4\nK:Cmaj\nc2(3cde"))  # (3cde>f


def test_second_ending_needs_a_first():
    st = state_after("T:x\nM:6/8\nK:Cmaj\n|:c2ce2g|c2ce2g")
    assert ":|2" not in allowed(st) and ":|" in allowed(st)


def test_end_only_after_a_closing_bar_and_enough_bars():
    st = state_after("T:x\nM:6/8\nK:Cmaj\nc6|c6|c6|c6")
    assert "</s>" not in allowed(st)
    st.advance("|")
    assert "</s>" in allowed(st)
    assert "</s>" not in allowed(state_after("T:x\nM:6/8\nK:Cmaj\n|:c6|c6|c6|c6|"))  # repeat open


def test_header_fields_are_forced_by_priming():
    st = TuneState(V, Header(title=list("Jig"), meter="M:6/8", mode="K:Cdor"))
    seq = []
    while st.phase != "body":
        (tok,) = allowed(st) if len(allowed(st)) == 1 else sorted(allowed(st) - {"R:jig"})[:1]
        seq.append(tok)
        st.advance(tok)
    assert seq == ["T:", "J", "i", "g", "T/", "M:6/8", "K:Cdor"]


def test_length_cap_steers_to_the_end():
    st = state_after("T:x\nM:6/8\nK:Cmaj\nc6|c6|c6|c6|")
    assert st.allowed(steps_left=30).nonzero().flatten().tolist() == [V.index["</s>"]]


def test_unconstrained_body_allows_anything_but_the_start():
    st = TuneState(V, constrain_body=False)
    for t in ["T:", "x", "T/", "M:6/8", "K:Cmaj"]:
        st.advance(t)
    assert st.allowed().sum() == len(V.vocab) - 1


def test_an_unconstrained_tune_may_put_anything_in_a_chord():
    st = TuneState(V, constrain_body=False)
    for t in ["T:", "x", "T/", "M:6/8", "K:Cmaj", "[", "c", ">", "|", "]", "2", "-", ":|2"]:
        st.advance(t)  # no KeyError for the non-pitches in the chord
    assert st.allowed().sum() == len(V.vocab) - 1


def pitches_allowed(st, steps_left=10**6):
    return {t for t in {V.vocab[i] for i in st.allowed(steps_left).nonzero().flatten().tolist()}
            if t[-1:].isalpha() or t[-1:] in ",'"} - {"z"}


def test_a_tie_is_followed_by_the_same_pitch_in_the_bar():
    st = state_after("T:x\nM:4/4\nK:Cmaj\nc8|c2f2-")
    assert pitches_allowed(st) == {"f", "=f"}
    assert not {"z", "[", "|", "</s>"} & allowed(st)


def test_an_accidental_carried_in_the_bar_holds_for_the_tied_note():
    assert pitches_allowed(state_after("T:x\nM:4/4\nK:Cmaj\nc2^f2f2-")) == {"f", "^f"}


def test_across_the_bar_line_the_carried_accidental_is_written():
    st = state_after("T:x\nM:4/4\nK:Cmaj\n|:c2^f2c2f2-")
    a = allowed(st)
    assert "|" in a and not {":|", "::", "|1", "</s>"} & a  # a tie crosses only a plain bar line
    st.advance("|")
    assert pitches_allowed(st) == {"^f"}


def test_the_key_signature_counts_for_a_tied_note():
    st = state_after("T:x\nM:4/4\nK:Cdor\nc2c2c2e2-|")  # e is E flat in C dorian
    assert pitches_allowed(st) == {"e", "_e"}


def test_a_tied_chord_is_followed_by_the_same_chord():
    st = state_after("T:x\nM:4/4\nK:Cmaj\nc2[ce]2-")
    assert "[" in allowed(st) and pitches_allowed(st) == set()
    st.advance("[")
    assert pitches_allowed(st) == {"c", "=c"}
    st.advance("c")
    assert pitches_allowed(st) == {"e", "=e"} and "]" not in allowed(st)
    st.advance("e")
    assert allowed(st) == {"]"}


def test_no_tie_where_its_note_could_not_follow():
    # a' carries the sharp of ^a (abc2midi reads accidentals letter-wide); the vocabulary
    # has no ^a' to write in the next bar, so the full bar's last note may not be tied
    assert "-" not in allowed(state_after("T:x\nM:4/4\nK:Cmaj\nc2c2^a2a'2"))
    assert "-" in allowed(state_after("T:x\nM:4/4\nK:Cmaj\nc2^a2a'2"))  # room in this bar
    assert "-" not in {V.vocab[i] for i in state_after("T:x\nM:4/4\nK:Cmaj\nc2c2")
                       .allowed(ENDING_ZONE + 2).nonzero().flatten().tolist()}


def test_a_tie_that_cannot_be_kept_is_dropped_rather_than_deadlock():
    st = state_after("T:x\nM:4/4\nK:Cmaj\n|:c2c2c2f2-")
    # at the length cap an open repeat must close with `:|`, which a tie may not cross
    assert {V.vocab[i] for i in st.allowed(30).nonzero().flatten().tolist()} == {":|"}


def header_after(tokens, header=Header(), constrain=True):
    st = TuneState(V, header, constrain_body=constrain)
    for t in ["T:", "x", "T/"] + tokens:
        st.advance(t)
    return allowed(st)


def test_a_hornpipe_is_in_2_4_or_4_4_for_abc2midi():
    assert {t for t in header_after(["R:hornpipe"])} == {"M:2/4", "M:4/4"}
    assert {"M:2/2", "M:3/4", "M:6/8"} <= header_after(["R:reel"])
    assert {"M:2/2", "M:6/8"} <= header_after(["R:hornpipe"], constrain=False)  # --no-constrain


def test_a_primed_2_2_leaves_out_the_hornpipe():
    a = header_after([], Header(meter="M:2/2"))
    assert "R:reel" in a and "R:hornpipe" not in a and "M:2/2" in a
    assert "R:hornpipe" in header_after([], Header(meter="M:4/4"))


@pytest.mark.parametrize("meter,mult", [("M:6/8", Fraction(3, 5)), ("M:2/4", Fraction(2, 5))])
def test_a_five_tuplet_takes_the_time_of_three_in_a_compound_meter(meter, mult):
    st = state_after(f"T:x\n{meter}\nK:Cmaj\n(5")
    assert (st.tuplet_left, st.tuplet_mult) == (5, mult)


WIDE = FolkrnnTokenizer.build(TUNES + ["T:Wide\nM:4/4\nK:Cmaj\nE,8|G,8|c8|g'8|a'8|b'8|]",
                                      "T:Wide\nM:4/4\nK:Cmaj\n_g=G,(3c/3d/3e/3|]"])
VW = Vocab(WIDE.vocab)


def wide_allowed(text, header=Header(), then=()):
    st = TuneState(VW, header)
    for t in WIDE.tokens(text) + list(then):
        st.advance(t)
    return {VW.vocab[i] for i in st.allowed().nonzero().flatten().tolist()}


def test_notes_stay_in_the_fiddles_compass_in_the_key_the_tune_is_written_in():
    # G, is G3, the fiddle's lowest note. In D (the default major key) the tune moves up a
    # tone or down a seventh, so after G, the highest note left is g' (A6 in D); in C it
    # stays, and a' (A6) is the highest
    head = "T:Wide\nM:4/4\nK:Cmaj\n"
    assert {"E,", "b'"} <= wide_allowed(head)
    d = wide_allowed(head + "G,8|")
    assert "g'" in d and not {"a'", "b'"} & d
    c = wide_allowed(head + "G,8|", Header(key=parse_key("C")))
    assert "a'" in c and "b'" not in c
    assert "E," not in wide_allowed(head + "c8|b'8|") and "c" in wide_allowed(head + "c8|b'8|")


def test_a_prime_is_never_refused_for_its_range():
    st = TuneState(VW, primed=4)  # E, 8 | b': wider than the compass in any octave
    for t in WIDE.tokens("T:Wide\nM:4/4\nK:Cmaj\nE,8|b'"):
        assert st.allowed()[VW.index[t]], t
        st.advance(t)
    st.advance("8")
    st.advance("|")
    after = {VW.vocab[i] for i in st.allowed().nonzero().flatten().tolist()}
    assert st.primed == 0 and {"E,", "b'"} <= after  # the rule is off: the checker tells


def test_the_range_rule_hears_accidentals_key_signatures_and_chords():
    head = "T:Wide\nM:4/4\nK:Cmaj\n"
    c = Header(key=parse_key("C"))  # the tune stays in C or moves down an octave
    after_flat = wide_allowed(head + "a'8|_g", c)  # `_g` flattens every G in the bar
    assert "=G," in after_flat and "G," not in after_flat  # G,: G flat 3, below G3
    # in C# (a semitone up), after G, the highest note left is G#6: a' is refused in
    # major, but in minor it sounds A flat, a semitone lower
    assert "a'" not in wide_allowed(head + "G,8|", Header(key=parse_key("C#")))
    minor = wide_allowed("T:Wide\nM:4/4\nK:Cmin\nG,8|", Header(key=parse_key("C#m")))
    assert "a'" in minor and "b'" not in minor
    chord = wide_allowed(head, then=["[", "G,"])  # in D: a chord's notes are held too
    assert "g'" in chord and "a'" not in chord


def test_no_length_abc2midi_refuses():
    # abc2midi: "3 b is not a power of 2", an error; the corpus has a few such lengths
    assert "/3" in WIDE.vocab and "/3" not in {VW.vocab[i] for _, i in VW.lengths}
