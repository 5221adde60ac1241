import argparse
import json
import math

import numpy as np
import pytest
import torch

from folkrnn.cli import train as cli_model
from folkrnn.model.checkpoint import save_checkpoint
from folkrnn.model.config import ModelConfig
from folkrnn.model.lstm import FolkLSTM
from folkrnn.tokenize import CharTokenizer, build_tokenizer
from folkrnn.train.evaluation import (
    KneserNey,
    evaluate,
    model_scores,
    ngram_scores,
    scores,
    search_order,
    until_no_gain,
)
from tests._toys import TUNES, toy_corpus

S, E, A, B = 0, 1, 2, 3  # <s>, </s>, a, b


def test_scores_by_hand():
    s = scores(nats=20.0, tokens=10, chars=8, tunes=2)
    assert s.nll == 2.0 and s.perplexity == pytest.approx(math.exp(2.0))
    assert s.bpc == pytest.approx(20.0 / math.log(2) / 8)


def _constant_model(tok, logits=None):
    """A model whose output ignores its input: the head's bias alone."""
    m = FolkLSTM(ModelConfig(len(tok.vocab), layers=1, hidden=4, embed=0, dropout=0.0))
    with torch.no_grad():
        for p in m.parameters():
            p.zero_()
        if logits is not None:
            m.head.bias.copy_(logits)
    return m.eval()


def test_uniform_model_scores_log_vocab():
    tok = CharTokenizer.build(TUNES)
    texts = TUNES[:3]
    s = model_scores(_constant_model(tok), tok, texts)
    V = len(tok.vocab)
    assert s.tokens == s.chars == sum(len(t) + 1 for t in texts) and s.tunes == 3
    assert s.nll == pytest.approx(math.log(V)) and s.perplexity == pytest.approx(V)
    assert s.bpc == pytest.approx(math.log2(V))  # char tokens: one per character


def test_unigram_model_scores_by_hand():
    tok = CharTokenizer.build(["ab"])  # vocab: </s> <s> a b
    p = torch.tensor([0.5, 0.1, 0.25, 0.15])
    s = model_scores(_constant_model(tok, p.log()), tok, ["ab", "b"])
    # targets: a b </s> | b </s>
    nats = -(math.log(0.25) + 2 * math.log(0.15) + 2 * math.log(0.5))
    assert tok.vocab == ["</s>", "<s>", "a", "b"]
    assert s.tokens == 5 and s.chars == 5
    assert s.nll == pytest.approx(nats / 5, rel=1e-6)
    assert s.bpc == pytest.approx(nats / math.log(2) / 5, rel=1e-6)


def test_folkrnn_tokens_are_scored_per_character():
    texts = ["T:Air\nM:3/4\nK:Cmaj\n|:E2G2c2|d4c2|B2G2E2|C6:|",
             "T:Jig\nM:6/8\nK:Cdor\n|:CEG cGE|FAc BGE:|".replace(" ", "")]
    tok = build_tokenizer("folkrnn", texts)
    s = model_scores(_constant_model(tok), tok, texts)
    V, tokens = len(tok.vocab), sum(len(tok.encode(t)) - 1 for t in texts)
    assert s.tokens == tokens < s.chars == sum(len(t) + 1 for t in texts)
    assert s.bpc == pytest.approx(tokens * math.log(V) / math.log(2) / s.chars)


def test_tunes_with_unknown_tokens_are_left_out():
    tok = CharTokenizer.build(["ab"])
    s = model_scores(_constant_model(tok), tok, ["ab", "abz"])
    assert s.tunes == 1 and s.tokens == 3


TRAIN = [[S, A, B, A, E], [S, A, A, B, E]]


def test_kneser_ney_by_hand():
    lm = KneserNey(4, S, max_order=3, discount=0.5).fit(TRAIN)
    win = lm.windows([[S, A, B, E]])
    assert win.tolist() == [[S, S, A], [S, A, B], [A, B, E]]
    p = lm.probs(win, [2, 3])
    # continuation unigram: N1+(.w) a=3 b=1 </s>=2 over 6 bigram types, 3 word types
    p1_b = (1 - 0.5) / 6 + 0.5 * 3 / 6 / 4
    # bigram continuation counts after a: (a b)=2 (a </s>)=1 (a a)=1
    p2_b = (2 - 0.5) / 4 + 0.5 * 3 / 4 * p1_b
    # raw trigram counts after (<s> a): (<s> a b)=1 (<s> a a)=1
    p3_b = (1 - 0.5) / 2 + 0.5 * 2 / 2 * p2_b
    assert p3_b == 0.46484375
    assert p[3][1] == pytest.approx(p3_b) and p[2][1] == pytest.approx(p2_b)
    # unseen history (b b): the lower order alone
    p1_e = (2 - 0.5) / 6 + 0.5 * 3 / 6 / 4
    p2_e = (1 - 0.5) / 2 + 0.5 * 2 / 2 * p1_e  # after b: (b a)=1 (b </s>)=1
    q = lm.probs(np.array([[B, B, E]]), [3])[3]
    assert q[0] == pytest.approx(p2_e)


@pytest.mark.parametrize("history", [[S, A], [A, B], [B, B], [E, E]])
def test_kneser_ney_sums_to_one(history):
    lm = KneserNey(4, S, max_order=3).fit(TRAIN)
    win = np.array([history + [w] for w in range(4)])
    for order, p in lm.probs(win, [2, 3]).items():
        assert p.sum() == pytest.approx(1.0), order


def test_ngram_baseline_picks_an_order_on_valid():
    rng = np.random.default_rng(0)
    # a deterministic cycle a b a b ...: higher orders help
    seqs = [[S] + [A + (i % 2) for i in range(int(n))] + [E] for n in rng.integers(5, 30, 40)]
    out = ngram_scores(seqs[:30], seqs[30:35], seqs[35:], test_chars=100, vocab_size=4,
                       bos_id=S, orders=range(3, 6))
    assert out["order"] in (3, 4, 5) and set(out["valid_nll_by_order"]) == {3, 4, 5}
    assert out["nll"] < 0.3 and out["tunes"] == 5


def test_kneser_ney_past_the_64_bit_packing_sums_to_one():
    # 300 ids take 9 bits: seven of them filled a 64-bit key, so order 10 was out of reach
    rng = np.random.default_rng(0)
    train = [[S] + rng.integers(2, 300, int(n)).tolist() + [E] for n in rng.integers(5, 40, 50)]
    lm = KneserNey(300, S, max_order=10).fit(train)
    seen = lm.windows(train)[100, :-1].tolist()  # a 9-token history from the training tunes
    for history in (seen, [S] * 9, [299] * 9):
        win = np.array([history + [w] for w in range(300)])
        for order, p in lm.probs(win, [2, 6, 10]).items():
            assert p.sum() == pytest.approx(1.0), (history, order)
    # the seen 10-gram, alone in its context: (1 - D) + D * (a lower order's probability)
    p = lm.probs(lm.windows(train)[100:101], [2, 10])
    assert p[10][0] > 1 - lm.raw[10][5] and p[10][0] > p[2][0]


def test_order_search_stops_after_the_first_order_without_gain():
    computed = []

    def nlls():
        for n, nll in [(3, 2.0), (4, 1.8), (5, 1.7), (6, 1.7), (7, 1.5)]:
            computed.append(n)
            yield n, nll

    assert until_no_gain(nlls()) == {3: 2.0, 4: 1.8, 5: 1.7, 6: 1.7}  # a tie is no gain
    assert computed == [3, 4, 5, 6]  # order 7 was never scored
    assert until_no_gain([(3, 2.0), (4, 1.9)]) == {3: 2.0, 4: 1.9}  # still falling at the cap
    assert until_no_gain([(3, 2.0), (4, 2.1)]) == {3: 2.0, 4: 2.1}


def test_order_search_finds_the_order_of_a_markov_chain():
    # each token depends on the two before it: the trigram (order 3) is the true model
    rng = np.random.default_rng(1)
    table = rng.dirichlet(np.ones(3) * 0.3, size=(3, 3))  # P(next | previous two)

    def tune(n):
        x = [A, B]
        for _ in range(n):
            x.append(A + rng.choice(3, p=table[x[-2] - A, x[-1] - A]))
        return [S] + x + [E]

    seqs = [tune(int(n)) for n in rng.integers(20, 40, 300)]
    lm = KneserNey(5, S, max_order=12).fit(seqs[:200])
    by_order = search_order(lm, seqs[200:], range(2, 13))
    assert list(by_order) == [2, 3, 4]
    assert by_order[3] < by_order[2] and by_order[4] >= by_order[3]
    assert sorted(lm.raw) == [1, 2, 3, 4]  # orders 5..12 were never counted
    out = ngram_scores(seqs[:200], seqs[200:250], seqs[250:], test_chars=1000, vocab_size=5,
                       bos_id=S, orders=range(3, 13))
    assert out["order"] == 3 and list(out["valid_nll_by_order"]) == [3, 4]


def test_evaluate_checkpoint_on_corpus_and_cli(tmp_path, capsys):
    corpus = toy_corpus(tmp_path / "corpus")
    tok = CharTokenizer.build(TUNES)
    path = save_checkpoint(tmp_path / "m", _constant_model(tok), tok, corpus_hash="toy-hash")
    r = evaluate(path, corpus, "test", device="cpu")
    V = len(tok.vocab)
    assert r["corpus_hash_matches"] and r["split"] == "test"
    assert r["scores"]["nll"] == pytest.approx(math.log(V))
    assert r["scores"]["chars"] == sum(len(t) + 1 for t in TUNES[8:])
    assert r["ngram"]["order"] in range(3, 9) and r["ngram"]["nll"] < math.log(V)
    parser = argparse.ArgumentParser()
    cli_model.register(parser.add_subparsers())
    args = parser.parse_args(["evaluate", "--model", str(path), "--corpus", str(corpus),
                              "--json", "--device", "cpu"])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["scores"] == r["scores"]
    args = parser.parse_args(["evaluate", "--model", str(path), "--corpus", str(corpus),
                              "--no-ngram", "--device", "cpu"])
    args.func(args)
    assert f"{math.log(V):10.4f}" in capsys.readouterr().out


def test_tunes_differ_counts_changed_added_and_dropped_tunes():
    from folkrnn.train.evaluation import tunes_differ

    old = [{"id": "a", "text": "x", "split": "train"}, {"id": "b", "text": "y", "split": "test"},
           {"id": "c", "text": "z", "split": "train"}]
    new = [{"id": "a", "text": "x", "split": "train"}, {"id": "b", "text": "y!", "split": "test"},
           {"id": "d", "text": "w", "split": "valid"}]
    assert tunes_differ(old, new) == 3  # b changed, c dropped, d added
    assert tunes_differ(old, old) == 0 and tunes_differ([], new) is None
