"""Toy corpora for the model-side tests (inline normalised tunes, written to tmp_path)."""
from __future__ import annotations

import json
from pathlib import Path

import torch

torch.set_num_threads(1)  # the tests share two cores

TUNES = [
    "T:Toy\nM:6/8\nK:Cmaj\n|:GAB c2d|e2d c2A:|\n",
    "T:Reel\nM:4/4\nK:Cmaj\n|:cBAG FGAB|c2e2 d2c2:|\n",
    "T:Jig\nM:6/8\nK:Cdor\n|:CEG cGE|FAc BGE:|\n",
    "T:Air\nM:3/4\nK:Cmaj\n|:E2G2c2|d4c2|B2G2E2|C6:|\n",
    "T:Slip\nM:9/8\nK:Cmix\n|:GAG cBc dcB|AGF GAB c3:|\n",
    "T:Polka\nM:2/4\nK:Cmaj\n|:cA GE|DE CC:|\n",
    "T:Hop\nM:9/8\nK:Cmaj\n|:cde dcB cBA|GAB c2d e3:|\n",
    "T:Hornpipe\nM:4/4\nK:Cmin\n|:GF|EDCB, CEGc|BGFD C2:|\n",
    "T:March\nM:2/4\nK:Cmaj\n|:G>A Bc|d2 c2:|\n",
    "T:Waltz\nM:3/4\nK:Cmaj\n|:c2 e2 g2|f2 e2 d2|c6:|\n",
]


def write_corpus(path: Path, train: list[str], valid: list[str], test: list[str] = (),
                 content_hash: str = "toy-hash") -> Path:
    """A prepared corpus folder (tunes.jsonl + manifest.json) at `path`."""
    path.mkdir(parents=True, exist_ok=True)
    rows = [{"id": f"{split}{i}", "split": split, "text": text}
            for split, texts in (("train", train), ("valid", valid), ("test", test))
            for i, text in enumerate(texts)]
    (path / "tunes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (path / "manifest.json").write_text(json.dumps({"content_hash": content_hash}))
    return path


def toy_corpus(path: Path) -> Path:
    """Six train, two valid, two test tunes."""
    return write_corpus(path, TUNES[:6], TUNES[6:8], TUNES[8:])


def toy_checkpoint(path: Path, tunes: list[str], seed: int = 0) -> Path:
    """A saved one-layer, 32-unit folkrnn-token model of `tunes`' vocabulary, untrained."""
    from folkrnn.model.checkpoint import save_checkpoint
    from folkrnn.model.config import ModelConfig
    from folkrnn.model.lstm import FolkLSTM
    from folkrnn.tokenize import FolkrnnTokenizer

    torch.manual_seed(seed)
    tok = FolkrnnTokenizer.build(tunes)
    model = FolkLSTM(ModelConfig(len(tok.vocab), layers=1, hidden=32, embed=16, dropout=0.0))
    return save_checkpoint(path, model, tok)
