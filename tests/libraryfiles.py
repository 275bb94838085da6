"""A generated music library for the library tests: real files in five formats plus the awkward cases."""

from __future__ import annotations

import os
from pathlib import Path

import audiofiles as af
import soundfile as sf

GOOD = ("a_wave.wav", "b_flac.flac", "c_vorbis.ogg", "d_opus.opus", "e_mpeg.mp3", "f_aac.m4a",
        "sub/Ünïcode – café 日本.flac")
BAD = {"corrupt.mp3": "not an audio file", "zero.flac": "empty", "cut.flac": "no audio could be decoded"}


def write_ogg_blocks(path: Path, samples, sr: int, subtype: str = "VORBIS") -> Path:
    """Ogg Vorbis/Opus written in blocks (libsndfile's Vorbis encoder can crash on one big write)."""
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with sf.SoundFile(str(path), "w", sr, channels, format="OGG", subtype=subtype) as f:
        for i in range(0, len(samples), 8192):
            f.write(samples[i : i + 8192])
    return path


def write_track(path: Path, seconds: float = 4.0, seed: int = 0, sr: int = 22050) -> Path:
    """A music-like stereo track, format from the extension."""
    x = af.music_like(seconds, sr, seed=seed, channels=2)
    ext = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if ext in (".wav", ".wave"):
        return af.write_wav(path, x, sr)
    if ext in (".aif", ".aiff", ".aifc", ".au"):  # float AIFF is written as AIFF-C (FORM....AIFC)
        fmt, subtype = ("AU", "PCM_16") if ext == ".au" else ("AIFF", "FLOAT" if ext == ".aifc" else "PCM_16")
        sf.write(str(path), x, sr, format=fmt, subtype=subtype)
        return path
    if ext == ".flac":
        return af.write_flac(path, x, sr)
    if ext == ".ogg":
        return write_ogg_blocks(path, x, sr)
    if ext == ".opus":  # Opus runs at 48 kHz
        return write_ogg_blocks(path, af.music_like(seconds, 48000, seed=seed, channels=2), 48000, "OPUS")
    if ext == ".mp3":
        return af.write_mp3(path, x, sr)
    if ext == ".m4a":
        return af.write_m4a(path, x, sr)
    raise ValueError(ext)


def make_library(root: Path, seconds: float = 4.0) -> Path:
    """GOOD tracks, BAD files, a non-audio file, hidden files, a folder link loop, a link to a file already
    there (counted once) and a read-only track."""
    for i, name in enumerate(GOOD):
        write_track(root / name, seconds, seed=i)
    (root / "corrupt.mp3").write_bytes(b"this is not audio at all " * 200)
    (root / "zero.flac").write_bytes(b"")
    af.truncate_file(write_track(root / "cut.flac", seconds, seed=9), 0.002)
    (root / "notes.txt").write_text("not music")
    (root / ".hidden.flac").write_bytes(b"")
    (root / ".git").mkdir()
    (root / ".git" / "x.wav").write_bytes(b"")
    os.symlink("..", root / "sub" / "loop")
    os.symlink(root / "a_wave.wav", root / "sub" / "link_to_a.wav")
    ro = write_track(root / "sub" / "readonly.flac", seconds, seed=11)
    ro.chmod(0o444)
    return root


N_GOOD = len(GOOD) + 1  # + the read-only track
N_BAD = len(BAD)
