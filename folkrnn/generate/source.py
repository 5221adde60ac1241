"""A tune someone wrote, as the model reads it bar by bar, and new bars written back into it.

`SourceTune.read(text, tokenizer)` reads one tune (any key and mode, any `L:`, a pickup,
chord symbols and ornaments) and lines up three views of each bar: its notes as the
model's tokens (the tune normalised to C and `L:1/8`, `abc.normalise`), its length, and
where its notes stand in the tune's own text. `continue_tune` and `reroll` (`compose.py`)
keep the bars they keep as that text, character for character, and write only the new
bars, in the tune's own key, octave and `L:` (`new_text`).

Bars are `abc.timing.bars`, the bars `folkrnn check` reads. A first bar shorter than the
meter's bar is a pickup: bar 0, not counted, so bar 1 is the first full bar, as a musician
counts (check's messages number the bars as written, a pickup as bar 1). First and
second endings are each a bar, in the order written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from folkrnn.abc.keys import Key
from folkrnn.abc.lengths import to_ticks
from folkrnn.abc.meter import parse_unit
from folkrnn.abc.normalise import Unrepresentable, normalise, read_normal
from folkrnn.abc.reader import Tune, read_text
from folkrnn.abc.symbols import BAR, ENDING, EOL, FIELD, SPACER, Sym
from folkrnn.abc.timing import bars
from folkrnn.abc.transpose import interval, transpose_symbols
from folkrnn.abc.writer import write_body
from folkrnn.errors import AbcError, FolkrnnError
from folkrnn.tokenize import sym_tokens

EIGHTH = Fraction(1, 8)


@dataclass(frozen=True)
class SourceBar:
    """One bar as written and as the model reads it."""

    ticks: int  # its length, `TICKS` to an eighth
    tokens: tuple[str, ...]  # its notes as model tokens (in C, eighths), no bar line
    closing: tuple[str, ...]  # the bar line(s) after it as tokens; () where the tune stops open
    content: tuple[int, int]  # character offsets of its notes in `SourceTune.text`
    after: int  # the offset just past its closing bar line(s)
    unit: Fraction  # the `L:` in force in it
    inline_field: bool  # it holds an inline field (`[M:3/4]`, `[L:1/16]`)


@dataclass
class SourceTune:
    """One tune of a text, bar by bar (module docstring)."""

    text: str  # the tune's own lines, from its X: (or T:) line to its last body line
    tune: Tune
    header: list[str]  # the model's header tokens, `<T:` .. `K:`, the tune's form included
    opening: list[str]  # body tokens before the first bar (a leading `|:`)
    bars: list[SourceBar]
    pickup: bool  # bars[0] is a pickup (bar 0)
    key: Key  # the tune's key; the model reads it moved to C by (semis, steps)
    semis: int
    steps: int

    @classmethod
    def read(cls, text: str, tokenizer, source: str = "<string>", x: int | None = None
             ) -> "SourceTune":
        """The first tune of `text` (the one numbered `X:x`, when given).

        Raises:
            FolkrnnError: no such tune, or one the model cannot read (several voices, a key
                change, no meter, a symbol it does not know), saying which and why.
        """
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        read = read_text(text, source)
        tunes = [t for t in read.tunes if x is None or t.x == x]
        if not tunes:
            if read.errors and x is None:
                raise read.errors[0]
            raise FolkrnnError(f"{source} holds no tune{f' X:{x}' if x is not None else ''}")
        return cls.of(text, tunes[0], tokenizer)

    @classmethod
    def of(cls, text: str, tune: Tune, tokenizer) -> "SourceTune":
        """`tune`, read from `text` (line ends `\\n`), bar by bar.

        Raises:
            FolkrnnError: a tune the model cannot read (see `read`).
        """
        source = tune.source
        key = tune.key
        if key.extra or key.explicit_only or key.bagpipe:
            raise FolkrnnError(f"{source}: {tune.label}: a key with accidentals of its own "
                               f"(K:{tune.get('K', '').strip()}) cannot be written back bar by bar; "
                               "write them in the notes and the key without them")
        try:
            normal = normalise(tune)
            nsyms = read_normal(normal.text).symbols
        except (Unrepresentable, AbcError) as err:
            raise FolkrnnError(f"{source}: {tune.label}: the model cannot read this tune: "
                               f"{getattr(err, 'message', err)}") from None
        return cls._lined_up(text, tune, normal.text, nsyms, tokenizer)

    @classmethod
    def _lined_up(cls, text: str, tune: Tune, normal_text: str, nsyms: list[Sym], tokenizer
                  ) -> "SourceTune":
        lines = text.split("\n")
        last = max([n for n, _ in tune.body] + [tune.line])
        own = lines[tune.line - 1:last]
        own_text = "\n".join(own)
        starts = [0]
        for line in own:
            starts.append(starts[-1] + len(line) + 1)

        def offset(s: Sym) -> int:
            return starts[s.line - tune.line] + s.col - 1

        written, model = bars(tune.symbols, tune.unit), bars(nsyms, EIGHTH)
        if len(written) != len(model) or not model:
            raise FolkrnnError(f"{tune.label}: its bars cannot be lined up with the model's "
                               f"reading of them ({len(written)} against {len(model)})")
        all_tokens = tokenizer.tokens(normal_text)
        k_at = next(i for i, t in enumerate(all_tokens) if t.startswith("K:"))
        known = tokenizer.index
        # a title letter the model cannot spell is left out of what it reads (the text keeps it)
        header = [t for t in all_tokens[:k_at + 1] if t in known]
        body = all_tokens[k_at + 1:]
        needed = [t for t in all_tokens[:k_at + 1] if t.startswith(("M:", "K:"))]
        unknown = sorted({t for t in body + needed if t not in known})
        if unknown:
            raise FolkrnnError(f"{tune.label}: the tune has symbols the model does not know: "
                               f"{' '.join(unknown)}")
        syms, out, units, added = tune.symbols, [], _units(tune), []
        for k, (w, m) in enumerate(zip(written, model)):
            m_close = _closing_at(nsyms, m.start)
            m_next = model[k + 1].start if k + 1 < len(model) else len(nsyms)
            w_close = _closing_at(syms, w.start)
            w_next = written[k + 1].start if k + 1 < len(written) else len(syms)
            notes = [s for s in syms[w.start:w_close] if s.kind not in (EOL, SPACER)]
            first = notes[0]
            if w_close < len(syms):
                end = offset(syms[w_close])
            else:  # an open last bar ends with the line of its last symbol (not the comments after)
                line_end = own_text.find("\n", offset(notes[-1]))
                end = line_end if line_end >= 0 else len(own_text)
            tokens = tuple(t for s in nsyms[m.start:m_close] for t in sym_tokens(s))
            timed = [s for s in notes if s.is_timed]
            added.append(bool(timed and timed[-1].tie and tokens[-1:] != ("-",)))
            if added[-1]:  # a tie the model's reading dropped (`^G2-|G2`): kept, so the next
                tokens += ("-",)  # note is tied as the text says
            marks = [s for s in syms[w_close:w_next] if s.kind in (BAR, ENDING)]
            after = max(offset(s) + len(s.text) for s in marks) if marks else end
            out.append(SourceBar(
                to_ticks(m.length * 8), tokens,
                tuple(t for s in nsyms[m_close:m_next] for t in sym_tokens(s)),
                (offset(first), len(own_text[:end].rstrip())), after, units[w.start],
                any(s.kind == FIELD for s in syms[w.start:w_close])))
        opening = [t for s in nsyms[:model[0].start] for t in sym_tokens(s)]
        read = [t for b, tie in zip(out, added) for t in (b.tokens[:-1] if tie else b.tokens) + b.closing]
        if opening + read != body:
            raise FolkrnnError(f"{tune.label}: its bars cannot be lined up with the model's "
                               "tokens")
        meter = tune.meter
        pickup = meter is not None and written[0].length < meter.bar_length and len(out) > 1
        semis, steps = interval(tune.key, "C", 0)
        return cls(own_text, tune, header, opening, out, pickup, tune.key, semis, steps)

    # ------------------------------------------------------------------ bars
    @property
    def first_number(self) -> int:
        """The number of the first bar: 0 with a pickup, else 1."""
        return 0 if self.pickup else 1

    @property
    def last_number(self) -> int:
        return self.first_number + len(self.bars) - 1

    def bar(self, number: int) -> SourceBar:
        return self.bars[self.index(number)]

    def index(self, number: int) -> int:
        """The list index of bar `number`.

        Raises:
            FolkrnnError: the tune has no such bar.
        """
        if not self.first_number <= number <= self.last_number:
            pickup = " (bar 0 is its pickup)" if self.pickup else ""
            raise FolkrnnError(f"{self.tune.label} has bars {self.first_number} to "
                               f"{self.last_number}{pickup}, not bar {number}")
        return number - self.first_number

    def body_tokens(self, upto: int | None = None) -> list[str]:
        """The body's tokens through bar index `upto` and its closing bar line (None: all;
        -1: only what comes before the first bar)."""
        bars = self.bars if upto is None else self.bars[:upto + 1]
        return list(self.opening) + [t for b in bars for t in b.tokens + b.closing]

    # --------------------------------------------------------------- writing
    def new_text(self, body: list[str], start: int, unit: Fraction) -> list[Sym]:
        """Symbols of the model's body tokens `body` (in C, eighths) from index `start` of the
        symbols it makes, moved back to this tune's key and octave and into `unit`; the whole
        body is read so that accidentals carry as they did."""
        from folkrnn.generate.output import explicit_repeat_starts

        tune = read_normal("T:\nM:" + str(self.tune.meter or "4/4") + f"\nK:C{self.key.mode}\n"
                           + "".join(body))
        syms = transpose_symbols(tune.symbols, Key("C", 0, self.key.mode), -self.semis, -self.steps)
        scale = EIGHTH / unit
        syms = [s.with_(length=s.length * scale) if s.is_timed else s for s in syms if s.kind != EOL]
        # a repeat the new bars close may start implicitly (`:|` ... `:|`): spelled out as
        # generate spells it; where it started at the kept bars' last bar line, the new bars
        # open with `|:` (the kept text stays as it is; deeper in it, abc2midi assumes it)
        spelled = explicit_repeat_starts(syms)
        new = spelled[start:]
        if start and spelled[start - 1] is not syms[start - 1]:
            new.insert(0, syms[start - 1].with_(bar="|:"))
        return new

    def write(self, syms: list[Sym], unit: Fraction, bars_per_line: int = 4) -> str:
        """ABC text of symbols from `new_text`, beamed by the meter."""
        from folkrnn.generate.output import beam_unit  # output imports nothing from here

        meter = self.tune.meter
        return write_body(syms, bars_per_line, beam_unit(meter) if meter else None, unit)

    def symbol_count(self, body: list[str]) -> int:
        """How many symbols the model's body tokens `body` read as."""
        if not body:
            return 0
        return len([s for s in read_normal("T:\nM:" + str(self.tune.meter or "4/4")
                                           + f"\nK:C{self.key.mode}\n" + "".join(body)).symbols
                    if s.kind != EOL])


def parse_span(text: str, what: str = "bars") -> tuple[int, int]:
    """`3-4` -> (3, 4); `5` -> (5, 5): the bars of a re-roll, as the CLI and the server take them.

    Raises:
        FolkrnnError: anything else, named `what`.
    """
    m = re.fullmatch(r"\s*(\d{1,4})\s*(?:-\s*(\d{1,4}))?\s*", text)
    if not m:
        raise FolkrnnError(f"{what} takes A-B (e.g. 3-4) or one bar, not {text!r}")
    return int(m[1]), int(m[2] or m[1])


def _closing_at(syms: list[Sym], start: int) -> int:
    """The index of the bar line or ending that closes the bar starting at `start`."""
    return next((i for i in range(start, len(syms)) if syms[i].kind in (BAR, ENDING)), len(syms))


def _units(tune: Tune) -> list[Fraction]:
    """The `L:` in force at each symbol (inline `[L:]` fields change it)."""
    unit, out = tune.unit, []
    for s in tune.symbols:
        if s.kind == FIELD and s.value[0] == "L":
            try:
                unit = parse_unit(s.value[1])
            except AbcError:
                pass
        out.append(unit)
    return out
