"""Novelty: near copies of training tunes are flagged, new tunes are not."""
import numpy as np
import pytest

from folkrnn.abc import read_text
from folkrnn.corpus.novelty import NoveltyIndex, levenshtein, longest_shared_run, similarity, split_bars
from folkrnn.tokenize import body_tokens

A_PART = "|:GABc dcBA|GABc d2c2|efge dcBA|G2E2 E4:|"
REEL = "T:The Copied Reel\nM:4/4\nK:Cmaj\n" + A_PART + "|:c'2ge c'2ge|dBGB d2c2|c'2ge dcBA|G2E2 E4:|"
JIG = "T:A Jig\nM:6/8\nK:Cmaj\n|:cde dcB|AGF E2D|CEG cGE|D3 C3:|"
AIR = "T:An Air\nM:3/4\nK:Cmin\n|:C2E2G2|c4B2|A2G2F2|E6|D2F2A2|B4A2|G2F2D2|C6:|"
HORNPIPE = "T:A Hornpipe\nM:4/4\nK:Cmaj\n|:ABcd efga|bagf edcB|ABcd efga|b2a2 g4:|"


def index(**kw) -> NoveltyIndex:
    records = [{"id": f"train{i}", "title": t.split("\n")[0][2:], "text": t, "split": "train"}
               for i, t in enumerate([REEL, JIG, AIR, HORNPIPE])]
    records.append({"id": "valid0", "title": "Held out", "text": REEL, "split": "valid"})
    return NoveltyIndex.from_corpus(records, **kw)


def test_only_the_train_split_is_indexed():
    assert len(index()) == 4


def test_exact_copy_is_flagged():
    r = index().check(REEL.replace("The Copied Reel", "A New Title"))
    assert r.near_copy and r.similarity == 1.0
    assert (r.closest_id, r.closest_title, r.shared_bars) == ("train0", "The Copied Reel", 8)


def test_copy_with_two_notes_changed_is_flagged():
    changed = REEL.replace("efge dcBA", "efge dcBG").replace("dBGB d2c2", "dBGB d2e2")
    r = index().check(changed)
    assert r.near_copy and r.closest_id == "train0"
    # 2 substitutions in 69 tokens
    assert len(body_tokens(REEL.split("\n")[-1])) == 69
    assert r.similarity == pytest.approx(1 - 2 / 69, abs=1e-4)
    assert r.shared_bars == 2  # bars 1-2, 4-5 and 7-8 are unchanged


def test_unrelated_tune_is_not_flagged():
    new = "T:New\nM:4/4\nK:Cmaj\n|:e2ce g2ce|fdAd fdAd|e2ce g2ce|d2B2 c4:|"
    r = index().check(new)
    assert not r.near_copy and r.similarity < 0.9 and r.shared_bars < 8


def test_eight_shared_bars_flag_a_tune_that_differs_elsewhere():
    # the copied reel's eight bars with a new strain as long again after them
    new_strain = "|:e2ce g2ce|fdAd fdAd|e2ce g2ce|d2B2 c4|agfe dcBA|GABc dcBA|GEcE GEcE|D2C2 C4:|"
    r = index().check(REEL + new_strain)
    assert r.similarity < 0.9 and r.shared_bars == 8 and r.near_copy


def test_thresholds_are_parameters():
    changed = REEL.replace("efge dcBA", "efge dcBG").replace("dBGB d2c2", "dBGB d2e2")
    r = index(similarity=0.99, shared_bars=9).check(changed)
    assert not r.near_copy and r.closest_id == "train0"


def test_check_tune_normalises_first():
    # the copied reel in G, as a user would write it: normalised back to C it is a copy
    tune = read_text("X:1\nT:In G\nM:4/4\nL:1/8\nK:G\n|:DEFG AGFE|DEFG A2G2|BcdB AGFE|D2B,2 B,4:|"
                     "|:g2dB g2dB|AFDF A2G2|g2dB AGFE|D2B,2 B,4:|\n").tunes[0]
    r = index().check_tune(tune)
    assert r.near_copy and r.similarity == 1.0 and r.closest_id == "train0"


def test_no_candidate_gives_an_empty_result():
    r = index().check("T:Odd\nM:4/4\nK:Cmaj\n|:C8|D8|E8|F8:|")
    assert (r.near_copy, r.similarity, r.closest_id, r.shared_bars) == (False, 0.0, None, 0)


@pytest.mark.parametrize("a, b, d", [
    ("", "", 0), ("abc", "", 3), ("kitten", "sitting", 3), ("flaw", "lawn", 2),
    ("abcdef", "abcdef", 0), ("abcdef", "abXdef", 1), ("abcdef", "badcfe", 4),
])
def test_levenshtein(a, b, d):
    ia, ib = (np.array([ord(c) for c in s], dtype=np.int32) for s in (a, b))
    assert levenshtein(ia, ib) == levenshtein(ib, ia) == d
    if d:
        assert levenshtein(ia, ib, limit=d - 1) == d  # over the limit: limit + 1


def test_similarity_and_bars():
    a = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], dtype=np.int32)
    assert similarity(a, a) == 1.0
    assert similarity(a, a[:9]) == pytest.approx(0.9)
    assert split_bars(["|:", "G", "2", "|", "A", "|1", "B", ":|2", "c", "|]"]) == (
        ("G", "2"), ("A",), ("B",), ("c",))
    assert longest_shared_run(("a", "b", "c", "d"), ("x", "b", "c", "d", "y")) == 3
