"""Recording core without a sound card: the ring buffer, streaming feature columns, the take writer, crash repair
and the rolling genre's bounded queue. The recorder here is real but never opens a stream: tests write the
audio callback's blocks into its ring themselves (tests/test_record_device.py records for real)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from genrelab.audio.record import InputDevice, Recorder, RecordError, resolve_input
from genrelab.audio.record_live import LiveAnalyser
from genrelab.audio.record_ring import RingBuffer
from genrelab.audio.record_take import create_take_file, format_for, recover_unfinished, start_take
from genrelab.audio.synthesis import music_like
from genrelab.dsp import GTZAN_IMAGE_STRIDE, FeatureSpec, track_features, window_centres, window_starts
from genrelab.dsp.streaming import StreamingColumns, WindowSchedule

DEVICE = InputDevice(0, "test input", 2, 44100, "test", 0)


@pytest.fixture(autouse=True)
def _journal(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRELAB_TAKE_JOURNAL", str(tmp_path / "journal"))


def test_ring_buffer_wraps_and_reports_lost_frames():
    ring = RingBuffer(100, 2)
    data = np.arange(500, dtype=np.float32).reshape(250, 2)
    ring.write(data[:60])
    got = ring.read(0)
    assert got.start == 0 and got.lost == 0 and np.array_equal(got.frames, data[:60])
    ring.write(data[60:130])  # wraps
    got = ring.read(60)
    assert np.array_equal(got.frames, data[60:130])
    got = ring.read(0)  # the oldest 30 frames were overwritten
    assert got.lost == 30 and got.start == 30 and np.array_equal(got.frames, data[30:130])
    ring.write(data[130:250])  # more than the capacity at once: only the newest stay
    got = ring.read(130)
    assert got.start == 150 and got.lost == 20 and np.array_equal(got.frames, data[150:250])
    assert np.array_equal(ring.latest(10).frames, data[240:250])


@pytest.mark.parametrize("spec", [FeatureSpec(), FeatureSpec(frame_stride=GTZAN_IMAGE_STRIDE),
                                  FeatureSpec(kind="stft", sr=44100, n_fft=1024, hop_length=256, win_length=1024)],
                         ids=["mel", "mel-stride", "stft"])
def test_streaming_columns_equal_the_whole_signal_features(spec):
    rng = np.random.default_rng(0)
    y = music_like(8.0, spec.sr, seed=2)
    whole = track_features(y, spec)
    columns = StreamingColumns(spec, 100_000)
    parts, i = [], 0
    while i < len(y):
        n = int(rng.integers(1, 3000))
        first, db = columns.push(y[i : i + n])
        assert first == sum(p.shape[1] for p in parts)
        parts.append(db)
        i += n
    parts.append(columns.finish()[1])
    got = np.concatenate(parts, axis=1)
    assert got.shape == whole.db.shape
    np.testing.assert_allclose(got, whole.db, atol=1e-3)
    schedule = WindowSchedule(spec, 0.5)
    starts = window_starts(whole.n_columns, spec, 0.5)
    centres = window_centres(whole.frames, starts, spec)
    k = 0
    while schedule.ready(k, whole.n_columns):
        assert schedule.start(k) == starts[k] and schedule.centre(k) == pytest.approx(centres[k], abs=1e-12)
        k += 1
    assert k >= len(starts) - 1  # all but the file path's last, end-flush window


def test_take_names_never_overwrite(tmp_path):
    when = __import__("datetime").datetime(2026, 1, 2, 3, 4, 5)
    first, fd1 = create_take_file(tmp_path, "flac", when)
    second, fd2 = create_take_file(tmp_path, "flac", when)
    os.close(fd1)
    os.close(fd2)
    assert first.name == "take-2026-01-02_03-04-05.flac" and second.name == "take-2026-01-02_03-04-05-2.flac"
    with pytest.raises(RecordError, match="never overwrite"):
        create_take_file(first, "flac")
    assert format_for(Path("a.wav"), None) == "wav" and format_for(None, None) == "flac"
    with pytest.raises(RecordError, match="extension says wav"):
        format_for(Path("a.wav"), "flac")


def test_resolve_input_by_index_name_and_piece():
    devices = [DEVICE, InputDevice(5, "null.monitor", 2, 44100, "PulseAudio", 0, "null.monitor", 1, "Monitor of Null")]
    assert resolve_input("5", devices).name == "null.monitor"
    assert resolve_input("null.monitor", devices).index == 5
    assert resolve_input("monitor of", devices).index == 5
    with pytest.raises(RecordError, match="no input device with index 9"):
        resolve_input(9, devices)
    with pytest.raises(RecordError, match="no input device matches"):
        resolve_input("usb mic", devices)


def _feed(recorder: Recorder, signal: np.ndarray, block: int = 441) -> None:
    """What the audio callback does, block by block."""
    for i in range(0, len(signal), block):
        recorder.ring.write(signal[i : i + block])


def test_take_writes_exactly_what_was_recorded_and_clears_its_journal(tmp_path):
    recorder = Recorder(DEVICE)
    stereo = np.stack([music_like(3.0, 44100, seed=1), music_like(3.0, 44100, seed=2)], axis=1) * 0.5
    take = start_take(recorder, tmp_path / "takes", "wav", max_seconds=2.5, from_start=True)
    _feed(recorder, stereo)
    assert take.done.wait(5)
    result = take.stop()
    assert result.error is None and result.frames == int(2.5 * 44100)
    data, sr = sf.read(result.path, dtype="float32")
    assert sr == 44100 and data.shape == (result.frames, 2)
    np.testing.assert_allclose(data, stereo[: result.frames], atol=2e-7)  # 24-bit PCM
    assert not list((tmp_path / "journal").glob("*.json"))
    assert recover_unfinished() == []


_WRITER = textwrap.dedent("""
    import resource, sys, time
    import numpy as np
    from pathlib import Path
    from genrelab.audio.record import InputDevice, Recorder
    from genrelab.audio.record_take import start_take
    from genrelab.audio.synthesis import music_like
    mode, folder, fmt = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    recorder = Recorder(InputDevice(0, "test input", 2, 44100, "test", 0))
    take = start_take(recorder, folder, fmt, from_start=True)
    if mode == "full":  # the file may not grow past 300 kB: what a full disk does to a write
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))
    y = music_like(1.0, 44100, seed=0)
    block = np.stack([y, y], axis=1)
    step = 1.0 if mode == "full" else 0.1  # a second of audio every 0.1 s; in real time for "kill"
    for tick in range(300):
        recorder.ring.write(block[: int(44100 * step)])
        print(f"{(tick + 1) * step:.1f}", flush=True)
        time.sleep(0.1)
        if take.done.is_set():
            break
    result = take.stop()
    print("RESULT", result.seconds, result.error, flush=True)
    time.sleep(60)
""")


@pytest.mark.parametrize("fmt", ["flac", "wav"])
def test_killed_take_is_repaired_at_next_start(tmp_path, fmt):
    folder = tmp_path / "takes"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, "kill", str(folder), fmt], stdout=subprocess.PIPE,
                            text=True, env={**os.environ})
    fed = 0.0
    while fed < 4.0:  # four seconds of audio handed to the writer in real time, then kill -9
        fed = float(proc.stdout.readline())
    time.sleep(0.05)
    proc.kill()
    proc.wait()
    takes = list(folder.glob(f"*.{fmt}"))
    assert len(takes) == 1
    recovered = recover_unfinished()
    assert len(recovered) == 1 and recovered[0].ok and "recovered an unfinished take" in recovered[0].message
    info = sf.info(str(takes[0]))
    assert info.samplerate == 44100 and info.channels == 2
    assert fed - 1.0 <= info.duration <= fed + 1.0  # at most about a second lost
    data, _ = sf.read(takes[0], dtype="float32")  # a proper file now: libsndfile reads it whole
    assert len(data) == info.frames and np.abs(data).max() > 0.1
    assert recover_unfinished() == []  # the journal entry is gone


def test_full_disk_stops_the_take_and_keeps_what_was_written(tmp_path):
    folder = tmp_path / "takes"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, "full", str(folder), "wav"], stdout=subprocess.PIPE,
                            text=True)
    line = ""
    deadline = time.monotonic() + 30
    while not line.startswith("RESULT") and time.monotonic() < deadline:
        line = proc.stdout.readline()
    proc.kill()
    proc.wait()
    assert line.startswith("RESULT"), "the take did not stop on the write error"
    _, seconds, error = line.split(" ", 2)
    assert "keeps the first" in error
    take = next(folder.glob("*.wav"))
    data, sr = sf.read(take, dtype="float32")
    assert 1.0 < float(seconds) <= len(data) / sr <= float(seconds) + 0.1  # 300 kB of 24-bit stereo: ~1.1 s
    assert np.abs(data).max() > 0.1


def test_rolling_genre_never_queues_more_than_one_window(tiny_model):
    import threading

    from genrelab.audio.record_live import GenreWorker
    from genrelab.model.engine import OnnxEngine

    engine = OnnxEngine(tiny_model, threads=1)
    spec = engine.card.spec
    window = np.zeros((spec.n_bins, spec.window_columns), np.float32)
    release, first_done = threading.Event(), threading.Event()
    results = []

    def on_result(estimate) -> None:  # noqa: ANN001 - holds the worker on its first window
        results.append(estimate.index)
        first_done.set()
        release.wait(10.0)

    worker = GenreWorker(engine, on_result)
    worker.submit(0, window, 1.5, 0.0)
    assert first_done.wait(10.0)
    for index in range(1, 271):  # 270 windows due while the model is busy with window 0
        worker.submit(index, window, 1.5 + index * 0.1, index * 0.1)
    release.set()
    worker.stop(wait=True)
    assert results == [0, 270]  # one running, one waiting, newest wins: no backlog was worked off
    assert worker.skipped == 269 and worker.computed == 2

    # The analyser on top of it accounts for every window that fell due: computed or skipped, never lost.
    analyser = LiveAnalyser(Recorder(DEVICE), start_frame=0, engine=OnnxEngine(tiny_model, threads=1), hop_s=0.1)
    y = music_like(30.0, 44100, seed=4)
    _feed(analyser.recorder, np.stack([y, y], axis=1), block=44100 * 30)  # 30 s at once: ~270 windows due
    analyser.step()
    analyser.stop(drain=True)
    due = analyser.next_window
    assert due > 200
    assert len(analyser.estimates) + analyser.skipped == due
    assert analyser.estimates[-1].index == due - 1  # the newest window is always the one computed


def test_levels_and_the_clip_light():
    recorder = Recorder(DEVICE)
    analyser = LiveAnalyser(recorder, start_frame=0)
    quiet = np.full((4410, 2), 0.25, np.float32)
    quiet[:, 1] = 0.5
    recorder.ring.write(quiet)
    analyser.step()
    peak, clipped = analyser.take_levels()
    assert peak.tolist() == [0.25, 0.5] and not clipped
    loud = quiet.copy()
    loud[100, 0] = 1.0  # one full-scale sample
    recorder.ring.write(loud)
    analyser.step()
    assert analyser.take_levels()[1]
    assert analyser.take_levels()[1] is False  # read once, then reset
    x, y = analyser.waveform(1.0)
    assert len(x) == len(y) > 0 and y.max() == pytest.approx(0.75)  # the mono downmix: (1.0 + 0.5) / 2


def test_cli_without_audio_says_so_in_one_line(monkeypatch):
    monkeypatch.setenv("GENRELAB_NO_AUDIO", "1")
    for argv in (["devices"], ["record", "--seconds", "1"]):
        out = subprocess.run([sys.executable, "-m", "genrelab", *argv], capture_output=True, text=True, timeout=60)
        assert out.returncode == 2
        assert out.stderr.strip() == "error: audio input is disabled (GENRELAB_NO_AUDIO is set)"
