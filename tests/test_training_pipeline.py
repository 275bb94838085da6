"""The whole pipeline on generated audio: train, beat chance, export ONNX the app uses, cancel and resume, Ctrl-C,
and bad input that leaves nothing behind.

Real audio (training.synth), real torch, real ONNX Runtime; a reduced model width, short clips and few epochs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from genrelab import cli
from genrelab.dsp import GTZAN_IMAGE_STRIDE
from genrelab.errors import Cancelled
from training import pipeline
from training.synth import clip_signal, write_dataset

ROOT = Path(__file__).resolve().parents[1]
TRAIN_ARGS = ["--width", "8", "--hidden", "16", "--epochs", "4", "--patience", "4", "--lr", "3e-3",
              "--batch-size", "8", "--frame-stride", str(GTZAN_IMAGE_STRIDE), "--seed", "1"]
TIMING_KEYS = {"seconds", "windows_per_s"}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("train") / "data"
    write_dataset(root, classes=3, clips_per_class=10, seconds=10.0)
    (root / "techno" / "techno.00099.wav").write_bytes(b"RIFF....WAVEfmt garbage")  # unreadable: skipped, listed
    sf.write(root / "drone" / "drone.00050.wav", clip_signal(0, 50, 2.0), 22050)  # shorter than one window
    return root


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    """One run through `genrelab train` (in-process), shared by the tests that look at its results."""
    work = tmp_path_factory.mktemp("run")
    out = work / "run"
    argv = ["train", "--data", str(data), "--out", str(out), "--cache", str(work / "cache"), *TRAIN_ARGS]
    assert cli.main(argv) == 0
    return out, work


def test_training_beats_chance_and_writes_every_file(trained, capsys):
    out, _ = trained
    names = {p.name for p in out.iterdir()}
    assert {"model.onnx", "checkpoint.pt", "report.md", "curves.png", "confusion.png", "metrics.json", "config.toml",
            "log.txt"} <= names
    assert not pipeline.partial_dir(out).exists()
    metrics = json.loads((out / "metrics.json").read_text())
    valid = metrics["evaluations"]["valid"]
    assert valid["track"]["accuracy"] >= 0.8 and valid["window"]["accuracy"] >= 0.7  # chance is 1/3
    assert metrics["export"]["parity"] <= 1e-4 and metrics["export"]["parity_ok"]
    assert metrics["speed"]["windows_per_s"] > 0
    assert [Path(p).name for p, _ in metrics["skipped"]] == ["techno.00099.wav"]
    report = (out / "report.md").read_text()
    assert "techno.00099.wav" in report and "GroupShuffleSplit" in report and "windows/s" in report
    assert "windows/s" in (out / "log.txt").read_text()


def test_model_card_is_complete(trained):
    from genrelab.model.card import read_card

    out, _ = trained
    card = read_card(out / "model.onnx")
    assert card.labels == ["drone", "static", "techno"]
    assert card.spec.frame_stride == pytest.approx(GTZAN_IMAGE_STRIDE) and card.spec.kind == "mel"
    assert card.arch_params["architecture"] == "resnet_bigru" and card.arch_params["base_width"] == 8
    assert card.metrics["valid"]["track_accuracy"] >= 0.8 and "per_genre_recall" in card.metrics["valid"]
    p = card.provenance
    assert p["initialisation"] == "from scratch (no ImageNet weights)" and p["seed"] == 1
    assert p["command"].startswith("genrelab") and p["torch"] and p["date"] and p["cpu_seconds"] > 0
    assert "GroupShuffleSplit" in card.split and "31 clips" in card.data and "1 unreadable" in card.data


def test_genrelab_analyse_uses_the_exported_model(trained, tmp_path):
    out, _ = trained
    files = []
    for c, name in enumerate(["drone", "techno", "static"]):
        path = tmp_path / f"new_{name}.wav"
        sf.write(path, clip_signal(c, 500 + c, 8.0, seed=99), 22050)
        files.append(path)
    proc = subprocess.run([sys.executable, "-m", "genrelab", "analyse", "--model", str(out / "model.onnx"), "--json",
                           *map(str, files)], capture_output=True, text=True, env=_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert all(sorted(r["probabilities"]) == ["drone", "static", "techno"] for r in results)
    tops = [r["top_genre"] for r in results]
    assert sum(top == f.stem.split("_")[1] for top, f in zip(tops, files, strict=True)) >= 2


def _same_result(a: Path, b: Path) -> None:
    ma, mb = (json.loads((p / "metrics.json").read_text()) for p in (a, b))
    assert ma["evaluations"] == mb["evaluations"]
    strip = [[{k: v for k, v in h.items() if k not in TIMING_KEYS} for h in m["history"]] for m in (ma, mb)]
    assert strip[0] == strip[1] and ma["best_epoch"] == mb["best_epoch"]
    import onnx
    from onnx import numpy_helper

    wa, wb = ({i.name: numpy_helper.to_array(i) for i in onnx.load(str(p / "model.onnx")).graph.initializer}
              for p in (a, b))
    assert wa.keys() == wb.keys()
    for key in wa:
        np.testing.assert_array_equal(wa[key], wb[key])


def test_cancelled_run_resumes_to_the_same_result(trained, data):
    ref, work = trained
    out = work / "resumed"
    args = cli.build_parser().parse_args(["train", "--data", str(data), "--out", str(out), "--cache",
                                          str(work / "cache"), *TRAIN_ARGS])
    from genrelab.cli_train import _pipeline_config

    config = _pipeline_config(args, args.arch, args.input, out)
    cancel = threading.Event()
    lines: list[str] = []

    def on_batch(info):
        if info.epoch == 3 and info.batch == 2:
            cancel.set()

    with pytest.raises(Cancelled):
        pipeline.run(config, pipeline.Callbacks(on_batch=on_batch, cancel=cancel, log=lines.append))
    assert not out.exists()  # nothing half-written in --out
    assert (pipeline.partial_dir(out) / "checkpoint.pt").exists()
    assert any("0 decoded, 32 from the cache" in line for line in lines)  # the cache skipped decoding
    lines.clear()
    result = pipeline.run(config, pipeline.Callbacks(log=lines.append))
    assert any("resuming after epoch 2" in line for line in lines)
    assert result.out == out and not pipeline.partial_dir(out).exists()
    _same_result(ref, out)


def test_unfinished_run_resumed_with_fewer_epochs_stops_now_and_keeps_its_best(trained, data):
    _, work = trained
    out = work / "shortened"
    args = ["train", "--data", str(data), "--out", str(out), "--cache", str(work / "cache"), *TRAIN_ARGS]
    from genrelab.cli_train import _pipeline_config

    parsed = cli.build_parser().parse_args(args)
    cancel = threading.Event()

    def on_batch(info):
        if info.epoch == 4 and info.batch == 1:
            cancel.set()

    with pytest.raises(Cancelled):
        pipeline.run(_pipeline_config(parsed, parsed.arch, parsed.input, out),
                     pipeline.Callbacks(on_batch=on_batch, cancel=cancel))
    lines: list[str] = []
    shorter = cli.build_parser().parse_args([*args, "--epochs", "2"])  # "stop now": 3 epochs are done
    pipeline.run(_pipeline_config(shorter, shorter.arch, shorter.input, out), pipeline.Callbacks(log=lines.append))
    assert any("resuming after epoch 3" in line for line in lines)
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["history"]) == 3 and 1 <= metrics["best_epoch"] <= 3
    assert (out / "model.onnx").exists()


def test_extend_continues_a_finished_run_and_refuses_what_it_cannot_continue(data, tmp_path, capsys):
    out = tmp_path / "run"
    base = ["train", "--data", str(data), "--out", str(out), "--cache", str(tmp_path / "cache"), *TRAIN_ARGS]
    assert cli.main([*base, "--epochs", "2"]) == 0
    first = json.loads((out / "metrics.json").read_text())
    assert cli.main([*base, "--epochs", "2", "--extend"]) == 2  # nothing more to do
    assert "already has 2 epochs" in capsys.readouterr().err
    assert cli.main([*base, "--epochs", "3", "--lr", "1e-2", "--extend"]) == 2  # another configuration
    assert "made with other data or options" in capsys.readouterr().err
    other_data = [a if a != str(data) else str(tmp_path / "elsewhere") for a in base]
    shutil.copytree(data, tmp_path / "elsewhere")
    assert cli.main([*other_data, "--epochs", "3", "--extend"]) == 2  # same options, other data
    assert "made with other data or options" in capsys.readouterr().err
    assert json.loads((out / "metrics.json").read_text()) == first  # refused: the run is as it was
    assert cli.main([*base, "--epochs", "3", "--extend"]) == 0
    err = capsys.readouterr().err
    assert "extending the finished run" in err and "resuming after epoch 2" in err, err
    longer = json.loads((out / "metrics.json").read_text())
    assert [h["epoch"] for h in longer["history"]] == [1, 2, 3]
    assert longer["history"][:2] == first["history"][:2]
    assert not pipeline.partial_dir(out).exists()
    assert cli.main(["train", "--data", str(data), "--out", str(tmp_path / "none"), "--extend", *TRAIN_ARGS]) == 2
    assert "holds no finished run" in capsys.readouterr().err


def test_ctrl_c_cancels_cleanly_and_says_how_to_resume(trained, data, tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "genrelab", "train", "--data", str(data), "--out", str(out), "--cache",
           str(trained[1] / "cache"), *TRAIN_ARGS]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env())
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.strip().startswith("epoch   1"):
            proc.send_signal(signal.SIGINT)
            break
    _, rest = proc.communicate(timeout=120)
    text = "".join(seen) + rest
    assert proc.returncode == 130, text
    assert "run the same command again to resume" in text
    assert not out.exists() and (pipeline.partial_dir(out) / "checkpoint.pt").exists()


@pytest.mark.parametrize("case, message", [
    ("empty", "is empty"),
    ("flat", "no genre sub-folders"),
    ("one_class", "only one genre"),
    ("missing_in_lists", "not in the data (blues.00042)"),
])
def test_bad_input_is_one_clear_line_and_leaves_nothing(tmp_path, capsys, case, message):
    root = tmp_path / "data"
    root.mkdir()
    extra = []
    if case == "flat":
        sf.write(root / "a.wav", np.zeros(22050, np.float32), 22050)
    if case == "one_class":
        (root / "blues").mkdir()
        sf.write(root / "blues" / "blues.00000.wav", np.zeros(22050, np.float32), 22050)
    if case == "missing_in_lists":
        write_dataset(root, classes=2, clips_per_class=2, seconds=1.0)
        lists = tmp_path / "lists"
        lists.mkdir()
        (lists / "train.txt").write_text("drone/drone.00000.wav\ntechno/techno.00000.wav\nblues/blues.00042.wav\n")
        (lists / "valid.txt").write_text("drone/drone.00001.wav\ntechno/techno.00001.wav\n")
        extra = ["--split", f"lists:{lists}"]
    out = tmp_path / "out"
    code = cli.main(["train", "--data", str(root), "--out", str(out), "--no-cache", *extra, *TRAIN_ARGS])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("error: ") and message in err[-1]
    assert not out.exists() and not pipeline.partial_dir(out).exists()


def test_existing_out_is_not_overwritten_without_force(data, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert cli.main(["train", "--data", str(data), "--out", str(out), "--no-cache", *TRAIN_ARGS]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "mine" and not pipeline.partial_dir(out).exists()


def test_genrelab_evaluate_prints_both_levels(trained, data, capsys):
    out, work = trained
    code = cli.main(["evaluate", "--model", str(out / "model.onnx"), "--data", str(data), "--split", "paper",
                     "--cache", str(work / "cache"), "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert list(result) == ["valid"]
    reference = json.loads((out / "metrics.json").read_text())["evaluations"]["valid"]
    assert result["valid"]["track"]["accuracy"] == pytest.approx(reference["track"]["accuracy"])
    assert result["valid"]["window"]["n"] == reference["window"]["n"]


def test_genrelab_evaluate_only_the_clips_named_by_a_list_or_a_folder(trained, data, tmp_path, capsys):
    out, work = trained
    base = ["evaluate", "--model", str(out / "model.onnx"), "--data", str(data), "--cache", str(work / "cache"),
            "--json"]
    genres = sorted(d.name for d in data.iterdir())[:2]
    names = [p.stem for g in genres for p in sorted((data / g).glob("*.wav"))[:2]]
    (tmp_path / "few.txt").write_text("".join(f"x/{n}.wav\n" for n in names))
    assert cli.main([*base, "--only", str(tmp_path / "few.txt")]) == 0
    assert json.loads(capsys.readouterr().out)["all"]["n_clips"] == 4
    other = tmp_path / "other"  # a folder holding the same clips in another form (e.g. their images)
    for n in names[1:]:
        (other / n.split(".")[0]).mkdir(parents=True, exist_ok=True)
        (other / n.split(".")[0] / f"{n}.png").write_bytes(b"")
    assert cli.main([*base, "--only", str(other)]) == 0
    assert json.loads(capsys.readouterr().out)["all"]["n_clips"] == 3
    assert cli.main([*base, "--only", str(tmp_path / "nowhere.txt")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "none.txt").write_text("rock.00001\n")
    assert cli.main([*base, "--only", str(tmp_path / "none.txt")]) == 2
    assert "none of the clips" in capsys.readouterr().err


def test_quantize_scores_and_times_the_int8_model_and_keeps_it_only_within_one_point(data, tmp_path):
    from genrelab.model.engine import OnnxEngine

    out = tmp_path / "q"
    args = ["train", "--data", str(data), "--out", str(out), "--cache", str(tmp_path / "cache"), *TRAIN_ARGS,
            "--epochs", "2", "--quantize"]
    assert cli.main(args) == 0
    q = json.loads((out / "metrics.json").read_text())["export"]["int8"]
    assert set(q["windows_per_s"]) == {"float", "int8"} and min(q["windows_per_s"].values()) > 0
    assert q["kept"] == (q["float_track_accuracy"] - q["track_accuracy"] <= 0.01 + 1e-9)
    assert (out / "model.int8.onnx").exists() == q["kept"]
    assert "int8 dynamic quantisation" in (out / "report.md").read_text()
    if q["kept"]:  # the int8 file carries the card, so the app can open it
        assert OnnxEngine(out / "model.int8.onnx", device="cpu").card.labels == OnnxEngine(out / "model.onnx").card.labels


def test_ship_copies_the_model_with_notes_and_never_replaces_without_force(trained, tmp_path):
    from genrelab.model.card import read_card
    from training import ship

    out, _ = trained
    target, reports = tmp_path / "models" / "shipped.onnx", tmp_path / "reports"
    card = ship.ship(out, ["Selected on valid."], target=target, report_dir=reports)
    assert read_card(target).notes.endswith("Selected on valid.") and card.notes == read_card(target).notes
    assert read_card(target).metrics == read_card(out / "model.onnx").metrics
    assert {p.name for p in reports.iterdir()} == set(ship.REPORT_FILES)
    before = target.read_bytes()
    with pytest.raises(ship.ShipError, match="--force"):
        ship.ship(out, ["Another note."], target=target, report_dir=reports)
    assert target.read_bytes() == before
    with pytest.raises(ship.ShipError, match="not a finished run"):
        ship.ship(tmp_path, [], target=tmp_path / "x.onnx", report_dir=reports)


def test_missing_imagenet_weights_fall_back_to_scratch_with_a_note():
    from training.trainer import TrainConfig

    notes: list[str] = []
    spec = pipeline.PipelineConfig(data=Path("."), out=Path("x")).feature_spec()
    train, init = pipeline._check_pretrained(TrainConfig(base_width=8, hidden=16, pretrained="imagenet"), spec, 3,
                                             notes.append)
    assert train.pretrained is None and init == pipeline.SCRATCH
    assert notes and "training from scratch" in notes[0]
