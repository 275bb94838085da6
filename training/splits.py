"""Train / valid / test splits by song: never a window of one song on both sides.

- ``paper``: the paper's GroupShuffleSplit by song, 80/20, ``random_state=42`` (the 20 % is used for early
  stopping and for the reported numbers, as in the paper).
- ``filtered``: the artist-filtered lists of Kereliuk, Sturm & Larsen (``train_filtered.txt``,
  ``valid_filtered.txt``, ``test_filtered.txt``), found in ``DATA/splits``, ``DATA/../splits`` or
  ``$GENRELAB_SPLITS``.
- ``lists:DIR``: any folder with ``train*.txt``, ``valid*.txt`` (or ``val*.txt``) and optionally ``test*.txt``,
  one ``genre/name.ext`` per line; names match the data's file stems, extensions are ignored.
- ``kfold:K``: K folds by song (GroupKFold, shuffled with ``random_state=42``); ``kfold:K:I`` is fold I alone.

A split holds indices into the list of items it was made from (anything with ``clip_id``, ``label`` and
``group``: :class:`training.datasets.Entry` or :class:`training.clips.Clip`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from genrelab.audio import SUPPORTED_EXTENSIONS
from training.datasets import DatasetError

PAPER_TEST_SIZE = 0.2
PAPER_RANDOM_STATE = 42
SIDES = ("train", "valid", "test")
_KNOWN_EXTENSIONS = SUPPORTED_EXTENSIONS | {".png", ".npy", ".jpg"}


class SplitError(DatasetError):
    """A split cannot be made (unknown name, missing or inconsistent lists, too few songs...)."""


class Item(Protocol):
    clip_id: str
    label: str
    group: str


@dataclass
class Split:
    """Which items train, select (valid) and report (test).

    Attributes:
        name: the split as asked for (``paper``, ``filtered``, ``lists:DIR``, ``kfold:5``).
        description: one line for the report and the model card.
        train, valid, test: indices into the items (test may be empty).
        fold: 1-based fold number for k-fold splits, else None.
        warnings: things the user should know (missing names allowed, unused clips...).
    """

    name: str
    description: str
    train: list[int]
    valid: list[int]
    test: list[int] = field(default_factory=list)
    fold: int | None = None
    warnings: list[str] = field(default_factory=list)

    def sides(self) -> dict[str, list[int]]:
        return {"train": self.train, "valid": self.valid, "test": self.test}

    def used(self) -> list[int]:
        """Every index on some side, sorted."""
        return sorted(set(self.train) | set(self.valid) | set(self.test))

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "fold": self.fold,
                "sizes": {k: len(v) for k, v in self.sides().items()}, "warnings": list(self.warnings)}


def check_disjoint(split: Split, items: Sequence[Item]) -> None:
    """Raise SplitError if any song (group) has clips on two sides of the split."""
    seen: dict[str, str] = {}
    for side, indices in split.sides().items():
        for i in indices:
            g = items[i].group
            if seen.setdefault(g, side) != side:
                raise SplitError(f"split {split.name}: song {g!r} is on both the {seen[g]} and the {side} side")


# ---- the paper's split and k-fold ------------------------------------------------------------------------
def _groups(items: Sequence[Item]) -> np.ndarray:
    return np.array([it.group for it in items])


def paper_split(items: Sequence[Item], test_size: float = PAPER_TEST_SIZE,
                random_state: int = PAPER_RANDOM_STATE) -> Split:
    """GroupShuffleSplit by song, 80/20, random_state 42 (the paper's protocol)."""
    from sklearn.model_selection import GroupShuffleSplit

    groups = _groups(items)
    if len(set(groups)) < 2:
        raise SplitError("the paper's split needs at least two songs")
    gss = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=random_state)
    train, valid = next(gss.split(np.zeros(len(items)), groups=groups))
    split = Split("paper", f"GroupShuffleSplit by song, {1 - test_size:.0%}/{test_size:.0%}, "
                  f"random_state={random_state} (the paper's protocol: the held-out {test_size:.0%} is used for "
                  f"early stopping and for the reported numbers)", sorted(train.tolist()), sorted(valid.tolist()))
    check_disjoint(split, items)
    return split


def kfold_splits(items: Sequence[Item], k: int, random_state: int = PAPER_RANDOM_STATE) -> list[Split]:
    """K folds by song (GroupKFold, shuffled): fold i validates on the i-th part and trains on the rest."""
    from sklearn.model_selection import GroupKFold

    groups = _groups(items)
    if k < 2:
        raise SplitError(f"kfold needs at least 2 folds (got {k})")
    if len(set(groups)) < k:
        raise SplitError(f"kfold:{k} needs at least {k} songs; the data has {len(set(groups))}")
    gkf = GroupKFold(n_splits=k, shuffle=True, random_state=random_state)
    out = []
    for i, (train, valid) in enumerate(gkf.split(np.zeros(len(items)), groups=groups), start=1):
        split = Split(f"kfold:{k}", f"{k}-fold by song (GroupKFold, shuffled, random_state={random_state}), "
                      f"fold {i} of {k}", sorted(train.tolist()), sorted(valid.tolist()), fold=i)
        check_disjoint(split, items)
        out.append(split)
    return out


# ---- split lists ------------------------------------------------------------------------------------------
def list_stem(line: str) -> str:
    """The clip name a list line stands for: the file name without a known audio/image extension."""
    name = line.strip().replace("\\", "/").rsplit("/", 1)[-1]
    base, dot, ext = name.rpartition(".")
    return base if dot and f".{ext.lower()}" in _KNOWN_EXTENSIONS else name


def read_list(path: str | Path) -> list[str]:
    """Clip names (stems) of a split-list file; blank lines and ``#`` comments are ignored."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SplitError(f"{path}: cannot read the split list ({exc})") from None
    return [list_stem(line) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def find_lists(folder: str | Path) -> dict[str, Path]:
    """The list files of a folder by side: ``train.txt`` / ``train_filtered.txt`` / ``train*.txt``..."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SplitError(f"{folder}: no such folder of split lists")
    found: dict[str, Path] = {}
    for side in SIDES:
        prefixes = (side, "val") if side == "valid" else (side,)
        candidates = sorted(p for p in folder.glob("*.txt") if p.name.lower().startswith(prefixes))
        preferred = [p for p in candidates if p.stem.lower() in (side, f"{side}_filtered")]
        if preferred:
            found[side] = preferred[0]
        elif len(candidates) == 1:
            found[side] = candidates[0]
        elif len(candidates) > 1:
            raise SplitError(f"{folder}: several {side} lists ({', '.join(p.name for p in candidates)}); keep one")
    for side in ("train", "valid"):
        if side not in found:
            raise SplitError(f"{folder}: no {side} list ({side}.txt or {side}_filtered.txt)")
    return found


def filtered_lists_dir(data_root: str | Path | None) -> Path:
    """Where the artist-filtered lists are: ``$GENRELAB_SPLITS``, ``DATA/splits`` or ``DATA/../splits``."""
    candidates = []
    if os.environ.get("GENRELAB_SPLITS"):
        candidates.append(Path(os.environ["GENRELAB_SPLITS"]))
    if data_root is not None:
        root = Path(data_root)
        candidates += [root / "splits", root.parent / "splits"]
    for folder in candidates:
        if (folder / "train_filtered.txt").is_file() and (folder / "valid_filtered.txt").is_file():
            return folder
    where = ", ".join(str(c) for c in candidates) or "(no data folder given)"
    raise SplitError(f"the artist-filtered split lists (train_filtered.txt, valid_filtered.txt, test_filtered.txt) "
                     f"were not found in {where}; use --split lists:DIR")


def list_split(items: Sequence[Item], folder: str | Path, *, name: str | None = None,
               allow_missing: bool = False) -> Split:
    """The split the list files of ``folder`` describe, matched on the data's file stems.

    Names in a list that are not in the data raise SplitError listing a few (a warning with
    ``allow_missing``); data clips in no list are left out (and counted in the warnings).
    """
    files = find_lists(folder)
    by_stem: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        by_stem.setdefault(it.clip_id, []).append(i)
    sides: dict[str, list[int]] = {s: [] for s in SIDES}
    side_of: dict[str, str] = {}
    warnings, problems = [], []
    for side, path in files.items():
        names = read_list(path)
        missing = []
        for stem in names:
            if side_of.setdefault(stem, side) != side:
                raise SplitError(f"{stem} is in both the {side_of[stem]} list and the {side} list ({Path(folder)})")
            if stem in by_stem:
                sides[side] += by_stem[stem]
            else:
                missing.append(stem)
        if missing:
            shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
            problems.append(f"{len(missing)} of the {len(names)} clips in {path.name} are not in the data ({shown})")
    if problems and not allow_missing:
        raise SplitError("; ".join(problems) + "; use --allow-missing to go on without them")
    warnings += problems
    unused = len(items) - sum(len(v) for v in sides.values())
    if unused:
        warnings.append(f"{unused} clip(s) of the data are in no list and are not used")
    for side in ("train", "valid"):
        if not sides[side]:
            raise SplitError(f"no clip of the {side} list ({files[side].name}) is in the data")
    label = name or f"lists:{folder}"
    sizes = ", ".join(f"{s} {len(v)}" for s, v in sides.items() if v or s in files)
    split = Split(label, f"split lists {', '.join(p.name for p in files.values())} from {Path(folder)} ({sizes} clips)",
                  sorted(sides["train"]), sorted(sides["valid"]), sorted(sides["test"]), warnings=warnings)
    check_disjoint(split, items)
    return split


# ---- by name ----------------------------------------------------------------------------------------------
def make_splits(text: str, items: Sequence[Item], *, data_root: str | Path | None = None,
                allow_missing: bool = False) -> list[Split]:
    """The split(s) named by ``text``: paper | filtered | lists:DIR | kfold:K | kfold:K:I (one per fold)."""
    kind, _, arg = text.partition(":")
    if kind == "paper" and not arg:
        return [paper_split(items)]
    if kind == "filtered" and not arg:
        split = list_split(items, filtered_lists_dir(data_root), name="filtered", allow_missing=allow_missing)
        split.description = "artist-filtered split (Kereliuk, Sturm & Larsen): " + split.description
        return [split]
    if kind == "lists" and arg:
        return [list_split(items, arg, allow_missing=allow_missing)]
    if kind == "kfold":
        k_text, _, fold_text = arg.partition(":")
        try:
            k = int(k_text)
            fold = int(fold_text) if fold_text else None
        except ValueError:
            raise SplitError(f"bad split {text!r}: use kfold:K or kfold:K:I (e.g. kfold:5)") from None
        folds = kfold_splits(items, k)
        if fold is None:
            return folds
        if not 1 <= fold <= k:
            raise SplitError(f"bad split {text!r}: fold must be between 1 and {k}")
        return [folds[fold - 1]]
    raise SplitError(f"unknown split {text!r}: use paper, filtered, lists:DIR or kfold:K")
