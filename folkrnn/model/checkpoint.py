"""Checkpoints: weights in safetensors, everything else in JSON beside them. No pickle.

A checkpoint is a folder:

    checkpoint.json          model and train configs, tokenizer (kind + vocab),
                             corpus hash, metrics, version, optimizer scalars,
                             training progress, sha256 of the tensor files
    model.safetensors        the weights
    train_state.safetensors  optimizer tensors and RNG states (resumable checkpoints only)

It is written whole into a temporary sibling folder and swapped in with
renames, so a reader sees the old checkpoint or the new one, never a mix.
`load_model(path)` serves resume, generation, the CLI and the API; with no
path it loads the bundled default in `folkrnn/models/default/`.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Optional

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from folkrnn import __version__
from folkrnn.errors import CheckpointError, FolkrnnError
from folkrnn.model.config import ModelConfig, TrainConfig
from folkrnn.model.lstm import FolkLSTM
from folkrnn.tokenize import tokenizer_from_dict

FORMAT, FORMAT_VERSION = "folkrnn-checkpoint", 1
META, WEIGHTS, TRAIN_STATE = "checkpoint.json", "model.safetensors", "train_state.safetensors"
TRAINING_TUNES = "corpus.jsonl.gz"  # optional: the training tunes, for novelty checks
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "default"


@dataclass
class Checkpoint:
    """A loaded checkpoint. `train_tensors`/`optimizer` are empty unless it was resumable."""

    path: Path
    model: FolkLSTM
    tokenizer: Any
    model_config: ModelConfig
    train_config: Optional[TrainConfig]
    meta: dict  # the whole checkpoint.json
    train_tensors: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def metrics(self) -> dict:
        return self.meta.get("metrics", {})

    @property
    def progress(self) -> dict:
        return self.meta.get("progress", {})

    def training_tunes(self) -> list[dict]:
        """The tunes the model was trained on, if saved beside it (`corpus.jsonl.gz`), else []."""
        path = self.path / TRAINING_TUNES
        if not path.exists():
            return []
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def novelty(self):
        """The `corpus.NoveltyIndex` of `training_tunes()` (None when none are saved), built
        once per process."""
        from folkrnn.corpus.novelty import index_of

        return index_of(self.path / TRAINING_TUNES, self.training_tunes)

    def optimizer_state(self) -> Optional[dict]:
        """The optimizer's state_dict, rebuilt from tensors + JSON, or None if not saved."""
        if "optimizer" not in self.meta:
            return None
        return unflatten_optimizer(self.train_tensors, self.meta["optimizer"])


# ---------------------------------------------------------------- saving

def save_checkpoint(path: str | Path, model: torch.nn.Module, tokenizer: Any, *,
                    train_config: Optional[TrainConfig] = None, corpus_hash: str = "",
                    metrics: Optional[dict] = None, progress: Optional[dict] = None,
                    optimizer: Optional[torch.optim.Optimizer] = None,
                    extra_tensors: Optional[dict[str, torch.Tensor]] = None,
                    extra_json: Optional[dict] = None) -> Path:
    """Write a checkpoint folder at `path` atomically.

    Args:
        model: a FolkLSTM (or a DDP wrapper of one).
        tokenizer: anything with `to_dict()`.
        progress: JSON training position (epoch, batch, history, RNG scalars...).
        optimizer: saved as tensors + JSON scalars, making the checkpoint resumable.
        extra_tensors: more tensors for train_state.safetensors (e.g. RNG states).
        extra_json: more top-level JSON entries.
    Returns:
        the checkpoint folder.
    """
    model = getattr(model, "module", model)
    meta = _base_meta(model.cfg, tokenizer, train_config, corpus_hash, metrics, progress)
    tensors = dict(extra_tensors or {})
    if optimizer is not None:
        opt_tensors, meta["optimizer"] = flatten_optimizer(optimizer.state_dict())
        tensors.update(opt_tensors)
    meta.update(extra_json or {})
    weights = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    files = {WEIGHTS: weights, **({TRAIN_STATE: tensors} if tensors else {})}
    return _write_folder(Path(path), meta, files)


def _base_meta(cfg: ModelConfig, tokenizer: Any, train_config: Optional[TrainConfig],
               corpus_hash: str, metrics: Optional[dict], progress: Optional[dict]) -> dict:
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "folkrnn_version": __version__,
            "model_config": cfg.to_dict(), "tokenizer": tokenizer.to_dict(),
            "train_config": train_config.to_dict() if train_config else None,
            "corpus_hash": corpus_hash, "metrics": metrics or {}, "progress": progress or {}}


def _write_folder(path: Path, meta: dict, files: dict[str, dict[str, torch.Tensor]]) -> Path:
    """Write tensor files then the JSON into a temp folder, then swap it in for `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        meta["files"] = {}
        for name, tensors in files.items():
            save_file(tensors, str(tmp / name))
            meta["files"][name] = _sha256(tmp / name)
        (tmp / META).write_text(json.dumps(meta, indent=1, ensure_ascii=False))
        for file in tmp.iterdir():
            file.chmod(0o644)
        tmp.chmod(0o755)  # mkdtemp makes it private; checkpoints are meant to be shared
        _swap_in(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _swap_in(tmp: Path, path: Path) -> None:
    """Replace folder `path` by `tmp`; a kill in between leaves `path.old` for `_resolve`."""
    old = path.with_name(path.name + ".old")
    if path.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ------------------------------------------------------- optimizer state

def flatten_optimizer(sd: dict) -> tuple[dict[str, torch.Tensor], dict]:
    """Split an optimizer state_dict into tensors (`optim.<param>.<name>`) and JSON."""
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, state in sd["state"].items():
        for name, value in state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{pid}.{name}"] = value.detach().contiguous().cpu()
            else:
                scalars.setdefault(str(pid), {})[name] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def unflatten_optimizer(tensors: dict[str, torch.Tensor], js: dict) -> dict:
    """The optimizer state_dict that `flatten_optimizer` split."""
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, pid, name = key.split(".", 2)
            state.setdefault(int(pid), {})[name] = value
    for pid, values in js.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(values)
    return {"state": state, "param_groups": js["param_groups"]}


# ---------------------------------------------------------------- loading

def load_model(path: str | Path | None = None, device: str | torch.device = "cpu",
               train_state: bool = False) -> Checkpoint:
    """Load a checkpoint folder (or the bundled default when `path` is None).

    Args:
        path: the folder, or a file inside it.
        device: where the model goes; it is returned in eval mode.
        train_state: also read optimizer and RNG tensors (for resuming).
    Raises:
        CheckpointError: missing, truncated, corrupted or mismatched checkpoint.
    """
    folder = _resolve(path)
    meta = _read_meta(folder)
    cfg, train_cfg, tokenizer = _configs(folder, meta)
    model = FolkLSTM(cfg)
    model.load_state_dict(_checked_weights(folder, meta, model))
    model.to(device).eval()
    tensors = _read_tensors(folder, TRAIN_STATE, meta) if train_state else {}
    return Checkpoint(folder, model, tokenizer, cfg, train_cfg, meta, tensors)


def _resolve(path: str | Path | None) -> Path:
    if path is None:
        if not (DEFAULT_MODEL_DIR / META).is_file():
            raise CheckpointError("no bundled default model is installed; train one with "
                                  "`folkrnn train` or pass --model PATH")
        return DEFAULT_MODEL_DIR
    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
    old = folder.with_name(folder.name + ".old")
    if not (folder / META).is_file() and (old / META).is_file():
        return old  # killed halfway through swapping in a newer checkpoint
    if not folder.exists():
        raise CheckpointError(f"no checkpoint at {folder}; train one with `folkrnn train` "
                              "or pass the folder of an existing one")
    return folder


def _read_meta(folder: Path) -> dict:
    try:
        meta = json.loads((folder / META).read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{folder} is not a folkrnn checkpoint ({META} is missing); "
                              "pass a folder written by `folkrnn train`") from None
    except (ValueError, UnicodeDecodeError):
        raise CheckpointError(f"{folder / META} is truncated or corrupted; "
                              "use another checkpoint or retrain") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{folder / META} is not a folkrnn checkpoint; "
                              "pass a folder written by `folkrnn train`")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{folder} was written by a newer folkrnn "
                              f"({meta.get('folkrnn_version')}); upgrade folkrnn to load it")
    return meta


def _train_config(d: Optional[dict]) -> Optional[TrainConfig]:
    """The training settings, those this folkrnn knows: a newer one's extra setting changes
    how a model was trained, not what it computes, so it still loads and generates (resuming
    its training checks them all: `train.setup`)."""
    if not d:
        return None
    known = {f.name for f in fields(TrainConfig)}
    return TrainConfig.from_dict({k: v for k, v in d.items() if k in known})


def _configs(folder: Path, meta: dict) -> tuple[ModelConfig, Optional[TrainConfig], Any]:
    try:
        cfg = ModelConfig.from_dict(meta["model_config"])
        tcfg = _train_config(meta.get("train_config"))
        tokenizer = tokenizer_from_dict(meta["tokenizer"])
    except (KeyError, TypeError, FolkrnnError) as err:
        raise CheckpointError(f"{folder / META} has a missing or unreadable config ({err}); "
                              "use another checkpoint or retrain") from None
    if len(tokenizer.vocab) != cfg.vocab_size:
        raise CheckpointError(
            f"{folder} is inconsistent: its tokenizer has {len(tokenizer.vocab)} tokens but "
            f"its model expects {cfg.vocab_size}; use another checkpoint or retrain")
    return cfg, tcfg, tokenizer


def _read_tensors(folder: Path, name: str, meta: dict) -> dict[str, torch.Tensor]:
    """Tensors of file `name`, checked against the sha256 in the JSON."""
    file = folder / name
    expected = meta.get("files", {}).get(name)
    if expected is None or not file.is_file():
        raise CheckpointError(f"{file} is missing; use another checkpoint or retrain")
    if _sha256(file) != expected:
        raise CheckpointError(f"{file} is truncated or corrupted (its checksum does not match "
                              f"{META}); use another checkpoint or retrain")
    try:
        return load_file(str(file))
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{file} cannot be read ({err}); "
                              "use another checkpoint or retrain") from None


def _checked_weights(folder: Path, meta: dict, model: FolkLSTM) -> dict[str, torch.Tensor]:
    """The saved weights, after checking their names and shapes against `model`."""
    weights = _read_tensors(folder, WEIGHTS, meta)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(weights))
    extra = sorted(set(weights) - set(expected))
    if missing or extra:
        raise CheckpointError(
            f"{folder / WEIGHTS} does not match its config (missing {missing[:3]}, unexpected "
            f"{extra[:3]}); use another checkpoint or retrain")
    for name, tensor in expected.items():
        if weights[name].shape != tensor.shape:
            raise CheckpointError(
                f"{folder / WEIGHTS} does not match its config: {name} is "
                f"{tuple(weights[name].shape)} but the config (vocab {model.cfg.vocab_size}) "
                f"needs {tuple(tensor.shape)}; use another checkpoint or retrain")
    return weights
