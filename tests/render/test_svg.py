"""Sheet music through abcm2ps, and the error where it is missing."""
import shutil

import pytest

from folkrnn.abc.reader import read_text
from folkrnn.errors import RenderError
from folkrnn.render import svg
from folkrnn.render.svg import abc_to_svg, tune_text, tune_to_svg

TWO = "X:1\nT:First\nM:4/4\nL:1/8\nK:G\nGABc d4|]\n\nX:2\nT:Second\nM:6/8\nL:1/8\nK:D\ndef gfe|]\n"
needs_abcm2ps = pytest.mark.skipif(shutil.which("abcm2ps") is None, reason="abcm2ps not installed")


@needs_abcm2ps
def test_one_svg_per_tune(tmp_path):
    files = abc_to_svg(TWO, tmp_path, "book")
    assert [f.name for f in files] == ["book001.svg", "book002.svg"]
    text = files[1].read_text()
    assert text.lstrip().startswith(("<?xml", "<svg")) and "</svg>" in text


@needs_abcm2ps
def test_tune_to_svg_from_a_read_tune(tmp_path):
    tune = read_text(TWO).tunes[1]
    assert tune_text(tune).startswith("X:2\nT:Second\nM:6/8\nL:1/8\nK:D\ndef gfe|]")
    out = tune_to_svg(tune, tmp_path / "second.svg")
    assert out.is_file() and "<svg" in out.read_text()


def test_missing_abcm2ps_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(svg.shutil, "which", lambda name: None)
    with pytest.raises(RenderError, match="apt-get install abcm2ps"):
        abc_to_svg(TWO, tmp_path)
