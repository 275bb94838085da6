"""Real audio files for tests: signal generators and writers for wav, flac, ogg, mp3 and m4a.

Signals are float32, shaped ``(frames,)`` for mono or ``(frames, channels)``. Writers take the file's path, write
a real file with soundfile (libsndfile) or PyAV (FFmpeg), and return the path. Nothing here reads shared data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def tone(
    freq: float = 440.0, seconds: float = 1.0, sr: int = 22050, channels: int = 1, amplitude: float = 0.5
) -> np.ndarray:
    """A sine at ``freq`` Hz: ``(frames,)`` for one channel, else the same sine in every channel."""
    t = np.arange(int(round(seconds * sr))) / sr
    x = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return x if channels == 1 else np.repeat(x[:, None], channels, axis=1)


def music_like(seconds: float = 10.0, sr: int = 22050, seed: int = 0, channels: int = 1) -> np.ndarray:
    """Something with a music-like spectrum: harmonic notes with envelopes, a click-train drum, a little noise."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    out = np.zeros(n, dtype=np.float64)
    note_s = 0.5
    for start in np.arange(0.0, seconds, note_s):  # a melody of harmonic notes from a pentatonic scale
        f0 = 220.0 * 2 ** (rng.choice([0, 2, 4, 7, 9, 12]) / 12)
        i0, i1 = int(start * sr), min(n, int((start + note_s) * sr))
        tt = t[i0:i1] - start
        envelope = np.minimum(1.0, tt / 0.01) * np.exp(-3.0 * tt)
        partials = sum((0.6**k) * np.sin(2 * np.pi * f0 * (k + 1) * tt) for k in range(6))
        out[i0:i1] += 0.3 * envelope * partials
    beat = int(0.25 * sr)  # a drum-like click every quarter second: a decaying noise burst
    burst = rng.standard_normal(min(beat, int(0.03 * sr))) * np.exp(
        -np.linspace(0, 8, min(beat, int(0.03 * sr)))
    )
    for i0 in range(0, n - len(burst), beat):
        out[i0 : i0 + len(burst)] += 0.4 * burst
    out += 0.01 * rng.standard_normal(n)
    out = (0.8 * out / max(1e-9, np.abs(out).max())).astype(np.float32)
    if channels == 1:
        return out
    delays = [int(0.0005 * sr * c) for c in range(channels)]  # slightly different channels, like a real mix
    return np.stack([np.roll(out, d) for d in delays], axis=1)


def write_wav(path: str | Path, samples: np.ndarray, sr: int, subtype: str = "PCM_16") -> Path:
    """A WAV file; ``subtype`` "PCM_16", "PCM_24", "FLOAT"... ("FLOAT" keeps NaN and inf as they are)."""
    return _write_soundfile(path, samples, sr, "WAV", subtype)


def write_flac(path: str | Path, samples: np.ndarray, sr: int) -> Path:
    """A 16-bit FLAC file."""
    return _write_soundfile(path, samples, sr, "FLAC", "PCM_16")


def write_ogg(path: str | Path, samples: np.ndarray, sr: int) -> Path:
    """An Ogg Vorbis file."""
    return _write_soundfile(path, samples, sr, "OGG", "VORBIS")


def write_mp3(path: str | Path, samples: np.ndarray, sr: int) -> Path:
    """An MP3 file (libsndfile's LAME where available, else PyAV's)."""
    if "MP3" in sf.available_formats():
        return _write_soundfile(path, samples, sr, "MP3", "MPEG_LAYER_III")
    return _write_pyav(path, samples, sr, codec="libmp3lame", container="mp3")


def write_m4a(path: str | Path, samples: np.ndarray, sr: int) -> Path:
    """An AAC file in an MP4 (.m4a) container, written by PyAV."""
    return _write_pyav(path, samples, sr, codec="aac", container="mp4")


def truncate_file(path: str | Path, keep_fraction: float) -> Path:
    """Cut a file to the first ``keep_fraction`` of its bytes (a download or copy that stopped mid-way)."""
    path = Path(path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep_fraction)])
    return path


def _write_soundfile(path: str | Path, samples: np.ndarray, sr: int, fmt: str, subtype: str) -> Path:
    path = Path(path)
    sf.write(str(path), samples, sr, format=fmt, subtype=subtype)
    return path


_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


def _write_pyav(path: str | Path, samples: np.ndarray, sr: int, codec: str, container: str) -> Path:
    import av

    path = Path(path)
    data = np.asarray(samples, dtype=np.float32)
    data = data[:, None] if data.ndim == 1 else data
    channels = data.shape[1]
    if len(data) == 0:
        raise ValueError("PyAV writes no file for 0 samples; use write_wav for an empty file")
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=sr, layout=_LAYOUTS[channels])
        step = 1 << 14
        for start in range(0, len(data), step):  # PyAV converts to the codec's sample format and frame size
            block = np.ascontiguousarray(data[start : start + step]).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(block, format="flt", layout=stream.layout)
            frame.sample_rate = sr
            frame.pts = start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path
