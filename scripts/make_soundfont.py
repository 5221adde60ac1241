"""Synthesise the project's small General MIDI soundfont: folkrnn/data/soundfonts/folkrnn.sf2.

    python scripts/make_soundfont.py [--out folkrnn/data/soundfonts/folkrnn.sf2]

Four sampled timbres, made with numpy (no recordings, so no licence but the
project's): a bowed string (fiddle), a flute, a free reed (accordion, two
reeds beating) and a plucked string (piano, guitar, harp, bass). Every General
MIDI program 0-127 in bank 0 maps to the nearest of the four, so any MIDI
file sounds. The output is deterministic (fixed seeds).

SF2 layout (SoundFont 2.01): RIFF 'sfbk' with LIST INFO (ifil, isng, INAM,
ICOP, ICMT), LIST sdta (smpl: 16-bit mono, 46 zero points after each sample)
and LIST pdta (phdr, pbag, pmod, pgen, inst, ibag, imod, igen, shdr).
"""
from __future__ import annotations

import argparse
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SR = 44100
PAD = 46  # zero points the SF2 spec wants after every sample
# SF2 generator numbers
KEY_RANGE, INSTRUMENT, SAMPLE_ID, SAMPLE_MODES, ROOT_KEY = 43, 41, 53, 54, 58
ATTACK, HOLD, DECAY, SUSTAIN, RELEASE = 34, 35, 36, 37, 38
VIB_DELAY, VIB_FREQ, VIB_TO_PITCH, ATTENUATION, PAN = 23, 24, 6, 48, 17


@dataclass
class Timbre:
    """A sample and how to play it: root key, loop (None: one shot), envelope."""

    name: str
    data: np.ndarray  # float in [-1, 1]
    root: int
    loop: tuple[int, int] | None
    gens: list[tuple[int, int]]
    correction: int = 0  # cents


def timecents(seconds: float) -> int:
    return round(1200 * math.log2(seconds))


def abs_cents(hz: float) -> int:
    return round(1200 * math.log2(hz / 8.176))


def harmonics(f0: float, n_samples: int, amps: list[float], seed: int) -> np.ndarray:
    t = np.arange(n_samples) / SR
    phases = np.random.default_rng(seed).uniform(0, 2 * np.pi, len(amps))
    out = sum(a * np.sin(2 * np.pi * (k + 1) * f0 * t + p) for k, (a, p) in enumerate(zip(amps, phases)))
    return out / np.abs(out).max()


def body_gain(f: float) -> float:
    """A violin-like body: resonances near 280 Hz, 1 kHz, 2.7 kHz, falling above 5 kHz."""
    peaks = sum(g * math.exp(-(math.log2(f / c) ** 2) / 0.18) for c, g in
                ((280, 1.0), (1000, 0.8), (2700, 1.2)))
    return (0.35 + peaks) / (1 + (f / 5000) ** 4)


def with_attack(steady: np.ndarray, attack_s: float, noise: float, seed: int) -> np.ndarray:
    """Fade the steady tone in over attack_s with a burst of noise (bow, breath)."""
    n = int(attack_s * SR)
    env = np.ones(len(steady))
    env[:n] = np.linspace(0, 1, n) ** 0.7
    burst = np.zeros(len(steady))
    burst[:n] = np.random.default_rng(seed).standard_normal(n) * noise * np.linspace(1, 0, n) ** 2
    return steady * env + burst


def fiddle() -> Timbre:
    f0, attack, loop = 440.0, 0.12, 2205  # 22 periods of A4 in the loop
    amps = [body_gain((k + 1) * f0) / (k + 1) for k in range(int(9000 // f0))]
    n = int(attack * SR) + loop
    data = with_attack(harmonics(f0, n, amps, 1), attack, 0.15, 2)
    gens = [(ATTACK, timecents(0.05)), (RELEASE, timecents(0.18)), (VIB_DELAY, timecents(0.3)),
            (VIB_FREQ, abs_cents(5.5) - abs_cents(8.176)), (VIB_TO_PITCH, 12)]
    return Timbre("fiddle", data, 69, (n - loop, n), gens)


def flute() -> Timbre:
    f0, attack, loop = 880.0, 0.08, 2205  # 44 periods of A5
    n = int(attack * SR) + loop
    data = with_attack(harmonics(f0, n, [1.0, 0.25, 0.1, 0.04, 0.02], 3), attack, 0.3, 4)
    gens = [(ATTACK, timecents(0.03)), (RELEASE, timecents(0.12)), (VIB_DELAY, timecents(0.4)),
            (VIB_FREQ, abs_cents(4.5) - abs_cents(8.176)), (VIB_TO_PITCH, 8)]
    return Timbre("flute", data, 81, (n - loop, n), gens)


def reed() -> Timbre:
    """Two reeds 2 Hz apart: the loop holds whole periods of both (half a second)."""
    loop, attack = SR // 2, 0.02
    amps = [1 / (k + 1) ** 0.6 * (1.0 if k % 2 == 0 else 0.6) for k in range(14)]
    n = int(attack * SR) + loop
    tone = harmonics(440.0, n, amps, 5) + 0.8 * harmonics(442.0, n, amps, 6)
    data = with_attack(tone / np.abs(tone).max(), attack, 0.02, 7)
    gens = [(ATTACK, timecents(0.015)), (RELEASE, timecents(0.08))]
    return Timbre("reed", data, 69, (n - loop, n), gens)


def pluck() -> Timbre:
    """Karplus-Strong string at A3, one shot, 1.6 s."""
    period = 200  # 220.5 Hz: played 4 cents flat to sound A3
    rng = np.random.default_rng(8)
    n = int(1.6 * SR)
    buf = rng.uniform(-1, 1, period)
    out = np.empty(n)
    for i in range(n):
        out[i] = buf[i % period]
        buf[i % period] = 0.996 * 0.5 * (buf[i % period] + buf[(i + 1) % period])
    out[-int(0.2 * SR):] *= np.linspace(1, 0, int(0.2 * SR))
    gens = [(ATTACK, timecents(0.002)), (RELEASE, timecents(0.3))]
    return Timbre("pluck", out / np.abs(out).max(), 57, None, gens, correction=-4)


def timbre_of(program: int) -> int:
    """Which timbre (0 fiddle, 1 flute, 2 reed, 3 pluck) plays a GM program (0-based)."""
    special = {45: 3, 46: 3, 47: 3, 109: 2, 110: 0, 111: 2}
    if program in special:
        return special[program]
    family = {0: 3, 1: 3, 2: 2, 3: 3, 4: 3, 5: 0, 6: 0, 7: 2, 8: 2, 9: 1, 10: 2, 11: 0,
              12: 0, 13: 3, 14: 3, 15: 3}
    return family[program // 8]


GM_NAMES = ["Piano", "Bright Piano", "E.Grand", "Honky-tonk", "E.Piano 1", "E.Piano 2",
            "Harpsichord", "Clavinet"]


def preset_name(program: int) -> str:
    names = {0: "Piano", 21: "Accordion", 22: "Harmonica", 23: "Concertina", 24: "Guitar",
             32: "Bass", 40: "Violin", 42: "Cello", 46: "Harp", 48: "Strings", 73: "Flute",
             74: "Recorder", 78: "Whistle", 109: "Bagpipe", 110: "Fiddle"}
    return names.get(program, f"GM {program + 1}")


def chunk(cid: bytes, data: bytes) -> bytes:
    return cid + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")


def zstr(text: str) -> bytes:
    raw = text.encode("ascii") + b"\0"
    return raw + (b"\0" if len(raw) % 2 else b"")


def name20(text: str) -> bytes:
    return text.encode("ascii")[:19].ljust(20, b"\0")


def build(timbres: list[Timbre]) -> bytes:
    """The SF2 file's bytes."""
    smpl, shdr, starts = b"", b"", []
    for t in timbres:
        start = len(smpl) // 2
        pcm = np.clip(np.round(t.data * 0.9 * 32767), -32768, 32767).astype("<i2")
        smpl += pcm.tobytes() + b"\0\0" * PAD
        end = start + len(pcm)
        lo, hi = (start + t.loop[0], start + t.loop[1]) if t.loop else (start, end - 1)
        shdr += name20(t.name) + struct.pack("<IIIIIBbHH", start, end, lo, hi, SR, t.root,
                                               t.correction, 0, 1)
        starts.append(start)
    shdr += name20("EOS") + bytes(26)
    inst, ibag, igen = b"", b"", b""
    n_gen = 0
    for i, t in enumerate(timbres):
        inst += name20(t.name) + struct.pack("<H", i)
        ibag += struct.pack("<HH", n_gen, 0)
        gens = [(KEY_RANGE, 0 | (127 << 8))] + t.gens + [(SAMPLE_MODES, 1 if t.loop else 0),
                                                         (SAMPLE_ID, i)]
        for op, amount in gens:
            igen += struct.pack("<Hh", op, amount) if op != KEY_RANGE else struct.pack("<HH", op, amount)
        n_gen += len(gens)
    inst += name20("EOI") + struct.pack("<H", len(timbres))
    ibag += struct.pack("<HH", n_gen, 0)
    igen += bytes(4)
    phdr, pbag, pgen = b"", b"", b""
    for program in range(128):
        phdr += name20(preset_name(program)) + struct.pack("<HHHIII", program, 0, program, 0, 0, 0)
        pbag += struct.pack("<HH", program, 0)
        pgen += struct.pack("<HH", INSTRUMENT, timbre_of(program))
    phdr += name20("EOP") + struct.pack("<HHHIII", 0, 0, 128, 0, 0, 0)
    pbag += struct.pack("<HH", 128, 0)
    pgen += bytes(4)
    info = b"INFO" + chunk(b"ifil", struct.pack("<HH", 2, 1)) + chunk(b"isng", zstr("EMU8000")) \
        + chunk(b"INAM", zstr("folkrnn")) + chunk(b"ICOP", zstr("MIT licence, the folkrnn project")) \
        + chunk(b"ICMT", zstr("Synthesised by scripts/make_soundfont.py: fiddle, flute, reed, pluck"))
    sdta = b"sdta" + chunk(b"smpl", smpl)
    pdta = b"pdta" + b"".join(chunk(c, d) for c, d in (
        (b"phdr", phdr), (b"pbag", pbag), (b"pmod", bytes(10)), (b"pgen", pgen), (b"inst", inst),
        (b"ibag", ibag), (b"imod", bytes(10)), (b"igen", igen), (b"shdr", shdr)))
    body = b"sfbk" + chunk(b"LIST", info) + chunk(b"LIST", sdta) + chunk(b"LIST", pdta)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parents[1]
    ap.add_argument("--out", default=str(here / "folkrnn" / "data" / "soundfonts" / "folkrnn.sf2"))
    args = ap.parse_args(argv)
    data = build([fiddle(), flute(), reed(), pluck()])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_bytes(data)
    print(f"wrote {args.out} ({len(data) / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
