"""`ModelCard`: what a model is, what it expects and how good it is, stored inside the ONNX file.

The card is JSON under the metadata key ``genrelab.card``. ONNX Runtime reads it (no ``onnx`` package needed at
run time); export writes it with ``onnx``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from genrelab.dsp.spec import FeatureSpec
from genrelab.errors import ModelError

CARD_KEY = "genrelab.card"
CARD_VERSION = 1
GTZAN_GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")


@dataclass
class ModelCard:
    """Everything the app needs to run a model and tell the user about it.

    Attributes:
        name: short human name.
        labels: class names in output order.
        spec: the feature spec (single source of truth for sr, n_fft, hop, n_mels, stride, window, scaling).
        arch_params: how to rebuild the torch net (architecture, input_shape, n_classes, base_width, hidden).
        metrics: evaluation numbers, e.g. {"valid": {"track_accuracy": 0.8, ...}}.
        data: which data it was trained on (clips, rendering, source).
        split: which split was used for fitting / selection / reporting.
        provenance: training command, seed, date, cpu time, library versions, initialisation.
        notes: free text for people (limitations, honesty).
        input_name / output_name: ONNX tensor names.
    """

    name: str
    labels: list[str]
    spec: FeatureSpec
    arch_params: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    data: str = ""
    split: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)
    notes: str = ""
    input_name: str = "input"
    output_name: str = "probabilities"
    version: int = CARD_VERSION

    @property
    def architecture(self) -> str:
        return str(self.arch_params.get("architecture", "?"))

    @property
    def normalisation(self) -> str:
        """The per-window scaling in words (derived from the spec, never stored twice)."""
        s = self.spec
        whose = "the whole track's" if self.arch_params.get("span") else "each window's"
        text = f"dB re {whose} maximum, floored at -{s.top_db:g} dB, mapped to [-1, 1]"
        if s.image == "paper":
            text += f"; drawn with {s.colormap}, resized to {s.image_size}x{s.image_size} RGB, ImageNet-normalised"
        return text

    def to_json(self) -> str:
        data = asdict(self)
        data["spec"] = self.spec.to_dict()
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> ModelCard:
        data = json.loads(text)
        data["spec"] = FeatureSpec.from_dict(data.get("spec", {}))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def items(self) -> list[tuple[str, str]]:
        """The card as (label, text) rows, in the order people read them (``describe`` and Help > About model)."""
        s = self.spec
        if self.architecture == "musicnn_transfer":
            hidden = int(self.arch_params.get("hidden", 256))
            detail = (f"musicnn backbone {str(self.arch_params.get('backbone', 'msd')).upper()}, fine-tuned from "
                      f"{self.arch_params.get('finetune', 'none')}, head "
                      f"{'linear' if hidden == 0 else f'MLP {hidden}'}")
        else:
            detail = (f"ResNet base width {self.arch_params.get('base_width', 64)}, "
                      f"GRU hidden {self.arch_params.get('hidden', 256)}")
        rows = [
            ("Model", self.name),
            ("Architecture", f"{self.architecture} (input {'x'.join(map(str, s.model_input_shape))}, {s.image}; "
                             f"{detail})"),
            ("Genres", ", ".join(self.labels)),
            ("Features", f"{s.kind} {s.n_mels if s.kind == 'mel' else s.n_fft // 2 + 1} bins, sr {s.sr} Hz, "
                         f"n_fft {s.n_fft}, hop {s.hop_length}, frame stride {s.frame_stride:.4g}, "
                         f"window {s.window_s:g} s"),
            ("Scaling", self.normalisation),
        ]
        if self.data:
            rows.append(("Data", self.data))
        if self.split:
            rows.append(("Split", self.split))
        for part, values in self.metrics.items():
            if isinstance(values, dict):
                rows.append((f"Metrics {part}", ", ".join(
                    f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items()
                    if not isinstance(v, (dict, list)))))
                recall = values.get("per_genre_recall")
                if isinstance(recall, dict):
                    rows.append((f"Recall {part}", ", ".join(
                        f"{g} {r:.2f}" for g, r in recall.items() if isinstance(r, (int, float)))))
        rows += [(key, str(value)) for key, value in self.provenance.items()]
        if self.notes:
            rows.append(("Notes", self.notes))
        return rows

    def describe(self) -> str:
        """Multi-line text for `genrelab model`: one ``label: text`` line per row of :meth:`items`."""
        return "\n".join(f"{label + ':':<14} {text}" for label, text in self.items())


def read_card(path: str | Path) -> ModelCard:
    """Read the card of an ONNX model file without running it (ModelError with a clear message on failure)."""
    from genrelab.model.engine import open_onnx_session

    session = open_onnx_session(Path(path), providers=["CPUExecutionProvider"])
    return card_from_session(session, Path(path))


def card_from_session(session: Any, path: Path) -> ModelCard:
    """Read the card from an ONNX Runtime session's custom metadata."""
    meta = session.get_modelmeta().custom_metadata_map
    if CARD_KEY not in meta:
        raise ModelError(f"{path.name}: ONNX model has no GenreLab model card (metadata '{CARD_KEY}')")
    try:
        return ModelCard.from_json(meta[CARD_KEY])
    except (ValueError, TypeError, KeyError) as exc:
        raise ModelError(f"{path.name}: model card is unreadable ({exc})") from None
