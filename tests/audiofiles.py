"""Real audio files for tests: signal generators and writers for wav, flac, ogg, mp3 and m4a.

Signals are float32, shaped ``(frames,)`` for mono or ``(frames, channels)``. Writers take the file's path, write
a real file with soundfile (libsndfile) or PyAV (FFmpeg), and return the path. Nothing here reads shared data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from genrelab.audio.synthesis import music_like  # noqa: F401  (re-exported for the tests)


def tone(
    freq: float = 440.0, seconds: float = 1.0, sr: int = 22050, channels: int = 1, amplitude: float = 0.5
) -> np.ndarray:
    """A sine at ``freq`` Hz: ``(frames,)`` for one channel, else the same sine in every channel."""
    t = np.arange(int(round(seconds * sr))) / sr
    x = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return x if channels == 1 else np.repeat(x[:, None], channels, axis=1)


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
