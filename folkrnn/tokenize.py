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
from collections import Counter
from pathlib import Path
from typing import Iterable, Protocol, Sequence

from folkrnn.abc.lexer import lex_line
from folkrnn.abc.normalise import read_normal
from folkrnn.abc.sections import FREE, form_label, sections
from folkrnn.abc.symbols import CHORD, EOL, NOTE, REST, SPACER, Sym, length_text
from folkrnn.abc.writer import sym_text
from folkrnn.errors import AbcError, FolkrnnError, TokenizerError

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
FORM_PREFIX = "F:"  # the form token (`F:AABB8`), in a vocabulary that has them
FREE_FORM = FORM_PREFIX + FREE
MIN_FORM_TUNES = 10  # a form label needs this many corpus tunes to be a token of its own
_HEADER_PREFIXES = ("R:", "M:", FORM_PREFIX, "K:")


class FolkrnnTokenizer(_Base):
    """folk-rnn v2 tokens (`M:6/8`, `K:Cmaj`, `=F`, `2`, `|:` ...) plus a title and rhythm,
    and, in a vocabulary built with `forms=True`, the tune's form.

    The title is spelled in character tokens between `T:` and `T/`; `R:jig` is
    one token. The form (`F:AABB8`, `F:free`: `abc.sections.form_label`) comes just before
    `K:`, read from the body when the text has no `F:` line; a label too rare to have a
    token of its own is `F:free`. Body notes split into pitch, length and tie tokens. Text in
    v2's own format (space-separated body tokens) reads unchanged.
    """

    kind = "folkrnn"

    @property
    def forms(self) -> bool:
        """Whether the vocabulary has form tokens."""
        return FREE_FORM in self.index

    def tokens(self, text: str) -> list[str]:
        head, body = _split_header(text)
        out: list[str] = []
        for line in head:
            if line.startswith("T:"):
                out += [TITLE_START, *line[2:], TITLE_END]
            elif line.startswith(FORM_PREFIX) and not self.forms:
                continue  # a model without form tokens reads the tune without it
            else:
                if line.startswith("K:") and self.forms and not any(
                        h.startswith(FORM_PREFIX) for h in head):
                    out.append(self.form_token(text))
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

    def form_token(self, text: str) -> str:
        """The form token of a normalised tune's text (`F:free` when unreadable or rare)."""
        token = FORM_PREFIX + text_form(text)
        return token if token in self.index else FREE_FORM

    @classmethod
    def build(cls, texts: Iterable[str], forms: bool = False) -> "FolkrnnTokenizer":
        texts = list(texts)
        vocab = set(V2_TOKENS)
        if forms:
            counts = Counter(FORM_PREFIX + text_form(t) for t in texts)
            vocab |= {f for f, n in counts.items() if n >= MIN_FORM_TUNES} | {FREE_FORM}
        plain = cls([])
        for t in texts:
            vocab.update(plain.tokens(t))
        return cls(sorted(vocab))


def text_form(text: str) -> str:
    """The form label of a normalised tune's text (`free` when it cannot be read)."""
    try:
        return form_label(sections(read_normal(text)))
    except FolkrnnError:
        return FREE


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
            out += sym_tokens(s)
    return out


def sym_tokens(s: Sym) -> list[str]:
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


def build_tokenizer(kind: str, texts: Iterable[str], forms: bool = False):
    """A tokenizer of `kind` whose vocabulary covers `texts` (with form tokens: `forms`,
    folkrnn tokens only)."""
    if kind not in TOKENIZERS:
        raise TokenizerError(f"unknown tokenizer {kind!r}; choose one of {sorted(TOKENIZERS)}")
    if forms and kind != "folkrnn":
        raise TokenizerError("form tokens need the folkrnn tokenizer")
    return TOKENIZERS[kind].build(texts, forms=forms) if forms else TOKENIZERS[kind].build(texts)


def tokenizer_from_dict(d: dict):
    """The tokenizer saved by `to_dict`."""
    kind = d.get("kind")
    if kind not in TOKENIZERS or not isinstance(d.get("vocab"), list):
        raise TokenizerError(f"not a saved tokenizer (kind {kind!r})")
    return TOKENIZERS[kind](d["vocab"])


def load_tokenizer(path: str | Path):
    """The tokenizer saved as JSON at `path`."""
    return tokenizer_from_dict(json.loads(Path(path).read_text()))
