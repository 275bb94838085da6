"""`--executor ray` on a local Ray (2 CPUs): the same database content as the local executor on the same folder."""

from __future__ import annotations

import numpy as np
import pytest
from libraryfiles import make_library

from genrelab.library import LibraryStore, tag_library

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'genrelab[cluster]')")

FIELDS = ("path", "size", "mtime_ns", "head_hash", "status", "error", "analysis", "model_id", "top_genre", "flags")


def content(store: LibraryStore) -> dict[str, dict]:
    out = {}
    for r in store.tracks(status=None, with_arrays=True):
        out[r.path] = {**{f: getattr(r, f) for f in FIELDS if hasattr(r, f)},
                       **{k: getattr(r, k) for k in ("duration_s", "confidence", "mean", "window_times",
                                                      "window_probs", "embedding")}}
    return out


def test_ray_executor_gives_the_local_database(tmp_path, tiny_model):
    lib = make_library(tmp_path / "Music", seconds=3.0)
    with LibraryStore(tmp_path / "local.sqlite") as local:
        tag_library([lib], local, tiny_model, n_windows=3, jobs=0)
        expected = content(local)
    with LibraryStore(tmp_path / "ray.sqlite") as on_ray:
        summary = tag_library([lib], on_ray, tiny_model, n_windows=3, jobs=2, executor="ray")
        assert summary.executor == "ray" and summary.analysed == len(expected)
        got = content(on_ray)
        assert tag_library([lib], on_ray, tiny_model, n_windows=3, executor="local", jobs=0).analysed == 0
    assert not ray.is_initialized()  # the run's own local Ray was shut down
    assert sorted(got) == sorted(expected)
    for path, want in expected.items():
        have = got[path]
        for key, value in want.items():
            if isinstance(value, np.ndarray):
                np.testing.assert_allclose(have[key], value, atol=1e-5, err_msg=f"{path} {key}")
            elif isinstance(value, float):
                assert abs(have[key] - value) < 1e-5, (path, key)
            else:
                assert have[key] == value, (path, key)


def test_an_unreachable_cluster_is_one_clear_line(tmp_path, tiny_model):
    import subprocess
    import sys
    from pathlib import Path

    from libraryfiles import write_track

    write_track(tmp_path / "m" / "a.wav", 3.0)
    done = subprocess.run([sys.executable, "-m", "genrelab", "tag", str(tmp_path / "m"), "--db",
                           str(tmp_path / "db.sqlite"), "--model", str(tiny_model), "--executor", "ray",
                           "--address", "127.0.0.1:1"], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: cannot reach a Ray cluster at 127.0.0.1:1")
