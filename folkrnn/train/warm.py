"""Warm start: a new model begins from a trained one's weights, where they fit.

A model with form tokens and position inputs (`PRESETS["default"]`) can start from the
model trained without them: token rows (embedding, output layer) are copied by token, so a
vocabulary that gained tokens (`F:AABB8`, ...) keeps every old token's weights; every other
weight of the same name and shape is copied as it is. A token the old model lacks starts
with a zero embedding; the position tables start at zero (`model.lstm`), so the new model
begins computing what the old one did, and training teaches it to use what it now sees.
"""
from __future__ import annotations

import logging
from typing import Any

import torch

from folkrnn.errors import CheckpointError
from folkrnn.model.lstm import FolkLSTM

log = logging.getLogger(__name__)

TOKEN_ROWS = ("embed.weight", "head.weight", "head.bias")  # one row per token


def warm_start(model: FolkLSTM, tokenizer: Any, source: Any) -> dict[str, int]:
    """Copy `source`'s weights (a Checkpoint) into `model` (its vocabulary: `tokenizer`).

    Returns:
        {"tokens": tokens whose rows were copied, "new_tokens": those that start fresh,
         "tensors": other weights copied}.
    Raises:
        CheckpointError: the two models differ in shape (layers, widths).
    """
    old, new = source.model.state_dict(), model.state_dict()
    pairs = [(i, source.tokenizer.index[t]) for i, t in enumerate(tokenizer.vocab)
             if t in source.tokenizer.index]
    rows_new = torch.tensor([i for i, _ in pairs])
    rows_old = torch.tensor([j for _, j in pairs])
    copied = 0
    with torch.no_grad():
        for name, weight in new.items():
            if name not in old:
                continue
            if name in TOKEN_ROWS:
                if name == "embed.weight":
                    weight.zero_()
                weight[rows_new] = old[name][rows_old].to(weight.dtype)
            elif old[name].shape == weight.shape:
                weight.copy_(old[name])
                copied += 1
            else:
                raise CheckpointError(f"cannot warm-start from {source.path}: {name} is "
                                      f"{tuple(old[name].shape)} there, {tuple(weight.shape)} here")
    stats = {"tokens": len(pairs), "new_tokens": len(tokenizer.vocab) - len(pairs), "tensors": copied}
    log.info("warm start from %s: %s", source.path, stats)
    return stats
