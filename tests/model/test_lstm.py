import numpy as np
import pytest
import torch
import torch.nn.functional as F

from folkrnn.model.config import PRESETS, ModelConfig, TrainConfig, lr_at, with_overrides
from folkrnn.model.lstm import FolkLSTM
from folkrnn.tokenize import CharTokenizer
from folkrnn.train.batches import collate
from tests._toys import TUNES


def _model(embed=8, layers=2, dropout=0.0, vocab=11, seed=0):
    torch.manual_seed(seed)
    return FolkLSTM(ModelConfig(vocab, layers=layers, hidden=12, embed=embed, dropout=dropout))


@pytest.mark.parametrize("embed", [0, 8])
def test_forward_shapes(embed):
    m = _model(embed)
    ids = torch.randint(0, 11, (3, 7))
    logits, loss, (h, c) = m(ids)
    assert logits.shape == (3, 7, 11) and loss is None
    assert h.shape == c.shape == (2, 3, 12)


def test_one_hot_input_has_no_embedding():
    m = _model(embed=0)
    assert m.embed is None and m.lstm.input_size == 11
    assert _model(embed=8).lstm.input_size == 8


def test_loss_is_mean_cross_entropy_over_unmasked_targets():
    m = _model()
    ids, targets = torch.randint(0, 11, (2, 5)), torch.randint(0, 11, (2, 5))
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    logits, loss, _ = m(ids, targets, mask)
    expected = F.cross_entropy(logits[mask], targets[mask])
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    _, full, _ = m(ids, targets)
    assert full.item() == pytest.approx(F.cross_entropy(logits.reshape(-1, 11),
                                                        targets.reshape(-1)).item(), rel=1e-6)


def test_padding_does_not_change_the_loss():
    m = _model().eval()
    short, long = np.array([1, 4, 2, 3, 0]), np.array([1, 5, 6, 7, 8, 9, 2, 0])
    alone = collate([short], pad_id=0)
    padded = collate([short, long], pad_id=0)
    _, l_alone, _ = m(*alone)
    ids, targets, mask = padded
    _, l_pad, _ = m(ids[:1], targets[:1], mask[:1])
    assert mask[0].tolist() == [True] * 4 + [False] * 3
    assert l_pad.item() == pytest.approx(l_alone.item(), abs=1e-6)


def test_step_matches_forward():
    m = _model(embed=0).eval()
    ids = torch.randint(0, 11, (2, 6))
    logits, _, _ = m(ids)
    state = None
    for t in range(6):
        step_logits, state = m.step(ids[:, t], state)
        torch.testing.assert_close(step_logits, logits[:, t], rtol=1e-5, atol=1e-6)


def test_dropout_follows_every_layer():
    m = FolkLSTM(PRESETS["folkrnn-v2"].model_config(20))
    assert m.lstm.dropout == 0.5 and m.drop.p == 0.5 and m.lstm.num_layers == 3
    x = torch.randint(0, 20, (1, 4))
    m.train()
    assert not torch.equal(m(x)[0], m(x)[0])  # dropout active
    m.eval()
    assert torch.equal(m(x)[0], m(x)[0])


def test_folkrnn_v2_preset_matches_the_paper():
    p = PRESETS["folkrnn-v2"]
    assert (p.layers, p.hidden, p.embed, p.dropout) == (3, 512, 0, 0.5)
    t = p.train
    assert (t.optimizer, t.lr, t.batch_size, t.clip, t.lr_decay, t.decay_after) == \
        ("rmsprop", 0.003, 64, 5.0, 0.97, 20)
    assert sum(x.numel() for x in FolkLSTM(p.model_config(137)).parameters()) == \
        4 * 512 * (137 + 512 + 2) + 2 * 4 * 512 * (512 + 512 + 2) + 137 * 513


def test_lr_decays_after_epoch_20():
    t = PRESETS["folkrnn-v2"].train
    assert [lr_at(t, e) for e in (0, 19)] == [0.003, 0.003]
    assert lr_at(t, 20) == pytest.approx(0.003 * 0.97)
    assert lr_at(t, 29) == pytest.approx(0.003 * 0.97 ** 10)


def test_configs_round_trip_and_override():
    cfg = ModelConfig(50, 3, 64, 0, 0.5)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    assert with_overrides(cfg, {"hidden": 8, "lr": 1.0}).hidden == 8
    assert TrainConfig.from_dict(TrainConfig(seed=3).to_dict()).seed == 3
    with pytest.raises(TypeError):
        ModelConfig.from_dict({"vocab_size": 3, "bogus": 1})


def test_tiny_model_overfits_five_tunes():
    tok = CharTokenizer.build(TUNES[:5])
    seqs = [np.array(tok.encode(t)) for t in TUNES[:5]]
    ids, targets, mask = collate(seqs, tok.eos_id)
    torch.manual_seed(0)
    m = FolkLSTM(ModelConfig(len(tok.vocab), layers=1, hidden=64, embed=16, dropout=0.0))
    opt = torch.optim.Adam(m.parameters(), lr=2e-2)
    for _ in range(150):
        _, loss, _ = m(ids, targets, mask)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.1
    # greedy decoding from "<s>T:R" writes the reel back
    m.eval()
    out = tok.encode("T:R")[:-1]
    logits, _, state = m(torch.tensor([out]))
    logits = logits[:, -1]  # [1, V]
    for _ in range(60):
        nxt = int(logits.argmax())
        if nxt == tok.eos_id:
            break
        out.append(nxt)
        logits, state = m.step(torch.tensor([nxt]), state)
    assert tok.decode(out) == TUNES[1]
