"""Does "similar by sound" beat "similar by genre"? A check on real clips:

    python -m genrelab.library.similar_check --audio GTZAN/audio [--splits GTZAN/splits] [--model M.onnx]

Every clip (``<genre>/<name>.<ext>``) is cut into its two halves, written as two library files, and tagged
like any library (``tag_library``, 10 windows). For each half, the other tracks are ranked by genre distribution
(Jensen-Shannon) and by the model's embedding (cosine): the same song should come first. Reported per method:
top-1 (the other half of the same clip ranks first), mean reciprocal rank of the other half, and same-genre
precision at 5 (the neighbours share the clip's folder genre). With ``--splits``, the numbers are also given for
the clips of the valid list alone (the model never trained on them).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np


def _halves(audio_dir: Path, out: Path) -> list[tuple[str, str, str]]:
    """(file, clip, genre) for both halves of every clip, written as 22,050 Hz FLAC."""
    import soundfile as sf

    from genrelab.audio import load

    rows = []
    for path in sorted(p for p in audio_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
        try:
            y = load(path, sr=22050).samples
        except Exception:  # noqa: BLE001 - not audio
            continue
        half = len(y) // 2
        genre = path.parent.name
        for i, part in enumerate((y[:half], y[half:])):
            dest = out / genre / f"{path.stem}.{'ab'[i]}.flac"
            dest.parent.mkdir(parents=True, exist_ok=True)
            sf.write(dest, part, 22050, format="FLAC")
            rows.append((str(dest), path.stem, genre))
    return rows


def _metrics(ids: np.ndarray, vecs: np.ndarray, meta: dict[int, tuple[str, str]], by: str,
             subset: set[str] | None) -> dict[str, float]:
    from genrelab.library.similar import cosine_distance, js_distance

    top1, rr, prec = [], [], []
    for row, tid in enumerate(ids):
        clip, genre = meta[int(tid)]
        if subset is not None and clip not in subset:
            continue
        d = js_distance(vecs[row], vecs) if by == "genre" else cosine_distance(vecs[row], vecs)
        d[row] = np.inf
        order = np.argsort(d, kind="stable")
        ranked = [meta[int(ids[j])] for j in order[:-1]]
        rank = next(i for i, (c, _) in enumerate(ranked) if c == clip) + 1
        top1.append(rank == 1)
        rr.append(1.0 / rank)
        prec.append(np.mean([g == genre for _, g in ranked[:5]]))
    return {"queries": len(top1), "top1": float(np.mean(top1)), "mrr": float(np.mean(rr)),
            "same_genre_p5": float(np.mean(prec))}


def run_check(audio_dir: Path, model: Path | None = None, splits: Path | None = None,
              echo=print) -> dict:
    """Tag the halves and compare the two rankings; returns the numbers."""
    from genrelab.library import LibraryStore, tag_library

    with tempfile.TemporaryDirectory() as tmp:
        rows = _halves(audio_dir, Path(tmp) / "halves")
        by_path = {p: (clip, genre) for p, clip, genre in rows}
        with LibraryStore(Path(tmp) / "check.sqlite") as store:
            tag_library([Path(tmp) / "halves"], store, model, n_windows=10)
            paths = {r.id: r.path for r in store.tracks()}
            meta = {i: by_path[p] for i, p in paths.items()}
            out: dict = {"clips": len(rows) // 2, "tracks": len(rows)}
            subsets = {"all": None}
            if splits is not None:
                valid = {Path(line.strip()).stem for line in (splits / "valid_filtered.txt").read_text().splitlines()
                         if line.strip()}
                subsets["valid"] = valid
            for by in ("genre", "sound"):
                ids, vecs, _ = store.matrix(by)
                if len(ids) == 0:
                    out[by] = None
                    echo(f"{by}: the model has no embedding")
                    continue
                for name, subset in subsets.items():
                    m = _metrics(ids, vecs, meta, by, subset)
                    out[f"{by}/{name}"] = m
                    echo(f"by {by:5s} ({name}, {m['queries']} queries): other half first {m['top1']:.3f}, "
                         f"MRR {m['mrr']:.3f}, same-genre precision@5 {m['same_genre_p5']:.3f}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--audio", type=Path, required=True, help="folder of <genre>/<clip> audio files")
    p.add_argument("--splits", type=Path, help="folder with valid_filtered.txt (also report the valid clips alone)")
    p.add_argument("--model", type=Path, help="ONNX model (default: the installed model)")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON too")
    args = p.parse_args(argv)
    out = run_check(args.audio, args.model, args.splits)
    if args.json:
        json.dump(out, sys.stdout, indent=1)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
