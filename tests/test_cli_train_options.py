"""`genrelab train` refuses option combinations that cannot work: one line, exit 2, before any data is read.

The real CLI entry (:func:`genrelab.cli.main`, and once as a real subprocess). ``--data`` names a folder that does
not exist: a refusal that came after loading the data would say "no such folder" instead of the expected line.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from genrelab.cli import main

pytest.importorskip("torch")  # the `train` command is installed with the `train` extra

REPO = Path(__file__).resolve().parents[1]
INPUT = "musicnn-transfer needs --input mel --image native (its adapter turns the Mel window into musicnn's input)"

REFUSED = {
    "musicnn-stft": (["--arch", "musicnn-transfer", "--input", "stft"], INPUT),
    "musicnn-paper-image": (["--arch", "musicnn_transfer", "--image", "paper"], INPUT),
    "musicnn-student": (["--arch", "musicnn-transfer", "--distill", "teacher.onnx"],
                        "the musicnn-transfer net itself cannot be the student"),
    "musicnn-frozen-init-from": (["--arch", "musicnn-transfer", "--init-from", "start.onnx"],
                                 "--init-from does nothing with a frozen musicnn backbone (--finetune none)"),
    "musicnn-frozen-init-from-explicit": (["--arch", "musicnn-transfer", "--finetune", "none", "--init-from",
                                           "start.onnx"], "fine-tune a layer (e.g. --finetune midend3)"),
    "oof-without-distill": (["--distill-oof", "5"], "--distill-oof needs --distill MODEL"),
    "oof-one-fold": (["--distill", "teacher.onnx", "--distill-oof", "1"],
                     "--distill-oof takes 0 (off) or at least 2 clip folds (got 1)"),
    "views-without-oof": (["--distill", "teacher.onnx", "--distill-views", "4"],
                          "--distill-views needs --distill-oof K"),
    "views-negative": (["--distill", "teacher.onnx", "--distill-oof", "5", "--distill-views", "-1"],
                       "--distill-views takes 0 (off) or a number of views per clip (got -1)"),
    "features-without-views": (["--distill", "t.onnx", "--distill-oof", "5", "--distill-features", "1"],
                               "--distill-features needs --distill-views K"),
    "backbone-not-musicnn": (["--arch", "cnn", "--backbone", "mtt"],
                             "--backbone applies to --arch musicnn-transfer only (not to --arch cnn)"),
    "finetune-default-arch": (["--finetune", "midend3"],
                              "--finetune applies to --arch musicnn-transfer only (not to --arch resnet_bigru)"),
    "both-given-as-defaults": (["--arch", "resnet18", "--backbone", "msd", "--finetune", "none"],
                               "--backbone and --finetune apply to --arch musicnn-transfer only"),
}


def _train(tmp_path: Path, options: list[str]) -> list[str]:
    return ["train", "--data", str(tmp_path / "no-such-data"), *options, "--out", str(tmp_path / "out")]


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_combination_one_line_exit_2_before_the_data(case, tmp_path, capsys):
    options, needle = REFUSED[case]
    assert main(_train(tmp_path, options)) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no such folder" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], err
    assert not (tmp_path / "out").exists()


def test_refusal_as_a_real_process(tmp_path):
    done = subprocess.run([sys.executable, "-m", "genrelab", *_train(tmp_path, REFUSED["musicnn-stft"][0])],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [f"error: {INPUT}"]


def test_fine_tuned_musicnn_may_start_from_a_model(tmp_path, capsys):
    """--init-from applies when musicnn is fine-tuned: accepted, the command goes on to read the data."""
    from genrelab import cli_train
    from genrelab.cli import build_parser

    options = ["--arch", "musicnn-transfer", "--finetune", "midend3", "--init-from", "start.onnx"]
    assert main(_train(tmp_path, options)) == 2
    err = capsys.readouterr().err
    assert "no such folder" in err and "Traceback" not in err  # past the option checks: the missing data

    args = build_parser().parse_args(_train(tmp_path, options))
    train = cli_train._pipeline_config(args, args.arch, args.input, args.out).train  # noqa: SLF001
    assert (train.architecture, train.backbone, train.finetune, train.init_from) == \
        ("musicnn_transfer", "msd", "midend3", "start.onnx")


def test_musicnn_options_left_out_keep_their_defaults(tmp_path):
    """Not giving --backbone/--finetune changes nothing: the config holds msd / none as before."""
    from genrelab import cli_train
    from genrelab.cli import build_parser

    for options in ([], ["--arch", "musicnn-transfer"], ["--distill", "t.onnx", "--distill-oof", "5"]):
        args = build_parser().parse_args(_train(tmp_path, options))
        train = cli_train._pipeline_config(args, args.arch, args.input, args.out).train  # noqa: SLF001
        assert (train.backbone, train.finetune) == ("msd", "none"), options
