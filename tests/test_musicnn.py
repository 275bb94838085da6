"""The torch port of musicnn against reference values of the original (TensorFlow) and its checkpoint reader.

tests/data/musicnn_reference.npz holds two windows of musicnn input computed from a generated signal (not GTZAN)
and what the original TensorFlow musicnn outputs for them (training/musicnn_reference.py, float32, oneDNN off).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

REFERENCE = Path(__file__).parent / "data" / "musicnn_reference.npz"


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(REFERENCE) as data:
        return {k: data[k] for k in data.files}


@pytest.mark.parametrize("backbone", ["msd", "mtt"])
def test_port_matches_the_original(backbone, reference):
    from training.musicnn_parity import port_outputs

    ours = port_outputs(reference["x"].astype(np.float32), backbone)
    for key in ("mean_pool", "penultimate", "logits", "tags"):
        assert np.abs(ours[key] - reference[f"{backbone}_{key}"]).max() <= 1e-4, key
    # max_pool reaches ~75 in the mid-end channels: float32 summation order alone moves it by ~1e-4 there
    expected = reference[f"{backbone}_max_pool"]
    assert (np.abs(ours["max_pool"] - expected) / np.maximum(1.0, np.abs(expected))).max() <= 5e-5
    assert ours["tags"].std() > 0.01  # a real answer, not a constant


@pytest.mark.skipif(importlib.util.find_spec("musicnn") is None, reason="musicnn not installed (pip install "
                    "--no-deps musicnn)")
def test_checkpoint_reader_gives_the_committed_weights(tmp_path):
    from training.musicnn_convert import convert, weights_path

    out = convert("msd", tmp_path / "msd.npz")
    with np.load(out) as fresh, np.load(weights_path("msd")) as committed:
        assert sorted(fresh.files) == sorted(committed.files)
        for k in fresh.files:
            np.testing.assert_array_equal(fresh[k], committed[k])
