"""Checking tunes, and keeping only good ones.

    check_text(text, source) -> [TuneReport]   strict rules, then music21 (strict.py; music21
                                               loads only when asked)
    check_tune(tune), check_normal(text)       one tune, or one in the model's text
    generate_selected(model, n, valid_only=, novelty=)   tunes remade until they pass
                                               (select.py; loads the model's stack)
    measure_abc(texts), split_summary(corpus)  the musical measure: form, cadences, repetition,
                                               note distributions (form.py, distributions.py)
    compare(measured, test)                    overlap and KL of the distributions
"""
from folkrnn._lazy import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "strict": ["TuneReport", "check", "check_normal", "check_text", "check_tune"],
    "form": ["FIGURES", "Summary", "TuneFigures", "compare", "measure_abc", "measure_normal",
             "measure_tune", "measure_tunes", "split_summary", "summarise"],
    "select": ["Filters", "RETRY_STRIDE", "Selection", "assess", "generate_selected", "novelty_index",
               "rejections"],
})
