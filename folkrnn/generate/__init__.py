"""Generation: a tune from the model, primed, decoded under constraints, written as ABC.

    generate(model, n, prime=Prime(...), sampling=SamplingOptions(...), seed=)  (api.py)
    Prime            what the user fixes: title, rhythm, meter, mode, key, opening bars (prime.py)
    GeneratedTune    one tune: the model's text, its ABC, its log-probability
    SamplingOptions  greedy, temperature, top-k, top-p (sampling.py)
    decode.py        the one batched decode loop; beam.py beam search
    output.py        the model's text (in C) as ABC 2.1 in the key asked for
    constraints/     the masks that keep bars, repeats, ties and range right
    compose.py       continue_tune, reroll: from a tune already written (source.py, span.py)
    stamp.py         the `N:` lines every tune carries; provenance.py remake, vary
"""
from folkrnn._lazy import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "api": ["generate", "GeneratedTune", "GenerationOptions"],
    "prime": ["Prime"],
    "sampling": ["SamplingOptions"],
    "output": ["to_abc"],
    "compose": ["continue_tune", "reroll"],
    "provenance": ["remake", "vary"],
})
