"""Audio through real FluidSynth: the project soundfont, WAV format, loudness, tail, errors."""
import builtins
import wave
from pathlib import Path

import mido
import numpy as np
import pytest

from folkrnn.abc.reader import read_text
from folkrnn.errors import RenderError
from folkrnn.render import audio
from folkrnn.render.audio import find_soundfont, midi_to_wav, synthesize
from folkrnn.render.events import tune_events
from folkrnn.render.midi import BASS_CHANNEL, CHORD_CHANNEL, MELODY_CHANNELS, MidiOptions, write_midi

PROJECT_SF2 = Path(__file__).resolve().parents[2] / "folkrnn" / "data" / "soundfonts" / "folkrnn.sf2"
REEL = "X:1\nT:Reel\nM:4/4\nL:1/8\nQ:1/4=240\nK:D\nd2fd Adfd|B2gB dBgB|A8|]\n"


def reel_midi(**options) -> mido.MidiFile:
    return write_midi(tune_events(read_text(REEL).tunes[0]), None, MidiOptions(**options))


def one_note(program: int, pitch: int = 69, seconds: float = 0.5) -> mido.MidiFile:
    mf = mido.MidiFile(type=0, ticks_per_beat=480)
    tr = mido.MidiTrack([mido.Message("program_change", program=program),
                         mido.Message("note_on", note=pitch, velocity=100),
                         mido.Message("note_off", note=pitch, time=int(seconds * 960))])
    mf.tracks.append(tr)
    return mf


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


def test_the_project_soundfont_is_found_first(monkeypatch):
    monkeypatch.delenv("FOLKRNN_SOUNDFONT", raising=False)
    assert find_soundfont() == PROJECT_SF2


def test_explicit_and_environment_soundfonts_come_before_the_project_one(monkeypatch, tmp_path):
    other = tmp_path / "other.sf2"
    other.write_bytes(PROJECT_SF2.read_bytes())
    monkeypatch.setenv("FOLKRNN_SOUNDFONT", str(other))
    assert find_soundfont() == other
    assert find_soundfont(PROJECT_SF2) == PROJECT_SF2
    monkeypatch.setenv("FOLKRNN_SOUNDFONT", str(tmp_path / "missing.sf2"))
    with pytest.raises(RenderError, match="FOLKRNN_SOUNDFONT"):
        find_soundfont()


def test_system_soundfonts_are_the_last_resort(monkeypatch, tmp_path):
    monkeypatch.delenv("FOLKRNN_SOUNDFONT", raising=False)
    monkeypatch.setattr(audio, "PACKAGED_SOUNDFONTS", tmp_path / "none")
    system = [p for p in audio.SYSTEM_SOUNDFONTS if Path(p).is_file()]
    if not system:
        with pytest.raises(RenderError, match="no soundfont"):
            find_soundfont()
    else:
        assert find_soundfont() == Path(system[0])


@pytest.mark.parametrize("program,name", [(40, "Violin"), (110, "Fiddle"), (73, "Flute"),
                                          (78, "Whistle"), (21, "Accordion"), (0, "Piano"),
                                          (32, "Bass"), (46, "Harp")])
def test_every_timbre_of_the_project_soundfont_sounds_at_its_pitch(program, name):
    fluidsynth = pytest.importorskip("fluidsynth")
    fs = fluidsynth.Synth(samplerate=44100.0)
    try:
        sfid = fs.sfload(str(PROJECT_SF2))
        assert sfid != -1
        assert fs.sfpreset_name(sfid, 0, program) == name
    finally:
        fs.delete()
    x = synthesize(one_note(program), PROJECT_SF2)[:, 0]
    assert rms(x) > 0.05
    assert fundamental(x[int(0.15 * 44100):int(0.45 * 44100)]) == pytest.approx(440, rel=0.01)


def fundamental(x: np.ndarray, sr: int = 44100) -> float:
    """f0 from the autocorrelation: the first lag (50-1000 Hz) close to the best one."""
    x = x - x.mean()
    ac = np.fft.irfft(np.abs(np.fft.rfft(x, 2 * len(x))) ** 2)[: len(x)]
    lo, hi = sr // 1000, sr // 50
    best = ac[lo:hi].max()
    lag = lo + int(np.argmax(ac[lo:hi] > 0.9 * best))
    while ac[lag + 1] > ac[lag]:  # climb to the top of that peak
        lag += 1
    a, b, c = ac[lag - 1], ac[lag], ac[lag + 1]
    return sr / (lag + 0.5 * (a - c) / (a - 2 * b + c))


def test_wav_is_44k1_16_bit_stereo_peak_normalised_with_the_release(tmp_path):
    mf = reel_midi()
    path = midi_to_wav(mf, tmp_path / "reel.wav")
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (44100, 2, 2)
        frames = w.getnframes()
        pcm = np.frombuffer(w.readframes(frames), dtype="<i2").reshape(-1, 2) / 32768
    seconds = frames / 44100
    assert mf.length == pytest.approx(3.0, rel=1e-3)  # 12 crotchets at 240
    assert mf.length + 0.1 < seconds < mf.length + 4.5  # the release rings on
    assert 20 * np.log10(np.abs(pcm).max()) == pytest.approx(-1.0, abs=0.1)
    after = pcm[int(mf.length * 44100):]
    assert rms(after[: int(0.05 * 44100)]) > 1e-3  # the last note's release is heard
    assert np.abs(after[-441:]).max() < 0.01  # and dies away before the end


def low_share(x: np.ndarray, below_hz: float = 150.0) -> float:
    """The share of the signal's energy below `below_hz` (the reel's melody starts at D4)."""
    power = np.abs(np.fft.rfft(x.mean(axis=1))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / 44100)
    return float(power[freqs < below_hz].sum() / power.sum())


def test_accompanied_render_uses_several_channels(tmp_path):
    chords = reel_midi(accompaniment="chords")
    playing = {m.channel for t in chords.tracks for m in t if m.type == "note_on" and m.velocity}
    assert playing == {MELODY_CHANNELS[0], BASS_CHANNEL, CHORD_CHANNEL}
    accompanied, alone = synthesize(chords, PROJECT_SF2), synthesize(reel_midi(), PROJECT_SF2)
    assert rms(accompanied) > 0.05
    # the bass is heard: far more low energy than the melody alone has
    assert low_share(accompanied) > 0.005 and low_share(accompanied) > 100 * low_share(alone)


def test_flac_needs_soundfile(tmp_path):
    if audio.flac_available():
        import soundfile
        path = midi_to_wav(reel_midi(), tmp_path / "reel.flac")
        data, sr = soundfile.read(str(path))
        assert sr == 44100 and data.shape[1] == 2
    else:
        with pytest.raises(RenderError, match="soundfile"):
            midi_to_wav(reel_midi(), tmp_path / "reel.flac")


def test_an_unreadable_soundfont_is_a_render_error(tmp_path):
    bad = tmp_path / "bad.sf2"
    bad.write_bytes(b"RIFF\0\0\0\0junk")
    with pytest.raises(RenderError, match="cannot read the soundfont"):
        synthesize(reel_midi(), bad)


def test_a_silent_render_is_an_error():
    empty = mido.MidiFile(type=0)
    empty.tracks.append(mido.MidiTrack([mido.MetaMessage("end_of_track", time=480)]))
    with pytest.raises(RenderError, match="silent"):
        synthesize(empty, PROJECT_SF2)


def test_missing_fluidsynth_names_the_fix(monkeypatch):
    real_import = builtins.__import__

    def no_fluidsynth(name, *args, **kwargs):
        if name == "fluidsynth":
            raise OSError("libfluidsynth.so.3: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_fluidsynth)
    with pytest.raises(RenderError, match="apt-get install libfluidsynth3"):
        synthesize(reel_midi(), PROJECT_SF2)
