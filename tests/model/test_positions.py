"""Position inputs (`model.positions`): the features, and the same numbers at training and
generation."""
import numpy as np
import torch

from folkrnn.model.config import ModelConfig
from folkrnn.model.lstm import FolkLSTM
from folkrnn.model.positions import (
    ALL_FEATURES,
    FEATURES,
    Inputs,
    Positions,
    feature_names,
    features,
    in_last_bar,
)
from folkrnn.tokenize import BOS, EOS, FolkrnnTokenizer
from folkrnn.train.batches import collate, encode

JIG = "T:Jig\nM:6/8\nK:Cmaj\nG|cdedcB|cded2G|cdedcB|AGFG2G|cdedcB|cded2G|ABcdBG|c3c2::G|" \
      "e2ed2c|B2Bc2A|e2ed2c|BAGG2G|e2ed2c|B2Bc2A|GABcdB|1c3c2:|2c3c3|]\n"
TOK = FolkrnnTokenizer.build([JIG])
COL = {name: k for k, name in enumerate(FEATURES)}


def rows(text: str) -> tuple[list[str], np.ndarray]:
    toks = [BOS, *TOK.tokens(text), EOS]
    return toks, features(toks, TOK.index)


def test_the_header_has_no_position_and_the_body_starts_at_bar_one_beat_one():
    toks, f = rows(JIG)
    k = toks.index("K:Cmaj")
    assert (f[:k, :3] == 0).all() and (f[:k, 3:] == len(TOK.vocab)).all()
    assert tuple(f[k, :3]) == (1, 1, 1)  # bar 0 of part 0, beat 0, stored +1


def test_bars_parts_and_beats_are_counted_as_measure_counts_them():
    toks, f = rows(JIG)
    bar, part, beat = f[:, COL["bar"]] - 1, f[:, COL["part"]] - 1, f[:, COL["beat"]] - 1
    first = toks.index("|")  # the pickup G closes: not a bar
    assert (bar[first], part[first]) == (0, 0)
    assert beat[first + 1] == 4  # after the `c` that follows: one quaver = four 32nds
    cadence = toks.index("::")
    assert (bar[cadence], part[cadence]) == (0, 1)  # eight bars, then the B part
    assert bar[cadence - 1] == 7
    second = toks.index(":|2")
    assert bar[second] == bar[toks.index("|1")]  # the second ending counts as the first


def test_the_copies_are_the_tokens_four_and_eight_bars_back():
    toks, f = rows(JIG)
    bars_at = [i for i, t in enumerate(toks) if t == "|"]
    fifth = bars_at[4]  # after bar 4 closes (the pickup's bar line is bars_at[0])
    # the first token of bar 5 copies bar 1's first token, `c`
    assert TOK.vocab[f[fifth, COL["copy4"]]] == "c"
    assert f[fifth, COL["copy8"]] == len(TOK.vocab)  # no bar eight back yet


def test_generation_sees_the_same_features_as_training():
    toks, f = rows(JIG)
    inputs = Inputs(_model(), TOK.index, BOS, 1)
    got = [inputs.tensor()[0, 1:].tolist()]
    for t in toks[1:]:
        inputs.take(0, t)
        got.append(inputs.tensor()[0, 1:].tolist())
    assert np.array_equal(np.array(got), f)


def _model(positions: bool = True) -> FolkLSTM:
    torch.manual_seed(0)
    model = FolkLSTM(ModelConfig(len(TOK.vocab), 1, 16, 8, 0.0, positions)).eval()
    for table in model.where or ():
        torch.nn.init.normal_(table.weight)  # not zero, so positions change the logits
    return model


def test_a_model_with_positions_steps_as_it_scores_whole_tunes():
    model = _model()
    ids, _, _ = collate([encode(TOK, JIG, positions=len(FEATURES))], TOK.eos_id)  # [1, T, 6]
    whole, _, _ = model(ids)
    state, steps = None, []
    for t in range(ids.shape[1]):
        logits, state = model.step(ids[:, t], state)
        steps.append(logits)
    assert torch.allclose(whole[0], torch.stack(steps, 1)[0], atol=1e-5)
    plain = _model(positions=False)
    assert ids.shape[-1] == 1 + len(FEATURES) and plain(ids[..., 0])[0].shape == whole.shape


def test_a_copied_stream_moves_on_alone():
    p = Positions(TOK.index)
    for t in TOK.tokens("T:x\nM:6/8\nK:Cmaj\ncde|"):
        p.advance(t)
    q = p.copy()
    q.advance("c")
    assert p.values() != q.values() and len(p.cur) == 0 and len(q.cur) == 1


FORMS = FolkrnnTokenizer.build([JIG] * 10, forms=True)  # `F:AABB8` is in its vocabulary


def test_the_plan_says_what_the_form_token_says_of_the_part_being_written():
    toks = [BOS, *FORMS.tokens(JIG), EOS]
    assert "F:AABB8" in toks
    plan = features(toks, FORMS.index, len(ALL_FEATURES))[:, ALL_FEATURES.index("plan")]
    k = toks.index("K:Cmaj")
    assert (plan[:k] == 0).all()

    def code(left, last):  # 8-bar parts, each played twice
        return 1 + 4 * left + 2 + last
    first = toks.index("|")  # the pickup is not a bar: eight left
    assert plan[k] == plan[first] == code(8, 0)
    cadence = toks.index("::")
    assert plan[cadence - 1] == code(1, 0)  # in the A part's last bar
    assert plan[cadence] == code(8, 1)  # the B part, the last
    assert plan[toks.index(":|2")] == plan[toks.index("|1")] == code(1, 1)
    free = [BOS, *TOK.tokens(JIG), EOS]  # no form token: no plan
    assert not features(free, TOK.index, len(ALL_FEATURES))[:, -1].any()


def test_the_last_bar_of_each_part_is_where_the_plan_says_one_bar_is_left():
    toks = [BOS, *FORMS.tokens(JIG), EOS]
    plan = features(toks, FORMS.index, len(ALL_FEATURES))[:, ALL_FEATURES.index("plan")]
    last = in_last_bar(plan)  # row t: the input of the token after toks[t]
    cadence, first_ending = toks.index("::"), toks.index("|1")
    a_bar8 = max(i for i in range(cadence) if toks[i] == "|")  # the bar line before bar 8
    # the A part's eighth bar (from its bar line's row to the row before `::`) and the
    # B part's, both its endings (`|1` to the row before `|]`), flagged; nothing else
    flagged = [i for i in range(len(toks)) if last[i]]
    assert flagged == [*range(a_bar8, cadence), *range(first_ending, toks.index("|]"))]
    assert not in_last_bar(0) and in_last_bar(1 + 4 * 1 + 2) and not in_last_bar(1 + 4 * 2)


def test_a_model_with_a_plan_takes_six_features_and_one_without_five():
    planned = FolkLSTM(ModelConfig(len(FORMS.vocab), 1, 16, 8, 0.0, positions=True, plan=True))
    assert feature_names(planned.cfg) == ALL_FEATURES and len(planned.where) == 6
    assert feature_names(_model().cfg) == FEATURES
    assert ModelConfig.from_dict(planned.cfg.to_dict()) == planned.cfg
    assert "plan" not in _model().cfg.to_dict()
    inputs = Inputs(planned, FORMS.index, BOS, 2)
    assert inputs.tensor().shape == (2, 7)


def test_a_zero_length_an_unconstrained_stream_writes_is_counted_as_none():
    # the vocabulary holds `0` (no corpus tune has it); `--no-constrain` may write it, and the
    # positions (and the constraint state) must go on rather than stop the whole batch
    from folkrnn.model.positions import length_ticks

    assert length_ticks("0") == 0 and length_ticks("2") == 2 * length_ticks("")
    p = Positions(TOK.index)
    for tok in [BOS, *TOK.tokens(JIG)[:12], "0", "|"]:
        p.advance(tok)
    assert p.values()[0] >= 1
