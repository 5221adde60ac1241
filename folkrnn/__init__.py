"""folkrnn: an LSTM composer of folk tunes in ABC notation.

The rooms, in the order the data flows (each imports only from the ones above it
in this list; README "How it works" has the whole map):

    folkrnn.abc         read, lex, normalise, transpose and write ABC; the musical facts
    folkrnn.tokenize    `char` and `folkrnn` tokenizers
    folkrnn.corpus      the training corpus (sources, dedup, groups, splits); novelty
    folkrnn.model       the LSTM, its presets and its checkpoints; `load_model()`
    folkrnn.train       training (resumable, DDP) and evaluation with an n-gram baseline
    folkrnn.generate    `generate`: priming, constrained decoding, sampling, beam, ABC out
    folkrnn.check       the strict checks and music21; keeping only good tunes
    folkrnn.render      MIDI (mido), WAV (FluidSynth), SVG (abcm2ps); the format registry
    folkrnn.collection  `folkrnn batch`: resumable, shardable tune collections
    folkrnn.cli         the `folkrnn` command
"""
__version__ = "0.2.0"
