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

from folkrnn.abc.lexer import lex_line
from folkrnn.abc.symbols import CHORD, EOL, NOTE, REST, SPACER, Sym, length_text
from folkrnn.abc.writer import sym_text
from folkrnn.errors import AbcError, TokenizerError

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


TITLE_START, TITLE_END = "T:", "T/"
_HEADER_PREFIXES = ("R:", "M:", "K:")


class FolkrnnTokenizer(_Base):
    """folk-rnn v2 tokens (`M:6/8`, `K:Cmaj`, `=F`, `2`, `|:` ...) plus a title and rhythm.

    The title is spelled in character tokens between `T:` and `T/`; `R:jig` is
    one token. Body notes split into pitch, length and tie tokens. Text in v2's
    own format (space-separated body tokens) reads unchanged.
    """

    kind = "folkrnn"

    def tokens(self, text: str) -> list[str]:
        head, body = _split_header(text)
        out: list[str] = []
        for line in head:
            if line.startswith("T:"):
                out += [TITLE_START, *line[2:], TITLE_END]
            else:
                out.append(line)
        if " " in body.strip():  # folk-rnn v2 format: tokens separated by spaces
            return out + body.split()
        return out + body_tokens(body)

    def join(self, toks: list[str]) -> str:
        parts: list[str] = []
        in_title = False
        for t in toks:
            if in_title:
                in_title = t != TITLE_END
                parts.append(t if in_title else "\n")
            elif t == TITLE_START:
                in_title = True
                parts.append(t)
            elif t.startswith(_HEADER_PREFIXES):
                parts.append(t + "\n")
            else:
                parts.append(t)
        return "".join(parts)

    @classmethod
    def build(cls, texts: Iterable[str]) -> "FolkrnnTokenizer":
        vocab = set(V2_TOKENS)
        for t in texts:
            vocab.update(cls([]).tokens(t))
        return cls(sorted(vocab))


def _split_header(text: str) -> tuple[list[str], str]:
    lines = text.split("\n")
    n = 0
    while n < len(lines) and lines[n].startswith(("T:",) + _HEADER_PREFIXES):
        n += 1
    return lines[:n], "\n".join(lines[n:])


def body_tokens(body: str) -> list[str]:
    """The folkrnn tokens of a normalised ABC body (one line, no spaces)."""
    out: list[str] = []
    for line in body.split("\n"):
        try:
            syms = lex_line(line)
        except AbcError as err:
            raise TokenizerError(f"cannot tokenize body: {err.message} at column {err.col}") from None
        for s in syms:
            out += _sym_tokens(s)
    return out


def _sym_tokens(s: Sym) -> list[str]:
    if s.kind == NOTE:
        toks = [s.note.pitch_text(), length_text(s.length)]
    elif s.kind == CHORD:
        toks = ["[", *(n.pitch_text() for n in s.notes), "]", length_text(s.length)]
    elif s.kind == REST:
        toks = ["z", length_text(s.length)]
    elif s.kind in (EOL, SPACER):
        return []
    else:
        return [sym_text(s)]
    return [t for t in toks if t] + (["-"] if s.tie else [])


def _load_v2_tokens() -> list[str]:
    path = Path(__file__).with_name("data") / "folkrnn_v2_tokens.txt"
    return [t for t in path.read_text().split("\n") if t]


V2_TOKENS = _load_v2_tokens()

TOKENIZERS: dict[str, type] = {"char": CharTokenizer, "folkrnn": FolkrnnTokenizer}


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
