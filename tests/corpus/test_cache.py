"""The corpus cache: prepared once, found again by its sources, named by its content hash,
never a half-written folder; and `folkrnn evaluate` on a fresh install."""
import json
import os
import time
from pathlib import Path

import pytest

from folkrnn.abc.normalise import NormaliseOptions
from folkrnn.cli import main
from folkrnn.corpus import prepare as corpus
from folkrnn.corpus.cache import cache_dir, cached_corpus, default_corpus, is_complete, source_key

JIG = "X:{x}\nT:{title}\nR:jig\nM:6/8\nL:1/8\nK:G\n|:GAB c2d|e2d c2A|B2G A2F|G3 G3:|\n"
REEL = "X:2\nT:Reel\nM:C|\nL:1/8\nK:D\n|:d2fd AdfA|d2fd edcB|A2FA dAFA|BEE2 E4:|\n"


@pytest.fixture
def source(tmp_path) -> str:
    path = tmp_path / "tunes.abc"
    path.write_text(JIG.format(x=1, title="One") + "\n" + REEL)
    return str(path)


def prepared(source: str, cache: Path, said: list) -> Path:
    """`cached_corpus` of the one source, noting each prepare it announces in `said`."""
    return cached_corpus([source], cache=cache, on_prepare=lambda folder, s: said.append(folder))


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FOLKRNN_CACHE", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("FOLKRNN_CACHE")
    assert cache_dir() == tmp_path / "xdg" / "folkrnn"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "folkrnn"


def test_prepared_once_then_reused(source, tmp_path):
    said = []
    first = prepared(source, tmp_path / "cache", said)
    stamp = (first / "tunes.jsonl").stat().st_mtime_ns
    assert prepared(source, tmp_path / "cache", said) == first
    assert said == [tmp_path / "cache" / "corpus"]  # the second call prepared nothing
    assert (first / "tunes.jsonl").stat().st_mtime_ns == stamp
    assert [t["title"] for t in corpus.load_prepared(first)] == ["One", "Reel"]
    assert (first / "vocab_char.json").is_file() and (first / "vocab_folkrnn.json").is_file()


def test_the_folder_is_named_by_the_content_hash(source, tmp_path):
    folder = prepared(source, tmp_path / "cache", [])
    digest = corpus.content_hash(corpus.build([source]).entries)
    assert folder.name == digest == corpus.load_manifest(folder)["content_hash"]
    assert list(folder.parent.glob(".preparing-*")) == []


def test_changed_sources_or_options_prepare_another_corpus(source, tmp_path):
    said = []
    first = prepared(source, tmp_path / "cache", said)
    Path(source).write_text(JIG.format(x=1, title="Other"))
    second = prepared(source, tmp_path / "cache", said)
    assert len(said) == 2 and second != first and is_complete(first) and is_complete(second)
    assert source_key([source], NormaliseOptions()) != source_key([source], NormaliseOptions(True))


def test_two_sources_preparing_to_the_same_content_share_a_folder(source, tmp_path):
    copy = tmp_path / "copy" / "tunes.abc"  # another path, the same source name and bytes
    copy.parent.mkdir()
    copy.write_bytes(Path(source).read_bytes())
    said = []
    assert prepared(source, tmp_path / "cache", said) == prepared(str(copy), tmp_path / "cache", said)
    assert len(said) == 2


def _pointer(cache: Path, source: str) -> Path:
    return cache / "corpus" / "sources" / f"{source_key([source], NormaliseOptions())}.json"


def test_a_folder_that_is_not_whole_is_prepared_again(source, tmp_path):
    said = []
    folder = prepared(source, tmp_path / "cache", said)
    (folder / "manifest.json").unlink()  # as if it had been copied in by halves
    assert not is_complete(folder)
    assert prepared(source, tmp_path / "cache", said) == folder and len(said) == 2
    assert is_complete(folder)


def test_a_broken_pointer_is_prepared_again(source, tmp_path):
    said = []
    folder = prepared(source, tmp_path / "cache", said)
    _pointer(tmp_path / "cache", source).write_text('{"content_ha')
    assert prepared(source, tmp_path / "cache", said) == folder and len(said) == 2


def test_an_interrupted_prepare_is_never_taken_for_a_finished_one(source, tmp_path):
    # a killed prepare leaves only a scratch folder, whatever it holds: it is not found
    said = []
    folder = prepared(source, tmp_path / "cache", said)
    scratch = folder.parent / ".preparing-killed"
    folder.rename(scratch)
    assert prepared(source, tmp_path / "cache", said) == folder and len(said) == 2
    assert is_complete(folder) and not is_complete(scratch)  # its name is not its hash


def test_old_scratch_folders_are_swept_by_the_next_prepare(source, tmp_path):
    root = tmp_path / "cache" / "corpus"
    old, young = root / ".preparing-old", root / ".preparing-young"
    for d in (old, young):
        d.mkdir(parents=True)
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    prepared(source, tmp_path / "cache", [])
    assert not old.exists() and young.exists()


def test_default_corpus_is_data_corpus_when_built(tmp_path, monkeypatch):
    from tests._toys import toy_corpus

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOLKRNN_CACHE", str(tmp_path / "cache"))
    toy_corpus(tmp_path / "data" / "corpus")
    assert default_corpus() == Path("data/corpus") and not (tmp_path / "cache").exists()


@pytest.mark.slow
def test_evaluate_on_a_fresh_install_prepares_the_default_corpus_once(tmp_path, monkeypatch, capsys):
    """The whole fresh-install path: about 14 s of preparing, then 3 s each evaluation."""
    monkeypatch.chdir(tmp_path)  # no data/corpus here
    monkeypatch.setenv("FOLKRNN_CACHE", str(tmp_path / "cache"))
    assert main(["evaluate", "--split", "test", "--no-ngram"]) == 0
    out, err = capsys.readouterr()
    assert err.startswith(f"folkrnn: preparing the default corpus into {tmp_path / 'cache' / 'corpus'}")
    assert err.count("\n") == 1 and "on test (192 tunes" in out
    assert main(["evaluate", "--split", "test", "--no-ngram", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and json.loads(out)["scores"]["tunes"] == 192
    (folder,) = [p for p in (tmp_path / "cache" / "corpus").iterdir() if p.name != "sources"]
    assert is_complete(folder) and corpus.load_manifest(folder)["count"] == 4260
