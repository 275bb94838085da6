"""Distillation on teacher views, end to end: the shipped musicnn model (read back into torch) answers altered
copies of small synthetic clips out-of-fold, and a small ResNet-BiGRU trains on them (`genrelab train
--distill-views K [--distill-features W]`)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from genrelab.model.card import read_card  # noqa: E402
from genrelab.model.registry import shipped_model_path  # noqa: E402
from training.clips import Clip, all_windows  # noqa: E402
from training.musicnn_transfer import teacher_view_logits  # noqa: E402
from training.trainer import TrainConfig, fit  # noqa: E402
from training.views import make_views  # noqa: E402

GENRES = ("blues", "metal", "classical")


def _clip(i: int, genre: str, n_cols: int = 160) -> Clip:
    """A clip whose energy sits in a genre-specific band region, with a beat-like pulse."""
    rng = np.random.default_rng(i)
    rows = np.arange(128)[:, None]
    centre = {"blues": 30, "metal": 90, "classical": 55}[genre]
    db = -60 + 45 * np.exp(-((rows - centre) / 18.0) ** 2) + rng.normal(0, 4, (128, n_cols))
    db[:, :: 6 + i % 3] += 10
    db = np.minimum(db - db.max(), 0).clip(-80).astype(np.float32)
    return Clip(f"{genre}.{i:05d}", genre, f"{genre}-{i}", db)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One feature cache for the module: the student test reuses the teacher's features of the first."""
    return tmp_path_factory.mktemp("musicnn-cache")


@pytest.fixture(scope="module")
def setup():
    teacher = shipped_model_path()
    card = read_card(teacher)
    if card.architecture != "musicnn_transfer":
        pytest.skip("the default model is not a musicnn transfer model")
    spec = card.spec.with_(top_db=70.0)
    train = [_clip(i, g) for i, g in enumerate(GENRES * 2)]
    valid = [_clip(100 + i, g) for i, g in enumerate(GENRES)]
    return teacher, card, spec, train, valid


def test_teacher_answers_views_out_of_fold(setup, cache, tmp_path, monkeypatch):
    teacher, card, spec, train, _ = setup
    monkeypatch.setenv("GENRELAB_MUSICNN_CACHE", str(cache))
    views, source, _ = make_views(train, 1, 3, seed=0)
    index = all_windows(train + views, spec, spec.window_s)
    said = []
    logp, feats = teacher_view_logits(teacher, train, views, source, index, spec, tmp_path, folds=3, seed=0,
                                      log=said.append, components=8)
    assert logp.shape == (len(index), len(card.labels)) and feats.shape == (len(index), 8)
    np.testing.assert_allclose(np.exp(logp).sum(axis=1), 1.0, atol=1e-4)
    assert np.isfinite(feats).all() and 0.1 < float((feats ** 2).mean()) < 10
    clip_of = np.array([c for c, _ in index])
    for v in range(len(views)):  # a view's answers are its own, not a copy of its clip's
        assert not np.allclose(logp[clip_of == len(train) + v].mean(0), logp[clip_of == source[v]].mean(0))
    assert any("temperature" in s for s in said)
    assert list(cache.glob("emb-*.npy"))  # the teacher's features are cached for the next run (and test)


def test_a_student_trains_on_views_and_teacher_features(setup, cache, tmp_path, monkeypatch):
    teacher, card, spec, train, valid = setup
    monkeypatch.setenv("GENRELAB_MUSICNN_CACHE", str(cache))
    config = TrainConfig(architecture="resnet_bigru", base_width=8, hidden=16, epochs=2, patience=5,
                         batch_size=8, windows_per_clip=2, eval_hop_s=3.0, seed=0, threads=1,
                         distill=str(teacher), distill_oof=3, distill_views=1, distill_features=1.0,
                         distill_alpha=0.9, distill_temperature=1.0)
    said = []
    # a user's own dataset: 3 of the teacher's 10 genres (the teacher's answers are cut to them)
    result = fit(train, valid, spec, sorted(GENRES), config, tmp_path / "run", log=said.append)
    assert len(result.history) == 2
    assert result.net.classifier.out_features == 3
    assert any(f"{len(train)} teacher views of the {len(train)} train clips" in s for s in said), said
    assert any("features on 64 principal axes" in s for s in said), said
    ckpt = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)
    assert ckpt["probe"]["weight"].shape[0] == 64  # the probe is kept in the checkpoint, to resume
    # the exported net is the plain ResNet-BiGRU: the probe is not part of it
    assert not any(k.startswith("probe") for k in result.net.state_dict())


def test_a_teacher_takes_the_students_columns_up_to_a_rounded_stride(setup, tmp_path):
    """The Training page types the GTZAN stride as 3.3368: the shipped teacher (3.33677...) must accept it; other
    columns (a stride of 1, other bands) are refused in one line that says what differs."""
    from training.musicnn_transfer import same_columns, teacher_logits

    teacher, card, spec, train, _ = setup
    assert same_columns(card.spec, spec.with_(frame_stride=3.3368))
    assert not same_columns(card.spec, spec.with_(frame_stride=1.0))
    assert not same_columns(card.spec, spec.with_(n_mels=96))
    other = spec.with_(frame_stride=1.0)
    with pytest.raises(ValueError, match=r"frame_stride 3\.33677\d* \(teacher\) vs 1\.0"):
        teacher_logits(teacher, train, all_windows(train, other, 3.0), other, tmp_path)


def test_the_teachers_answers_are_cut_to_the_runs_genres(setup, cache, tmp_path, monkeypatch):
    """A run on 3 genres gets the teacher's answers for those 3, in its own order; a genre the teacher does not
    know is refused in one line."""
    teacher, card, spec, train, _ = setup
    monkeypatch.setenv("GENRELAB_MUSICNN_CACHE", str(cache))
    views, source, _ = make_views(train, 1, 3, seed=0)
    index = all_windows(train + views, spec, spec.window_s)
    full, _ = teacher_view_logits(teacher, train, views, source, index, spec, tmp_path, folds=3, seed=0)
    mine = ["metal", "blues", "classical"]
    cut, _ = teacher_view_logits(teacher, train, views, source, index, spec, tmp_path, folds=3, seed=0,
                                 labels=mine)
    np.testing.assert_allclose(cut, full[:, [list(card.labels).index(x) for x in mine]], atol=1e-6)
    odd = [Clip(c.clip_id, "shoegaze" if i == 0 else c.label, c.group, c.db) for i, c in enumerate(train)]
    with pytest.raises(ValueError, match="the teacher does not know shoegaze"):
        teacher_view_logits(teacher, odd, [], [], all_windows(odd, spec, 3.0), spec, tmp_path, folds=3, seed=0,
                            labels=sorted({c.label for c in odd}))
