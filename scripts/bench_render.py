"""Benchmark ABC -> MIDI (ours, music21, abc2midi) and audio rendering speed.

    python scripts/bench_render.py [--tunes 60] [--audio 8]

One run over the same tunes (every k-th tune of O'Neill's 1850): for each, the
time from ABC text to MIDI bytes by
  - ours: read_text + tune_events + write_midi + save,
  - music21: converter.parse(text, format="abc") + write("midi"),
  - abc2midi: a process per tune on a file holding that tune (start-up included);
and the strict check of each (`check_text(..., music21=False)`: reading and the rules).
Prints medians (ms per tune) and ratios, then the audio real-time factor
(seconds of audio per second of rendering) for our soundfont and the system's.
"""
from __future__ import annotations

import argparse
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from folkrnn.abc.reader import read_file, read_text  # noqa: E402
from folkrnn.check.strict import check_text  # noqa: E402
from folkrnn.render.audio import SYSTEM_SOUNDFONTS, find_soundfont, synthesize  # noqa: E402
from folkrnn.render.events import tune_events  # noqa: E402
from folkrnn.render.midi import midi_bytes, write_midi  # noqa: E402
from folkrnn.render.svg import tune_text  # noqa: E402


def sample_texts(n: int) -> list[str]:
    import music21
    books = os.path.join(os.path.dirname(music21.__file__), "corpus", "oneills1850")
    files = sorted(glob.glob(os.path.join(books, "*.abc")))
    tunes = [t for f in files for t in read_file(f).tunes]
    step = max(1, len(tunes) // n)
    return [tune_text(t) for t in tunes[::step][:n]]


def ours(text: str) -> bytes:
    return midi_bytes(write_midi(tune_events(read_text(text).tunes[0])))


def strict(text: str) -> None:
    check_text(text, music21=False)


def with_music21(text: str, tmp: str) -> None:
    from music21 import converter
    converter.parse(text, format="abc").write("midi", fp=os.path.join(tmp, "m21.mid"))


def with_abc2midi(text: str, tmp: str) -> None:
    src = os.path.join(tmp, "t.abc")
    Path(src).write_text(text)
    subprocess.run(["abc2midi", src, "-o", os.path.join(tmp, "a.mid"), "-silent"],
                   capture_output=True, check=False)


def timed(fn, *args) -> float:
    t = time.perf_counter()
    try:
        fn(*args)
    except Exception:  # noqa: BLE001 - a failed conversion still took its time
        pass
    return (time.perf_counter() - t) * 1000


def bench_midi(texts: list[str]) -> dict[str, float]:
    """Median ms per tune for each converter (a tune music21 fails on still counts its time)."""
    times: dict[str, list[float]] = {"ours": [], "music21": [], "abc2midi": [], "check": []}
    with tempfile.TemporaryDirectory() as tmp:
        timed(with_music21, texts[1], tmp)  # import and warm music21 outside the clock
        for text in texts:
            times["ours"].append(timed(ours, text))
            times["music21"].append(timed(with_music21, text, tmp))
            times["abc2midi"].append(timed(with_abc2midi, text, tmp))
            times["check"].append(timed(strict, text))
    return {k: statistics.median(v) for k, v in times.items()}


def bench_audio(texts: list[str], soundfont: Path) -> float:
    audio_s = wall_s = 0.0
    for text in texts:
        mf = write_midi(tune_events(read_text(text).tunes[0]))
        t = time.perf_counter()
        x = synthesize(mf, soundfont)
        wall_s += time.perf_counter() - t
        audio_s += len(x) / 44100
    return audio_s / wall_s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tunes", type=int, default=60)
    ap.add_argument("--audio", type=int, default=8, help="tunes to render to audio")
    args = ap.parse_args(argv)
    texts = sample_texts(args.tunes)
    med = bench_midi(texts)
    print(f"ABC -> MIDI, median ms per tune over {len(texts)} tunes of O'Neill's 1850:")
    for name in ("ours", "music21", "abc2midi"):
        print(f"  {name:9s} {med[name]:8.2f} ms   ({med[name] / med['ours']:.1f}x ours)")
    print(f"strict check (read and the rules, no music21): {med['check']:.2f} ms per tune")
    fonts = [find_soundfont()] + [Path(p) for p in SYSTEM_SOUNDFONTS if Path(p).is_file()][:1]
    for sf in fonts:
        rtf = bench_audio(texts[: args.audio], sf)
        print(f"audio: {rtf:.0f}x real time with {sf.name} ({args.audio} tunes, 44.1 kHz stereo)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
