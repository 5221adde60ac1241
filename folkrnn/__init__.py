"""folkrnn: an LSTM composer of folk tunes in ABC notation.

Pipeline (one direction):

    folkrnn.abc        read, lex, normalise, transpose and write ABC
    folkrnn.corpus     sources, cleaning, dedup, near-duplicate groups, splits
    folkrnn.tokenize   `char` and `folkrnn` tokenizers
"""
__version__ = "0.1.0"
