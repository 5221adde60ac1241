"""The two tokenizers: exact round trips, sorted vocabularies, v2 format, save/load."""
import pytest

from folkrnn.errors import TokenizerError
from folkrnn.tokenize import (
    BOS,
    EOS,
    V2_TOKENS,
    CharTokenizer,
    FolkrnnTokenizer,
    build_tokenizer,
    load_tokenizer,
    tokenizer_from_dict,
)

TUNE = "T:Lanigan's Ball\nR:jig\nM:6/8\nK:Cmin\nD|C2DE2F|[CE]2-[CE]z/2(3ABc>d:|2e3||"


def test_folkrnn_tokens():
    tok = FolkrnnTokenizer.build([TUNE])
    toks = tok.tokens(TUNE)
    assert toks[:3] == ["T:", "L", "a"] and toks[15:19] == ["T/", "R:jig", "M:6/8", "K:Cmin"]
    assert toks[19:29] == ["D", "|", "C", "2", "D", "E", "2", "F", "|", "["]
    assert toks[-5:] == [":|2", "e", "3", "||"][-4:] or toks[-4:] == [":|2", "e", "3", "||"]


@pytest.mark.parametrize("cls", [CharTokenizer, FolkrnnTokenizer])
def test_round_trip_and_frame(cls):
    tok = cls.build([TUNE])
    ids = tok.encode(TUNE)
    assert ids[0] == tok.bos_id and ids[-1] == tok.eos_id and tok.decode(ids) == TUNE


def test_vocabulary_sorted_and_deterministic():
    a, b = FolkrnnTokenizer.build([TUNE]), FolkrnnTokenizer.build([TUNE, TUNE])
    assert a.vocab == sorted(a.vocab) == b.vocab and BOS in a.vocab and EOS in a.vocab


def test_folkrnn_vocabulary_holds_every_v2_token():
    assert len(V2_TOKENS) == 137 and set(V2_TOKENS) <= set(FolkrnnTokenizer.build([]).vocab)


def test_v2_format_text_reads_unchanged():
    tok = FolkrnnTokenizer.build([])
    v2 = "M:6/8\nK:Cmaj\n|: G c c c 2 d | e 2 d c 2 A :| =F 2> ^c' /2< (3 z 3/2 |2"
    assert tok.tokens(v2) == ["M:6/8", "K:Cmaj"] + v2.split("\n")[2].split()
    tok.encode(v2)  # every v2 token is in the vocabulary


def test_unknown_token_is_a_clear_error():
    with pytest.raises(TokenizerError, match="not in the char vocabulary"):
        CharTokenizer.build(["abc"]).encode("abz")


def test_save_and_load(tmp_path):
    tok = FolkrnnTokenizer.build([TUNE])
    tok.save(tmp_path / "v.json")
    again = load_tokenizer(tmp_path / "v.json")
    assert again.kind == "folkrnn" and again.vocab == tok.vocab
    assert tokenizer_from_dict(CharTokenizer.build([TUNE]).to_dict()).encode(TUNE)


def test_unknown_kind():
    with pytest.raises(TokenizerError, match="unknown tokenizer"):
        build_tokenizer("bpe", [])


@pytest.mark.slow
def test_whole_corpus_round_trips_with_both_tokenizers(built_corpus):
    texts = [e.text for e in built_corpus.entries]
    assert len(texts) > 4000
    for kind in ("char", "folkrnn"):
        tok = build_tokenizer(kind, texts)
        bad = [t for t in texts if tok.decode(tok.encode(t)) != t]
        assert bad == [], f"{kind}: {len(bad)} tunes do not round-trip"
    forms = build_tokenizer("folkrnn", texts, forms=True)  # decode writes the F: line
    bad = [t for t in texts if forms.encode(forms.decode(forms.encode(t))) != forms.encode(t)]
    assert bad == [], f"with forms: {len(bad)} tunes do not round-trip"


FORM_TUNES = ["T:J%d\nM:6/8\nK:Cmaj\n|:GABc2d|e2dc2A|GABc2d|e2dc3:|\n" % i for i in range(12)] + [
    "T:Air\nM:3/4\nK:Cmaj\nE2G2c2|d4c2|B2G2E2|C6|]\n"]


def test_form_tokens_come_before_the_key_and_rare_forms_are_free():
    tok = FolkrnnTokenizer.build(FORM_TUNES, forms=True)
    assert tok.forms and {t for t in tok.vocab if t.startswith("F:")} == {"F:AA4", "F:free"}
    toks = tok.tokens(FORM_TUNES[0])
    assert toks[toks.index("K:Cmaj") - 1] == "F:AA4"
    assert tok.tokens(FORM_TUNES[-1])[tok.tokens(FORM_TUNES[-1]).index("K:Cmaj") - 1] == "F:free"
    text = tok.decode(tok.encode(FORM_TUNES[0]))
    assert "F:AA4\nK:Cmaj" in text and tok.encode(text) == tok.encode(FORM_TUNES[0])
    assert text.replace("F:AA4\n", "") == FORM_TUNES[0].rstrip("\n")


def test_a_tokenizer_without_forms_reads_a_text_with_a_form_line_as_without():
    plain = FolkrnnTokenizer.build(FORM_TUNES)
    assert not plain.forms
    with_line = FORM_TUNES[0].replace("K:Cmaj", "F:AA4\nK:Cmaj")
    assert plain.encode(with_line) == plain.encode(FORM_TUNES[0])


def test_form_tokens_need_the_folkrnn_tokenizer():
    with pytest.raises(TokenizerError, match="need the folkrnn tokenizer"):
        build_tokenizer("char", FORM_TUNES, forms=True)
