"""Decoding real files written into tmp_path: formats, rates, channel counts, bad inputs, progress and cancel."""

from __future__ import annotations

import threading
from pathlib import Path

import audiofiles as af
import numpy as np
import pytest

from genrelab.audio import SUPPORTED_EXTENSIONS, Audio, from_array, load, probe
from genrelab.audio.decode import _MonoWriter
from genrelab.errors import AudioError, Cancelled


def peak_hz(audio: Audio) -> float:
    """Frequency of the strongest bin of the whole signal's spectrum."""
    spectrum = np.abs(np.fft.rfft(audio.samples * np.hanning(len(audio.samples))))
    return float(np.fft.rfftfreq(len(audio.samples), 1 / audio.sr)[np.argmax(spectrum)])


def assert_clean(audio: Audio) -> None:
    """The invariants every decoded signal keeps."""
    assert audio.samples.dtype == np.float32
    assert audio.samples.ndim == 1
    assert audio.samples.flags["C_CONTIGUOUS"]
    assert np.isfinite(audio.samples).all()


def assert_one_line_error(exc: pytest.ExceptionInfo[AudioError], name: str) -> str:
    message = str(exc.value)
    assert "\n" not in message and "Traceback" not in message
    assert name in message
    return message


# ------------------------------------------------------------------------------------------ round trips

WRITERS = {
    "wav": (af.write_wav, 0.0),  # (writer, allowed duration error in seconds: codec priming/padding)
    "flac": (af.write_flac, 0.0),
    "ogg": (af.write_ogg, 0.01),
    "mp3": (af.write_mp3, 0.06),
    "m4a": (af.write_m4a, 0.06),
}


@pytest.mark.parametrize("ext", list(WRITERS))
def test_round_trip_keeps_duration_and_pitch(tmp_path: Path, ext: str) -> None:
    writer, tolerance = WRITERS[ext]
    path = writer(tmp_path / f"tone.{ext}", af.tone(440.0, 3.0, 44100, channels=2), 44100)
    assert path.suffix in SUPPORTED_EXTENSIONS

    info = probe(path)
    assert (info.sample_rate, info.channels) == (44100, 2)
    assert info.duration_s == pytest.approx(3.0, abs=tolerance + 1e-6)

    native = load(path)
    assert_clean(native)
    assert (native.sr, native.original_sr, native.channels, native.flags) == (44100, 44100, 2, set())
    assert native.duration_s == pytest.approx(3.0, abs=tolerance + 1e-6)

    resampled = load(path, 22050)
    assert_clean(resampled)
    assert resampled.sr == 22050 and resampled.original_sr == 44100
    assert abs(len(resampled.samples) - len(native.samples) / 2) <= 2  # right length at the new rate
    assert peak_hz(resampled) == pytest.approx(440.0, abs=1.0)  # the tone stays put
    assert resampled.source == path


def test_m4a_reports_pyav_format(tmp_path: Path) -> None:
    path = af.write_m4a(tmp_path / "song.m4a", af.music_like(2.0, 48000, seed=1, channels=2), 48000)
    assert probe(path).format == "AAC (PyAV)"
    assert load(path, 22050).sr == 22050


def test_eight_channel_96k_float_wav_becomes_mono_22050(tmp_path: Path) -> None:
    signal = af.tone(1000.0, 2.0, 96000, channels=8)
    signal[:, 4:] *= -1.0  # half the channels in antiphase: a true mean cancels them to silence
    signal[:, 0] += af.tone(3000.0, 2.0, 96000)
    path = af.write_wav(tmp_path / "surround.wav", signal, 96000, subtype="FLOAT")
    audio = load(path, 22050)
    assert_clean(audio)
    assert (audio.channels, audio.original_sr, audio.sr) == (8, 96000, 22050)
    assert len(audio.samples) == pytest.approx(2.0 * 22050, abs=2)
    assert peak_hz(audio) == pytest.approx(3000.0, abs=1.0)  # only channel 0's extra tone survives the mean
    assert np.abs(audio.samples).max() == pytest.approx(0.5 / 8, rel=0.05)


def test_stereo_downmix_is_the_mean(tmp_path: Path) -> None:
    left, right = af.tone(440.0, 1.0, 22050), af.tone(440.0, 1.0, 22050, amplitude=0.1)
    path = af.write_wav(tmp_path / "stereo.wav", np.stack([left, right], axis=1), 22050, subtype="FLOAT")
    audio = load(path)
    np.testing.assert_allclose(audio.samples, (left + right) / 2, atol=1e-6)


def test_8khz_file_upsamples(tmp_path: Path) -> None:
    path = af.write_flac(tmp_path / "phone.flac", af.tone(300.0, 2.0, 8000), 8000)
    audio = load(path, 22050)
    assert_clean(audio)
    assert audio.original_sr == 8000 and len(audio.samples) == pytest.approx(44100, abs=2)
    assert peak_hz(audio) == pytest.approx(300.0, abs=1.0)


def test_from_array_follows_the_same_rules() -> None:
    stereo = af.music_like(1.0, 44100, seed=2, channels=2)
    stereo[100, 1] = np.nan
    audio = from_array(stereo, 44100, target_sr=22050)
    assert_clean(audio)
    assert (audio.sr, audio.original_sr, audio.channels, audio.flags) == (22050, 44100, 2, {"repaired"})
    assert len(audio.samples) == pytest.approx(22050, abs=2)
    ints = from_array((af.tone(440.0, 0.5, 16000) * 32767).astype(np.int16), 16000)
    assert np.abs(ints.samples).max() == pytest.approx(0.5, abs=1e-3)
    with pytest.raises(AudioError, match="0 frames"):
        from_array(np.zeros(0, dtype=np.float32), 16000)


def test_output_grows_when_the_header_promised_too_little() -> None:
    writer = _MonoWriter(44100, 22050, expected_in_frames=1000)  # a header that lies about the length
    signal = af.tone(440.0, 130.0, 44100)
    for start in range(0, len(signal), 441000):
        writer.push(signal[start : start + 441000, None])
    assert len(writer.finish()) == pytest.approx(130.0 * 22050, abs=2)


# ------------------------------------------------------------------------------------------ bad inputs


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError) as exc:
        load(tmp_path / "song.wav")
    assert assert_one_line_error(exc, "song.wav") == "song.wav: no such file"


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "music").mkdir()
    with pytest.raises(AudioError) as exc:
        probe(tmp_path / "music")
    assert assert_one_line_error(exc, "music") == "music: is a directory, not an audio file"


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.wav").touch()
    with pytest.raises(AudioError) as exc:
        load(tmp_path / "empty.wav")
    assert assert_one_line_error(exc, "empty.wav") == "empty.wav: file is empty (0 bytes)"


@pytest.mark.parametrize("name", ["notes.wav", "notes.m4a", "notes.txt"])
def test_text_file_is_not_audio(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("these are my notes, not a song\n" * 200)
    for fn in (probe, load):
        with pytest.raises(AudioError) as exc:
            fn(tmp_path / name)
        assert "not an audio file" in assert_one_line_error(exc, name)


def test_truncated_wav_keeps_what_is_there(tmp_path: Path) -> None:
    path = af.truncate_file(af.write_wav(tmp_path / "cut.wav", af.tone(440.0, 4.0, 22050), 22050), 0.5)
    audio = load(path)
    assert_clean(audio)
    assert audio.flags == {"truncated"}
    assert audio.duration_s == pytest.approx(2.0, abs=0.01)


def test_truncated_mp3_keeps_what_is_there(tmp_path: Path) -> None:
    path = af.write_mp3(tmp_path / "cut.mp3", af.music_like(6.0, 44100, seed=3, channels=2), 44100)
    audio = load(af.truncate_file(path, 0.5), 22050)
    assert_clean(audio)
    assert "truncated" in audio.flags
    assert 2.0 < audio.duration_s < 4.5


def test_truncated_flac_keeps_what_is_there(tmp_path: Path) -> None:
    path = af.write_flac(tmp_path / "cut.flac", af.music_like(6.0, 22050, seed=4), 22050)
    audio = load(af.truncate_file(path, 0.6))
    assert "truncated" in audio.flags
    assert 0.5 < audio.duration_s < 6.0


def test_truncated_to_the_header_only_is_an_error(tmp_path: Path) -> None:
    path = af.write_flac(tmp_path / "stub.flac", af.tone(440.0, 2.0, 22050), 22050)
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(AudioError) as exc:
        load(path)
    assert "damaged or cut-off" in assert_one_line_error(exc, "stub.flac")


def test_file_without_samples_is_an_error(tmp_path: Path) -> None:
    path = af.write_wav(tmp_path / "silence.wav", np.zeros(0, dtype=np.float32), 22050)
    with pytest.raises(AudioError) as exc:
        load(path)
    assert assert_one_line_error(exc, "silence.wav") == "silence.wav: contains no audio (0 samples)"


def test_nan_and_inf_are_repaired(tmp_path: Path) -> None:
    signal = af.tone(440.0, 1.0, 22050, channels=2)
    signal[10, 0], signal[20, 1], signal[30, :] = np.nan, np.inf, -np.inf
    path = af.write_wav(tmp_path / "broken.wav", signal, 22050, subtype="FLOAT")
    audio = load(path, 16000)
    assert_clean(audio)
    assert audio.flags == {"repaired"}
    native = load(path)
    assert native.samples[30] == 0.0 and native.samples[10] == pytest.approx(signal[10, 1] / 2)
    assert native.samples[100] == pytest.approx(signal[100, 0])  # the rest is untouched


# ------------------------------------------------------------------------------------------ progress, cancel


def test_progress_reaches_one(tmp_path: Path) -> None:
    path = af.write_flac(tmp_path / "long.flac", af.music_like(25.0, 22050, seed=5), 22050)
    seen: list[float] = []
    load(path, 16000, progress=lambda fraction, message: seen.append(fraction))
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert len(seen) >= 4 and seen == sorted(seen)


def test_cancel_mid_load(tmp_path: Path) -> None:
    path = af.write_wav(tmp_path / "minute.wav", af.tone(440.0, 60.0, 44100, channels=2), 44100)
    cancel = threading.Event()
    seen: list[float] = []

    def progress(fraction: float, message: str) -> None:
        seen.append(fraction)
        if fraction > 0.2:
            cancel.set()

    with pytest.raises(Cancelled):
        load(path, 22050, progress=progress, cancel=cancel)
    assert 0.2 < max(seen) < 0.7  # stopped after a block, not at the end
