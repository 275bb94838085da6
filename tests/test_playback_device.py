"""Playback through a real audio device: the PulseAudio null sink that `packaging/bootstrap.sh test` starts.

The app's `Player` plays a tone for real; `parec` records the sink's monitor; the recording must hold the tone
and the playhead must move with it.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import numpy as np
import pytest

pytestmark = pytest.mark.audio_device


@pytest.fixture
def null_sink_monitor() -> str:
    assert shutil.which("pactl") and shutil.which("parec"), "PulseAudio tools missing: run packaging/bootstrap.sh test"
    sources = subprocess.run(["pactl", "list", "short", "sources"], capture_output=True, text=True).stdout
    monitors = [line.split("\t")[1] for line in sources.splitlines() if "null" in line and ".monitor" in line]
    assert monitors, "no PulseAudio null sink: packaging/bootstrap.sh test starts one"
    # the player plays to the default sink: make it this monitor's sink (a sink another test loaded and removed
    # may have been made the default meanwhile)
    subprocess.run(["pactl", "set-default-sink", monitors[0].removesuffix(".monitor")], check=True)
    return monitors[0]


def test_player_plays_through_the_null_sink_at_real_time(qapp, null_sink_monitor):
    from genrelab.gui.playback import Player

    sr = 22050
    t = np.arange(6 * sr) / sr
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    rec = subprocess.Popen(["parec", f"--device={null_sink_monitor}", "--raw", "--format=s16le", "--channels=1",
                            f"--rate={sr}"], stdout=subprocess.PIPE)
    player = Player()
    assert player.unavailable is None
    player.set_track(tone, sr)
    player.play()
    start = time.monotonic()
    time.sleep(0.8)  # the stream's start-up (PulseAudio can take a few hundred ms)
    first = player.position_s()
    time.sleep(1.5)
    second, t2 = player.position_s(), time.monotonic()
    player.pause()
    time.sleep(0.3)
    rec.terminate()
    recorded = np.frombuffer(rec.communicate(timeout=10)[0], np.int16).astype(np.float32) / 32768
    # The playhead moves with the sound and never runs ahead of the wall clock. (How fast PulseAudio's ALSA
    # plugin drains the stream varies from run to run on a null sink, so no rate is asserted.)
    assert 0.0 < second and first <= second < t2 - start + 0.05
    assert np.abs(recorded).max() > 0.2  # the tone reached the device
    onset = int(np.argmax(np.abs(recorded) > 0.2))
    chunk = recorded[onset : onset + 4096]
    assert len(chunk) == 4096
    peak_hz = np.argmax(np.abs(np.fft.rfft(chunk * np.hanning(len(chunk))))) * sr / len(chunk)
    assert abs(peak_hz - 440) < 10
