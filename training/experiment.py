"""``genrelab experiment paper``: the paper's grid (4 architectures x STFT/Mel x input modes + the baselines).

Every deep run is a :func:`training.pipeline.run` into its own sub-folder (``<arch>-<input>``, or
``<arch>-<input>-paper`` for the paper's 224 x 224 image mode), the baselines
go to ``baselines/``, and ``report.md`` compares our numbers with the paper's Tables 5 and 7 side by side.
Finished parts are skipped when the same experiment is run again, so an interrupted grid resumes.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from training import baselines as bl
from training.pipeline import Callbacks, PipelineConfig, PipelineError, load_data, run
from training.report import render_experiment

ARCHS = ("cnn", "bigru", "resnet18", "resnet_bigru")
INPUTS = ("stft", "mel")


@dataclass
class ExperimentConfig:
    """The grid: ``base`` is the template of every run (its ``out`` is the experiment's folder)."""

    base: PipelineConfig
    archs: tuple[str, ...] = ARCHS
    inputs: tuple[str, ...] = INPUTS
    modes: tuple[str, ...] = ("native",)
    baselines: bool = True
    baseline_dims: int = 512
    notes: list[str] = field(default_factory=list)


def _fingerprint(cfg: ExperimentConfig) -> dict[str, Any]:
    return {"runs": json.loads(json.dumps(replace(cfg.base, input="mel").fingerprint(), default=str)),
            "archs": list(cfg.archs), "inputs": list(cfg.inputs), "modes": list(cfg.modes)}


def _headline(metrics_path: Path) -> dict[str, Any]:
    """The reported part's window-level scores and track accuracy of a finished run (test, else valid)."""
    m = json.loads(metrics_path.read_text(encoding="utf-8"))
    evs = m.get("evaluations", {})
    part = "test" if "test" in evs else "valid"
    ev = evs[part]
    w = ev["window"]
    return {"part": part, "accuracy": w["accuracy"], "precision": w["precision"], "recall": w["recall"],
            "f1": w["f1"], "track_accuracy": ev["track"]["accuracy"],
            "windows_per_s": m.get("speed", {}).get("windows_per_s")}


def run_experiment(cfg: ExperimentConfig, callbacks: Callbacks | None = None) -> Path:
    """Run (or resume) the grid and write ``report.md`` + ``metrics.json`` in ``cfg.base.out``."""
    cb = callbacks or Callbacks()
    say = cb.log or (lambda _s: None)
    out = Path(cfg.base.out).resolve()
    stamp = out / "experiment.json"
    fingerprint = _fingerprint(cfg)
    if out.exists() and any(out.iterdir()):
        known = stamp.exists() and json.loads(stamp.read_text(encoding="utf-8")) == fingerprint
        if not known and not cfg.base.force:
            raise PipelineError(f"{out} already exists and holds something else; choose another --out or add --force")
        if not known:
            shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps(fingerprint, indent=1), encoding="utf-8")
    notes = list(cfg.notes)
    inputs = [k for k in cfg.inputs if not (cfg.base.images and k == "stft")]
    if cfg.base.images and "stft" in cfg.inputs:
        notes.append("The data are Mel-spectrogram images: STFT runs are not possible (– in the table).")
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for mode in cfg.modes:
        for kind in inputs:
            for arch in cfg.archs:
                folder = out / (f"{arch}-{kind}" if mode == "native" else f"{arch}-{kind}-{mode}")
                if not (folder / "metrics.json").exists():
                    say(f"=== {arch} on {kind} ({mode} input) -> {folder}")
                    run(replace(cfg.base, out=folder, input=kind, image=mode, force=False,
                                train=replace(cfg.base.train, architecture=arch)), cb)
                rows[(arch, kind, mode)] = _headline(folder / "metrics.json")
    baseline_rows: list[dict[str, Any]] = []
    if cfg.baselines:
        baseline_rows = _baselines(cfg, out, inputs, cb, say, notes)
    first = rows[next(iter(rows))] if rows else {}
    data_line = f"{cfg.base.data} ({'Mel-spectrogram images' if cfg.base.images else 'audio'})"
    split_line = f"{cfg.base.split} (numbers on its {first.get('part', 'valid')} part)"
    speed = [f"{_run_name(a, k, m)} {r['windows_per_s']:.0f}" for (a, k, m), r in rows.items()
             if r.get("windows_per_s")]
    if speed:
        notes.append("Training windows/s: " + ", ".join(speed))
    notes.append(f"Input modes: {', '.join(cfg.modes)}; epochs up to {cfg.base.train.epochs}, patience "
                 f"{cfg.base.train.patience}, base width {cfg.base.train.base_width}, batch "
                 f"{cfg.base.train.batch_size}, trained from scratch unless --pretrained imagenet worked "
                 "(see each run's report).")
    text = render_experiment(rows, baseline_rows, title="The paper's experiment grid: ours vs the paper",
                             data=data_line, split=split_line, command=cfg.base.command,
                             date=datetime.now(timezone.utc).isoformat(timespec="seconds"), notes=notes)
    (out / "report.md").write_text(text, encoding="utf-8")
    (out / "metrics.json").write_text(json.dumps({"runs": {_run_name(a, k, m): r for (a, k, m), r in rows.items()},
                                                  "baselines": baseline_rows}, indent=1), encoding="utf-8")
    say(f"experiment report: {out / 'report.md'}")
    return out


def _run_name(arch: str, kind: str, mode: str) -> str:
    return f"{arch}-{kind}" if mode == "native" else f"{arch}-{kind}-{mode}"


def _baselines(cfg: ExperimentConfig, out: Path, inputs: list[str], cb: Callbacks, say,
               notes: list[str]) -> list[dict[str, Any]]:
    folder = out / "baselines"
    done = folder / "metrics.json"
    if done.exists():
        saved = json.loads(done.read_text(encoding="utf-8"))
        notes.append(saved["method"])
        return saved["results"]
    data: dict[str, bl.RepresentationData] = {}
    labels: list[str] = []
    for kind in inputs:
        base = replace(cfg.base, input=kind, image="native")
        spec = base.feature_spec()
        dataset, folds = load_data(base, spec, Callbacks(cancel=cb.cancel), say)
        split = folds[0]
        part = split.test if split.test else split.valid
        data[kind] = bl.RepresentationData(dataset.clips_of(split.train), dataset.clips_of(part), spec)
        labels = dataset.labels
        if kind == "mel" and not cfg.base.images:
            data["raw"] = data[kind]
    if not cfg.base.images and "raw" not in data and data:
        data["raw"] = next(iter(data.values()))
    if cfg.base.images:
        notes.append("Raw-audio baselines need audio files: not run on images (– in the table).")
    order = {k: data[k] for k in bl.REPRESENTATIONS if k in data}
    results = bl.run_baselines(order, labels, dims=cfg.baseline_dims, seed=cfg.base.train.seed, log=say,
                               cancel=cb.cancel)
    notes.append(bl.describe_method(cfg.baseline_dims))
    rows = [r.to_dict() for r in results]
    folder.mkdir(parents=True, exist_ok=True)
    done.write_text(json.dumps({"method": bl.describe_method(cfg.baseline_dims), "results": rows}, indent=1),
                    encoding="utf-8")
    return rows
