"""Tune collections: files, resume after SIGKILL, shards and merge, duplicates, errors."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from folkrnn.check.select import Filters
from folkrnn.cli import main
from folkrnn.collection import build_collection, merge_collections
from folkrnn.collection.files import read_settings
from folkrnn.collection.shards import parse_shard, shard_numbers
from folkrnn.errors import FolkrnnError
from folkrnn.generate.sampling import SamplingOptions
from folkrnn.model.checkpoint import load_model

OPTS = dict(n=5, seed=11, batch_size=2, formats=("abc", "mid"))


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def single(tmp_path_factory, model):
    """One uninterrupted 5-tune collection, the reference for resume and merge."""
    out = tmp_path_factory.mktemp("single")
    return out, build_collection(out, model=model, **OPTS)


def snapshot(folder: Path) -> dict:
    """Every file of a collection by relative path, less the timings (manifest's and runs.json)."""
    files = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != "runs.json":
            files[str(p.relative_to(folder))] = p.read_bytes()
    manifest = json.loads(files.pop("manifest.json"))
    manifest.pop("timings")
    files["manifest.json"] = manifest
    return files


def test_a_collection_has_its_book_page_manifest_and_a_file_per_tune_per_format(single):
    out, manifest = single
    assert [t["number"] for t in manifest["tunes"]] == [1, 2, 3, 4, 5]
    book = (out / "tunebook.abc").read_text()
    assert [line for line in book.splitlines() if line.startswith("X:")] == \
        [f"X:{k}" for k in range(1, 6)]
    for t in manifest["tunes"]:
        assert t["seed"] == 11 and t["generator"] == t["number"] - 1 + t["attempt"] * 1_000_000
        assert sorted(t["files"]) == ["abc", "mid"]
        assert all((out / f).is_file() for f in t["files"].values())
        assert Path(t["files"]["abc"]).name.startswith(f"{t['number']:03d}-")
        assert "passed" in t["check"] and "near_copy" in t["novelty"]
    page = (out / "index.html").read_text()
    assert all(t["title"].replace("'", "&#x27;") in page and t["files"]["mid"] in page
               for t in manifest["tunes"])
    assert manifest["settings"]["model"]["name"] == "bundled default"
    assert len(manifest["settings"]["model"]["sha256"]) == 64


def test_abc2midi_and_abcm2ps_read_the_tune_book_without_errors(single, tmp_path):
    out, _ = single
    midi = subprocess.run(["abc2midi", str(out / "tunebook.abc"), "-o", str(tmp_path / "x.mid")],
                          capture_output=True, text=True, timeout=60)
    assert "Error" not in midi.stdout + midi.stderr
    ps = subprocess.run(["abcm2ps", "-g", "-O", str(tmp_path / "book"), str(out / "tunebook.abc")],
                        capture_output=True, text=True, timeout=60)
    assert ps.returncode == 0 and "error" not in (ps.stdout + ps.stderr).lower()
    assert len(list(tmp_path.glob("book*.svg"))) == 5


def test_shards_merged_equal_a_single_run(single, tmp_path, model):
    out, _ = single
    for i in (1, 2):
        summary = build_collection(tmp_path / f"s{i}", model=model, shard=f"{i}/2", **OPTS)
        assert summary["complete"] and summary["shard"] == f"{i}/2"
    assert not (tmp_path / "s1" / "tunebook.abc").exists()
    merge_collections(tmp_path / "book", [tmp_path / "s2", tmp_path / "s1"], model=model)
    assert snapshot(tmp_path / "book") == snapshot(out)
    assert main(["-q", "batch", "merge", "--out", str(tmp_path / "cli"), str(tmp_path / "s1"),
                 str(tmp_path / "s2")]) == 0
    assert snapshot(tmp_path / "cli") == snapshot(out)


def _as_made_before_swing_was_recorded(folder: Path) -> None:
    path = folder / ".folkrnn" / "settings.json"
    settings = json.loads(path.read_text())
    del settings["render"]["swing"]
    path.write_text(json.dumps(settings))


def test_a_collection_made_before_hornpipes_swung_resumes_and_merges_straight(tmp_path, model, capsys):
    small = dict(OPTS, n=2, formats=("abc",))
    build_collection(tmp_path / "old", model=model, **small)
    _as_made_before_swing_was_recorded(tmp_path / "old")
    argv = ["batch", "-n", "2", "--seed", "11", "--batch-size", "2", "--formats", "abc",
            "--resume", "--out", str(tmp_path / "old")]
    assert main(argv) == 2
    assert "render.swing was False, now True); it plays hornpipes straight, so add --straight" in \
        capsys.readouterr().err
    assert main(argv + ["--straight"]) == 0
    for i in (1, 2):
        build_collection(tmp_path / f"s{i}", model=model, shard=f"{i}/2", **small)
        _as_made_before_swing_was_recorded(tmp_path / f"s{i}")
    merged = merge_collections(tmp_path / "s1", [tmp_path / "s1", tmp_path / "s2"], model=model)
    assert len(merged["tunes"]) == 2
    assert read_settings(tmp_path / "s1")["render"]["swing"] is False
    merge_collections(tmp_path / "new", [tmp_path / "s2", tmp_path / "s1"], model=model)
    assert read_settings(tmp_path / "new")["render"]["swing"] is False


def test_shards_are_disjoint_chunks_covering_every_tune():
    parts = [shard_numbers(10, 2, (i, 3)) for i in (1, 2, 3)]
    assert parts[0] == [[1, 2], [7, 8]] and parts[1] == [[3, 4], [9, 10]] and parts[2] == [[5, 6]]
    with pytest.raises(FolkrnnError, match="i/n"):
        parse_shard("3/2")


def test_merge_refuses_a_missing_shard(tmp_path, model):
    build_collection(tmp_path / "s1", model=model, shard="1/2", **OPTS)
    with pytest.raises(FolkrnnError, match="shard 2/2 is missing"):
        merge_collections(tmp_path / "book", [tmp_path / "s1"], model=model)


def test_resume_after_sigkill_completes_the_same_collection(single, tmp_path):
    out = tmp_path / "killed"
    argv = [sys.executable, "-m", "folkrnn", "batch", "-n", "5", "--seed", "11", "--batch-size",
            "2", "--formats", "abc,mid", "--workers", "0", "--out", str(out)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    records = out / ".folkrnn" / "tunes"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(records.glob("*.json"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    made = len(list(records.glob("*.json")))
    assert 2 <= made < 5, "the kill should land mid-run"
    assert not (out / "manifest.json").exists()
    (out / "tunes" / ".001-x.abc.junk.tmp").write_text("half")  # as a kill mid-write leaves
    assert main(["-q", "batch", "-n", "5", "--seed", "11", "--batch-size", "2", "--formats",
                 "abc,mid", "--workers", "0", "--out", str(out), "--resume"]) == 0
    assert snapshot(out) == snapshot(single[0])


def test_resume_keeps_the_seed_and_refuses_other_settings(single, tmp_path, capsys):
    out, _ = single
    assert main(["batch", "-n", "5", "--out", str(out), "--batch-size", "2",
                 "--formats", "abc,mid", "--resume"]) == 0  # seed 11 read from the folder
    runs = json.loads((out / "manifest.json").read_text())["timings"]["runs"]
    assert [(r["run"], r["tunes_made"]) for r in runs][-2:] == [("build", 5), ("resume", 0)]
    assert main(["batch", "-n", "6", "--out", str(out), "--batch-size", "2", "--resume"]) == 2
    assert "other settings (n was 5, now 6)" in capsys.readouterr().err
    assert main(["batch", "-n", "5", "--out", str(out), "--seed", "11"]) == 2
    assert "add --resume" in capsys.readouterr().err


def test_duplicates_within_a_collection_are_replaced_or_counted(tmp_path, model):
    # greedy search writes the same tune every time, so tunes 2 and 3 can only be dropped
    manifest = build_collection(tmp_path, 3, model=model, seed=1, formats=("abc",),
                                filters=Filters(tries=1), sampling=SamplingOptions(greedy=True))
    assert [t["number"] for t in manifest["tunes"]] == [1]
    assert manifest["failed"] == [{"number": 2, "reasons": ["duplicate"]},
                                  {"number": 3, "reasons": ["duplicate"]}]
    assert manifest["rejects"] == {"duplicate": 4}
    assert sorted(p.name for p in (tmp_path / "tunes").iterdir()) == \
        [Path(manifest["tunes"][0]["files"]["abc"]).name]


def test_an_unwritable_output_folder_is_one_clear_error(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    assert main(["batch", "-n", "1", "--seed", "1", "--out", str(blocker / "book")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("folkrnn: error: cannot write the collection to") and err.count("\n") == 1


def test_a_tune_book_with_one_corrupted_tune_names_it_and_keeps_the_others(single, tmp_path,
                                                                           capsys):
    book = (single[0] / "tunebook.abc").read_text().split("\n")
    k = next(i for i, line in enumerate(book) if line == "X:3")
    body = next(i for i in range(k, len(book)) if book[i].startswith("K:")) + 1
    book[body] = book[body][:3] + "c/0" + book[body][3:]  # unplayable, so an error even when tolerant
    bad = tmp_path / "book.abc"
    bad.write_text("\n".join(book))
    where = f"{bad}:{body + 1}:"
    assert main(["check", str(bad), "--no-music21"]) == 1
    out = capsys.readouterr().out
    assert "4 of 5 tunes pass" in out and where in out and "a length of zero (/0)" in out
    assert main(["render", str(bad), "--all", "--out", str(tmp_path / "r")]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and where in captured.err and "X:3" in captured.err
    assert len(list((tmp_path / "r").glob("*.mid"))) == 4


def test_render_workers_give_the_same_collection(single, tmp_path, model):
    build_collection(tmp_path, model=model, workers=2, **OPTS)
    assert snapshot(tmp_path) == snapshot(single[0])
