"""Warm start (`train.warm`): a model with new tokens and positions starts as the old one."""
from types import SimpleNamespace

import pytest
import torch

from folkrnn.errors import CheckpointError
from folkrnn.model.config import ModelConfig
from folkrnn.model.lstm import FolkLSTM
from folkrnn.tokenize import FolkrnnTokenizer
from folkrnn.train.batches import collate, encode
from folkrnn.train.warm import warm_start

TUNES = ["T:A\nM:6/8\nK:Cmaj\n|:GAB c2d|e2d c2A|GAB c2d|e2d c3:|\n",
         "T:B\nM:4/4\nK:Cmaj\ncBAG FGAB|c2e2 d2c2|cBAG FGAB|c8||\n"]


def test_the_new_model_scores_old_tokens_as_the_old_one_did():
    old_tok = FolkrnnTokenizer.build(TUNES)
    new_tok = FolkrnnTokenizer.build(TUNES, forms=True)
    assert set(old_tok.vocab) < set(new_tok.vocab)  # F:free at least
    torch.manual_seed(1)
    old = FolkLSTM(ModelConfig(len(old_tok.vocab), 2, 24, 8, 0.0)).eval()
    new = FolkLSTM(ModelConfig(len(new_tok.vocab), 2, 24, 8, 0.0, positions=True)).eval()
    stats = warm_start(new, new_tok, SimpleNamespace(model=old, tokenizer=old_tok, path="old"))
    assert stats["tokens"] == len(old_tok.vocab) and stats["new_tokens"] >= 1
    text = TUNES[0]
    old_logits = old(collate([encode(old_tok, text)], 0)[0])[0][0]
    # without the form token both read the same tokens; positions start at zero
    plain = FolkrnnTokenizer(new_tok.vocab)
    ids = [new_tok.index[old_tok.vocab[i]] for i in old_tok.encode(text)]
    ids = ids[:-1]  # the inputs, as collate gives them
    rows = torch.tensor([ids])
    from folkrnn.model.positions import features

    where = torch.from_numpy(features([plain.vocab[i] for i in ids], plain.index))
    new_logits = new(torch.cat([rows[..., None], where[None]], -1))[0][0]
    same = [new_tok.index[t] for t in old_tok.vocab]
    assert torch.allclose(new_logits[:, same], old_logits, atol=1e-5)


def test_a_model_of_another_shape_is_refused():
    tok = FolkrnnTokenizer.build(TUNES)
    old = FolkLSTM(ModelConfig(len(tok.vocab), 1, 16, 8, 0.0))
    new = FolkLSTM(ModelConfig(len(tok.vocab), 1, 24, 8, 0.0))
    with pytest.raises(CheckpointError, match="cannot warm-start"):
        warm_start(new, tok, SimpleNamespace(model=old, tokenizer=tok, path="old"))


def test_the_copy_tables_of_a_model_with_positions_move_with_their_tokens():
    small, big = FolkrnnTokenizer.build(TUNES[:1]), FolkrnnTokenizer.build(TUNES, forms=True)
    torch.manual_seed(2)
    old = FolkLSTM(ModelConfig(len(small.vocab), 1, 16, 8, 0.0, positions=True))
    for table in old.where:
        torch.nn.init.normal_(table.weight)
    new = FolkLSTM(ModelConfig(len(big.vocab), 1, 16, 8, 0.0, positions=True))
    warm_start(new, big, SimpleNamespace(model=old, tokenizer=small, path="old"))
    for tok in ("G", "|:", "K:Cmaj"):
        assert torch.equal(new.where[3].weight[big.index[tok]], old.where[3].weight[small.index[tok]])
    assert torch.equal(new.where[4].weight[-1], old.where[4].weight[-1])  # `none`
    assert torch.equal(new.where[0].weight, old.where[0].weight)  # bar: the same shape


def test_the_plan_table_learns_at_plan_lr_times_the_rate_through_the_decay():
    from folkrnn.model.config import TrainConfig
    from folkrnn.train.setup import make_optimizer

    model = FolkLSTM(ModelConfig(20, 1, 16, 8, 0.0, positions=True, plan=True))
    opt = make_optimizer(TrainConfig(lr=1e-3, plan_lr=20.0), model)
    rates = {id(p): g["lr"] for g in opt.param_groups for p in g["params"]}
    assert rates[id(model.where[5].weight)] == 2e-2 and rates[id(model.embed.weight)] == 1e-3
    assert sum(len(g["params"]) for g in opt.param_groups) == len(list(model.parameters()))
    plain = make_optimizer(TrainConfig(lr=1e-3), model)  # plan_lr 1: one group, as before
    assert len(plain.param_groups) == 1 and "plan_lr" not in TrainConfig().to_dict()
