"""Recording through a real audio device: a PulseAudio null sink (its own, per test) and its monitor source.

A generated file is played into the sink with `paplay`; the real recorder records the sink's monitor through
PortAudio. The take must match what was played, the rolling genre must equal `analyse()` of the take, a
`kill -9` must leave a repairable take, and a sink that disappears must end the take cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from nullsink import SR, NullSink

from genrelab.audio.synthesis import music_like

pytestmark = pytest.mark.audio_device


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRELAB_TAKE_JOURNAL", str(tmp_path / "journal"))
    monkeypatch.setenv("GENRELAB_RECORDINGS", str(tmp_path / "takes"))
    monkeypatch.delenv("GENRELAB_NO_AUDIO", raising=False)


@pytest.fixture
def sink():
    s = NullSink(f"genrelab_rec_{os.getpid()}_{time.monotonic_ns() % 100000}")
    yield s
    s.remove()


@pytest.fixture(scope="module")
def music(tmp_path_factory) -> tuple[Path, np.ndarray]:
    """Four seconds of stereo music-like audio at 44.1 kHz (16-bit: what the null sink carries exactly)."""
    y = np.stack([music_like(4.0, SR, seed=5), music_like(4.0, SR, seed=6)], axis=1) * 0.6
    path = tmp_path_factory.mktemp("src") / "music.wav"
    sf.write(path, y, SR, subtype="PCM_16")
    return path, sf.read(path, dtype="float32")[0]


@pytest.fixture(scope="module")
def span_model(tmp_path_factory) -> Path:
    """A random-weight full-size musicnn *span* net (real ONNX): the live path gives it each window's left context."""
    pytest.importorskip("torch")
    from modelfiles import export_random_span_model

    return export_random_span_model(tmp_path_factory.mktemp("span") / "span.onnx")


def _ncc_after_alignment(take: np.ndarray, source: np.ndarray) -> float:
    from scipy.signal import correlate

    corr = correlate(take, source, mode="full", method="fft")
    lag = int(np.argmax(corr)) - (len(source) - 1)
    a, b = (take[lag:], source) if lag >= 0 else (take, source[-lag:])
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))


def _wait_first_block(recorder, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while recorder.blocks == 0:
        assert time.monotonic() < end, "no audio arrived from the null sink's monitor"
        time.sleep(0.01)


@pytest.mark.parametrize("kind", ["window", "span"])
def test_take_matches_the_played_file_and_rolling_genre_equals_analyse(sink, music, kind, request, tmp_path):
    from genrelab.analysis import analyse
    from genrelab.audio import load
    from genrelab.audio.record import Recorder, resolve_input
    from genrelab.audio.record_live import LiveAnalyser
    from genrelab.dsp import track_features
    from genrelab.dsp.streaming import WindowSchedule
    from genrelab.dsp.windows import scale
    from genrelab.model.engine import OnnxEngine
    from genrelab.model.span import context_columns

    engine = OnnxEngine(request.getfixturevalue("tiny_model" if kind == "window" else "span_model"))
    device = resolve_input(sink.monitor)
    assert device.monitor and device.default_rate == SR
    recorder = Recorder(device)
    take = recorder.start_take(tmp_path / "take.flac", max_seconds=5.0, from_start=True)
    recorder.start()
    analyser = LiveAnalyser(recorder, start_frame=0, engine=engine, hop_s=0.5).start()
    _wait_first_block(recorder)
    player = sink.play(music[0])
    assert take.done.wait(20)
    result = take.stop()
    analyser.stop()
    recorder.stop()
    player.wait(10)

    assert result.error is None and result.dropouts == 0 and result.lost_frames == 0
    data, rate = sf.read(result.path, dtype="float32")
    assert rate == SR and data.shape[1] == 2
    assert abs(len(data) / rate - 5.0) <= 0.1
    assert _ncc_after_alignment(data[:, 0], music[1][:, 0]) >= 0.9
    assert _ncc_after_alignment(data[:, 1], music[1][:, 1]) >= 0.9

    audio = load(result.path, sr=engine.card.spec.sr)
    timeline = analyse(audio, engine, 0.5).timeline
    # every window on the file's grid but its last (flush with the end) came live, or was skipped and counted
    assert len(analyser.estimates) + analyser.skipped >= len(timeline.times) - 1 and len(analyser.estimates) >= 3
    spec, db = engine.card.spec, track_features(audio.samples, engine.card.spec).db
    schedule = WindowSchedule(spec, 0.5)
    for estimate in analyser.estimates:
        i = int(np.argmin(np.abs(timeline.times - estimate.time)))
        assert timeline.times[i] == pytest.approx(estimate.time, abs=1e-9)
        if kind == "window":
            np.testing.assert_allclose(estimate.probs, timeline.probs[i], atol=1e-3)
        else:  # the take's window with its left context (as far as the take goes), scaled as one span
            start = schedule.start(estimate.index)
            first = max(0, start - context_columns(engine.card))
            span = scale(db[None, :, first : start + spec.window_columns], spec)[:, None]
            expected, _ = engine.predict_span(np.ascontiguousarray(span), np.array([start - first], np.int64))
            np.testing.assert_allclose(estimate.probs, expected[0], atol=1e-3)


def test_kill_9_of_genrelab_record_leaves_a_readable_take(sink, music, tmp_path):
    loop = tmp_path / "loop.wav"
    sf.write(loop, np.concatenate([music[1]] * 3), SR, subtype="PCM_16")  # 12 s: plays past the kill
    env = {**os.environ}
    out = tmp_path / "killed.flac"
    proc = subprocess.Popen([sys.executable, "-m", "genrelab", "record", "--device", sink.monitor, "--seconds", "60",
                             "--out", str(out)], stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stderr.readline()
    assert line.startswith("recording"), line
    player = sink.play(loop)
    started = time.monotonic()
    time.sleep(4.0)
    proc.send_signal(signal.SIGKILL)
    killed_after = time.monotonic() - started
    proc.wait()
    player.terminate()
    player.wait()
    # the next start of `genrelab record` repairs it and says so
    again = subprocess.run([sys.executable, "-m", "genrelab", "record", "--device", sink.monitor, "--seconds", "0.3",
                            "--out", str(tmp_path / "next.wav")], capture_output=True, text=True, env=env, timeout=60)
    assert again.returncode == 0, again.stderr
    assert f"recovered an unfinished take: {out}" in again.stderr
    data, rate = sf.read(out, dtype="float32")
    seconds = len(data) / rate
    assert killed_after - 1.0 <= seconds <= killed_after + 0.5
    tail = data[int((seconds - 1.0) * rate) :]  # the music was playing until the kill: the last second holds it
    assert np.abs(tail).max() > 0.1


def test_a_sink_that_disappears_ends_the_take_cleanly(sink, music, tmp_path):
    from genrelab.audio.record import Recorder, resolve_input

    recorder = Recorder(resolve_input(sink.monitor))
    take = recorder.start_take(tmp_path / "unplugged.wav", from_start=True)
    recorder.start()
    _wait_first_block(recorder)
    player = sink.play(music[0])
    time.sleep(1.5)
    sink.remove()  # the "device" is unplugged mid-take
    assert take.done.wait(10), "the take did not end when its input disappeared"
    result = take.stop()
    recorder.stop()
    player.wait(10)
    assert result.error and "unplugged" in result.error
    data, rate = sf.read(result.path, dtype="float32")
    assert 1.0 <= len(data) / rate <= 3.0 and np.abs(data).max() > 0.1


def test_devices_lists_the_monitor_source(sink):
    out = subprocess.run([sys.executable, "-m", "genrelab", "devices"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert sink.monitor in out.stdout and "what the computer plays" in out.stdout


def test_ctrl_c_finishes_the_take_cleanly(sink, tmp_path):
    out = tmp_path / "interrupted.wav"
    proc = subprocess.Popen([sys.executable, "-m", "genrelab", "record", "--device", sink.monitor, "--out", str(out)],
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr.readline().startswith("recording")
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=30)[1]
    assert proc.returncode == 0, err
    assert f"saved {out}" in err
    info = sf.info(str(out))  # a finished file: its header states the length
    assert 1.0 <= info.duration <= 3.0 and info.samplerate == SR
    assert not list((tmp_path / "journal").glob("*.json"))


def test_a_refused_rate_is_one_line(sink):
    from genrelab.audio.record import Recorder, RecordError, resolve_input

    with pytest.raises(RecordError, match="refuses 7 Hz"):
        Recorder(resolve_input(sink.monitor), rate=7).start()
