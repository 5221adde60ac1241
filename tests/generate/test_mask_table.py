"""The mask table (`constraints/table.py`) against the rules it tables (`TuneState.allowed`,
the reference): the same mask at every step, on corpus tunes and on generated ones."""
import pytest

from folkrnn.generate import decode
from folkrnn.generate.api import generate
from folkrnn.generate.constraints import Header, TuneState, Vocab
from folkrnn.generate.constraints.form import resolve_form
from folkrnn.generate.constraints.table import CheckedTable, MaskTable, first_difference
from folkrnn.model.checkpoint import load_model
from folkrnn.tokenize import BOS, EOS

FORMS = ("", "free", "AABB8", "AB8", "AABB4")


def test_every_state_field_is_sorted_into_the_key_or_named_as_left_out():
    import dataclasses

    from folkrnn.generate.constraints import table
    names = {f.name for f in dataclasses.fields(TuneState)}
    assert names == set(table.TIMING) | set(table.BARS_PART) | table.NORMALISED


def test_corpus_tunes_teacher_forced_get_the_rules_masks(built_corpus):
    """Every 24th corpus tune (`scripts/check_masks.py` runs them all), under each form
    setting in turn, with the length cap at the default and just past the tune's end (so
    the ending zone's rules run)."""
    ck = load_model()
    tok, table = ck.tokenizer, MaskTable(Vocab(ck.tokenizer.vocab))
    index = set(tok.vocab)
    checked = 0
    for k, entry in enumerate(built_corpus.entries[::24]):
        tokens = [BOS, *tok.tokens(entry.text), EOS]
        if not set(tokens) <= index:
            continue
        form = resolve_form(FORMS[k % len(FORMS)], 0, tok.vocab)
        cap = 800 if k % 2 else len(tokens) + 20

        def make_state(form=form):
            return TuneState(table.v, Header(), **form.state_fields())

        assert first_difference(table, tokens, make_state, cap) is None, entry.text[:200]
        checked += 1
    assert checked > 150
    assert table.stats()["hits"] > table.stats()["misses"]


@pytest.mark.parametrize("settings", [
    {}, {"form": "free"}, {"part_bars": 8}, {"form": "AB8"}, {"restate": False},
    {"sampling": {"temperature": 1.4}}, {"prime": {"meter": "9/8"}},
    {"prime": {"rhythm": "hornpipe"}}, {"prime": {"body": "|:G2 | c2e2"}}, {"beam": 3},
])
def test_generated_tunes_get_the_rules_masks(monkeypatch, settings):
    from folkrnn.generate import beam as beam_mod
    from folkrnn.generate.api import GenerationOptions
    from folkrnn.generate.prime import Prime
    from folkrnn.generate.sampling import SamplingOptions

    ck = load_model()
    table = CheckedTable(Vocab(ck.tokenizer.vocab))
    monkeypatch.setattr(decode, "shared_table", lambda vocab: table)
    monkeypatch.setattr(beam_mod, "shared_table", lambda vocab: table)
    opts = dict(settings)
    if "sampling" in opts:
        opts["sampling"] = SamplingOptions(**opts["sampling"])
    if "prime" in opts:
        opts["prime"] = Prime(**opts["prime"])
    n = 3 if "beam" in opts else 20
    tunes = generate(ck, n, GenerationOptions(**opts), seed=7)
    assert len(tunes) == n and table.checked > 20 * n
