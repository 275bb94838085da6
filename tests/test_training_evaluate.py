"""Scores at window and track level, the report writers and the KNN/SVM baselines."""

from __future__ import annotations

import numpy as np
import pytest

from genrelab.dsp import GTZAN_IMAGE_STRIDE, FeatureSpec
from genrelab.errors import GenreLabError
from training.baselines import RepresentationData, run_baselines
from training.clips import Clip
from training.datasets import load_dataset
from training.evaluate import evaluate, scores, track_probabilities
from training.report import PAPER_RESULTS, render_experiment, to_toml
from training.splits import paper_split
from training.synth import write_dataset

LABELS = ["a", "b", "c"]


def clips_of(labels: list[str]) -> list[Clip]:
    return [Clip(f"{g}.{i:05d}", g, f"{g}.{i:05d}", np.zeros((4, 4), np.float32)) for i, g in enumerate(labels)]


def test_scores_weighted_and_per_genre():
    y_true = np.array([0, 0, 0, 1, 1, 2])
    y_pred = np.array([0, 0, 1, 1, 1, 0])
    s = scores(y_true, y_pred, LABELS)
    assert s.accuracy == pytest.approx(4 / 6)
    assert s.per_genre_recall == {"a": pytest.approx(2 / 3), "b": 1.0, "c": 0.0}
    assert s.confusion == [[2, 1, 0], [0, 2, 0], [1, 0, 0]]
    # weighted recall equals accuracy; weighted precision by hand: (3*2/3 + 2*2/3 + 1*0) / 6
    assert s.recall == pytest.approx(4 / 6) and s.precision == pytest.approx(10 / 18)
    absent = scores(np.array([0, 1]), np.array([0, 1]), LABELS)
    assert absent.per_genre_recall["c"] is None and absent.f1 == 1.0


def test_track_level_averages_window_probabilities():
    clips = clips_of(["a", "b"])
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.4, 0.4], [0.2, 0.45, 0.35],   # clip 0: 2 of 3 windows wrong...
                      [0.1, 0.8, 0.1], [0.1, 0.7, 0.2]], np.float32)          # ...but its mean says "a"
    clip_of = np.array([0, 0, 0, 1, 1])
    np.testing.assert_allclose(track_probabilities(probs, clip_of, 2)[0], [1.3 / 3, 0.95 / 3, 0.75 / 3])
    ev = evaluate(probs, clip_of, clips, LABELS)
    assert ev.window.accuracy == pytest.approx(3 / 5) and ev.track.accuracy == 1.0
    assert ev.n_clips == 2 and ev.n_windows == 5
    assert ev.card_metrics()["track_accuracy"] == 1.0
    with pytest.raises(GenreLabError, match="does not know: zz"):
        evaluate(probs[:1], clip_of[:1], clips_of(["zz"]), LABELS)


def test_config_toml_round_trips():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    data = {"data": "/x/y", "epochs": 3, "lr": 0.001, "force": False, "pretrained": None,
            "train": {"augment": ["mixup", "gain"], "seed": 0}, "spec": {"fmax": None, "frame_stride": 3.3368}}
    parsed = tomllib.loads(to_toml(data))
    assert parsed == {"data": "/x/y", "epochs": 3, "lr": 0.001, "force": False,
                      "train": {"augment": ["mixup", "gain"], "seed": 0}, "spec": {"frame_stride": 3.3368}}


def test_experiment_report_puts_the_paper_beside_ours():
    rows = {("resnet_bigru", "mel"): {"accuracy": 0.7, "precision": 0.71, "recall": 0.7, "f1": 0.69,
                                      "track_accuracy": 0.75}}
    baselines = [{"model": "knn10", "representation": "mel", "accuracy": 0.4}]
    text = render_experiment(rows, baselines, title="t", data="d", split="paper", command="c", date="now", notes=[])
    line = next(x for x in text.splitlines() if x.startswith("| ResNet-BiGRU"))
    assert "0.70" in line and "0.81" in line and "0.82 / 0.81 / 0.81" in line and "0.75" in line
    knn = next(x for x in text.splitlines() if x.startswith("| KNN (n=10)"))
    assert "Input modes side by side" not in text
    assert "0.40" in knn and f"{PAPER_RESULTS['knn10']['mel']:.2f}" in knn


def test_baselines_learn_clearly_different_classes(tmp_path):
    write_dataset(tmp_path / "d", classes=3, clips_per_class=6, seconds=7.0)
    spec = FeatureSpec(frame_stride=GTZAN_IMAGE_STRIDE)
    ds = load_dataset(tmp_path / "d", spec, cache_dir=None)
    split = paper_split(ds.clips)
    data = RepresentationData(ds.clips_of(split.train), ds.clips_of(split.valid), spec)
    results = run_baselines({"raw": data, "mel": data}, ds.labels, dims=64)
    assert {(r.representation, r.model) for r in results} == {(rep, m) for rep in ("raw", "mel")
                                                              for m in ("knn10", "knn15", "knn20", "svm")}
    mel = {r.model: r.accuracy for r in results if r.representation == "mel"}
    assert mel["svm"] >= 0.8 and mel["knn10"] >= 0.8
    assert all(r.dims == 64 and r.n_train > r.n_test > 0 for r in results)


def test_experiment_report_with_both_input_modes_has_a_table_each_and_a_comparison():
    rows = {("cnn", "mel", "native"): {"accuracy": 0.61, "f1": 0.6, "track_accuracy": 0.66, "windows_per_s": 900.0},
            ("cnn", "mel", "paper"): {"accuracy": 0.52, "f1": 0.5, "track_accuracy": 0.55, "windows_per_s": 90.0}}
    text = render_experiment(rows, [], title="t", data="d", split="filtered", command="c", date="now", notes=[])
    assert text.count("## Deep models") == 2 and "224 x 224" in text
    side = text[text.index("Input modes side by side"):]
    cnn = next(x for x in side.splitlines() if x.startswith("| CNN"))
    assert cnn.split("|")[2:10] == [" 0.610 ", " 0.600 ", " 0.660 ", " 900 ", " 0.520 ", " 0.500 ", " 0.550 ", " 90 "]
