"""`genrelab experiment paper`: every run of the grid + the baselines, one report beside the paper's numbers."""

from __future__ import annotations

import json

from genrelab import cli
from training.synth import write_dataset


def test_experiment_grid_writes_one_comparison_report_and_resumes(tmp_path, capsys):
    write_dataset(tmp_path / "data", classes=2, clips_per_class=5, seconds=7.0)
    argv = ["experiment", "paper", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "grid"),
            "--archs", "cnn", "--inputs", "stft,mel", "--epochs", "1", "--width", "8", "--frame-stride", "3.3368",
            "--modes", "native,paper", "--cache", str(tmp_path / "cache")]
    assert cli.main(argv) == 0
    grid = tmp_path / "grid"
    assert {p.name for p in grid.iterdir()} >= {"cnn-stft", "cnn-mel", "cnn-stft-paper", "cnn-mel-paper", "baselines",
                                               "report.md", "metrics.json"}
    assert (grid / "cnn-mel" / "model.onnx").exists()
    report = (grid / "report.md").read_text()
    cnn = next(line for line in report.splitlines() if line.startswith("| CNN"))
    assert "0.53" in cnn and "0.58" in cnn  # the paper's CNN numbers beside ours
    assert "| SVM |" in report and "random projection" in report
    metrics = json.loads((grid / "metrics.json").read_text())
    assert set(metrics["runs"]) == {"cnn-stft", "cnn-mel", "cnn-stft-paper", "cnn-mel-paper"}
    assert len(metrics["baselines"]) == 12
    assert 'image = "paper"' in (grid / "cnn-mel-paper" / "config.toml").read_text()
    assert 'image = "native"' in (grid / "cnn-mel" / "config.toml").read_text()
    assert "Input modes side by side" in report and report.count("## Deep models") == 2
    before = (grid / "cnn-mel" / "metrics.json").stat().st_mtime_ns
    capsys.readouterr()
    assert cli.main(argv) == 0  # finished parts are kept, not trained again
    assert (grid / "cnn-mel" / "metrics.json").stat().st_mtime_ns == before
    assert "=== cnn" not in capsys.readouterr().err
