"""folkrnn: an LSTM composer of folk tunes in ABC notation.

Pipeline (one direction):

    folkrnn.abc        read, lex, normalise, transpose and write ABC
    folkrnn.corpus     sources, cleaning, dedup, near-duplicate groups, splits
    folkrnn.tokenize   `char` and `folkrnn` tokenizers
    folkrnn.model      the LSTM language model and its presets (no I/O)
    folkrnn.train      the training loop (resumable, DDP)
    folkrnn.checkpoint safetensors + JSON checkpoints; `load_model(path=None)`
    folkrnn.evaluate   NLL, bits per character, and a Kneser-Ney n-gram baseline
    folkrnn.render     ABC -> events -> MIDI (mido) -> WAV (pyfluidsynth); SVG (abcm2ps)
    folkrnn.cli        the `folkrnn` command
"""
__version__ = "0.1.0"
