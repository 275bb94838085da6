"""Write resources/demo/genrelab-demo.flac: a 40-s generated track in three contrasting sections.

Not music anyone recorded (no GTZAN or other third-party audio ships): soft bright tones, then a fast
drum-heavy low section, then sparse high notes, so the spectrogram views and the genre timeline have something
to show. Run ``python packaging/make_demo.py`` to make it again (deterministic).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from genrelab.audio.synthesis import music_like

SR = 22050
TARGET = Path(__file__).resolve().parents[1] / "resources" / "demo" / "genrelab-demo.flac"


def make() -> np.ndarray:
    """The demo's samples (float32, mono, 22,050 Hz)."""
    parts = [
        music_like(14.0, SR, seed=1, tempo_bpm=72, root_hz=330, harmonics=8, brightness=0.8, drums=0.0, noise=0.002),
        music_like(14.0, SR, seed=2, tempo_bpm=150, root_hz=82, harmonics=5, brightness=0.9, drums=1.2, noise=0.05),
        music_like(12.0, SR, seed=3, tempo_bpm=96, root_hz=523, harmonics=3, brightness=0.5, drums=0.2, noise=0.01),
    ]
    fade = int(0.5 * SR)
    ramp = np.linspace(0, 1, fade, dtype=np.float32)
    for p in parts:
        p[:fade] *= ramp
        p[-fade:] *= ramp[::-1]
    return np.concatenate(parts)


if __name__ == "__main__":
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    sf.write(TARGET, make(), SR, subtype="PCM_16")
    print(f"{TARGET} ({TARGET.stat().st_size / 1e6:.1f} MB)")
