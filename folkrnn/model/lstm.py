"""The LSTM language model over ABC tokens.

No I/O and no printing here: `checkpoint` saves and loads, `folkrnn.train` trains.

    cfg = ModelConfig(vocab_size=137, layers=3, hidden=512, embed=0, dropout=0.5)
    model = FolkLSTM(cfg)
    logits, loss, state = model(ids, targets, mask)      # ids [B, T]
    logits, state = model.step(last_ids, state)          # last_ids [B]

With `cfg.positions` every input token carries its position (`model.positions`): ids are
[B, T, 1 + F] (and [B, 1 + F] for `step`; F = `len(feature_names(cfg))`), column 0 the token, the
others its features, each looked up in a table of its own and added to the token's
embedding. Those tables start at zero, so a model warm-started from one without positions
(`checkpoint.warm_start`) begins as that model.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from folkrnn.model.config import ModelConfig
from folkrnn.model.positions import COPY_BACK, SIZES, feature_names

# (h, c), each [layers, B, hidden]
State = tuple[torch.Tensor, torch.Tensor]


class FolkLSTM(nn.Module):
    """Stacked LSTM language model: tokens -> (embedding | one-hot) -> LSTM -> logits."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embed) if cfg.embed else None
        self.lstm = nn.LSTM(cfg.embed or cfg.vocab_size, cfg.hidden, cfg.layers,
                            batch_first=True, dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        # nn.LSTM drops out between layers only; this one follows the last layer,
        # so every layer is followed by dropout as in folk-rnn v2
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.hidden, cfg.vocab_size)
        self.where = None
        if cfg.positions:
            if not cfg.embed:
                raise ValueError("position inputs need an embedding (embed > 0)")
            rows = {**SIZES, **{name: cfg.vocab_size + 1 for name in COPY_BACK}}
            self.where = nn.ModuleList(nn.Embedding(rows[name], cfg.embed)
                                       for name in feature_names(cfg))
            for table in self.where:
                nn.init.zeros_(table.weight)

    def _inputs(self, ids: torch.Tensor) -> torch.Tensor:
        if self.where is not None:
            if ids.dim() != 3:
                raise ValueError("this model takes positions: ids [B, T, 1 + features]")
            x = self.embed(ids[..., 0])  # [B, T, E]
            for k, table in enumerate(self.where):
                x = x + table(ids[..., k + 1])
            return self.drop(x)
        if self.embed is None:
            return F.one_hot(ids, self.cfg.vocab_size).to(self.head.weight.dtype)  # [B, T, V]
        return self.drop(self.embed(ids))  # [B, T, E]

    def forward(self, ids: torch.Tensor, targets: Optional[torch.Tensor] = None,
                mask: Optional[torch.Tensor] = None, state: Optional[State] = None,
                ) -> tuple[torch.Tensor, Optional[torch.Tensor], State]:
        """Logits for every position, and the loss when `targets` are given.

        Args:
            ids: [B, T] token ids ([B, T, 1 + features] with positions).
            targets: [B, T] next-token ids, or None.
            mask: [B, T] bool, True where a target counts (padding False); None = all count.
            state: (h, c) to continue from, or None for zeros.
        Returns:
            logits [B, T, V]; loss (mean cross-entropy in nats over counted targets) or None;
            the final state.
        """
        out, state = self.lstm(self._inputs(ids), state)  # out [B, T, H]
        logits = self.head(self.drop(out))  # [B, T, V]
        loss = None
        if targets is not None:
            loss = masked_nll(logits, targets, mask).sum() / _count(targets, mask)
        return logits, loss, state

    @torch.no_grad()
    def step(self, ids: torch.Tensor, state: Optional[State] = None
             ) -> tuple[torch.Tensor, State]:
        """One generation step: ids [B] ([B, 1 + features]) -> logits [B, V] and the new state.

        In eval mode the LSTM's arithmetic is written out here (two `addmm` a layer, the
        gates in nn.LSTM's order i, f, g, o): on the 2-core CPU it was measured on,
        `nn.LSTM` costs about 3 ms a call at any batch up to 8 tunes, ten times the
        arithmetic of one tune (`scripts/bench_generate.py`). The sums come in another
        order than nn.LSTM's, so logits differ from `forward`'s in the seventh digit."""
        if self.training:
            logits, _, state = self.forward(ids[:, None], state=state)
            return logits[:, 0], state
        x = self._inputs(ids[:, None])[:, 0]  # [B, E]
        if state is None:
            zeros = x.new_zeros(self.cfg.layers, x.shape[0], self.cfg.hidden)
            state = (zeros, zeros)
        hs, cs = [], []
        for (w_in, w_h, bias), h, c in zip(self._cell_weights(), *state):
            i, f, g, o = torch.addmm(bias, x, w_in).addmm_(h, w_h).chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            x = torch.sigmoid(o) * torch.tanh(c)
            hs.append(x)
            cs.append(c)
        return self.head(x), (torch.stack(hs), torch.stack(cs))

    def _cell_weights(self) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Per layer (W_ih^T, W_hh^T, b_ih + b_hh), made again whenever a weight changes."""
        params = [getattr(self.lstm, f"{kind}_l{k}") for k in range(self.cfg.layers)
                  for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        key = tuple((p.data_ptr(), p._version) for p in params)
        if getattr(self, "_cell_key", None) != key:
            self._cell = [(w_ih.t().contiguous(), w_hh.t().contiguous(), b_ih + b_hh)
                          for w_ih, w_hh, b_ih, b_hh in zip(*[iter(p.detach() for p in params)] * 4)]
            self._cell_key = key
        return self._cell


def masked_nll(logits: torch.Tensor, targets: torch.Tensor,
               mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Per-position negative log-likelihood [B, T] in nats, zero where `mask` is False."""
    nll = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="none")
    nll = nll.view(targets.shape)  # [B, T]
    return nll if mask is None else nll * mask


def _count(targets: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor | int:
    # clamp: an all-padding batch gives loss 0, not NaN
    return targets.numel() if mask is None else mask.sum().clamp(min=1)
