"""Training and evaluating a model on a prepared corpus.

    train(out_dir, preset=, tokenizer=, ...)   the resumable training loop (loop.py)
    setup.py      a run from a corpus or a checkpoint; optimizer; DDP
    state.py      random state, the clock, a graceful stop on a signal
    output.py     last/best checkpoints, metrics.jsonl, the loss plot
    batches.py    length-bucketed training batches, validation loss
    evaluate(model_path, corpus_dir, split)    NLL, bits per character and a Kneser-Ney
                                               n-gram baseline (evaluation.py)
"""
from folkrnn._lazy import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "loop": ["train"],
    "evaluation": ["evaluate", "KneserNey", "Scores"],
})
