"""Constrained decoding for the `folkrnn` tokenizer: at every step, the tokens that may
come next so that bars, repeats, ties, range and header stay right.

    TuneState(vocab, header)   one tune's state: `allowed(steps_left)` -> bool mask [V],
                               `advance(token)` (state.py: the notes within the bar)
    Header                     the forced header values (header.py, with HeaderRules)
    Vocab                      the vocabulary's token classes as masks (tokens.py)
    bars.py, ties.py, range.py BarRules (bar lines, repeats, endings), TieRules, RangeRules,
                               mixed into TuneState
"""
from folkrnn.generate.constraints.header import RHYTHM_METERS, Header
from folkrnn.generate.constraints.state import TuneState
from folkrnn.generate.constraints.tokens import Vocab

__all__ = ["Header", "RHYTHM_METERS", "TuneState", "Vocab"]
