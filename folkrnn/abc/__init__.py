"""The ABC model: reading, lexing, keys, meters, timing, transposition, writing.

    read_file / read_text   ABC text -> ReadResult(tunes, errors)
    read_tune               ABC text -> its first Tune (or its AbcError)
    Tune                    header fields, body lines, lexed `symbols`
    Sym, Note               body symbols with their musical meaning
    parse_key, parse_meter  `K:` and `M:` values
    transpose_symbols       move a body by an interval, respelling accidentals
    normalise               a tune as the model's text (root C, L:1/8, cleaned)
"""
from folkrnn.abc.keys import Key, parse_key
from folkrnn.abc.meter import Meter, parse_meter, parse_unit
from folkrnn.abc.reader import ReadResult, Tune, read_file, read_text, read_tune
from folkrnn.abc.symbols import Note, Sym

__all__ = ["Key", "Meter", "Note", "ReadResult", "Sym", "Tune", "parse_key",
           "parse_meter", "parse_unit", "read_file", "read_text", "read_tune"]
