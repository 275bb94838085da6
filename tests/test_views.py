"""Teacher views for distillation (training.views): altered copies of clips, same label, partners in-fold."""

from __future__ import annotations

import numpy as np

from training.clips import Clip
from training.views import make_view, make_views, view_folds


def _clip(i: int, label: str, n_cols: int = 120) -> Clip:
    rng = np.random.default_rng(i)
    db = rng.uniform(-80.0, 0.0, size=(32, n_cols)).astype(np.float32)
    db -= db.max()
    return Clip(f"{label}.{i:05d}", label, f"g{i}", db)


def _clips(n: int = 20) -> list[Clip]:
    return [_clip(i, ("rock", "jazz", "pop")[i % 3]) for i in range(n)]


def test_views_keep_label_and_group_and_come_from_their_fold():
    train = _clips()
    views, source, notes = make_views(train, per_clip=3, folds=4, seed=5)
    assert len(views) == len(source) == len(notes) == 3 * len(train)
    fold = view_folds(len(train), 4, 5)
    ids = {c.clip_id: i for i, c in enumerate(train)}
    mixed = 0
    for view, i, note in zip(views, source, notes, strict=True):
        assert view.label == train[i].label and view.group == train[i].group
        assert view.clip_id.startswith(train[i].clip_id + "~v")
        assert note  # every view is altered somehow
        if note.startswith("mix "):
            mixed += 1
            partner = ids[note.split()[1]]
            assert partner != i and fold[partner] == fold[i]
    assert mixed > len(views) // 3  # most views mix another clip in (p 0.7)
    assert len({v.clip_id for v in views}) == len(views)


def test_views_are_deterministic_in_the_seed():
    train = _clips()
    a, _, na = make_views(train, 2, 4, seed=1)
    b, _, nb = make_views(train, 2, 4, seed=1)
    c, _, nc = make_views(train, 2, 4, seed=2)
    assert na == nb and all(np.array_equal(x.db, y.db) for x, y in zip(a, b, strict=True))
    assert na != nc


def test_a_view_is_db_re_its_maximum_and_tempo_changes_its_length():
    clip, partner = _clip(1, "rock"), _clip(2, "jazz")
    lengths = set()
    for seed in range(40):
        db, note = make_view(clip, partner, np.random.default_rng(seed))
        assert db.dtype == np.float32 and db.shape[0] == clip.db.shape[0]
        assert db.max() == 0.0 and db.min() >= -80.0 and np.isfinite(db).all()
        if "tempo" not in note:
            assert db.shape[1] == clip.db.shape[1]
        lengths.add(db.shape[1])
    assert len(lengths) > 3  # tempo changes happened and changed the column count
    assert not any(np.array_equal(make_view(clip, partner, np.random.default_rng(s))[0], clip.db) for s in range(5))


def test_tempo_and_band_shift_move_the_content():
    from training.views import _shift_bands, _stretch

    power = np.zeros((8, 40))
    power[2, 10] = 1.0
    up = _shift_bands(power, 3)
    assert up[5, 10] == 1.0 and up[2, 10] == 0.0
    down = _shift_bands(power, -2)
    assert down[0, 10] == 1.0
    ramp = np.tile(np.arange(40.0), (2, 1))
    fast = _stretch(ramp, 2.0)
    assert fast.shape == (2, 20) and fast[0, 0] == 0.0 and fast[0, -1] == 39.0
    assert np.all(np.diff(fast[0]) > 0)


def test_a_checkpoint_from_before_the_views_options_still_resumes():
    """A run saved before --distill-views/--distill-features existed resumes under a config that leaves them off."""
    from dataclasses import asdict

    from training.trainer import TrainConfig, resumable_config

    now = asdict(TrainConfig(architecture="resnet_bigru", epochs=40))
    old = {k: v for k, v in now.items() if k not in ("distill_views", "distill_features")}
    old["epochs"] = 20  # epochs may change between runs
    assert resumable_config(old) == resumable_config(now)
    assert resumable_config(old) != resumable_config(asdict(TrainConfig(architecture="resnet_bigru", distill_views=4)))
