"""Models: the card, the engines (ONNX Runtime, torch), export and the torch nets (nets.py needs torch)."""

from genrelab.model.card import GTZAN_GENRES, ModelCard, read_card
from genrelab.model.engine import Engine, OnnxEngine, TorchEngine, open_engine

__all__ = ["ModelCard", "read_card", "GTZAN_GENRES", "Engine", "OnnxEngine", "TorchEngine", "open_engine"]
