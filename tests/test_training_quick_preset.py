"""Model selection on small data, and the Training page's "Quick demo" preset on a small generated set.

Ties in the monitored validation metric are broken by validation loss (not by the earliest epoch); the Quick
demo preset, trained through training.pipeline.run exactly as the page runs it, classifies clips it never saw.
Real audio (training.synth), real torch, real ONNX Runtime.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")

from training.trainer import _better, selection_score  # noqa: E402


def test_ties_in_the_monitored_metric_are_broken_by_validation_loss():
    first = selection_score("valid_acc", 0.9, 0.80, 0.9)
    same_acc_lower_loss = selection_score("valid_acc", 0.9, 0.05, 0.9)
    assert _better(first, None)
    assert _better(same_acc_lower_loss, first)  # the later, more confident epoch is kept
    assert not _better(first, same_acc_lower_loss)
    assert not _better(first, first)  # no progress: early stopping counts it
    assert _better(selection_score("valid_acc", 0.95, 2.0, 0.9), same_acc_lower_loss)  # accuracy first
    # track accuracy first, then window accuracy, then loss
    assert _better(selection_score("valid_track_acc", 0.8, 0.5, 1.0), selection_score("valid_track_acc", 0.9, 0.1, 0.9))
    assert _better(selection_score("valid_track_acc", 0.9, 0.2, 1.0), selection_score("valid_track_acc", 0.9, 0.3, 1.0))
    assert _better(selection_score("valid_loss", 0.1, 0.2, 0.1), selection_score("valid_loss", 1.0, 0.3, 1.0))
    assert _better(selection_score("valid_acc", 0.91, 1.0, 0.9), 0.9)  # a checkpoint from before (a float)


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> tuple[Path, Path]:
    from training.synth import write_dataset

    root = tmp_path_factory.mktemp("quick")
    write_dataset(root / "train", classes=4, clips_per_class=6, seconds=6.0, seed=0)
    write_dataset(root / "new", classes=4, clips_per_class=4, seconds=6.0, seed=11)  # clips it never saw
    return root / "train", root / "new"


def test_quick_demo_preset_classifies_new_clips(sets, tmp_path):
    from genrelab.gui.pages.training import jobs
    from training.evaluate import evaluate_model
    from training.pipeline import Callbacks, load_data

    train, new = sets
    argv = jobs.preset_argv("Quick demo (minutes)", train, tmp_path / "run") + ["--cache", str(tmp_path / "c"),
                                                                                  "--threads", "1"]
    result = jobs.run_training(argv, {}, lambda f, m: None, None)
    assert result.model_path.exists()
    config = jobs.pipeline_config(["--data", str(new), "--out", str(tmp_path / "unused"), "--cache",
                                   str(tmp_path / "c")])
    from genrelab.model.card import read_card

    spec = read_card(result.model_path).spec
    dataset, _ = load_data(config, spec, Callbacks(), lambda s: None)
    ev = evaluate_model(result.model_path, dataset.clips)
    assert ev.n_clips == 16
    assert ev.track.accuracy >= 0.9, ev.track.confusion
