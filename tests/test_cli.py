"""`genrelab` run as a real subprocess on real files: output formats, bad input, flags, no model, bench."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import audiofiles as af
import numpy as np
import pytest
from test_model import write_cardless_onnx

from genrelab.model.card import GTZAN_GENRES

REPO = Path(__file__).resolve().parents[1]


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k != "GENRELAB_MODEL"}
    return {**base, **(extra or {})}


@pytest.fixture(scope="module", autouse=True)
def bench_run(tiny_model):
    """`genrelab bench --quick --json`, started before the other tests of this module and collected by the bench
    test: it is the slow one (~20 s), and the other runs here are single-threaded, so it uses the other core."""
    proc = subprocess.Popen([sys.executable, "-m", "genrelab", "bench", "--quick", "--json", "--model", str(tiny_model)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=_env())
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


def genrelab(*args: object, cwd: Path | None = None, env: dict[str, str] | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m genrelab ARGS`` and capture its output (no installed model unless the test names one)."""
    return subprocess.run([sys.executable, "-m", "genrelab", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or REPO, env=_env(env), timeout=timeout)


def assert_one_line_error(done: subprocess.CompletedProcess, *needles: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0]


@pytest.fixture(scope="module")
def audio(tmp_path_factory) -> dict[str, Path]:
    """Good, odd and bad audio files, written for real."""
    d = tmp_path_factory.mktemp("audio")
    files = {
        "good": af.write_wav(d / "good.wav", af.music_like(8.0, 22050, seed=1), 22050),
        "mp3": af.write_mp3(d / "song.mp3", af.music_like(7.0, 44100, seed=2, channels=2), 44100),
        "multi": af.write_wav(d / "multi.wav", af.music_like(5.0, 96000, seed=3, channels=8), 96000),
    }
    truncated = af.write_wav(d / "truncated.wav", af.music_like(10.0, 22050, seed=4), 22050)
    files["truncated"] = af.truncate_file(truncated, 0.5)
    broken = af.music_like(6.0, 22050, seed=5)
    broken[1000:1500] = np.nan
    broken[3000] = np.inf
    broken[4000] = -np.inf
    files["nan"] = af.write_wav(d / "nan.wav", broken, 22050, subtype="FLOAT")
    return files


# ---- analyse: output formats ------------------------------------------------------------------------------
def test_analyse_prints_one_line_per_track(audio, tiny_model):
    done = genrelab("analyse", audio["good"], audio["mp3"], "--model", tiny_model)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2
    for line, path, length in zip(lines, (audio["good"], audio["mp3"]), ("0:08", "0:07"), strict=True):
        assert line.startswith(f"{path}  {length}  ")
        head, top3 = line.split("(top-3: ")
        genre, prob = head.split()[-2:]
        assert genre in GTZAN_GENRES and 0 < float(prob) <= 1
        named = [part.split()[0] for part in top3.split(")")[0].split(", ")]
        assert len(named) == 3 and named[0] == genre and set(named) <= set(GTZAN_GENRES)


def test_analyse_names_no_genre_for_a_silent_track(tmp_path, tiny_model):
    silent = af.write_wav(tmp_path / "silent.wav", np.zeros(6 * 22050, np.float32), 22050)
    done = genrelab("analyse", silent, "--model", tiny_model)
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert line.startswith(f"{silent}  0:06  silence") and "silent" in line and "top-3" not in line
    assert not any(g in line for g in GTZAN_GENRES)


@pytest.fixture(scope="module")
def batch(audio, tiny_model) -> subprocess.CompletedProcess:
    """One --json run over good, truncated, NaN, 8-channel files and a missing one."""
    names = ["good", "truncated", "nan", "multi"]
    missing = audio["good"].parent / "missing.wav"
    return genrelab("analyse", *(audio[n] for n in names), missing, "--json", "--model", tiny_model)


def tracks_by_name(batch) -> dict[str, dict]:
    return {Path(t["path"]).stem: t for t in json.loads(batch.stdout)}


def test_json_schema(batch):
    tracks = json.loads(batch.stdout)
    assert isinstance(tracks, list) and len(tracks) == 4
    for track in tracks:
        assert {"path", "duration_s", "top_genre", "probabilities", "timeline", "flags"} <= set(track)
        assert Path(track["path"]).exists()
        assert track["duration_s"] > 0
        assert set(track["probabilities"]) == set(GTZAN_GENRES)
        assert sum(track["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
        assert track["top_genre"] == max(track["probabilities"], key=track["probabilities"].get)
        times, probs = track["timeline"]["times"], np.array(track["timeline"]["probs"])
        assert len(times) == len(probs) >= 1 and probs.shape[1] == 10
        assert all(b > a for a, b in zip(times, times[1:], strict=False))
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-3)
        assert isinstance(track["flags"], list) and all(isinstance(f, str) for f in track["flags"])
    good = tracks_by_name(batch)["good"]
    assert good["duration_s"] == pytest.approx(8.0, abs=0.01)
    assert abs(len(good["timeline"]["times"]) - 11) <= 1  # (8 - 3) / 0.5 + 1


def test_many_files_one_bad_keeps_going_and_exits_1(batch):
    assert batch.returncode == 1
    assert "Traceback" not in batch.stderr
    errors = [line for line in batch.stderr.splitlines() if line.startswith("error: ")]
    assert errors == ["error: missing.wav: no such file"]
    assert sorted(tracks_by_name(batch)) == ["good", "multi", "nan", "truncated"]


def test_truncated_wav_is_analysed_and_flagged(batch):
    track = tracks_by_name(batch)["truncated"]
    assert "truncated" in track["flags"]
    assert 4.0 < track["duration_s"] < 5.5  # what decodes of the first half


def test_nan_and_inf_samples_are_repaired(batch):
    track = tracks_by_name(batch)["nan"]
    assert "repaired" in track["flags"]
    assert np.isfinite(np.array(track["timeline"]["probs"])).all()


def test_eight_channel_96k_file_works(batch):
    track = tracks_by_name(batch)["multi"]
    assert track["duration_s"] == pytest.approx(5.0, abs=0.01)
    assert not {"truncated", "repaired"} & set(track["flags"])


def test_csv_header_and_rows(audio, tiny_model):
    done = genrelab("analyse", audio["good"], audio["mp3"], "--csv", "--hop", "1.0", "--model", tiny_model)
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == ["path", "time_s", *GTZAN_GENRES]
    body = rows[1:]
    per_file = {p: [r for r in body if r[0] == p] for p in (str(audio["good"]), str(audio["mp3"]))}
    assert len(per_file[str(audio["good"])]) in (5, 6)  # about (8 - 3) / 1 + 1 windows at hop 1 s
    assert len(per_file[str(audio["mp3"])]) in (4, 5)
    assert len(body) == sum(len(rows) for rows in per_file.values())
    for r in body:
        assert len(r) == 12
        assert sum(float(x) for x in r[2:]) == pytest.approx(1.0, abs=1e-3)
    times = [float(r[1]) for r in per_file[str(audio["good"])]]
    assert np.allclose(np.diff(times), 1.0, atol=0.08)


# ---- bad input: one line, no traceback, non-zero, nothing written -----------------------------------------
def make_bad(kind: str, d: Path, good_audio: Path, tiny_model: Path) -> tuple[list[object], str]:
    """(arguments, words the error must contain) for one kind of bad input."""
    if kind == "missing path":
        return ["analyse", d / "nowhere.wav", "--model", tiny_model], "nowhere.wav: no such file"
    if kind == "directory":
        (d / "album.wav").mkdir()
        return ["analyse", d / "album.wav", "--model", tiny_model], "album.wav: is a directory"
    if kind == "empty file":
        (d / "empty.wav").write_bytes(b"")
        return ["analyse", d / "empty.wav", "--model", tiny_model], "empty.wav"
    if kind == "text file named .wav":
        (d / "notes.wav").write_text("not audio at all\n" * 20)
        return ["analyse", d / "notes.wav", "--model", tiny_model], "notes.wav: not an audio file"
    if kind == "0.2 s clip":
        af.write_wav(d / "blip.wav", af.music_like(0.2, 22050), 22050)
        return ["analyse", d / "blip.wav", "--model", tiny_model], "blip.wav: too short"
    if kind == "non-ONNX model":
        (d / "model.onnx").write_text("definitely not protobuf\n")
        return ["analyse", good_audio, "--model", d / "model.onnx"], "model.onnx: not a usable ONNX model"
    if kind == "model without card":
        write_cardless_onnx(d / "plain.onnx")
        return ["analyse", good_audio, "--model", d / "plain.onnx"], "plain.onnx: ONNX model has no GenreLab model card"
    raise AssertionError(kind)


BAD_KINDS = ["missing path", "directory", "empty file", "text file named .wav", "0.2 s clip", "non-ONNX model",
             "model without card"]


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): (p.stat().st_size if p.is_file() else -1) for p in folder.rglob("*")}


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_input_one_line_no_traceback_nothing_written(kind, tmp_path, audio, tiny_model):
    work = tmp_path / "work"
    work.mkdir()
    args, needle = make_bad(kind, work, audio["good"], tiny_model)
    before = snapshot(work)
    done = genrelab(*args, cwd=work)
    assert_one_line_error(done, needle)
    assert done.stdout == ""
    assert snapshot(work) == before


def test_json_with_bad_input_writes_nothing_but_an_empty_list(tmp_path, tiny_model):
    done = genrelab("analyse", tmp_path / "nowhere.mp3", "--json", "--model", tiny_model, cwd=tmp_path)
    assert_one_line_error(done, "nowhere.mp3: no such file")
    assert json.loads(done.stdout) == []
    assert list(tmp_path.iterdir()) == []


# ---- no model installed -----------------------------------------------------------------------------------
def test_no_model_installed_says_so_and_how_to_get_one(tmp_path, audio):
    """A copy of the package with no resources/ beside it: exactly a checkout without a shipped model."""
    shutil.copytree(REPO / "genrelab", tmp_path / "genrelab", ignore=shutil.ignore_patterns("__pycache__"))
    done = genrelab("analyse", audio["good"], cwd=tmp_path)
    assert_one_line_error(done, "no genre model is installed", "--model", "GENRELAB_MODEL")
    assert str(tmp_path / "resources" / "models") in done.stderr


def test_model_env_pointing_nowhere(tmp_path, audio):
    done = genrelab("analyse", audio["good"], env={"GENRELAB_MODEL": str(tmp_path / "gone.onnx")})
    assert_one_line_error(done, "gone.onnx: no such model file")


# ---- bench ------------------------------------------------------------------------------------------------
def test_bench_quick_prints_numbers_and_json(bench_run):
    """One quick run: the numbers as text (on stderr with --json) and as JSON on stdout."""
    stdout, text = bench_run.communicate(timeout=600)
    assert bench_run.returncode == 0, text
    for needle in ("decode", "features", "ms per minute of audio", "batch 1:", "batch 16:", "batch 64:",
                   "windows/s", "end-to-end"):
        assert needle in text
    assert "onnx" in text and "torch" in text  # every backend present
    report = json.loads(stdout)
    assert report["decode_ms_per_min"] > 0 and report["features_ms_per_min"] > 0 and report["windows"] > 50
    for backend in ("onnx", "torch"):
        row = report["backends"][backend]
        assert all(row[f"windows_per_s_batch{b}"] > 0 for b in (1, 16, 64))
        assert row["end_to_end_s"] > 0 and row["model_share"] > 0
        assert f"{row['end_to_end_s']:.2f} s" in text


def test_bench_on_an_int8_model_skips_the_torch_backend_with_a_reason(tiny_model, tmp_path):
    """An int8 model's quantised weights do not rebuild a torch net: bench times ONNX Runtime and says why."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = tmp_path / "tiny.int8.onnx"
    quantize_dynamic(tiny_model, target, weight_type=QuantType.QInt8)
    model = onnx.load(str(target))
    for prop in onnx.load(str(tiny_model)).metadata_props:  # the card travels as the pipeline does it
        entry = model.metadata_props.add()
        entry.key, entry.value = prop.key, prop.value
    onnx.save(model, str(target))
    done = genrelab("bench", "--quick", "--json", "--model", str(target))
    assert done.returncode == 0, done.stderr
    assert "torch backend skipped" in done.stderr and "cannot rebuild the torch net" in done.stderr
    assert set(json.loads(done.stdout)["backends"]) == {"onnx"}


# ---- the inference path needs no torch -------------------------------------------------------------------
def test_analyse_runs_with_torch_unimportable(tiny_model, audio):
    """`import torch` fails in this process (as on a machine without the train extra); analyse still works."""
    code = ("import sys; sys.modules['torch'] = None; sys.modules['torchvision'] = None\n"
            "from genrelab.cli import main\n"
            f"raise SystemExit(main(['analyse', {str(audio['good'])!r}, '--json', '--model', {str(tiny_model)!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=_env())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["top_genre"]
