"""scripts/self_corpus.py: the model's own tunes join the training split, nothing else moves."""
import json
import subprocess
import sys
from pathlib import Path

from folkrnn.tokenize import FolkrnnTokenizer
from tests._toys import TUNES, toy_checkpoint, toy_corpus

ROOT = Path(__file__).resolve().parents[2]


def test_the_models_tunes_join_the_training_split_and_the_hash_changes(tmp_path):
    corpus = toy_corpus(tmp_path / "corpus")
    model = toy_checkpoint(tmp_path / "model", TUNES)
    out = tmp_path / "self"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "self_corpus.py"), "--model",
                           str(model), "-n", "3", "--seed", "5", "--corpus", str(corpus),
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    before = [json.loads(line) for line in (corpus / "tunes.jsonl").read_text().splitlines()]
    after = [json.loads(line) for line in (out / "tunes.jsonl").read_text().splitlines()]
    assert after[:len(before)] == before  # the corpus's own, unchanged, valid and test included
    added = after[len(before):]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["self"]["tunes"] == len(added) and manifest["self"]["asked"] == 3
    assert manifest["content_hash"] != "toy-hash" and manifest["self"]["from_corpus"] == "toy-hash"
    assert added and all(r["split"] == "train" and r["source"] == "self" for r in added)
    tok = FolkrnnTokenizer.build(TUNES)
    for r in added:  # read as the corpus's texts are: no F: line, the tokenizer's own tokens
        assert r["text"].startswith("T:") and "\nF:" not in r["text"]
        assert tok.encode(r["text"])
