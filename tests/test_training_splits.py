"""Splits by song: the paper's GroupShuffleSplit, split lists (artist-filtered), k-fold; never a song on both sides."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.datasets import Entry, scan
from training.splits import (
    Split,
    SplitError,
    check_disjoint,
    filtered_lists_dir,
    kfold_splits,
    list_split,
    list_stem,
    make_splits,
    paper_split,
)

GENRES = ("blues", "jazz", "rock")


def gtzan_items(n: int = 20, ext: str = ".flac") -> list[Entry]:
    return [Entry(Path(f"{g}/{g}.{k:05d}{ext}"), g, f"{g}.{k:05d}", f"{g}.{k:05d}") for g in GENRES for k in range(n)]


def grouped_items() -> list[Entry]:
    """Several clips per song (e.g. album tracks cut in parts): a group must stay on one side."""
    return [Entry(Path(f"{g}/song{s}_part{p}.wav"), g, f"song{s}_part{p}", f"{g}-song{s}")
            for g in GENRES for s in range(8) for p in range(3)]


def sides_of_groups(split: Split, items) -> dict[str, set[str]]:
    return {side: {items[i].group for i in ix} for side, ix in split.sides().items()}


def test_paper_split_is_sklearns_group_shuffle_split():
    from sklearn.model_selection import GroupShuffleSplit

    items = gtzan_items()
    split = paper_split(items)
    groups = [it.group for it in items]
    train, test = next(GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=42).split(np.zeros(60), groups=groups))
    assert split.train == sorted(train.tolist()) and split.valid == sorted(test.tolist()) and split.test == []
    assert len(split.valid) == 12 and "random_state=42" in split.description
    assert paper_split(items).valid == split.valid  # deterministic


@pytest.mark.parametrize("maker", [lambda it: [paper_split(it)], lambda it: kfold_splits(it, 4)])
def test_no_song_is_on_two_sides(maker):
    items = grouped_items()
    for split in maker(items):
        g = sides_of_groups(split, items)
        assert not (g["train"] & g["valid"]) and not (g["train"] & g["test"]) and not (g["valid"] & g["test"])
        assert len(split.train) + len(split.valid) + len(split.test) == len(items)


def test_kfold_validates_every_song_once():
    items = grouped_items()
    folds = kfold_splits(items, 4)
    assert [f.fold for f in folds] == [1, 2, 3, 4]
    seen = [i for f in folds for i in f.valid]
    assert sorted(seen) == list(range(len(items)))
    assert make_splits("kfold:4:2", items)[0].valid == folds[1].valid
    with pytest.raises(SplitError, match="needs at least"):
        kfold_splits(items[:6], 5)


def test_check_disjoint_refuses_a_leaky_split():
    items = grouped_items()
    with pytest.raises(SplitError, match="both"):
        check_disjoint(Split("leaky", "", [0], [1]), items)  # parts 0 and 1 of one song


def write_lists(folder: Path, train, valid, test=None, suffix="_filtered") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for side, names in (("train", train), ("valid", valid), ("test", test)):
        if names is not None:
            (folder / f"{side}{suffix}.txt").write_text("".join(f"{n.split('.')[0]}/{n}.wav\n" for n in names))
    return folder


def test_list_split_matches_stems_and_ignores_extensions(tmp_path):
    items = gtzan_items(4)  # .flac in the data, .wav in the lists
    folder = write_lists(tmp_path / "lists", ["blues.00000", "jazz.00000", "rock.00000", "rock.00001"],
                         ["blues.00001", "jazz.00001"], ["blues.00002"])
    split = list_split(items, folder)
    assert [items[i].clip_id for i in split.train] == ["blues.00000", "jazz.00000", "rock.00000", "rock.00001"]
    assert [items[i].clip_id for i in split.valid] == ["blues.00001", "jazz.00001"]
    assert [items[i].clip_id for i in split.test] == ["blues.00002"]
    assert any("in no list" in w for w in split.warnings)  # the clips of no list are left out, and said so
    assert list_stem("blues/blues.00003") == "blues.00003" and list_stem("x\\rock.00001.au") == "rock.00001"


def test_list_split_names_missing_clips(tmp_path):
    items = gtzan_items(2)
    folder = write_lists(tmp_path / "lists", ["blues.00000", "jazz.00007", "rock.00042"], ["jazz.00001"])
    with pytest.raises(SplitError) as info:
        list_split(items, folder)
    text = str(info.value)
    assert "2 of the 3 clips in train_filtered.txt are not in the data" in text
    assert "jazz.00007" in text and "rock.00042" in text and "--allow-missing" in text
    split = list_split(items, folder, allow_missing=True)
    assert len(split.train) == 1 and any("jazz.00007" in w for w in split.warnings)


def test_list_split_refuses_a_clip_in_two_lists(tmp_path):
    folder = write_lists(tmp_path / "lists", ["blues.00000"], ["blues.00000"])
    with pytest.raises(SplitError, match="both the train list and the valid list"):
        list_split(gtzan_items(2), folder)


def test_filtered_lists_are_found_next_to_the_data(tmp_path, monkeypatch):
    monkeypatch.delenv("GENRELAB_SPLITS", raising=False)
    data = tmp_path / "gtzan" / "audio"
    data.mkdir(parents=True)
    with pytest.raises(SplitError, match="lists:DIR"):
        filtered_lists_dir(data)
    write_lists(tmp_path / "gtzan" / "splits", ["blues.00000"], ["jazz.00000"], ["rock.00000"])
    assert filtered_lists_dir(data) == tmp_path / "gtzan" / "splits"
    split = make_splits("filtered", gtzan_items(1), data_root=data)[0]
    assert split.name == "filtered" and "artist-filtered" in split.description
    assert (len(split.train), len(split.valid), len(split.test)) == (1, 1, 1)


def test_unknown_split_names(tmp_path):
    for text in ("random", "kfold:x", "lists:", "kfold:3:9"):
        with pytest.raises(SplitError):
            make_splits(text, gtzan_items(3))


@pytest.mark.gtzan
def test_artist_filtered_lists_on_the_real_images(shared_data):
    root = shared_data / "gtzan" / "mel-images"
    entries, _ = scan(root, images=True)
    with pytest.raises(SplitError, match="290 of the 290 clips in test_filtered.txt are not in the data"):
        make_splits("filtered", entries, data_root=root)  # the test list is withheld on purpose
    split = make_splits("filtered", entries, data_root=root, allow_missing=True)[0]
    assert (len(split.train), len(split.valid), len(split.test)) == (442, 197, 0)
    assert any("70 clip(s) of the data are in no list" in w for w in split.warnings)
