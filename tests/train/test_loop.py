import argparse
import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from folkrnn.cli import train as cli_model
from folkrnn.errors import CheckpointError, FolkrnnError
from folkrnn.model.checkpoint import load_model
from folkrnn.train import loop as T
from folkrnn.train.batches import collate, epoch_batches, rank_share
from folkrnn.train.loop import train
from tests._toys import TUNES, toy_corpus, write_corpus

SMALL = {"layers": 2, "hidden": 16, "embed": 8, "dropout": 0.2, "batch_size": 2, "bucket": 2}
ROOT = Path(__file__).resolve().parents[2]


def _train(out, corpus, **kw):
    kw.setdefault("overrides", SMALL)
    return train(out, preset="tiny", corpus_dir=corpus, quiet=True, **kw)


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


# ------------------------------------------------------------- batching

def test_epoch_batches_cover_every_tune_once_and_depend_on_seed_and_epoch():
    lengths = [5, 30, 8, 12, 40, 7, 9, 22, 3, 16]
    b = epoch_batches(lengths, 3, seed=1, epoch=0, bucket=2)
    assert sorted(i for batch in b for i in batch) == list(range(10))
    assert b == epoch_batches(lengths, 3, seed=1, epoch=0, bucket=2)
    assert b != epoch_batches(lengths, 3, seed=1, epoch=1, bucket=2)
    assert [len(x) for x in sorted(b, key=len)] == [1, 3, 3, 3]
    # one bucket of everything: each batch is a run of the length-sorted tunes
    one = epoch_batches(lengths, 3, seed=1, epoch=0, bucket=10)
    by_len = sorted(range(10), key=lambda i: lengths[i])
    assert sorted(one) == sorted([by_len[0:3], by_len[3:6], by_len[6:9], by_len[9:]])


def test_rank_share_is_disjoint_and_even():
    batches = [[i] for i in range(7)]
    shares = [rank_share(batches, r, 3) for r in range(3)]
    assert shares == [[[0], [3]], [[1], [4]], [[2], [5]]]


def test_collate_pads_with_the_pad_id_and_masks_it():
    ids, targets, mask = collate([np.array([0, 5, 6, 1]), np.array([0, 7, 1])], pad_id=1)
    assert ids.tolist() == [[0, 5, 6], [0, 7, 1]]
    assert targets.tolist() == [[5, 6, 1], [7, 1, 1]]
    assert mask.tolist() == [[True, True, True], [True, True, False]]


# ------------------------------------------------------------- training

def test_training_learns_and_writes_its_outputs(tmp_path):
    corpus = toy_corpus(tmp_path / "corpus")
    s = _train(tmp_path / "run", corpus, epochs=6, overrides={**SMALL, "lr": 0.03})
    hist = _lines(tmp_path / "run" / "metrics.jsonl")
    assert s["stopped"] == "epochs" and s["epochs"] == 6 and s["step"] == 18
    assert [h["epoch"] for h in hist] == [0, 1, 2, 3, 4, 5]
    assert hist[-1]["train_loss"] < hist[0]["train_loss"] - 0.5
    assert hist[-1]["valid_loss"] < hist[0]["valid_loss"]
    assert s["best_valid_loss"] == min(h["valid_loss"] for h in hist)
    assert (tmp_path / "run" / "loss.png").read_bytes()[:4] == b"\x89PNG"
    best = load_model(tmp_path / "run" / "best")
    assert best.metrics["valid_loss"] == s["best_valid_loss"]
    assert best.meta["corpus_hash"] == "toy-hash" and best.meta["preset"] == "tiny"
    assert not (tmp_path / "run" / "best" / "train_state.safetensors").exists()
    last = load_model(tmp_path / "run" / "last", train_state=True)
    assert last.progress["epoch"] == 6 and last.progress["batch"] == 0


@pytest.mark.parametrize("kill_at", [4, 6])  # mid-epoch, and at an epoch end
def test_resume_after_a_kill_equals_an_uninterrupted_run(tmp_path, kill_at):
    corpus = toy_corpus(tmp_path / "corpus")
    full = _train(tmp_path / "full", corpus, epochs=3)
    killed = _train(tmp_path / "cut", corpus, epochs=3, checkpoint_minutes=0,
                    stop_after_steps=kill_at)
    assert killed["stopped"] == "killed"
    assert load_model(tmp_path / "cut" / "last").progress["step"] == kill_at
    resumed = _train(tmp_path / "cut", corpus, epochs=3, resume=True)
    assert resumed["step"] == full["step"] == 9
    for name in ("model.safetensors", "train_state.safetensors"):
        a = load_file(str(tmp_path / "full" / "last" / name))
        b = load_file(str(tmp_path / "cut" / "last" / name))
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a if not k.startswith("rng.")), name
    def valid(run):
        return [h["valid_loss"] for h in _lines(tmp_path / run / "metrics.jsonl")]

    assert valid("full") == valid("cut")


def test_folkrnn_v2_lr_decay_is_applied(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", TUNES[:2], TUNES[2:3])
    small = {"layers": 1, "hidden": 8, "batch_size": 2}  # the v2 schedule, a small net
    s = train(tmp_path / "run", preset="folkrnn-v2", corpus_dir=corpus, epochs=23, quiet=True,
              overrides=small)
    lrs = [h["lr"] for h in _lines(tmp_path / "run" / "metrics.jsonl")]
    assert lrs[:20] == [0.003] * 20
    assert lrs[20:] == pytest.approx([0.003 * 0.97, 0.003 * 0.97 ** 2, 0.003 * 0.97 ** 3])
    last = load_model(tmp_path / "run" / "last", train_state=True)
    group = last.optimizer_state()["param_groups"][0]
    assert group["lr"] == pytest.approx(0.003 * 0.97 ** 3)  # what RMSprop stepped with
    assert (group["alpha"], group["eps"]) == (0.9, 1e-6) and last.model_config.embed == 0
    assert s["epochs"] == 23


def test_early_stopping_on_valid_loss(tmp_path):
    corpus = toy_corpus(tmp_path / "corpus")
    s = _train(tmp_path / "run", corpus, epochs=10, overrides={**SMALL, "lr": 0.0, "patience": 2})
    assert s["stopped"] == "early stop" and s["epochs"] == 3 and s["best_epoch"] == 0


def test_time_budget_stops_with_a_checkpoint(tmp_path):
    corpus = toy_corpus(tmp_path / "corpus")
    s = _train(tmp_path / "run", corpus, epochs=5, max_minutes=1e-9)
    assert s["stopped"] == "time" and s["step"] == 1
    assert load_model(tmp_path / "run" / "last").progress["batch"] == 1


def test_trains_on_folkrnn_tokens(tmp_path):
    tunes = [t.replace(" ", "") for t in TUNES]
    corpus = write_corpus(tmp_path / "corpus", tunes[:6], tunes[6:8])
    s = _train(tmp_path / "run", corpus, epochs=1, tokenizer="folkrnn")
    best = load_model(tmp_path / "run" / "best")
    assert best.tokenizer.kind == "folkrnn" and "M:6/8" in best.tokenizer.vocab
    assert s["step"] == 3 and math.isfinite(s["best_valid_loss"])


def test_ctrl_c_stops_after_the_batch_with_a_checkpoint(tmp_path, monkeypatch):
    corpus = toy_corpus(tmp_path / "corpus")
    real_step, steps = T._train_step, []

    def step(run, batch):
        steps.append(1)
        if len(steps) == 2:
            signal.raise_signal(signal.SIGINT)  # arrives in the middle of the batch
        return real_step(run, batch)

    monkeypatch.setattr(T, "_train_step", step)
    before = signal.getsignal(signal.SIGINT)
    s = _train(tmp_path / "run", corpus, epochs=3)
    assert s["stopped"] == "interrupted" and s["step"] == 2
    assert load_model(tmp_path / "run" / "last").progress["batch"] == 2
    assert signal.getsignal(signal.SIGINT) is before  # restored


def test_existing_run_needs_resume_and_the_same_corpus(tmp_path):
    corpus = toy_corpus(tmp_path / "corpus")
    _train(tmp_path / "run", corpus, epochs=1)
    with pytest.raises(FolkrnnError, match="pass --resume"):
        _train(tmp_path / "run", corpus, epochs=2)
    other = write_corpus(tmp_path / "other", TUNES[:6], TUNES[6:8], content_hash="changed")
    with pytest.raises(CheckpointError, match="corpus changed"):
        _train(tmp_path / "run", other, epochs=2, resume=True)


def test_a_newer_training_setting_loads_for_generation_but_does_not_resume(tmp_path):
    corpus = toy_corpus(tmp_path / "corpus")
    _train(tmp_path / "run", corpus, epochs=1)
    meta_path = tmp_path / "run" / "last" / "checkpoint.json"
    meta = json.loads(meta_path.read_text())
    meta["train_config"]["a_later_setting"] = 2  # as a newer folkrnn might write
    meta_path.write_text(json.dumps(meta))
    ck = load_model(tmp_path / "run" / "last")
    assert ck.model is not None and ck.train_config.seed == meta["train_config"]["seed"]
    with pytest.raises(CheckpointError, match="settings this folkrnn does not know.*a_later_setting"):
        _train(tmp_path / "run", corpus, epochs=2, resume=True)


def test_unknown_preset_and_missing_corpus(tmp_path):
    corpus = toy_corpus(tmp_path / "corpus")
    with pytest.raises(FolkrnnError, match="unknown preset"):
        train(tmp_path / "a", preset="huge", corpus_dir=corpus)
    with pytest.raises(FolkrnnError, match="no prepared corpus at"):
        train(tmp_path / "a", corpus_dir=tmp_path / "nothing")


def test_cli_train_maps_flags(tmp_path, capsys, monkeypatch):
    calls = []
    monkeypatch.setattr("folkrnn.train.loop.train", lambda out, **kw: calls.append((out, kw)) or
                        {"best_valid_loss": 1.25, "stopped": "epochs", "epochs": 3,
                         "best_epoch": 2, "out": out})
    parser = argparse.ArgumentParser()
    cli_model.register(parser.add_subparsers())
    args = parser.parse_args(["train", "--preset", "folkrnn-v2", "--out", "r", "--epochs", "3",
                              "--max-minutes", "60", "--resume", "--seed", "4",
                              "--set", "close_weight=2"])
    assert args.func(args) == 0
    out, kw = calls[0]
    assert out == "r" and kw["preset"] == "folkrnn-v2" and kw["tokenizer"] == "folkrnn"
    assert (kw["epochs"], kw["max_minutes"], kw["resume"], kw["seed"]) == (3, 60.0, True, 4)
    assert kw["overrides"] == {"close_weight": 2.0}
    assert "best valid loss 1.2500" in capsys.readouterr().out


# ------------------------------------------------------------------ DDP

DDP_SCRIPT = """
import sys, torch
torch.set_num_threads(1)
from folkrnn.train import loop as T
orig = T._fit
def fit(run, clock):  # report this rank's weights before the group goes away
    s = orig(run, clock)
    print("RANK", run.rank, run.world, sum(float(p.sum()) for p in run.model.parameters()))
    return s
T._fit = fit
T.train(sys.argv[1], preset="tiny", corpus_dir=sys.argv[2], epochs=2, quiet=True,
      overrides={"hidden": 16, "batch_size": 2, "bucket": 1})
"""


def test_ddp_two_cpu_processes(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", TUNES[:8], TUNES[8:])
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(script), str(tmp_path / "run"), str(corpus)],
        env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ranks = sorted(line.split() for line in proc.stdout.splitlines() if line.startswith("RANK"))
    assert [r[:3] for r in ranks] == [["RANK", "0", "2"], ["RANK", "1", "2"]]
    assert ranks[0][3] == ranks[1][3]  # gradients were averaged: identical weights
    last = load_model(tmp_path / "run" / "last")
    assert last.progress["step"] == 4  # 4 batches an epoch, 2 per rank, 2 epochs
    assert len(_lines(tmp_path / "run" / "metrics.jsonl")) == 2


def test_a_model_with_form_tokens_and_positions_trains_resumes_loads_and_generates(tmp_path):
    from folkrnn.generate import generate
    from folkrnn.model.config import PRESETS, Preset

    corpus = toy_corpus(tmp_path / "corpus")
    PRESETS["tiny-form"] = Preset(1, 16, 8, 0.0, PRESETS["tiny"].train, forms=True, positions=True)
    try:
        cut = train(tmp_path / "run", preset="tiny-form", tokenizer="folkrnn", corpus_dir=corpus,
                    quiet=True, epochs=2, checkpoint_minutes=0, stop_after_steps=2)
        assert cut["stopped"] == "killed"
        s = train(tmp_path / "run", preset="tiny-form", tokenizer="folkrnn", corpus_dir=corpus,
                  quiet=True, epochs=2, resume=True)
    finally:
        del PRESETS["tiny-form"]
    assert s["epochs"] == 2
    ck = load_model(tmp_path / "run" / "best")
    assert ck.model_config.positions and ck.tokenizer.forms
    tunes = generate(ck, n=2, seed=1, max_tokens=200)
    assert len(tunes) == 2 and all(t.text.startswith("T:") for t in tunes)
    # and it warm-starts a model like itself
    again = train(tmp_path / "warm", preset="tiny", tokenizer="folkrnn", corpus_dir=corpus,
                  quiet=True, epochs=1, overrides={"hidden": 16, "embed": 8},
                  init_from=tmp_path / "run" / "best")
    assert again["epochs"] == 1


def test_close_weight_counts_a_parts_last_bar_more_and_reports_the_plain_loss():
    from types import SimpleNamespace

    from folkrnn.model.config import ModelConfig, TrainConfig
    from folkrnn.model.lstm import FolkLSTM
    from folkrnn.model.positions import ALL_FEATURES
    from folkrnn.tokenize import FolkrnnTokenizer
    from folkrnn.train.batches import encode
    from folkrnn.train.setup import make_optimizer
    from tests.model.test_positions import JIG

    tok = FolkrnnTokenizer.build([JIG] * 10, forms=True)
    batch = collate([encode(tok, JIG, len(ALL_FEATURES))] * 2, tok.eos_id)

    def step(weight):
        torch.manual_seed(0)
        model = FolkLSTM(ModelConfig(len(tok.vocab), 1, 16, 8, 0.0, positions=True, plan=True))
        tcfg = TrainConfig(lr=1e-2, close_weight=weight)
        run = SimpleNamespace(device=torch.device("cpu"), net=model, model=model, tcfg=tcfg,
                              opt=make_optimizer(tcfg, model))
        loss = T._train_step(run, batch)
        return loss.item(), torch.cat([p.detach().flatten() for p in model.parameters()])

    plain_loss, plain = step(1.0)
    weighted_loss, weighted = step(4.0)
    assert weighted_loss == pytest.approx(plain_loss)  # what the tally and metrics see
    assert not torch.allclose(plain, weighted)  # but another gradient
    assert TrainConfig(close_weight=4.0).to_dict()["close_weight"] == 4.0
    assert "close_weight" not in TrainConfig().to_dict()  # older configs read the same


def test_even_tokens_divides_every_batch_by_the_same_count():
    from types import SimpleNamespace

    from folkrnn.model.config import ModelConfig, TrainConfig
    from folkrnn.model.lstm import FolkLSTM, masked_nll
    from folkrnn.tokenize import FolkrnnTokenizer
    from folkrnn.train.batches import encode
    from folkrnn.train.setup import Run

    tok = FolkrnnTokenizer.build(TUNES)
    seqs = [encode(tok, t) for t in TUNES[:4]]
    learned = [None, None, None, np.array([True, False] * 100)[:len(seqs[3]) - 1]]
    tcfg = TrainConfig(batch_size=2, even_tokens=True)
    counts = [len(s) - 1 for s in seqs[:3]] + [int(learned[3].sum())]
    holder = SimpleNamespace(tcfg=tcfg, train_seqs=seqs, train_learned=learned)
    assert Run.batch_targets.func(holder) == pytest.approx(2 * sum(counts) / 4)

    def gradient(even, batch, divisor):
        torch.manual_seed(0)
        model = FolkLSTM(ModelConfig(len(tok.vocab), 1, 16, 8, 0.0))
        run = SimpleNamespace(device=torch.device("cpu"), net=model, model=model,
                              tcfg=TrainConfig(even_tokens=even), batch_targets=divisor,
                              opt=torch.optim.SGD(model.parameters(), lr=0.0))
        loss = T._train_step(run, batch)
        return loss.item(), torch.cat([p.grad.flatten() for p in model.parameters()])

    short, long = collate(seqs[:1], tok.eos_id), collate(seqs[1:2], tok.eos_id)
    for batch in (short, long):
        ids, targets, mask = batch
        torch.manual_seed(0)
        model = FolkLSTM(ModelConfig(len(tok.vocab), 1, 16, 8, 0.0))
        (masked_nll(model(ids)[0], targets, mask).sum() / 50.0).backward()
        expected = torch.cat([p.grad.flatten() for p in model.parameters()])
        plain_loss, plain = gradient(False, batch, 50.0)
        even_loss, even = gradient(True, batch, 50.0)
        assert even_loss == pytest.approx(plain_loss)  # the reported loss is the batch's mean
        assert torch.allclose(even, expected, atol=1e-6)  # its gradient: summed, over 50
        tokens = int(mask.sum())
        assert torch.allclose(plain, expected * 50.0 / tokens, atol=1e-6)  # over its own count
    assert TrainConfig(even_tokens=True).to_dict()["even_tokens"] is True
    assert "even_tokens" not in TrainConfig().to_dict()  # older configs read the same


def test_cli_set_reads_each_setting_as_its_own_type():
    assert cli_model.settings(["close_weight=4", "hidden=64", "optimizer=rmsprop"]) == {
        "close_weight": 4.0, "hidden": 64, "optimizer": "rmsprop"}
    for bad in ("close_weight", "nope=1", "hidden=big", "vocab_size=3"):
        with pytest.raises(FolkrnnError, match="--set"):
            cli_model.settings([bad])


def test_a_tune_that_teaches_only_its_bar_lines_masks_every_other_target():
    from folkrnn.tokenize import EOS, FolkrnnTokenizer
    from folkrnn.train.batches import BAR_TOKENS, LEARN_BAR_LINES, encode, learned_targets
    from tests.model.test_positions import JIG

    reel = "T:Reel\nM:4/4\nK:Cmaj\n|:cBAGFGAB|c2e2d2c2:|\n"
    tok = FolkrnnTokenizer.build([JIG, reel])
    seqs = [encode(tok, JIG), encode(tok, reel)]
    assert learned_targets(tok, seqs[0], None) is None
    keep = learned_targets(tok, seqs[1], LEARN_BAR_LINES)
    targets = [tok.vocab[i] for i in seqs[1][1:]]
    assert [t for t, k in zip(targets, keep) if k] == [t for t in targets if t in BAR_TOKENS or t == EOS]
    assert keep.sum() == 4  # |: | :| and the end
    assert learned_targets(tok, encode(tok, JIG), LEARN_BAR_LINES).sum() == 20  # 19 bar lines, the end
    ids, tgt, mask = collate(seqs, tok.eos_id, [None, keep])
    assert mask[0, :len(seqs[0]) - 1].all()  # the corpus tune: every target
    assert mask[1].sum() == 4 and all(tok.vocab[t] in BAR_TOKENS | {EOS} for t in tgt[1][mask[1]])
    with pytest.raises(ValueError):
        learned_targets(tok, seqs[1], "notes")
