"""Make a finished run the shipped model: ``python -m training.ship RUN [--note TEXT ...] [--force]``.

Copies ``RUN/model.onnx`` to ``resources/models/`` under the default model's name (``--as`` another) with the
given notes appended to its card (the card lives in the ONNX metadata, so the app and ``genrelab model`` show
them), and the run's report, curves, confusion matrices, metrics, config and log to ``training/reports/shipped/``
(``--report-dir`` another). The ONNX graph and
weights are not touched: the copy still gives the run's predictions (checked after writing). An existing shipped
model is replaced only with ``--force``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from genrelab.model.card import CARD_KEY, ModelCard, read_card
from genrelab.model.registry import SHIPPED_NAME

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "resources" / "models" / SHIPPED_NAME
REPORT = ROOT / "training" / "reports" / "shipped"
REPORT_FILES = ("report.md", "curves.png", "confusion.png", "metrics.json", "config.toml", "log.txt")


class ShipError(Exception):
    """The run cannot be shipped (missing files, or a shipped model exists and --force was not given)."""


def with_notes(model_path: Path, target: Path, notes: list[str]) -> ModelCard:
    """Write ``model_path`` to ``target`` with ``notes`` appended to its card; returns the new card."""
    import onnx

    model = onnx.load(str(model_path))
    card = read_card(model_path)
    card.notes = " ".join(x.strip() for x in [card.notes, *notes] if x and x.strip())
    for prop in model.metadata_props:
        if prop.key == CARD_KEY:
            prop.value = card.to_json()
    onnx.save(model, str(target))
    target.chmod(0o644)
    return card


def ship(run: Path, notes: list[str], *, force: bool = False, target: Path = SHIPPED,
         report_dir: Path = REPORT) -> ModelCard:
    """Ship ``run``'s model and report (see the module docstring)."""
    from genrelab.model.engine import OnnxEngine

    source = run / "model.onnx"
    missing = [n for n in ("model.onnx", *REPORT_FILES) if not (run / n).exists()]
    if missing:
        raise ShipError(f"{run}: not a finished run (missing {', '.join(missing)})")
    if target.exists() and not force:
        raise ShipError(f"{target} exists: add --force to replace the shipped model")
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / target.name
        card = with_notes(source, staged, notes)
        a, b = OnnxEngine(source, device="cpu"), OnnxEngine(staged, device="cpu")
        x = np.random.default_rng(0).uniform(-1, 1, (4, *a.card.spec.model_input_shape)).astype(np.float32)
        if not np.array_equal(a.predict(x), b.predict(x)):
            raise ShipError("the copy does not reproduce the run's predictions")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(staged, target)
    target.chmod(0o644)
    report_dir.mkdir(parents=True, exist_ok=True)
    for name in REPORT_FILES:
        shutil.copyfile(run / name, report_dir / name)
    return card


def reexport(path: Path, target: Path | None = None) -> float:
    """Export ``path``'s net again (same weights, same card) so the file gets today's outputs (``embedding``).

    The new file replaces ``target`` (default ``path``) only if ONNX Runtime gives the same probabilities
    (max |diff| <= 1e-5 on random windows); returns that difference.
    """
    from genrelab.model.engine import OnnxEngine
    from genrelab.model.export import export_onnx
    from genrelab.model.torch_weights import net_from_onnx

    target = target or path
    net, card = net_from_onnx(path)
    with tempfile.TemporaryDirectory() as tmp:
        staged = export_onnx(net, card, Path(tmp) / target.name)
        old, new = OnnxEngine(path, device="cpu"), OnnxEngine(staged, device="cpu")
        x = np.random.default_rng(0).uniform(-1, 1, (8, *card.spec.model_input_shape)).astype(np.float32)
        diff = float(np.abs(old.predict(x) - new.predict(x)).max())
        if diff > 1e-5 or new.card != old.card or not new.has_embedding:
            raise ShipError(f"re-export of {path.name} differs (max |diff| {diff:.2e})")
        shutil.copyfile(staged, target)
    target.chmod(0o644)
    return diff


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.ship", description=__doc__.split("\n\n")[0])
    p.add_argument("run", type=Path, help="a finished run folder (genrelab train --out)")
    p.add_argument("--note", action="append", default=[], help="a sentence for the card's notes (repeatable)")
    p.add_argument("--force", action="store_true", help="replace the shipped model")
    p.add_argument("--as", dest="file_name", default=SHIPPED.name,
                   help=f"file name in resources/models (default {SHIPPED.name}, the default model)")
    p.add_argument("--report-dir", type=Path, default=None,
                   help="where the run's report goes (default training/reports/shipped, or "
                        "training/reports/<file stem> for another file name)")
    args = p.parse_args(argv)
    target = SHIPPED.parent / args.file_name
    report_dir = args.report_dir or (REPORT if target == SHIPPED else REPORT.parent / target.stem)
    try:
        card = ship(args.run, args.note, force=args.force, target=target, report_dir=report_dir)
    except ShipError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"shipped {card.name} -> {target} (report in {report_dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
