"""`analyse()` on generated audio with a real (random-weight) ONNX model: timeline, summary, flags, cancel."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from audiofiles import music_like

from genrelab.analysis import Analysis, Timeline, analyse, analyse_file, dominant_segments
from genrelab.audio import from_array
from genrelab.errors import AnalysisError, Cancelled
from genrelab.model import OnnxEngine

SR = 22050


@pytest.fixture(scope="module")
def engine(tiny_model) -> OnnxEngine:
    return OnnxEngine(tiny_model, device="cpu")


@pytest.fixture(scope="module")
def track(engine) -> Analysis:
    return analyse(from_array(music_like(20.0, SR, seed=11), SR), engine, hop_s=0.5)


def assert_covers(segments, duration: float) -> None:
    assert segments[0].start_s == 0.0
    assert segments[-1].end_s == pytest.approx(duration)
    for a, b in zip(segments, segments[1:], strict=False):
        assert a.end_s == b.start_s  # no gap, no overlap
        assert a.end_s > a.start_s


def test_timeline_shape_times_and_probabilities(track, engine):
    tl = track.timeline
    spec = engine.card.spec
    assert track.duration_s == pytest.approx(20.0)
    assert tl.labels == engine.card.labels and tl.window_s == 3.0
    assert tl.probs.shape == (len(tl.times), 10) and tl.probs.dtype == np.float32
    assert abs(len(tl.times) - 35) <= 1  # (20 - 3) / 0.5 + 1 windows
    steps = np.diff(tl.times)
    assert np.all(steps > 0)
    assert np.all(np.abs(steps - 0.5) <= spec.column_seconds + 1e-9)
    assert tl.times[0] == pytest.approx(1.5, abs=spec.column_seconds)
    assert tl.times[-1] + 1.5 <= 20.0 + spec.column_seconds and tl.times[-1] > 20.0 - 1.5 - 0.5
    np.testing.assert_allclose(tl.starts, tl.times - 1.5, atol=spec.column_seconds)
    np.testing.assert_allclose(tl.probs.sum(axis=1), 1.0, atol=1e-5)
    assert np.all(tl.probs >= 0)
    np.testing.assert_array_equal(tl.at(tl.times[3] + 0.1), tl.probs[3])


def test_timeline_matches_the_engine_on_each_window(track, engine):
    """Batched analysis gives what the engine says about each window on its own."""
    from genrelab.dsp import cut, model_inputs, window_starts

    spec = engine.card.spec
    starts = window_starts(track.features.n_columns, spec, 0.5)
    for i in (0, 7, len(starts) - 1):
        alone = engine.predict(model_inputs(cut(track.features.db, starts[i : i + 1], spec), spec))[0]
        np.testing.assert_allclose(track.timeline.probs[i], alone, atol=1e-5)


def test_summary(track):
    s = track.summary
    mean = track.timeline.probs.mean(axis=0)
    assert list(s.mean) == [track.timeline.labels[i] for i in np.argsort(mean)[::-1]]
    assert sum(s.mean.values()) == pytest.approx(1.0, abs=1e-5)
    assert len(s.top3) == 3
    assert [p for _, p in s.top3] == sorted((p for _, p in s.top3), reverse=True)
    assert s.top3 == list(s.mean.items())[:3]
    assert s.top_genre == s.top3[0][0]
    assert s.top3[0][1] == pytest.approx(float(mean.max()))
    assert_covers(s.segments, track.duration_s)


def test_hop_changes_the_number_of_windows(engine):
    audio = from_array(music_like(12.0, SR, seed=2), SR)
    one = analyse(audio, engine, hop_s=1.0)
    half = analyse(audio, engine, hop_s=0.5)
    assert abs(len(half.timeline.times) - (2 * len(one.timeline.times) - 1)) <= 1
    with pytest.raises(AnalysisError):
        analyse(audio, engine, hop_s=0)


def test_dominant_segments_merge_blips_and_cover_the_track():
    labels = ["a", "b", "c"]
    times = np.arange(60) * 0.5 + 1.5  # 60 windows: a for 20, one b blip, a, then c for 25
    top = np.array([0] * 20 + [1] + [0] * 14 + [2] * 25)
    probs = np.full((60, 3), 0.1, np.float32)
    probs[np.arange(60), top] = 0.8
    duration = 33.0
    segments = dominant_segments(Timeline(times, times - 1.5, probs, labels, 3.0), duration)
    assert [s.genre for s in segments] == ["a", "c"]  # the 0.5-s blip of b is absorbed
    assert_covers(segments, duration)
    assert segments[0].end_s == pytest.approx(0.5 * (times[34] + times[35]), abs=1.1)  # switch near window 35
    assert segments[1].probability == pytest.approx(0.8)


def test_two_second_clip_is_padded_and_flagged(engine):
    result = analyse(from_array(music_like(2.0, SR, seed=3), SR), engine)
    assert "short" in result.flags
    assert result.duration_s == pytest.approx(2.0)
    assert result.timeline.probs.shape == (1, 10)
    np.testing.assert_allclose(result.timeline.probs.sum(), 1.0, atol=1e-5)
    assert_covers(result.summary.segments, 2.0)


def test_clip_under_half_a_second_is_an_error(engine):
    with pytest.raises(AnalysisError, match="too short"):
        analyse(from_array(music_like(0.2, SR), SR), engine)


def test_silence_is_flagged(engine):
    result = analyse(from_array(np.zeros(5 * SR, np.float32), SR), engine)
    assert {"silent", "low_confidence"} <= result.flags
    loud = analyse(from_array(music_like(5.0, SR), SR), engine)
    assert "silent" not in loud.flags


def test_cancel_stops_the_analysis(engine):
    audio = from_array(music_like(30.0, SR, seed=4), SR)
    stop = threading.Event()
    calls = []

    def progress(fraction: float, message: str) -> None:
        calls.append(fraction)
        if message == "genre model":
            stop.set()  # the user presses Cancel while the model runs

    with pytest.raises(Cancelled):
        analyse(audio, engine, batch_size=4, progress=progress, cancel=stop)
    assert max(calls) < 0.5  # it stopped after the first batch, not at the end
    already = threading.Event()
    already.set()
    with pytest.raises(Cancelled):
        analyse(audio, engine, cancel=already)


def test_progress_reaches_one(engine):
    seen: list[float] = []
    analyse(from_array(music_like(10.0, SR), SR), engine, batch_size=4, progress=lambda f, m: seen.append(f))
    assert seen[-1] == 1.0
    assert seen == sorted(seen) and all(0.0 <= f <= 1.0 for f in seen)
    assert len(seen) > 4


def test_44k_input_is_resampled(engine):
    import librosa

    y44 = music_like(10.0, 44100, seed=6)
    at44 = analyse(from_array(y44, 44100), engine)
    y22 = librosa.resample(y44, orig_sr=44100, target_sr=SR, res_type="soxr_hq")
    at22 = analyse(from_array(y22, SR), engine)
    assert at44.duration_s == pytest.approx(10.0, abs=1e-3)
    np.testing.assert_allclose(at44.timeline.times, at22.timeline.times)
    assert np.abs(at44.features.db - at22.features.db)[at22.features.db > -60].max() < 0.5
    np.testing.assert_allclose(at44.timeline.probs, at22.timeline.probs, atol=2e-3)


def test_analyse_file_and_to_dict(engine, tmp_path):
    from audiofiles import write_flac

    path = write_flac(tmp_path / "song.flac", music_like(8.0, 44100, seed=8, channels=2), 44100)
    result = analyse_file(path, engine)
    assert result.path == path and result.duration_s == pytest.approx(8.0, abs=1e-3)
    d = result.to_dict()
    assert d["path"] == str(path) and d["top_genre"] == result.summary.top_genre
    assert len(d["timeline"]["times"]) == len(d["timeline"]["probs"]) == len(result.timeline.times)
    assert "timeline" not in result.to_dict(with_timeline=False)
