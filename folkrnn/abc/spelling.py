"""Plain spelling: text in letters an English keyboard has, for what cannot carry the rest
(the model's vocabulary, file names, MIDI's latin-1 text).

    plain("Gånglåt från Mockfjärd")  -> "Ganglat fran Mockfjard"
    plain("Straße, Søren, Œuvre")    -> "Strasse, Soren, OEuvre"
"""
from __future__ import annotations

import unicodedata

# letters and marks that NFKD leaves whole, spelled as an English keyboard would
SPELLED = str.maketrans({"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
                         "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d",
                         "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i", "‘": "'", "’": "'",
                         "“": '"', "”": '"', "–": "-", "—": "-"})


def plain(text: str) -> str:
    """`text` with accents dropped (NFKD, combining marks removed) and SPELLED applied;
    other characters are left for the caller to keep or drop."""
    flat = unicodedata.normalize("NFKD", text).translate(SPELLED)
    return "".join(c for c in flat if not unicodedata.combining(c))
