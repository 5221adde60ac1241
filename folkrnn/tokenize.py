"""Tokenizers: `char` (folk-rnn v1 / char-rnn) and `folkrnn` (folk-rnn v2 tokens, extended).

Both work on the *normalised tune text* made by `folkrnn.abc.normalise`:

    T:The Bracken Jig
    R:jig
    M:6/8
    K:Cmaj
    |:Gccc2d|...:|

`encode` returns ids framed by `<s>` ... `</s>`; `decode` drops the frame and
returns the text, so `decode(encode(t)) == t`. Vocabularies are sorted, hence
the same corpus always gives the same ids.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Protocol, Sequence

from .errors import TokenizerError

BOS, EOS = "<s>", "</s>"


class Tokenizer(Protocol):
    kind: str
    vocab: list[str]

    @property
    def bos_id(self) -> int: ...
    @property
    def eos_id(self) -> int: ...
    def tokens(self, text: str) -> list[str]: ...
    def encode(self, text: str) -> list[int]: ...
    def decode(self, ids: Iterable[int]) -> str: ...
    def to_dict(self) -> dict: ...


class _Base:
    kind = ""

    def __init__(self, vocab: Sequence[str]) -> None:
        vocab = sorted(set(vocab) | {BOS, EOS})
        self.vocab: list[str] = vocab
        self.index: dict[str, int] = {t: i for i, t in enumerate(vocab)}

    @property
    def bos_id(self) -> int:
        return self.index[BOS]

    @property
    def eos_id(self) -> int:
        return self.index[EOS]

    def __len__(self) -> int:
        return len(self.vocab)

    def tokens(self, text: str) -> list[str]:  # pragma: no cover - overridden
        raise NotImplementedError

    def encode(self, text: str) -> list[int]:
        """Ids of `<s>`, the text's tokens, `</s>`; unknown tokens raise TokenizerError."""
        ids = [self.bos_id]
        for tok in self.tokens(text):
            try:
                ids.append(self.index[tok])
            except KeyError:
                raise TokenizerError(
                    f"token {tok!r} is not in the {self.kind} vocabulary") from None
        ids.append(self.eos_id)
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """The text of `ids`, without `<s>`/`</s>`; stops at the first `</s>`."""
        out = []
        for i in ids:
            tok = self.vocab[int(i)]
            if tok == EOS:
                break
            if tok != BOS:
                out.append(tok)
        return self.join(out)

    def join(self, toks: list[str]) -> str:
        return "".join(toks)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "vocab": list(self.vocab)}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False))


class CharTokenizer(_Base):
    """One token per character of the normalised text (folk-rnn v1, char-rnn)."""

    kind = "char"

    def tokens(self, text: str) -> list[str]:
        return list(text)

    @classmethod
    def build(cls, texts: Iterable[str]) -> "CharTokenizer":
        chars: set[str] = set()
        for t in texts:
            chars.update(t)
        return cls(sorted(chars))


TOKENIZERS: dict[str, type] = {"char": CharTokenizer}


def build_tokenizer(kind: str, texts: Iterable[str]):
    """A tokenizer of `kind` whose vocabulary covers `texts`."""
    if kind not in TOKENIZERS:
        raise TokenizerError(f"unknown tokenizer {kind!r}; choose one of {sorted(TOKENIZERS)}")
    return TOKENIZERS[kind].build(texts)


def tokenizer_from_dict(d: dict):
    """The tokenizer saved by `to_dict`."""
    kind = d.get("kind")
    if kind not in TOKENIZERS or not isinstance(d.get("vocab"), list):
        raise TokenizerError(f"not a saved tokenizer (kind {kind!r})")
    return TOKENIZERS[kind](d["vocab"])


def load_tokenizer(path: str | Path):
    """The tokenizer saved as JSON at `path`."""
    return tokenizer_from_dict(json.loads(Path(path).read_text()))
