"""The files a training run leaves: report.md, curves.png, confusion.png, metrics.json, config.toml, log.txt.

Numbers in, files out: nothing here trains or evaluates. Plots use matplotlib's object API (``Figure`` +
Agg), so no global backend is switched. The paper's published numbers (../docs/PAPER.md, Table 7 and Table 5)
are kept here to be printed beside ours.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.evaluate import Evaluation

#: The paper's segment-level results on its GroupShuffleSplit (accuracy on STFT and Mel images; Mel P/R/F1).
PAPER_RESULTS: dict[str, dict[str, Any]] = {
    "knn10": {"stft": 0.51, "mel": 0.52},
    "svm": {"stft": 0.60, "mel": 0.57},
    "cnn": {"stft": 0.53, "mel": 0.58, "mel_prf": (0.59, 0.58, 0.58)},
    "bigru": {"stft": 0.50, "mel": 0.55, "mel_prf": (0.55, 0.55, 0.54)},
    "resnet18": {"stft": 0.55, "mel": 0.79, "mel_prf": (0.79, 0.79, 0.78)},
    "resnet_bigru": {"stft": 0.75, "mel": 0.81, "mel_prf": (0.82, 0.81, 0.81)},
}
PAPER_LEAKY_RESNET_BIGRU_MEL = 0.90
ARCH_NAMES = {"cnn": "CNN", "bigru": "Bi-GRU", "resnet18": "ResNet18", "resnet_bigru": "ResNet-BiGRU",
              "musicnn_transfer": "musicnn transfer",
              "knn10": "KNN (n=10)", "knn15": "KNN (n=15)", "knn20": "KNN (n=20)", "svm": "SVM"}


@dataclass
class RunReport:
    """Everything a run's report shows (filled by :mod:`training.pipeline`)."""

    title: str
    command: str
    date: str
    data: str
    genre_counts: dict[str, int]
    skipped: list[tuple[str, str]]
    split: dict[str, Any]
    spec: dict[str, Any]
    train: dict[str, Any]
    model: dict[str, Any]
    history: list[dict[str, Any]]
    best_epoch: int
    stopped: str
    evaluations: dict[str, Evaluation]
    export: dict[str, Any] = field(default_factory=dict)
    speed: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title, "command": self.command, "date": self.date, "data": self.data,
            "genre_counts": self.genre_counts, "skipped": [list(s) for s in self.skipped], "split": self.split,
            "spec": self.spec, "train": self.train, "model": self.model, "history": self.history,
            "best_epoch": self.best_epoch, "stopped": self.stopped,
            "evaluations": {k: v.to_dict() for k, v in self.evaluations.items()},
            "export": self.export, "speed": self.speed, "notes": self.notes,
        }


# ---- small formatting helpers ------------------------------------------------------------------------------
def _f(x: float | None, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def _paper_row(arch: str, kind: str) -> str:
    paper = PAPER_RESULTS.get(arch, {})
    if kind == "mel" and "mel_prf" in paper:
        p, r, f = paper["mel_prf"]
        return f"{_f(paper['mel'], 2)} / {_f(p, 2)} / {_f(r, 2)} / {_f(f, 2)}"
    return _f(paper.get(kind), 2)


# ---- report.md -------------------------------------------------------------------------------------------
def render_markdown(r: RunReport) -> str:
    """The run's report.md text."""
    spec, train, model = r.spec, r.train, r.model
    lines = [f"# {r.title}", "", f"- Date: {r.date}", f"- Command: `{r.command}`", ""]
    lines += ["## Data", "", f"- {r.data}",
              "- Clips per genre: " + ", ".join(f"{k} {v}" for k, v in r.genre_counts.items())]
    if r.skipped:
        lines.append(f"- Skipped ({len(r.skipped)} file(s) that could not be used):")
        lines += [f"  - `{p}`: {why}" for p, why in r.skipped[:50]]
        if len(r.skipped) > 50:
            lines.append(f"  - ... and {len(r.skipped) - 50} more (metrics.json lists all)")
    lines += ["", "## Split", "", f"- {r.split.get('name')}: {r.split.get('description')}",
              "- Clips: " + ", ".join(f"{k} {v}" for k, v in r.split.get("sizes", {}).items())]
    lines += [f"- Note: {w}" for w in r.split.get("warnings", [])]
    lines += ["", "## Model and training", ""]
    if train["architecture"] == "musicnn_transfer":
        hidden = int(train["hidden"])
        detail = (f"backbone {str(train.get('backbone', 'msd')).upper()}, fine-tuned from "
                  f"{train.get('finetune', 'none')}, head {'linear' if hidden == 0 else f'MLP {hidden}'}")
    else:
        detail = f"base width {train['base_width']}, GRU hidden {train['hidden']}"
    windows = model.get("windows") or (
        f"{train['windows_per_clip']} random non-overlapping {spec['window_s']:g}-s windows per clip "
        f"{'drawn once (fixed)' if train.get('fixed_windows') else 'drawn afresh every epoch'}")
    lines += [
        f"- Architecture: {ARCH_NAMES.get(train['architecture'], train['architecture'])} (`{train['architecture']}`), "
        f"{detail}, {model.get('parameters', 0):,} parameters",
        f"- Input: {spec['kind']} ({spec['image']}), input shape {model.get('input_shape')}, frame stride "
        f"{spec['frame_stride']:.4g}, {spec['window_s']:g}-s windows, sr {spec['sr']} Hz, n_fft {spec['n_fft']}, "
        f"hop {spec['hop_length']}",
        f"- Initialisation: {model.get('initialisation')}",
        f"- Optimiser: {model.get('optimiser')}; up to {train['epochs']} epochs, "
        f"early stopping patience {train['patience']} on {train.get('monitor', 'valid_acc')}",
        f"- Windows: {windows}; evaluation windows every {train['eval_hop_s']:g} s",
        f"- Augmentation: {', '.join(train.get('augment') or []) or 'none (as the paper)'}",
        f"- Seed {train['seed']}; epochs run {len(r.history)}, best epoch {r.best_epoch}, stopped: {r.stopped}",
    ]
    if r.speed:
        lines.append(f"- Speed: {r.speed.get('windows_per_s', 0):.1f} training windows/s (median over epochs, "
                     f"batch {train['batch_size']}, {r.speed.get('threads')} threads); training "
                     f"{r.speed.get('train_seconds', 0):.0f} s wall, {r.speed.get('cpu_seconds', 0):.0f} s CPU")
    lines += ["", "## Results", "", "Window level is the paper's measure (each 3-s window on its own); track level "
              "averages a clip's window probabilities. Precision, recall and F1 are weighted averages.", ""]
    rows = []
    for part, ev in r.evaluations.items():
        for level, s in (("window", ev.window), ("track", ev.track)):
            rows.append([part, level, str(s.n), _f(s.accuracy), _f(s.precision), _f(s.recall), _f(s.f1)])
    lines += _table(["Part", "Level", "n", "Accuracy", "Precision", "Recall", "F1"], rows)
    arch = train["architecture"]
    if arch in PAPER_RESULTS and r.split.get("name") == "paper":
        lines += ["", f"The paper's {ARCH_NAMES[arch]} on its own GroupShuffleSplit (segment level): "
                  f"{spec['kind'].upper()} accuracy {_paper_row(arch, 'stft' if spec['kind'] == 'stft' else 'mel')}"
                  f"{' (accuracy / P / R / F1)' if spec['kind'] == 'mel' and 'mel_prf' in PAPER_RESULTS[arch] else ''}."]
    if r.evaluations:
        labels = next(iter(r.evaluations.values())).labels
        parts = list(r.evaluations)
        lines += ["", "### Per-genre recall (track level)", ""]
        lines += _table(["Genre", *parts],
                        [[g, *(_f(r.evaluations[p].track.per_genre_recall.get(g)) for p in parts)] for g in labels])
        lines += ["", "![confusion matrices](confusion.png)", "", "![accuracy and loss per epoch](curves.png)"]
    if r.export:
        e = r.export
        lines += ["", "## Export", ""]
        lines.append(f"- `model.onnx`: {e.get('size_mb', 0):.1f} MB, opset {e.get('opset')}, card in its metadata")
        lines.append(f"- ONNX Runtime vs torch on {e.get('parity_windows')} {e.get('parity_part')} windows: max |diff| "
                     f"{e.get('parity', float('nan')):.2e} ({'OK' if e.get('parity_ok') else 'FAILED'}: limit 1e-4)")
        q = e.get("int8")
        if q:
            lines.append(f"- int8 dynamic quantisation: {q['size_mb']:.1f} MB, track accuracy {_f(q['track_accuracy'])} "
                         f"vs {_f(q['float_track_accuracy'])} float ({q['part']}); "
                         f"{'kept as model.int8.onnx' if q['kept'] else 'discarded (drop > 1 point)'}")
            sp = q.get("windows_per_s")
            if sp:
                lines.append(f"- ONNX Runtime on CPU, batch 64: int8 {sp['int8']:.0f} windows/s, float "
                             f"{sp['float']:.0f} windows/s")
    if r.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in r.notes]
    lines += ["", "## Files", "", "`model.onnx` (the model with its card), `checkpoint.pt` (resume / best weights), "
              "`metrics.json`, `config.toml`, `curves.png`, `confusion.png`, `log.txt`, `run.json` (what decides the "
              "result; `--extend` checks it)."]
    return "\n".join(lines) + "\n"


# ---- plots --------------------------------------------------------------------------------------------------
def plot_curves(history: list[dict[str, Any]], best_epoch: int, path: Path, title: str = "") -> Path:
    """Accuracy and loss per epoch (train, valid window, valid track), best epoch marked."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), dpi=100, layout="constrained")
    ax_acc, ax_loss = fig.subplots(1, 2)
    epochs = [h["epoch"] for h in history]
    ax_acc.plot(epochs, [h["train_acc"] for h in history], label="train (window)")
    ax_acc.plot(epochs, [h["valid_acc"] for h in history], label="valid (window)")
    ax_acc.plot(epochs, [h["valid_track_acc"] for h in history], label="valid (track)")
    ax_loss.plot(epochs, [h["train_loss"] for h in history], label="train")
    ax_loss.plot(epochs, [h["valid_loss"] for h in history], label="valid")
    for ax, name in ((ax_acc, "accuracy"), (ax_loss, "loss")):
        if best_epoch:
            ax.axvline(best_epoch, color="grey", ls="--", lw=1, label=f"best epoch {best_epoch}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    ax_acc.set_ylim(0, 1.02)
    if title:
        fig.suptitle(title)
    fig.savefig(path)
    return path


def plot_confusions(evaluations: dict[str, Evaluation], path: Path, title: str = "") -> Path:
    """Confusion matrices (rows true, columns predicted; row-normalised colours, counts written) per part
    and level."""
    import numpy as np
    from matplotlib.figure import Figure

    panels = [(f"{part} ({level})", getattr(ev, level), ev.labels)
              for part, ev in evaluations.items() for level in ("window", "track")]
    if not panels:
        panels = [("no evaluation", None, [])]
    n = len(panels)
    size = max(3.5, 0.45 * max(len(p[2]) for p in panels) + 1.5)
    fig = Figure(figsize=(size * n, size), dpi=100, layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n))
    for ax, (name, s, labels) in zip(axes, panels, strict=True):
        ax.set_title(name)
        if s is None:
            continue
        cm = np.array(s.confusion, float)
        norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        for i in range(len(labels)):
            for j in range(len(labels)):
                if cm[i, j]:
                    ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", fontsize=7,
                            color="white" if norm[i, j] > 0.5 else "black")
    if title:
        fig.suptitle(title)
    fig.savefig(path)
    return path


# ---- config.toml ----------------------------------------------------------------------------------------
def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v) if not (isinstance(v, float) and not math.isfinite(v)) else ("nan" if math.isnan(v) else
                                                                                     ("inf" if v > 0 else "-inf"))
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v if x is not None) + "]"
    return json.dumps(str(v))  # a JSON string is a valid TOML basic string


def to_toml(data: dict[str, Any]) -> str:
    """A small TOML writer for flat values and nested tables (None values are left out)."""
    lines: list[str] = []

    def table(prefix: str, d: dict[str, Any]) -> None:
        scalars = [(k, v) for k, v in d.items() if v is not None and not isinstance(v, dict)]
        tables = [(k, v) for k, v in d.items() if isinstance(v, dict)]
        if prefix and (scalars or not tables):
            lines.append(f"\n[{prefix}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in scalars)
        for k, v in tables:
            table(f"{prefix}.{k}" if prefix else k, v)

    table("", data)
    return "\n".join(lines).lstrip("\n") + "\n"


# ---- everything ---------------------------------------------------------------------------------------------
def write_run(folder: str | Path, report: RunReport, config: dict[str, Any], log_lines: list[str],
              extra_metrics: dict[str, Any] | None = None) -> list[Path]:
    """Write report.md, curves.png, confusion.png, metrics.json, config.toml and log.txt into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.md").write_text(render_markdown(report), encoding="utf-8")
    plot_curves(report.history, report.best_epoch, folder / "curves.png", report.title)
    plot_confusions(report.evaluations, folder / "confusion.png", report.title)
    metrics = report.to_dict() | (extra_metrics or {})
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=1, default=str), encoding="utf-8")
    (folder / "config.toml").write_text(to_toml(config), encoding="utf-8")
    (folder / "log.txt").write_text("\n".join(log_lines) + "\n", encoding="utf-8")
    return [folder / n for n in ("report.md", "curves.png", "confusion.png", "metrics.json", "config.toml", "log.txt")]


# ---- the experiment's comparison report ------------------------------------------------------------------------
MODE_NAMES = {"native": "native input (1 x 128 x T dB bands)", "paper": "the paper's 224 x 224 RGB image"}


def render_experiment(rows: dict[tuple[str, ...], dict[str, Any]], baselines: list[dict[str, Any]], *, title: str,
                      data: str, split: str, command: str, date: str, notes: list[str]) -> str:
    """The comparison with the paper's Table 7 (deep models) and Table 5 (baselines), side by side.

    ``rows[(arch, kind)]`` or ``rows[(arch, kind, mode)]`` (``mode`` native | paper, native when left out) holds
    the run's window-level ``accuracy``, ``precision``, ``recall``, ``f1`` and ``track_accuracy`` on its reported
    part (missing runs print as –); ``baselines`` are BaselineResult dicts. With both input modes a third table
    puts them side by side.
    """
    keyed = {(k[0], k[1], k[2] if len(k) > 2 else "native"): v for k, v in rows.items()}
    modes = [m for m in ("native", "paper") if any(k[2] == m for k in keyed)] or ["native"]
    lines = [f"# {title}", "", f"- Date: {date}", f"- Command: `{command}`", f"- Data: {data}", f"- Split: {split}",
             ""]
    header = ["Model", "STFT acc (ours)", "STFT acc (paper)", "Mel acc (ours)", "Mel acc (paper)",
              "Mel P / R / F1 (ours)", "Mel P / R / F1 (paper)", "Mel track acc (ours)"]
    for mode in modes:
        lines += [f"## Deep models, {MODE_NAMES[mode]} (window level, as the paper; ours beside the paper's)", ""]
        body = []
        for arch in ("cnn", "bigru", "resnet18", "resnet_bigru"):
            st, me = keyed.get((arch, "stft", mode), {}), keyed.get((arch, "mel", mode), {})
            paper = PAPER_RESULTS[arch]
            prf = "–" if not me else f"{_f(me.get('precision'), 2)} / {_f(me.get('recall'), 2)} / {_f(me.get('f1'), 2)}"
            body.append([ARCH_NAMES[arch], _f(st.get("accuracy"), 2), _f(paper["stft"], 2),
                         _f(me.get("accuracy"), 2), _f(paper["mel"], 2), prf,
                         " / ".join(_f(x, 2) for x in paper["mel_prf"]), _f(me.get("track_accuracy"), 2)])
        lines += _table(header, body)
        lines.append("")
    if len(modes) > 1:
        lines += ["## Input modes side by side (Mel, same data and split)", ""]
        body = []
        for arch in ("cnn", "bigru", "resnet18", "resnet_bigru"):
            cells = [ARCH_NAMES[arch]]
            for mode in modes:
                r = keyed.get((arch, "mel", mode), {})
                speed = r.get("windows_per_s")
                cells += [_f(r.get("accuracy"), 3), _f(r.get("f1"), 3), _f(r.get("track_accuracy"), 3),
                          "–" if not speed else f"{speed:.0f}"]
            body.append(cells)
        head = ["Model"] + [f"{m} {c}" for m in modes for c in ("window acc", "F1", "track acc", "train w/s")]
        lines += _table(head, body)
        lines.append("")
    lines += [f"Paper, without grouping (leaky split): ResNet-BiGRU {PAPER_LEAKY_RESNET_BIGRU_MEL:.2f} on Mel.", ""]
    if baselines:
        lines += ["## Baselines (window level, the paper's Table 5)", ""]
        by = {(b["model"], b["representation"]): b for b in baselines}
        body = []
        for model in ("knn10", "knn15", "knn20", "svm"):
            paper = PAPER_RESULTS.get(model, {})
            body.append([ARCH_NAMES[model], *(_f(by[(model, rep)]["accuracy"], 2) if (model, rep) in by else "–"
                                              for rep in ("raw", "stft", "mel")),
                         _f(paper.get("stft"), 2), _f(paper.get("mel"), 2)])
        lines += _table(["Model", "Raw (ours)", "STFT (ours)", "Mel (ours)", "STFT (paper)", "Mel (paper)"], body)
        lines.append("")
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(lines)
