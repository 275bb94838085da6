"""Features against librosa, the frame stride rule, window placement, per-window scaling and the paper image."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
from audiofiles import music_like

from genrelab.dsp import (
    GTZAN_IMAGE_STRIDE,
    PAPER_SPEC,
    FeatureSpec,
    cut,
    model_inputs,
    scale,
    track_features,
    window_centres,
    window_starts,
)
from genrelab.dsp.image import IMAGENET_MEAN, IMAGENET_STD, colormap_lut
from genrelab.dsp.spectrum import mel_filterbank, n_frames

SR = 22050
GTZAN_SPEC = FeatureSpec(frame_stride=GTZAN_IMAGE_STRIDE)
GTZAN_CLIP = 661_794  # samples in a typical GTZAN clip (30.01 s at 22,050 Hz): 1,293 frames at hop 512


@pytest.fixture(scope="module")
def signal() -> np.ndarray:
    """6 s of music-like audio with a stretch of digital silence (so the dB floor is exercised too)."""
    y = music_like(6.0, SR, seed=1)
    y[2 * SR : 2 * SR + 8000] = 0.0
    return y


def librosa_db(power: np.ndarray) -> np.ndarray:
    return librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=None)


# ---- features against librosa ---------------------------------------------------------------------------
def test_mel_db_equals_librosa(signal):
    ours = track_features(signal, PAPER_SPEC).db
    ref = librosa_db(librosa.feature.melspectrogram(y=signal, sr=SR, n_fft=2048, hop_length=512, n_mels=128,
                                                    power=2.0))
    assert ours.shape == ref.shape == (128, 1 + len(signal) // 512)
    assert np.abs(ours - ref).max() < 0.05


@pytest.mark.parametrize("sr,n_fft,n_mels,fmin,fmax", [(22050, 2048, 128, 0.0, None), (22050, 2048, 64, 30.0, 8000.0),
                                                    (44100, 1024, 40, 0.0, None), (16000, 512, 80, 20.0, 7600.0)])
def test_mel_filterbank_equals_librosa(sr, n_fft, n_mels, fmin, fmax):
    ours = mel_filterbank(sr, n_fft, n_mels, fmin, fmax)
    ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=False, norm="slaney")
    assert ours.dtype == np.float32 and ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-9)


def test_stft_db_equals_librosa_above_a_floor(signal):
    ours = track_features(signal, PAPER_SPEC.with_(kind="stft")).db
    ref = librosa_db(np.abs(librosa.stft(signal, n_fft=2048, hop_length=512)) ** 2)
    assert ours.shape == ref.shape == (1025, 1 + len(signal) // 512)
    floor = ref.max() - 120.0  # below this, float32 rounding noise of the FFT dominates: compare clipped
    assert np.abs(np.maximum(ours, floor) - np.maximum(ref, floor)).max() < 0.05


def test_chunked_features_equal_one_shot(signal):
    for spec in (PAPER_SPEC, GTZAN_SPEC, PAPER_SPEC.with_(kind="stft")):
        whole = track_features(signal, spec, chunk_frames=100_000)
        chunked = track_features(signal, spec, chunk_frames=7)
        np.testing.assert_array_equal(whole.frames, chunked.frames)
        np.testing.assert_allclose(chunked.db, whole.db, atol=1e-4, rtol=0)


def test_progress_and_cancel_of_features(signal):
    import threading

    from genrelab.errors import Cancelled

    seen = []
    track_features(signal, PAPER_SPEC, chunk_frames=50, progress=lambda f, m: seen.append(f))
    assert len(seen) > 2 and seen == sorted(seen) and seen[-1] == 1.0
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        track_features(signal, PAPER_SPEC, cancel=stop)


# ---- frame stride -----------------------------------------------------------------------------------------
def test_frame_stride_rule_on_a_gtzan_clip():
    s = 1293 / 387.5
    cols = GTZAN_SPEC.column_frames(1293)
    assert len(cols) == 387
    j = np.arange(387)
    np.testing.assert_array_equal(cols, np.floor((j + 0.5) * s).astype(np.int64))
    assert n_frames(GTZAN_CLIP, GTZAN_SPEC) == 1293


def test_strided_features_are_the_kept_frames_of_the_full_features():
    y = music_like(GTZAN_CLIP / SR, SR, seed=3)
    full = track_features(y, PAPER_SPEC)
    strided = track_features(y, GTZAN_SPEC)
    assert full.n_columns == 1293 and strided.n_columns == 387
    np.testing.assert_allclose(strided.db, full.db[:, strided.frames], atol=1e-4, rtol=0)
    np.testing.assert_allclose(strided.times, strided.frames * 512 / SR)


def test_window_columns():
    assert PAPER_SPEC.window_columns == 130
    assert GTZAN_SPEC.window_columns == 39
    assert PAPER_SPEC.model_input_shape == (1, 128, 130)
    assert PAPER_SPEC.with_(image="paper").model_input_shape == (3, 224, 224)


# ---- windows ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [PAPER_SPEC, GTZAN_SPEC], ids=["stride1", "gtzan-stride"])
def test_window_starts_and_centres_at_hop_half_second(spec):
    seconds = 20.0
    frames = spec.column_frames(n_frames(int(seconds * SR), spec))
    n_cols = len(frames)
    starts = window_starts(n_cols, spec, 0.5)
    width = spec.window_columns
    assert starts[0] == 0 and np.all(np.diff(starts) > 0)
    assert starts[-1] + width <= n_cols  # every window fits inside the track
    assert n_cols - (starts[-1] + width) < 0.5 / spec.column_seconds + 1  # and the last is within a hop of the end
    assert abs(len(starts) - (int((seconds - spec.window_s) / 0.5) + 1)) <= 1
    centres = window_centres(frames, starts, spec)
    steps = np.diff(centres)
    assert np.all(np.abs(steps - 0.5) <= spec.column_seconds + 1e-9)  # hop rounded to whole columns
    assert abs((centres[-1] - centres[0]) / (len(centres) - 1) - 0.5) < 0.01  # no drift
    assert abs(centres[0] - 1.5) < spec.column_seconds  # the first 3-s window is centred near 1.5 s


def test_window_starts_edge_cases():
    assert len(window_starts(129, PAPER_SPEC, 0.5)) == 0  # shorter than a window: the caller pads
    np.testing.assert_array_equal(window_starts(130, PAPER_SPEC, 0.5), [0])
    with pytest.raises(ValueError):
        window_starts(1000, PAPER_SPEC, 0.0)


def test_cut_takes_the_right_columns():
    db = np.arange(128 * 300, dtype=np.float32).reshape(128, 300)
    w = cut(db, np.array([0, 17]), PAPER_SPEC)
    assert w.shape == (2, 128, 130)
    np.testing.assert_array_equal(w[1], db[:, 17:147])


# ---- per-window scaling -----------------------------------------------------------------------------------
def test_scale_maps_window_to_unit_range():
    rng = np.random.default_rng(0)
    w = rng.uniform(-120, 20, size=(3, 128, 130)).astype(np.float32)
    s = scale(w, PAPER_SPEC)
    assert s.dtype == np.float32
    assert np.all(s.max(axis=(1, 2)) == 1.0) and s.min() >= -1.0
    peak = w.max(axis=(1, 2), keepdims=True)
    expected = np.clip((w - peak + 40.0) / 40.0, -1.0, 1.0)
    np.testing.assert_allclose(s, expected, atol=1e-6)
    assert np.all(s[w < peak - 80] == -1.0)


def test_scale_is_per_window_independent_of_the_rest_of_the_track():
    y = music_like(20.0, SR, seed=5)
    louder_tail = y.copy()
    louder_tail[10 * SR :] *= 8.0  # the rest of the track changes a lot; the first windows do not see it
    louder_tail[12 * SR : 13 * SR] = 0.0
    spec = GTZAN_SPEC
    a, b = track_features(y, spec), track_features(louder_tail, spec)
    starts = window_starts(a.n_columns, spec, 0.5)
    untouched = starts[a.frames[starts + spec.window_columns - 1] * 512 + 1024 < 10 * SR]
    assert len(untouched) >= 5
    xa = model_inputs(cut(a.db, untouched, spec), spec)
    xb = model_inputs(cut(b.db, untouched, spec), spec)
    np.testing.assert_array_equal(xa, xb)
    # and a window's input does not depend on which other windows are in the batch
    one = model_inputs(cut(a.db, untouched[2:3], spec), spec)
    np.testing.assert_array_equal(one[0], xa[2])
    # a window scaled alone equals the same window inside a stack whose other windows are much louder
    stack = cut(a.db, starts[:4], spec).copy()
    stack[1:] += 30.0
    np.testing.assert_array_equal(scale(stack, spec)[0], scale(cut(a.db, starts[:1], spec), spec)[0])


def test_a_quiet_copy_scales_the_same():
    """dB relative to each window's peak: a gain change shifts dB by a constant and leaves the input alone."""
    y = music_like(6.0, SR, seed=2)
    a = model_inputs(cut(track_features(y, PAPER_SPEC).db, np.array([0, 40]), PAPER_SPEC), PAPER_SPEC)
    b = model_inputs(cut(track_features(0.1 * y, PAPER_SPEC).db, np.array([0, 40]), PAPER_SPEC), PAPER_SPEC)
    np.testing.assert_allclose(a, b, atol=1e-3)


# ---- the paper's image input ------------------------------------------------------------------------------
def test_magma_lut_equals_matplotlib():
    import matplotlib

    ours = colormap_lut("magma")
    ref = matplotlib.colormaps["magma"](np.arange(256))[:, :3]
    assert ours.shape == (256, 3)
    np.testing.assert_allclose(ours, ref, atol=1e-6)
    with pytest.raises(ValueError):
        colormap_lut("no-such-map")


def test_paper_image_shape_and_normalisation():
    spec = PAPER_SPEC.with_(image="paper")
    y = music_like(6.0, SR, seed=4)
    x = model_inputs(cut(track_features(y, spec).db, np.array([0, 30]), spec), spec)
    assert x.shape == (2, 3, 224, 224) and x.dtype == np.float32
    rgb = x * IMAGENET_STD + IMAGENET_MEAN  # undo the ImageNet normalisation: colours in [0, 1]
    assert rgb.min() >= -1e-5 and rgb.max() <= 1 + 1e-5
    lut = colormap_lut("magma")
    inside_hull = (rgb.min(axis=(0, 2, 3)) >= lut.min(axis=0) - 1e-5) & (rgb.max(axis=(0, 2, 3)) <= lut.max(axis=0) + 1e-5)
    assert inside_hull.all()


def test_paper_image_colours_and_orientation():
    """A window loud in the top half and at the floor in the bottom half: the picture's top is magma's
    brightest colour, the bottom its darkest (the image reads like a spectrogram: high bands on top)."""
    spec = PAPER_SPEC.with_(image="paper")
    w = np.full((1, 128, 130), -200.0, np.float32)
    w[:, 64:, :] = 0.0  # high bands loud
    x = model_inputs(w, spec)[0]
    lut = colormap_lut("magma")
    norm = lambda c: (c[:, None, None] - IMAGENET_MEAN) / IMAGENET_STD  # noqa: E731
    np.testing.assert_allclose(x[:, :100, :], np.broadcast_to(norm(lut[255]), (3, 100, 224)), atol=1e-5)
    np.testing.assert_allclose(x[:, 124:, :], np.broadcast_to(norm(lut[0]), (3, 100, 224)), atol=1e-5)


def test_band_frequencies_are_the_mel_filter_peaks():
    import librosa

    from genrelab.dsp.spectrum import band_frequencies, mel_filterbank

    spec = FeatureSpec(fmin=30.0, fmax=8000.0, n_mels=64)
    centres = band_frequencies(spec)
    np.testing.assert_allclose(centres, librosa.mel_frequencies(66, fmin=30.0, fmax=8000.0)[1:-1], rtol=1e-9)
    peaks = np.fft.rfftfreq(spec.n_fft, 1 / spec.sr)[mel_filterbank(spec.sr, spec.n_fft, 64, 30.0, 8000.0).argmax(1)]
    assert np.all(np.abs(peaks - centres) <= spec.sr / spec.n_fft)  # each triangle peaks at its centre's bin
    assert np.allclose(band_frequencies(spec.with_(kind="stft"))[:3], [0, 22050 / 2048, 2 * 22050 / 2048])
