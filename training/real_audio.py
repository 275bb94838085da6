"""The real-audio check: the app's own path (``genrelab analyse``) on real audio vs the image path on the same clips.

``python -m training.real_audio --audio AUDIO --images IMAGES [--model M] [--split-lists DIR]`` decodes every
audio file under ``AUDIO/<genre>/`` and analyses it exactly as ``genrelab analyse`` does (decode -> features ->
ONNX Runtime, track genre = the top of the mean distribution), then scores the same clips' spectrogram images
(``IMAGES/<genre>/<stem>.png``, decoded by :mod:`training.imageset`) with the same model and window hop, and
prints both track accuracies (all clips, and per split list when ``--split-lists`` is given). The two paths
should agree within a few points; a clip whose audio is another version of the recording than its image shows
up as a disagreement (``--details`` lists them).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genrelab.analysis import analyse_file
from genrelab.errors import GenreLabError
from genrelab.model.engine import OnnxEngine
from genrelab.model.registry import default_model_path
from training import datasets
from training.evaluate import predict_engine, track_probabilities


@dataclass
class ClipResult:
    """One clip: its genre and the top genre on each path."""

    stem: str
    label: str
    audio_top: str
    image_top: str | None


@dataclass
class RealAudioCheck:
    """Both paths' track accuracy on the clips found on both sides."""

    model: str
    hop_s: float
    clips: list[ClipResult] = field(default_factory=list)

    def accuracy(self, path: str, stems: set[str] | None = None) -> tuple[float, int]:
        """Track accuracy of ``path`` ("audio" or "image") over ``stems`` (all clips when None) and the count."""
        rows = [c for c in self.clips if stems is None or c.stem in stems]
        if not rows:
            return float("nan"), 0
        hits = [(c.audio_top if path == "audio" else c.image_top) == c.label for c in rows]
        return float(np.mean(hits)), len(rows)

    def to_dict(self, lists: dict[str, set[str]] | None = None) -> dict:
        out = {"model": self.model, "hop_s": self.hop_s, "parts": {}}
        parts = {"all": None} | (lists or {})
        for name, stems in parts.items():
            a, n = self.accuracy("audio", stems)
            b, _ = self.accuracy("image", stems)
            out["parts"][name] = {"clips": n, "audio_track_accuracy": a, "image_track_accuracy": b}
        out["disagreements"] = [c.__dict__ for c in self.clips if c.audio_top != c.image_top]
        return out


def run_check(audio_root: Path, image_root: Path, model: Path, hop_s: float = 1.5,
              log=lambda _s: None) -> RealAudioCheck:
    """Analyse every clip under ``audio_root`` on the audio path and its image under ``image_root``."""
    engine = OnnxEngine(model, device="cpu")
    spec, labels = engine.card.spec, list(engine.card.labels)
    entries, _ = datasets.scan(audio_root)
    image_entries, ignored = datasets.scan(image_root, images=True)
    by_stem = {e.clip_id: i for i, e in enumerate(image_entries)}
    wanted = sorted(by_stem[e.clip_id] for e in entries if e.clip_id in by_stem)
    image_top: dict[str, str] = {}
    if wanted:
        clips = datasets.load_image_entries(image_root, image_entries, wanted, spec, ignored=ignored).clips
        probs, clip_of = predict_engine(engine, clips, spec, hop_s, 64, None, None)
        tracks = track_probabilities(probs, clip_of, len(clips))
        image_top = {c.clip_id: labels[int(np.argmax(p))] for c, p in zip(clips, tracks, strict=True)}
    check = RealAudioCheck(str(model), hop_s)
    for k, entry in enumerate(entries, 1):
        result = analyse_file(entry.path, engine, hop_s)
        check.clips.append(ClipResult(entry.clip_id, entry.label, result.summary.top_genre,
                                      image_top.get(entry.clip_id)))
        log(f"[{k}/{len(entries)}] {entry.path.name}: {entry.label} -> audio {result.summary.top_genre}, "
            f"image {image_top.get(entry.clip_id, '–')}")
    return check


def _lists(folder: Path | None) -> dict[str, set[str]]:
    from training.splits import read_list

    return {f.stem: set(read_list(f)) for f in sorted(folder.glob("*.txt"))} if folder is not None else {}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.real_audio", description=__doc__.split("\n\n")[0])
    p.add_argument("--audio", type=Path, required=True, help="real audio clips, one sub-folder per genre")
    p.add_argument("--images", type=Path, required=True, help="the same clips' spectrogram images, per genre")
    p.add_argument("--model", type=Path, default=None, help="ONNX model (default: the shipped model)")
    p.add_argument("--hop", type=float, default=1.5, help="seconds between windows on both paths (default 1.5)")
    p.add_argument("--split-lists", type=Path, default=None, help="folder of split lists (*.txt) to break down by")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--details", action="store_true", help="list every clip")
    args = p.parse_args(argv)
    try:
        model = args.model or default_model_path()
        check = run_check(args.audio, args.images, model, args.hop,
                          log=(lambda s: print(s, file=sys.stderr)) if args.details else (lambda _s: None))
        result = check.to_dict(_lists(args.split_lists))
    except GenreLabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"model: {model} (hop {args.hop:g} s)")
    for name, part in result["parts"].items():
        if not part["clips"]:
            continue
        print(f"{name:>20s}: {part['clips']:3d} clips  track accuracy  audio path {part['audio_track_accuracy']:.3f}"
              f"  image path {part['image_track_accuracy']:.3f}")
    print(f"clips where the paths disagree: {len(result['disagreements'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
