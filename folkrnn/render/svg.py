"""Sheet music as SVG through abcm2ps (`abcm2ps -g`: one SVG per tune), where it is installed."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from folkrnn.abc.reader import Tune
from folkrnn.abc.writer import tune_text
from folkrnn.atomic import atomic_write_bytes
from folkrnn.errors import RenderError

TIMEOUT_S = 60


def abcm2ps_available() -> bool:
    return shutil.which("abcm2ps") is not None


def abc_to_svg(abc_text: str, out_dir: str | Path, stem: str = "tune") -> list[Path]:
    """Typeset every tune of `abc_text`; returns the SVG files, `stem001.svg`, `stem002.svg`, ...

    The same text gives the same bytes: abcm2ps runs on `stem.abc` in its own folder and
    its creation date is left out.

    Raises:
        RenderError: abcm2ps is missing, fails, or writes nothing.
    """
    if not abcm2ps_available():
        raise RenderError("abcm2ps is not installed, so there is no sheet music; "
                          "install it with `apt-get install abcm2ps`")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / f"{stem}.abc").write_text(abc_text, encoding="utf-8")
        proc = subprocess.run(["abcm2ps", "-g", "-q", "-O", stem, f"{stem}.abc"], cwd=tmp,
                              capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        made = sorted(Path(tmp).glob(f"{stem}*.svg"))
        if proc.returncode != 0 or not made:
            why = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise RenderError(f"abcm2ps could not typeset the tune: {why[0]}")
        return [atomic_write_bytes(out_dir / p.name, _undated(p.read_bytes())) for p in made]


def _undated(svg: bytes) -> bytes:
    return re.sub(rb"<!-- CreationDate: .* -->\n", b"", svg, count=1)


def tune_to_svg(tune: Tune, path: str | Path) -> Path:
    """Typeset one tune to `path` (an .svg file)."""
    path = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        made = abc_to_svg(tune_text(tune), tmp, path.stem)
        return atomic_write_bytes(path, made[0].read_bytes())
