"""Priming: what the user fixes (title, rhythm, meter, mode, key, opening bars), checked
against the model's vocabulary and turned into a forced header and forced body tokens."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from folkrnn.abc.keys import Key, parse_key
from folkrnn.abc.normalise import read_normal
from folkrnn.abc.spelling import plain
from folkrnn.abc.transpose import interval, transpose_symbols
from folkrnn.errors import AbcError, FolkrnnError
from folkrnn.generate.constraints import RHYTHM_METERS, Header
from folkrnn.generate.constraints.tokens import LENGTH_RE, note_length
from folkrnn.tokenize import body_tokens

log = logging.getLogger(__name__)

MODES = ("maj", "min", "dor", "mix", "phr", "lyd", "loc")  # the order error messages list them in
_told: set[str] = set()  # titles already said to be folded (a batch primes once a tune)


@dataclass(frozen=True)
class Prime:
    """What the user fixes; None leaves it to the model. `body` is written in `key`."""

    title: str | None = None
    rhythm: str | None = None
    meter: str | None = None  # "6/8"
    mode: str | None = None  # "dor"
    key: str | None = None  # "D", "Em", "Ador"
    body: str | None = None  # opening bars, e.g. "|: GAB c2d |"


def resolve_prime(prime: Prime, vocab: list[str]) -> tuple[Header, Key | None, list[str]]:
    """The forced header, the output key (None: the mode's default) and the forced body tokens.

    Raises:
        FolkrnnError: an unknown meter, mode, key, rhythm or symbol, listing what is allowed.
    """
    meters = sorted(t[2:] for t in vocab if t.startswith("M:"))
    rhythms = sorted(t[2:] for t in vocab if t.startswith("R:"))
    key = _parse_prime_key(prime.key) if prime.key else None
    mode = prime.mode or (key.mode if key else None)
    if mode is not None and mode not in MODES:
        raise FolkrnnError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    if prime.meter is not None and prime.meter not in meters:
        raise FolkrnnError(f"unknown meter {prime.meter!r}; the model knows {', '.join(meters)}")
    if prime.rhythm is not None and prime.rhythm.lower() not in rhythms:
        raise FolkrnnError(f"unknown rhythm {prime.rhythm!r}; the model knows {', '.join(rhythms)}")
    title = list(spellable_title(prime.title, vocab)) if prime.title is not None else None
    if key is not None and mode is not None and key.mode != mode:
        key = Key(key.tonic, key.tonic_acc, mode)
    header = Header(title, f"R:{prime.rhythm.lower()}" if prime.rhythm else None,
                    f"M:{prime.meter}" if prime.meter else None, f"K:C{mode}" if mode else None,
                    key)
    _check_rhythm_meter(header)
    return header, key, _prime_body(prime.body, key, mode, vocab)


def fold_title(title: str, vocab: list[str] | set[str]) -> str:
    """The title in the characters of `vocab`: accents dropped (NFKD, `å` -> `a`), `ß` -> `ss`,
    `œ` -> `oe` and the like, a letter the vocabulary has in the other case only in that
    case, others dropped; runs of spaces made one.

    Raises:
        FolkrnnError: nothing of the title is left.
    """
    known = set(vocab)
    kept = (c if c in known else c.swapcase() for c in plain(title))
    folded = " ".join("".join(c for c in kept if c in known).split())
    if not folded:
        raise FolkrnnError(f"the model can spell nothing of the title {title!r}; "
                           "write it in plain letters")
    return folded


def spellable_title(title: str, vocab: list[str]) -> str:
    """`fold_title`, saying once (a warning) when the model is primed with other letters."""
    folded = fold_title(title, vocab)
    if folded != " ".join(title.split()) and title not in _told:
        _told.add(title)
        log.warning("the model cannot spell every letter of %r; it is primed with %r "
                    "(the ABC keeps your title)", title, folded)
    return folded


def _check_rhythm_meter(header: Header) -> None:
    """A primed rhythm and meter that abc2midi rejects together (see RHYTHM_METERS)."""
    meters = RHYTHM_METERS.get(header.rhythm or "")
    if meters and header.meter and header.meter not in meters:
        allowed = " or ".join(m[2:] for m in meters)
        raise FolkrnnError(f"abc2midi plays a {header.rhythm[2:]} only in {allowed}; "
                           f"ask for one of those (4/4 has the bar of 2/2)")


def _parse_prime_key(text: str) -> Key:
    try:
        key = parse_key(text)
    except AbcError:
        raise FolkrnnError(f"unknown key {text!r}; write it like G, D, Em, Ador, Bbmix") from None
    if key.mode not in MODES or key.explicit_only or key.extra:
        raise FolkrnnError(f"unknown key {text!r}; write it like G, D, Em, Ador, Bbmix")
    return key


def _prime_body(body: str | None, key: Key | None, mode: str | None, vocab: list[str]) -> list[str]:
    """The opening bars as tokens, moved from the tune's key to C."""
    if not body:
        return []
    src = key or Key("C", 0, mode or "maj")
    text = re.sub(r"\s+", "", body)
    try:
        tune = read_normal(f"T:\nM:4/4\nK:{src.name()}\n{text}")
    except AbcError as err:
        raise FolkrnnError(f"cannot read the prime {body!r}: {err.message}") from None
    semis, steps = interval(src, "C", 0)
    syms = [s for s in transpose_symbols(tune.symbols, src, semis, steps) if s.kind != "eol"]
    toks = body_tokens("".join(s.text for s in syms))
    unknown = [t for t in toks if t not in vocab]
    if unknown:
        raise FolkrnnError(f"the prime has symbols the model does not know: {' '.join(unknown)}")
    unplayable = [t for t in toks if LENGTH_RE.match(t) and t.strip("0/") and not note_length(t)]
    if unplayable:
        raise FolkrnnError(f"the prime has a length abc2midi cannot play, {unplayable[0]}: "
                           "write lengths divided by 2, 4, 8 or 16")
    return toks


def char_prefix(prime: Prime, header: Header) -> list[str]:
    """A char model's forced opening: the primed header lines, in order, then the body."""
    parts = [("T:" + "".join(header.title) + "\n") if header.title is not None else None,
             (header.rhythm + "\n") if header.rhythm else "",
             (header.meter + "\n") if header.meter else None,
             (header.mode + "\n") if header.mode else None]
    text = ""
    for i, part in enumerate(parts):
        if part is None:
            if any(p for p in parts[i + 1:]) or prime.body:
                raise FolkrnnError("with a char model, give the fields in order: "
                                   "--title before --rhythm, --meter, --mode and --prime")
            break
        text += part
    return list(text + re.sub(r"\s+", "", prime.body or ""))
