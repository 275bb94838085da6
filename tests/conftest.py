"""Shared fixtures: a small random-weight model of the real architecture, exported to real ONNX."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from modelfiles import export_random_model

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A random-weight ResNet-BiGRU (native input, width 8) as ONNX with a card."""
    return export_random_model(tmp_path_factory.mktemp("models") / "tiny.onnx")


@pytest.fixture(scope="session")
def tiny_paper_model(tmp_path_factory) -> Path:
    """The same architecture on the paper's 224x224 image input."""
    return export_random_model(tmp_path_factory.mktemp("models") / "tiny_paper.onnx", image="paper")


@pytest.fixture
def shared_data() -> Path:
    """../shared/data when present (GTZAN material); the test is skipped with a reason otherwise."""
    if not (SHARED_DATA / "gtzan").is_dir():
        pytest.skip(f"GTZAN data not present at {SHARED_DATA}")
    return SHARED_DATA
