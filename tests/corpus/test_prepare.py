"""Corpus: dedup, near-duplicate groups, stable splits, stats, prepared files."""
import json

import pytest

from folkrnn.cli import main
from folkrnn.corpus import prepare as corpus

JIG = "X:{x}\nT:{title}\nR:jig\nM:6/8\nL:1/8\nK:{key}\n|:GAB c2d|e2d c2A|B2G A2F|G3 G3:|\n"
REEL = "X:{x}\nT:{title}\nM:C|\nL:1/8\nK:D\n|:d2fd AdfA|d2fd edcB|A2FA dAFA|BEE2 E4:|\n"


def write(tmp_path, name, *tunes):
    p = tmp_path / name
    p.write_text("\n".join(tunes))
    return str(p)


def test_exact_duplicates_after_normalisation_drop(tmp_path):
    # the same jig in G and in D is the same tune once transposed to C
    src = write(tmp_path, "a.abc", JIG.format(x=1, title="One", key="G"),
                JIG.format(x=2, title="Two", key="D").replace("GAB c2d|e2d c2A|B2G A2F|G3 G3",
                                                               "def g2a|b2a g2e|f2d e2c|d3 d3"),
                REEL.format(x=3, title="Reel"))
    built = corpus.build([src])
    assert len(built.entries) == 2 and built.stats["drops"]["exact duplicate"] == 1


def test_near_duplicates_share_a_group(tmp_path):
    a = JIG.format(x=1, title="The Jig", key="G")
    b = a.replace("X:1", "X:2").replace("G3 G3", "G3 G2D")  # an alternate transcription
    built = corpus.build([write(tmp_path, "a.abc", a, b, REEL.format(x=3, title="R"))])
    groups = [e.group for e in built.entries]
    assert groups[0] == groups[1] != groups[2]


def test_split_is_a_pure_function_of_the_group():
    assert corpus.split_of("abc") == corpus.split_of("abc")
    shares = [corpus.split_of(str(i)) for i in range(5000)]
    assert 0.87 < shares.count("train") / 5000 < 0.93


def test_bad_tune_is_counted_not_fatal(tmp_path):
    src = write(tmp_path, "bad.abc", JIG.format(x=1, title="Good", key="G"),
                "X:2\nT:Bad\nM:6/8\nK:G\nGA & B|\n")
    built = corpus.build([src])
    assert len(built.entries) == 1 and built.stats["drops"] == {"unreadable: unknown symbol": 1}


def test_unknown_source_is_a_clear_error():
    with pytest.raises(corpus.FolkrnnError, match="no such source"):
        corpus.build(["/no/such/place"])


def test_build_writes_tunes_and_manifest(tmp_path, capsys):
    src = write(tmp_path, "a.abc", JIG.format(x=1, title="One", key="G"), REEL.format(x=2, title="R"))
    out = tmp_path / "out"
    assert main(["corpus", "build", "--no-default-sources", "--source", src, "--out", str(out)]) == 0
    tunes = corpus.load_prepared(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert [t["title"] for t in tunes] == ["One", "R"] and manifest["count"] == 2
    assert manifest["content_hash"] == corpus.content_hash(corpus.build([src]).entries)
    assert (out / "vocab_folkrnn.json").exists() and "wrote 2 tunes" in capsys.readouterr().out


def test_stats_json(tmp_path, capsys):
    src = write(tmp_path, "a.abc", JIG.format(x=1, title="One", key="G"))
    assert main(["corpus", "stats", "--json", "--no-default-sources", "--source", src]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["tunes_after_dedup"] == {"a": 1} and stats["meters"] == {"6/8": 1}


def test_missing_prepared_corpus_says_what_to_do(tmp_path):
    with pytest.raises(corpus.FolkrnnError, match="folkrnn corpus build"):
        corpus.load_prepared(tmp_path)


@pytest.mark.slow
def test_default_corpus_figures(built_corpus):
    s = built_corpus.stats
    assert sum(s["tunes_after_dedup"].values()) > 4200
    assert 0.85 < s["splits"]["train"] / len(built_corpus.entries) < 0.95
    assert s["bars_ok_share"] > 0.85
    # near-duplicate groups keep alternate transcriptions in one split
    assert corpus.leakage(built_corpus.entries) < 0.02


@pytest.mark.slow
def test_splits_stable_when_a_source_is_added(built_corpus, tmp_path):
    extra = write(tmp_path, "new.abc", REEL.format(x=1, title="Brand New Reel"))
    bigger = corpus.build(list(corpus.DEFAULT_SOURCES) + [extra])
    before = {e.id: e.split for e in built_corpus.entries}
    after = {e.id: e.split for e in bigger.entries}
    moved = [i for i in before if before[i] != after.get(i)]
    assert moved == []
