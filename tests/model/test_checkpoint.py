import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from folkrnn.errors import CheckpointError
from folkrnn.model import checkpoint as ck
from folkrnn.model.checkpoint import flatten_optimizer, load_model, save_checkpoint, unflatten_optimizer
from folkrnn.model.config import ModelConfig, TrainConfig
from folkrnn.model.lstm import FolkLSTM
from folkrnn.tokenize import CharTokenizer
from tests._toys import TUNES


@pytest.fixture
def saved(tmp_path):
    tok = CharTokenizer.build(TUNES)
    torch.manual_seed(0)
    model = FolkLSTM(ModelConfig(len(tok.vocab), layers=2, hidden=16, embed=0, dropout=0.2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    ids = torch.tensor([tok.encode(TUNES[0])])
    model(ids[:, :-1], ids[:, 1:])[1].backward()
    opt.step()
    path = save_checkpoint(tmp_path / "ck", model, tok, train_config=TrainConfig(seed=7),
                           corpus_hash="h1", metrics={"valid_loss": 1.5},
                           progress={"epoch": 2}, optimizer=opt)
    return path, model, tok, opt, ids


def test_save_load_gives_identical_logits(saved):
    path, model, tok, _, ids = saved
    ck_ = load_model(path)
    model.eval()
    assert torch.equal(ck_.model(ids)[0], model(ids)[0])
    assert ck_.tokenizer.vocab == tok.vocab and ck_.model_config == model.cfg
    assert ck_.train_config.seed == 7 and ck_.metrics == {"valid_loss": 1.5}
    assert ck_.meta["corpus_hash"] == "h1" and ck_.progress == {"epoch": 2}
    assert ck_.meta["folkrnn_version"] and not ck_.model.training


def test_only_json_and_safetensors_no_pickle(saved):
    path = saved[0]
    assert sorted(p.name for p in path.iterdir()) == [
        "checkpoint.json", "model.safetensors", "train_state.safetensors"]
    meta = json.loads((path / "checkpoint.json").read_text())
    assert meta["tokenizer"]["kind"] == "char"
    assert meta["optimizer"]["param_groups"][0]["lr"] == 1e-3
    assert not list(path.parent.glob(".ck.*"))  # no temp folders left


def test_optimizer_state_round_trip(saved):
    path, model, _, opt, ids = saved
    ck_ = load_model(path, train_state=True)
    opt2 = torch.optim.Adam(ck_.model.parameters(), lr=1e-3)
    opt2.load_state_dict(ck_.optimizer_state())
    for m, o in ((model, opt), (ck_.model, opt2)):
        m.train()
        torch.manual_seed(1)
        o.zero_grad()
        m(ids[:, :-1], ids[:, 1:])[1].backward()
        o.step()
    for a, b in zip(model.parameters(), ck_.model.parameters()):
        assert torch.equal(a, b)


def test_flatten_optimizer_splits_tensors_and_scalars():
    sd = {"state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.ones(2), "n": 5}},
          "param_groups": [{"lr": 0.1, "params": [0]}]}
    tensors, js = flatten_optimizer(sd)
    assert set(tensors) == {"optim.0.step", "optim.0.exp_avg"}
    assert js["scalars"] == {"0": {"n": 5}}
    back = unflatten_optimizer(tensors, json.loads(json.dumps(js)))
    assert back["state"][0]["n"] == 5 and torch.equal(back["state"][0]["exp_avg"], torch.ones(2))


def test_resave_replaces_atomically(saved):
    path, model, tok, _, _ = saved
    save_checkpoint(path, model, tok, metrics={"valid_loss": 1.0})
    assert load_model(path).metrics == {"valid_loss": 1.0}
    assert sorted(p.name for p in path.parent.iterdir()) == ["ck"]


def test_kill_between_renames_falls_back_to_old(saved):
    path = saved[0]
    path.rename(path.with_name("ck.old"))
    assert load_model(path).metrics == {"valid_loss": 1.5}


def test_no_bundled_model_says_to_train(tmp_path, monkeypatch):
    monkeypatch.setattr(ck, "DEFAULT_MODEL_DIR", tmp_path / "none")
    with pytest.raises(CheckpointError, match="train one with `folkrnn train` or pass --model"):
        load_model()


def test_bundled_default_is_loaded_without_a_path(saved, monkeypatch):
    monkeypatch.setattr(ck, "DEFAULT_MODEL_DIR", saved[0])
    assert load_model().path == saved[0]


def _truncate(path, name):
    data = (path / name).read_bytes()
    (path / name).write_bytes(data[: len(data) // 2])


def _flip_byte(path, name):
    data = bytearray((path / name).read_bytes())
    data[-3] ^= 0xFF
    (path / name).write_bytes(bytes(data))


def _edit_meta(fn):
    def edit(path, _):
        meta = json.loads((path / "checkpoint.json").read_text())
        fn(meta)
        (path / "checkpoint.json").write_text(json.dumps(meta))
    return edit


def _drop_weight(path, _):
    weights = load_file(str(path / "model.safetensors"))
    del weights["head.bias"]
    save_file(weights, str(path / "model.safetensors"))
    _edit_meta(lambda m: m["files"].update({"model.safetensors": ck._sha256(
        path / "model.safetensors")}))(path, None)


CORRUPTIONS = [
    ("truncated weights", lambda p, _: _truncate(p, "model.safetensors"), "truncated or corrupt"),
    ("flipped byte", lambda p, _: _flip_byte(p, "model.safetensors"), "truncated or corrupt"),
    ("truncated json", lambda p, _: _truncate(p, "checkpoint.json"), "truncated or corrupt"),
    ("no json", lambda p, _: (p / "checkpoint.json").unlink(), "is missing"),
    ("no weights", lambda p, _: (p / "model.safetensors").unlink(), "is missing"),
    ("vocab vs config", _edit_meta(lambda m: m["tokenizer"]["vocab"].pop()), "tokens but"),
    ("vocab vs weights", _edit_meta(lambda m: (m["tokenizer"]["vocab"].append("\x01"),
                                               m["model_config"].update(vocab_size=len(
                                                   m["tokenizer"]["vocab"])))), "vocab"),
    ("hidden vs weights", _edit_meta(lambda m: m["model_config"].update(hidden=8)), "needs"),
    ("missing key", _drop_weight, "missing \\['head.bias'\\]"),
    ("unknown field", _edit_meta(lambda m: m["model_config"].update(bogus=1)), "config"),
    ("newer format", _edit_meta(lambda m: m.update(format_version=99)), "upgrade folkrnn"),
    ("not ours", _edit_meta(lambda m: m.update(format="other")), "not a folkrnn checkpoint"),
]


@pytest.mark.parametrize("name,damage,message", CORRUPTIONS, ids=[c[0] for c in CORRUPTIONS])
def test_damaged_checkpoints_raise_one_sentence(saved, name, damage, message):
    path = saved[0]
    damage(path, name)
    with pytest.raises(CheckpointError, match=message) as err:
        load_model(path, train_state=True)
    text = str(err.value)
    assert "\n" not in text and any(w in text for w in ("retrain", "pass", "upgrade"))


def test_missing_folder(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_model(tmp_path / "nope")


def test_truncated_train_state(saved):
    path = saved[0]
    _truncate(path, "train_state.safetensors")
    assert load_model(path).model is not None  # generation does not need it
    with pytest.raises(CheckpointError, match="train_state.safetensors is truncated"):
        load_model(path, train_state=True)
