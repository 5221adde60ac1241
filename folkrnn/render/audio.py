"""MIDI to audio with FluidSynth (pyfluidsynth): offline, 44.1 kHz, 16-bit stereo.

The MIDI is played into the synthesiser message by message and the samples
between messages are pulled with `get_samples` (no audio device, no real-time
clock), then the release tail is rendered until it dies away, the result is
peak-normalised to -1 dBFS and written as WAV (or FLAC with `soundfile`).

pyfluidsynth reports a bad soundfont by returning -1 and plays silence for a
channel without a preset, so both are checked: a silent render is an error.
"""
from __future__ import annotations

import io
import logging
import os
import wave
from pathlib import Path

import mido
import numpy as np

from folkrnn.atomic import atomic_write_bytes
from folkrnn.errors import RenderError

log = logging.getLogger(__name__)

SAMPLE_RATE = 44100
PEAK_DBFS = -1.0
SILENCE_RMS = 1e-4  # of full scale: anything quieter is a failed render
TAIL_CHUNK_S, TAIL_MAX_S = 0.1, 4.0
MAX_AUDIO_MINUTES = 30.0  # a tune that plays longer gets no audio, refused before synthesis
# the project's own soundfont, installed with the package
PACKAGED_SOUNDFONTS = Path(__file__).resolve().parents[1] / "data" / "soundfonts"
SYSTEM_SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/soundfonts/FluidR3_GM.sf2",
                     "/usr/share/sounds/sf2/TimGM6mb.sf2", "/usr/share/sounds/sf2/default-GM.sf2",
                     "/usr/share/soundfonts/default.sf2", "/usr/share/sounds/sf2/default.sf2")


def find_soundfont(explicit: str | Path | None = None) -> Path:
    """The soundfont to use: `explicit`, $FOLKRNN_SOUNDFONT, the package's own, then the system's.

    Raises:
        RenderError: when an explicit or environment path does not exist, or none is found.
    """
    for given, what in ((explicit, "soundfont"), (os.environ.get("FOLKRNN_SOUNDFONT"), "FOLKRNN_SOUNDFONT")):
        if given:
            if not Path(given).is_file():
                raise RenderError(f"{what} {given} does not exist")
            return Path(given)
    found = sorted(PACKAGED_SOUNDFONTS.glob("*.sf2"))
    if found:
        return found[0]
    for path in SYSTEM_SOUNDFONTS:
        if Path(path).is_file():
            return Path(path)
    raise RenderError("no soundfont found; pass one, set FOLKRNN_SOUNDFONT, or install one "
                      "(`apt-get install fluid-soundfont-gm`)")


def _fluidsynth():
    try:
        import fluidsynth
    except (ImportError, OSError) as err:
        raise RenderError(f"FluidSynth is not available ({err}); install it with "
                          f"`apt-get install libfluidsynth3` and `pip install pyfluidsynth`") from None
    return fluidsynth


class _Synth:
    """A FluidSynth instance with one soundfont, driven by MIDI messages."""

    def __init__(self, soundfont: Path, sample_rate: int, reverb: bool = False) -> None:
        fluidsynth = _fluidsynth()
        # FluidSynth's reverb and chorus cost more than the voices (2.5x slower together)
        settings = {"synth.reverb.active": int(reverb), "synth.chorus.active": 0,
                    "synth.polyphony": 64}
        self.fs = fluidsynth.Synth(gain=0.4, samplerate=float(sample_rate), **settings)
        self.sfid = self.fs.sfload(str(soundfont))
        if self.sfid == -1:
            self.fs.delete()
            raise RenderError(f"FluidSynth cannot read the soundfont {soundfont}; "
                              f"is it a valid SF2 file?")
        for ch in range(16):  # nothing sounds on a channel without a preset
            if ch != 9:  # drums are selected only when a file asks (not every font has a kit)
                self.select(ch, 0)

    def select(self, channel: int, program: int) -> None:
        bank = 128 if channel == 9 else 0
        if self.fs.program_select(channel, self.sfid, bank, program) != 0 and channel != 9:
            self.fs.program_select(channel, self.sfid, 0, 0)  # a missing preset falls back to 0

    def send(self, msg: mido.Message) -> None:
        if msg.type == "note_on":
            self.fs.noteon(msg.channel, msg.note, msg.velocity)
        elif msg.type == "note_off":
            self.fs.noteoff(msg.channel, msg.note)
        elif msg.type == "program_change":
            self.select(msg.channel, msg.program)
        elif msg.type == "control_change":
            self.fs.cc(msg.channel, msg.control, msg.value)
        elif msg.type == "pitchwheel":
            self.fs.pitch_bend(msg.channel, msg.pitch)

    def samples(self, n: int) -> np.ndarray:
        """n stereo frames as an (n, 2) int16 array."""
        if n <= 0:
            return np.zeros((0, 2), np.int16)
        return np.asarray(self.fs.get_samples(n), dtype=np.int16).reshape(-1, 2)


def synthesize(midi: mido.MidiFile | str | Path, soundfont: str | Path | None = None,
               sample_rate: int = SAMPLE_RATE, reverb: bool = False,
               max_minutes: float = MAX_AUDIO_MINUTES) -> np.ndarray:
    """Render MIDI offline: (frames, 2) float32 in [-1, 1], peak-normalised, tail included.

    reverb: FluidSynth's reverb (off by default: it halves the speed).
    max_minutes: longer MIDI is refused before synthesis (memory grows with the length:
        about 20 MB a minute at 44.1 kHz).

    Raises:
        RenderError: missing FluidSynth, unreadable soundfont, too long, or silent output.
    """
    mf = midi if isinstance(midi, mido.MidiFile) else mido.MidiFile(str(midi))
    minutes = mf.length / 60
    if minutes > max_minutes:
        raise RenderError(f"the tune plays for {minutes:.0f} minutes, more than the {max_minutes:g} "
                          "minutes of audio allowed (--max-audio-minutes)")
    synth = _Synth(find_soundfont(soundfont), sample_rate, reverb)
    try:
        chunks, clock, done = [], 0.0, 0
        for msg in mf:  # mido yields messages with delta times in seconds
            clock += msg.time
            frames = round(clock * sample_rate) - done
            chunks.append(synth.samples(frames))
            done += max(frames, 0)
            if not msg.is_meta:
                synth.send(msg)
        chunks.extend(_tail(synth, sample_rate))
    finally:
        synth.fs.delete()
    return normalise(np.concatenate(chunks).astype(np.float32) / 32768.0)


def _tail(synth: _Synth, sample_rate: int) -> list[np.ndarray]:
    """Render on after the last message until the release has died away."""
    out, n = [], int(TAIL_CHUNK_S * sample_rate)
    for _ in range(int(TAIL_MAX_S / TAIL_CHUNK_S)):
        chunk = synth.samples(n)
        out.append(chunk)
        if np.abs(chunk).max(initial=0) < 2:  # under 1/16384 of full scale: silence
            break
    return out


def normalise(audio: np.ndarray, peak_dbfs: float = PEAK_DBFS) -> np.ndarray:
    """Scale so the peak is at `peak_dbfs`.

    Raises:
        RenderError: when the audio is silent (RMS under 1e-4 of full scale).
    """
    rms = float(np.sqrt(np.mean(np.square(audio)))) if audio.size else 0.0
    if rms < SILENCE_RMS:
        raise RenderError("the render is silent: the soundfont has no preset for the "
                          "instruments used, or the MIDI has no notes")
    return audio * (10 ** (peak_dbfs / 20) / float(np.abs(audio).max()))


def write_audio(audio: np.ndarray, path: str | Path, sample_rate: int = SAMPLE_RATE) -> Path:
    """Write (frames, 2) float audio as 16-bit WAV, or FLAC when the name ends in .flac."""
    path = Path(path)
    pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    if path.suffix.lower() == ".flac":
        try:
            import soundfile
        except ImportError:
            raise RenderError("FLAC needs the soundfile package: `pip install soundfile`") from None
        soundfile.write(buf, pcm, sample_rate, subtype="PCM_16", format="FLAC")
    else:
        with wave.open(buf, "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(sample_rate)
            w.writeframes(pcm.tobytes())
    return atomic_write_bytes(path, buf.getvalue())  # a killed run leaves no half file


def midi_to_wav(midi: mido.MidiFile | str | Path, path: str | Path,
                soundfont: str | Path | None = None, sample_rate: int = SAMPLE_RATE,
                reverb: bool = False, max_minutes: float = MAX_AUDIO_MINUTES) -> Path:
    """Render MIDI to a WAV (or FLAC) file; see `synthesize`. Returns the path."""
    audio = synthesize(midi, soundfont, sample_rate, reverb, max_minutes)
    return write_audio(audio, path, sample_rate)


def flac_available() -> bool:
    try:
        import soundfile  # noqa: F401
    except ImportError:
        return False
    return True
