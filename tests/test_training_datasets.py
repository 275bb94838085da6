"""Synthetic data, folder-per-genre datasets, the feature cache, unreadable files and bad folders."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
import soundfile as sf

from genrelab.audio import load
from genrelab.dsp import GTZAN_IMAGE_STRIDE, FeatureSpec, track_features
from genrelab.errors import Cancelled
from training import datasets
from training.datasets import DatasetError, load_dataset, scan
from training.synth import RECIPES, write_dataset

SPEC = FeatureSpec(frame_stride=GTZAN_IMAGE_STRIDE)


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("synth") / "data", classes=3, clips_per_class=4, seconds=4.0)[0].parents[1]


def test_synth_names_classes_and_determinism(tmp_path):
    paths = write_dataset(tmp_path / "a", classes=4, clips_per_class=2, seconds=1.0, seed=3)
    names = sorted(p.relative_to(tmp_path / "a").as_posix() for p in paths)
    assert names[:2] == [f"{RECIPES[3].name}/{RECIPES[3].name}.00000.wav", f"{RECIPES[3].name}/{RECIPES[3].name}.00001.wav"]
    assert all(datasets.is_gtzan_name(p) for p in paths)
    again = write_dataset(tmp_path / "b", classes=4, clips_per_class=2, seconds=1.0, seed=3)
    for p, q in zip(paths, again, strict=True):
        assert np.array_equal(sf.read(p)[0], sf.read(q)[0])
    a, b = sf.read(paths[0])[0], sf.read(paths[1])[0]
    assert not np.array_equal(a, b)  # every clip varies its class's recipe


def test_dataset_clips_match_the_apps_features(synth_dir, tmp_path):
    ds = load_dataset(synth_dir, SPEC, cache_dir=tmp_path / "cache")
    assert ds.labels == sorted(r.name for r in RECIPES[:3])
    assert len(ds.clips) == 12 and not ds.skipped and ds.decoded == 12 and ds.cached == 0
    clip = ds.clips[0]
    assert clip.group == clip.clip_id == clip.source.stem
    expected = track_features(load(clip.source, sr=SPEC.sr).samples, SPEC).db
    np.testing.assert_array_equal(clip.db, expected)  # the app's own dsp, not a second implementation
    assert ds.counts() == dict.fromkeys(ds.labels, 4)


def test_cache_makes_a_second_load_skip_decoding(synth_dir, tmp_path, monkeypatch):
    first = load_dataset(synth_dir, SPEC, cache_dir=tmp_path / "cache")
    calls = []
    real = datasets.compute_features
    monkeypatch.setattr(datasets, "compute_features", lambda *a: calls.append(a) or real(*a))
    second = load_dataset(synth_dir, SPEC, cache_dir=tmp_path / "cache")
    assert second.decoded == 0 and second.cached == 12 and not calls
    for a, b in zip(first.clips, second.clips, strict=True):
        np.testing.assert_array_equal(a.db, b.db)
    # another window length or image mode shares the track features; another stride does not
    assert load_dataset(synth_dir, SPEC.with_(image="paper", window_s=2.0), cache_dir=tmp_path / "cache").decoded == 0
    assert load_dataset(synth_dir, SPEC.with_(frame_stride=1.0), cache_dir=tmp_path / "cache").decoded == 12


def test_cache_notices_a_changed_file(tmp_path):
    write_dataset(tmp_path / "d", classes=2, clips_per_class=2, seconds=1.0)
    load_dataset(tmp_path / "d", SPEC, cache_dir=tmp_path / "cache")
    target = next((tmp_path / "d").rglob("*.wav"))
    y, sr = sf.read(target)
    sf.write(target, y[: len(y) // 2], sr)
    os.utime(target, ns=(1, 1))
    again = load_dataset(tmp_path / "d", SPEC, cache_dir=tmp_path / "cache")
    assert again.decoded == 1 and again.cached == 3


def test_unreadable_files_are_skipped_and_listed(tmp_path):
    write_dataset(tmp_path / "d", classes=2, clips_per_class=2, seconds=1.0)
    label = sorted(p.name for p in (tmp_path / "d").iterdir())[0]
    (tmp_path / "d" / label / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 3)
    (tmp_path / "d" / label / "empty.flac").write_bytes(b"")
    (tmp_path / "d" / label / "notes.txt").write_text("not audio")
    nested = tmp_path / "d" / label / "album"
    nested.mkdir()
    sf.write(nested / "deep.wav", np.zeros(22050, np.float32) + 0.1, 22050)
    ds = load_dataset(tmp_path / "d", SPEC, cache_dir=None)
    assert sorted(p.name for p, _ in ds.skipped) == ["broken.wav", "empty.flac"]
    assert all(why and not why.startswith(p.name) for p, why in ds.skipped)  # the path is listed beside it
    assert ds.ignored == 1
    assert len(ds.clips) == 5 and any(c.clip_id == "deep" for c in ds.clips)  # found recursively


@pytest.mark.parametrize("case, message", [
    ("missing", "no such folder"),
    ("empty", "is empty"),
    ("flat", "no genre sub-folders"),
    ("one_class", "only one genre"),
    ("no_audio", "no audio files"),
    ("undecodable", "none of the 2 audio files could be decoded"),
])
def test_bad_folders_have_clear_messages(tmp_path, case, message):
    root = tmp_path / "data"
    if case != "missing":
        root.mkdir()
    if case == "flat":
        sf.write(root / "a.wav", np.zeros(22050, np.float32), 22050)
    if case == "one_class":
        write_dataset(tmp_path / "two", classes=2, clips_per_class=1, seconds=1.0)
        os.replace(next((tmp_path / "two").iterdir()), root / "jazz")
    if case == "no_audio":
        (root / "rock").mkdir()
        (root / "rock" / "cover.jpg").write_bytes(b"\xff\xd8")
    if case == "undecodable":
        for genre in ("rock", "jazz"):
            (root / genre).mkdir()
            (root / genre / f"{genre}.00000.mp3").write_bytes(b"garbage" * 10)
    with pytest.raises(DatasetError, match=message) as info:
        load_dataset(root, SPEC, cache_dir=None)
    assert "\n" not in str(info.value)


def test_process_pool_decodes_and_cancels(synth_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "POOL_MIN_JOBS", 2)
    ds = load_dataset(synth_dir, SPEC, cache_dir=tmp_path / "cache", workers=2)
    assert len(ds.clips) == 12 and ds.decoded == 12
    reference = load_dataset(synth_dir, SPEC, cache_dir=None, workers=1)
    for a, b in zip(ds.clips, reference.clips, strict=True):
        np.testing.assert_array_equal(a.db, b.db)
    cancel = threading.Event()
    seen = []

    def progress(fraction, message):
        seen.append(fraction)
        if len(seen) == 2:
            cancel.set()

    with pytest.raises(Cancelled):
        load_dataset(synth_dir, SPEC, cache_dir=tmp_path / "cache2", workers=2, progress=progress, cancel=cancel)
    assert seen and seen == sorted(seen)


def test_image_folders_go_through_imageset_and_the_cache(tmp_path):
    from PIL import Image

    from training import imageset

    rng = np.random.default_rng(0)
    for genre in ("blues", "rock"):
        (tmp_path / "img" / genre).mkdir(parents=True)
        for k in range(2):
            db = rng.uniform(-80, 0, size=(128, imageset.GTZAN_RENDERER.width)).astype(np.float32)
            Image.fromarray(imageset.render_db(db)).save(tmp_path / "img" / genre / f"{genre}.{k:05d}.png")
    (tmp_path / "img" / "rock" / "rock.00009.png").write_bytes(b"not a png")
    entries, _ = scan(tmp_path / "img", images=True)
    spec = imageset.GTZAN_RENDERER.feature_spec()
    first = datasets.load_image_entries(tmp_path / "img", entries, None, spec, cache_dir=tmp_path / "cache")
    assert len(first.clips) == 4 and first.kind == "images" and first.clips[0].db.shape == (128, 387)
    assert [p.name for p, _ in first.skipped] == ["rock.00009.png"]
    second = datasets.load_image_entries(tmp_path / "img", entries, None, spec, cache_dir=tmp_path / "cache")
    assert second.cached == 4
    np.testing.assert_array_equal(first.clips[3].db, second.clips[3].db)
    with pytest.raises(DatasetError, match="frame stride"):
        datasets.load_image_entries(tmp_path / "img", entries, None, FeatureSpec(), cache_dir=None)
