"""The pipeline under torch's distributed data parallel: ``torchrun --nproc-per-node 2 -m training`` on the CPU
(gloo) gives one checkpoint, the same files and a model that loads and analyses like any other run.

Real processes, real torch.distributed (gloo), generated audio, a tiny model and two epochs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
if not torch.distributed.is_available():
    pytest.skip("this torch has no torch.distributed", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[1]


def test_two_cpu_processes_train_one_model(tmp_path):
    from genrelab.analysis import analyse
    from genrelab.audio import load
    from genrelab.model.engine import OnnxEngine
    from training.synth import write_dataset

    data = tmp_path / "data"
    write_dataset(data, classes=3, clips_per_class=6, seconds=6.0, seed=4)
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m", "training",
           "--data", str(data), "--out", str(out), "--cache", str(tmp_path / "cache"), "--width", "8", "--hidden",
           "16", "--epochs", "2", "--batch-size", "8", "--threads", "1", "--frame-stride", "3.3368"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no partial left
    names = {p.name for p in out.iterdir()}
    assert {"model.onnx", "checkpoint.pt", "report.md", "metrics.json", "log.txt"} <= names
    assert not [n for n in names if n.endswith(".tmp")]
    log = (out / "log.txt").read_text()
    assert "distributed data parallel: 2 processes (gloo)" in log
    assert log.count("epoch   1") == 1  # process 0 alone reports
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["history"]) == 2 and metrics["export"]["parity_ok"]
    assert metrics["card"]["provenance"]["distributed"].startswith("distributed data parallel: 2")
    ckpt = torch.load(out / "checkpoint.pt", weights_only=False)
    assert ckpt["state"]["epoch"] == 2 and not any(k.startswith("module.") for k in ckpt["net"])
    engine = OnnxEngine(out / "model.onnx")
    result = analyse(load(data / "techno" / "techno.00001.wav"), engine, 1.0)
    assert result.timeline.labels == ["drone", "static", "techno"] and len(result.timeline.times) > 0
