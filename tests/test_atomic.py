"""Atomic writes: a file or a folder is there whole or not at all."""
import pytest

from folkrnn.atomic import atomic_write_text, scratch_dir


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "old")
    atomic_write_text(tmp_path / "a.txt", "new")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert (tmp_path / "a.txt").read_text() == "new"


def test_a_scratch_folder_renamed_into_place_is_there_whole(tmp_path):
    with scratch_dir(tmp_path, ".building-") as tmp:
        (tmp / "a.txt").write_text("a")
        tmp.rename(tmp_path / "done")
    assert [p.name for p in tmp_path.iterdir()] == ["done"]
    assert (tmp_path / "done" / "a.txt").read_text() == "a"


def test_an_interrupted_scratch_folder_is_removed(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with scratch_dir(tmp_path / "cache", ".building-") as tmp:
            (tmp / "half.txt").write_text("ha")
            raise KeyboardInterrupt
    assert list((tmp_path / "cache").iterdir()) == []
