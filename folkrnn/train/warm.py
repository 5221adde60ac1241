"""Warm start: a new model begins from a trained one's weights, where they fit.

A model with form tokens and position inputs (`PRESETS["default"]`) can start from the
model trained without them: token rows (embedding, output layer) are copied by token, so a
vocabulary that gained tokens (`F:AABB8`, ...) keeps every old token's weights; every other
weight of the same name and shape is copied as it is, and the copy tables of a model with
positions are copied by token too. A one-hot model (`embed=0`) whose vocabulary changed
cannot be warm-started (its first LSTM layer has a column per token): that is an error. A
token the old model lacks starts with a zero embedding; the position tables start at zero
(`model.lstm`), so the new model begins computing what the old one did, and training
teaches it to use what it now sees.
"""
from __future__ import annotations

import logging
from typing import Any

import torch

from folkrnn.errors import CheckpointError
from folkrnn.model.lstm import FolkLSTM

log = logging.getLogger(__name__)

TOKEN_ROWS = ("embed.weight", "head.weight", "head.bias")  # one row per token
COPY_ROWS = ("where.3.weight", "where.4.weight")  # one row per token, then `none` (positions)


def warm_start(model: FolkLSTM, tokenizer: Any, source: Any) -> dict[str, int]:
    """Copy `source`'s weights (a Checkpoint) into `model` (its vocabulary: `tokenizer`).

    Returns:
        {"tokens": tokens whose rows were copied, "new_tokens": those that start fresh,
         "tensors": other weights copied}.
    Raises:
        CheckpointError: the two models differ in shape (layers, widths).
    """
    if source.tokenizer.kind != tokenizer.kind:
        raise CheckpointError(f"cannot warm-start a {tokenizer.kind} model from {source.path}, "
                              f"a {source.tokenizer.kind} model")
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
            if name in TOKEN_ROWS or name in COPY_ROWS:
                if name != "head.weight" and name != "head.bias":
                    weight.zero_()  # a token the old model lacks starts with nothing
                weight[rows_new] = old[name][rows_old].to(weight.dtype)
                if name in COPY_ROWS:
                    weight[-1] = old[name][-1]  # `none`
            elif old[name].shape == weight.shape:
                weight.copy_(old[name])
                copied += 1
            else:
                raise CheckpointError(f"cannot warm-start from {source.path}: {name} is "
                                      f"{tuple(old[name].shape)} there, {tuple(weight.shape)} here")
    stats = {"tokens": len(pairs), "new_tokens": len(tokenizer.vocab) - len(pairs), "tensors": copied}
    log.info("warm start from %s: %s", source.path, stats)
    return stats
