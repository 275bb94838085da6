"""The spectrogram-image reader inverts the real renderer (librosa specshow + matplotlib), within one colormap step."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from genrelab.audio.synthesis import music_like
from genrelab.dsp import track_features
from genrelab.dsp.spectrum import n_frames
from training.imageset import GTZAN_RENDERER, ImageSetError, decode_image, load_image_clips, render_db

STEP_DB = 80.0 / 255  # one colormap entry


def render_like_gtzan(y: np.ndarray, path: Path) -> np.ndarray:
    """Render exactly as ../shared/data/README.md says the GTZAN images were made; returns the dB drawn.

    specshow spans the colormap over the data's own range, which is -80..0 for a clip spanning 80 dB (real
    music does; the test signals get a silent second so that they do too).
    """
    import librosa
    import librosa.display
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    S = librosa.feature.melspectrogram(y=y, sr=22050)
    D = librosa.power_to_db(S, ref=np.max)
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)  # default subplot box: 387.5 x 385 px of axes
    librosa.display.specshow(D, sr=22050, cmap="magma", ax=ax)
    ax.set_axis_off()
    fig.savefig(path, bbox_inches="tight", pad_inches=0)
    plt.close(fig)
    return D


def with_silence(y: np.ndarray) -> np.ndarray:
    y = y.copy()
    y[22050:44100] = 0.0
    return y


def test_decoder_inverts_the_real_renderer(tmp_path):
    y = with_silence(music_like(30.0, 22050, seed=3))
    D = render_like_gtzan(y, tmp_path / "synth.png")
    decoded = decode_image(tmp_path / "synth.png")
    assert decoded.shape == (128, 387)
    n = D.shape[1]
    cols = np.floor((np.arange(387) + 0.5) * n / 387.5).astype(int)
    err = np.abs(decoded - D[:, cols])
    assert err.mean() < 0.2
    assert np.percentile(err, 99) <= 1.01 * STEP_DB


def test_app_features_equal_decoded_image(tmp_path):
    """What the app computes from audio at the image's stride equals what the image holds."""
    y = with_silence(music_like(30.0, 22050, seed=5))
    render_like_gtzan(y, tmp_path / "synth.png")
    spec = GTZAN_RENDERER.feature_spec()
    frames = n_frames(len(y), spec)
    full_max = track_features(y, spec.with_(frame_stride=1.0)).db.max()
    ours = track_features(y, spec.with_(frame_stride=frames / 387.5)).db - full_max
    decoded = decode_image(tmp_path / "synth.png")
    assert ours.shape == decoded.shape
    assert np.abs(np.maximum(ours, -80) - decoded).mean() < 0.2


def test_numpy_renderer_round_trip():
    db = np.random.default_rng(0).uniform(-80, 0, (128, 387)).astype(np.float32)
    assert np.abs(decode_array_of(render_db(db)) - db).max() <= STEP_DB / 2 + 1e-4


def decode_array_of(rgb: np.ndarray) -> np.ndarray:
    from training.imageset import decode_array

    return decode_array(rgb)


def test_bad_images(tmp_path):
    (tmp_path / "blues").mkdir()
    (tmp_path / "blues" / "blues.00000.png").write_text("not an image")
    with pytest.raises(ImageSetError, match="blues.00000.png: not a readable image"):
        decode_image(tmp_path / "blues" / "blues.00000.png")
    from PIL import Image

    Image.new("RGB", (100, 50)).save(tmp_path / "blues" / "blues.00001.png")
    good = render_db(np.full((128, 387), -20.0, np.float32))
    Image.fromarray(good).save(tmp_path / "blues" / "blues.00002.png")
    clips, skipped = load_image_clips(tmp_path)
    assert [c.clip_id for c in clips] == ["blues.00002"]
    assert clips[0].label == "blues"
    assert sorted(p.name for p, _ in skipped) == ["blues.00000.png", "blues.00001.png"]
    with pytest.raises(ImageSetError, match="no spectrogram images"):
        load_image_clips(tmp_path / "blues")


#: Clips of ../shared/data whose audio is the recording the images were drawn from (the country, most disco
#: and some pop FLACs there are other versions: librosa itself differs from their images by 1-8 dB).
MATCHING = ["blues.00000", "blues.00003", "classical.00001", "hiphop.00002", "jazz.00005", "metal.00006",
            "reggae.00007", "rock.00004", "pop.00002", "disco.00007"]


@pytest.mark.gtzan
@pytest.mark.parametrize("stem", MATCHING)
def test_real_gtzan_audio_matches_its_image(shared_data, stem):
    from training.imageset import audio_vs_image

    genre = stem.split(".")[0]
    mae = audio_vs_image(shared_data / "gtzan/audio" / genre / f"{stem}.flac",
                         shared_data / "gtzan/mel-images" / genre / f"{stem}.png")
    assert mae < 0.2


def test_real_audio_check_scores_the_audio_path_and_the_image_path_alike(tmp_path, capsys):
    """`python -m training.real_audio`: analyse (decode -> features -> ONNX) vs the same clips' images."""
    import soundfile as sf
    from modelfiles import export_random_model

    from training import real_audio

    model = export_random_model(tmp_path / "m.onnx", labels=("calm", "busy"), seed=3)
    for genre, seeds in (("calm", (11, 12)), ("busy", (13, 14))):
        for k, seed in enumerate(seeds):
            y = with_silence(music_like(30.0, 22050, seed=seed))
            (tmp_path / "audio" / genre).mkdir(parents=True, exist_ok=True)
            (tmp_path / "images" / genre).mkdir(parents=True, exist_ok=True)
            sf.write(tmp_path / "audio" / genre / f"{genre}.0000{k}.flac", y, 22050)
            render_like_gtzan(y, tmp_path / "images" / genre / f"{genre}.0000{k}.png")
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "valid.txt").write_text("calm/calm.00000.wav\nbusy/busy.00001.wav\n")
    check = real_audio.run_check(tmp_path / "audio", tmp_path / "images", model, hop_s=1.5)
    assert sorted(c.stem for c in check.clips) == ["busy.00000", "busy.00001", "calm.00000", "calm.00001"]
    assert all(c.audio_top == c.image_top for c in check.clips)  # the two paths see the same features
    assert check.accuracy("audio") == check.accuracy("image")
    code = real_audio.main(["--audio", str(tmp_path / "audio"), "--images", str(tmp_path / "images"),
                            "--model", str(model), "--split-lists", str(tmp_path / "lists"), "--json"])
    assert code == 0
    parts = json.loads(capsys.readouterr().out)["parts"]
    assert parts["all"]["clips"] == 4 and parts["valid"]["clips"] == 2
    assert real_audio.main(["--audio", str(tmp_path / "nowhere"), "--images", str(tmp_path / "images"),
                            "--model", str(model)]) == 2
    assert "no such folder" in capsys.readouterr().err
