"""Genre tags with mutagen: read, plan, write (safely), and undo exactly.

Where the genre goes: ``GENRE`` Vorbis comments (FLAC, Ogg Vorbis, Opus), the ID3 ``TCON`` frame (MP3; WAV and
AIFF/AIFF-C in their ID3 chunk, ``id3 `` / ``ID3 ``), ``©gen`` (M4A/MP4; an old numeric ``gnre`` atom counts as a
genre too). Existing genres are kept unless ``overwrite``. Before a file is touched its old value is journalled in
the library database, so :func:`undo_tags` can put it back exactly (a tag block that did not exist is removed
again: the ID3 tag of an MP3, the ID3 chunk of a WAV or AIFF). A write happens on a copy beside the file that
then replaces it in one step: a write that fails (read-only file, full disk) leaves the file as it was. Only
metadata changes; the audio stream is not re-encoded (the tests decode files before and after).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genrelab.errors import GenreLabError
from genrelab.library.store import LibraryStore, is_silent
from genrelab.library.windowed import head_hash
from genrelab.progress import CancelToken, ProgressFn, check_cancel, report

#: How each model label is written into a tag (ID3v1's genre names where they exist).
GENRE_NAMES = {"blues": "Blues", "classical": "Classical", "country": "Country", "disco": "Disco",
               "hiphop": "Hip-Hop", "jazz": "Jazz", "metal": "Metal", "pop": "Pop", "reggae": "Reggae",
               "rock": "Rock"}

KINDS = {".flac": "vorbis", ".ogg": "vorbis", ".oga": "vorbis", ".opus": "vorbis", ".mp3": "id3",
         ".wav": "id3", ".wave": "id3", ".aif": "id3", ".aiff": "id3", ".aifc": "id3",
         ".m4a": "mp4", ".m4b": "mp4", ".mp4": "mp4"}
#: Files whose ID3 tag lives in a chunk of their own (RIFF ``id3 ``, AIFF ``ID3 ``) rather than at the start.
ID3_CHUNK = frozenset({".wav", ".wave", ".aif", ".aiff", ".aifc"})


class TagError(GenreLabError):
    """A tag could not be read or written (the message says why, in one line)."""


def display_genre(label: str) -> str:
    """The text written for a model label (``hiphop`` -> ``Hip-Hop``)."""
    return GENRE_NAMES.get(label, label[:1].upper() + label[1:])


def tag_kind(path: str | os.PathLike[str]) -> str | None:
    """'vorbis', 'id3' (MP3, WAV, AIFF) or 'mp4' for the formats whose genre tag GenreLab writes; None for the
    others."""
    return KINDS.get(Path(path).suffix.lower())


@dataclass
class TagState:
    """A file's genre tag as found: ``values`` (None: no genre), whether a tag block existed, and what undo needs
    to restore it exactly (``raw``: JSON-ready)."""

    kind: str
    values: list[str] | None
    container: bool
    raw: Any


def _open(path: str, kind: str):
    import mutagen
    from mutagen.aiff import AIFF
    from mutagen.flac import FLAC
    from mutagen.mp3 import MP3
    from mutagen.mp4 import MP4
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis
    from mutagen.wave import WAVE

    suffix = Path(path).suffix.lower()
    if kind == "id3":
        cls = {".wav": WAVE, ".wave": WAVE, ".aif": AIFF, ".aiff": AIFF, ".aifc": AIFF}.get(suffix, MP3)
    else:
        cls = {"mp4": MP4}.get(kind) or {".flac": FLAC, ".opus": OggOpus}.get(suffix, OggVorbis)
    try:
        return cls(path)
    except mutagen.MutagenError as exc:
        raise TagError(f"cannot read its tags ({_one_line(exc)})") from None
    except OSError as exc:
        raise TagError(f"cannot read ({exc.strerror or exc})") from None


def _one_line(exc: object) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def read_genre(path: str | os.PathLike[str]) -> TagState:
    """The genre tag of ``path`` (TagError for formats without a supported genre tag or unreadable tags)."""
    path = str(path)
    kind = tag_kind(path)
    if kind is None:
        raise TagError(f"no genre tag GenreLab can write in {Path(path).suffix or 'this'} files")
    f = _open(path, kind)
    tags = f.tags
    if kind == "vorbis":
        values = list(tags.get("genre", [])) if tags is not None else []
        return TagState(kind, values or None, tags is not None, values or None)
    if kind == "id3":
        frame = tags.get("TCON") if tags is not None else None
        values = [str(t) for t in frame.text] if frame is not None else None
        raw = None if frame is None else {"encoding": int(frame.encoding), "text": [str(t) for t in frame.text]}
        return TagState(kind, values or None, tags is not None, raw)
    gen = list(tags.get("\xa9gen", [])) if tags is not None else []
    gnre = [int(x) for x in tags.get("gnre", [])] if tags is not None else []
    values = gen or [_id3v1_name(g) for g in gnre] or None
    raw = None if not gen and not gnre else {"gen": gen or None, "gnre": gnre or None}
    return TagState(kind, values, tags is not None, raw)


def _id3v1_name(index: int) -> str:
    from mutagen.id3 import TCON

    genres = TCON.GENRES
    return genres[index - 1] if 0 < index <= len(genres) else str(index)


def _apply(f, kind: str, raw: Any) -> None:
    """Set the genre of an opened mutagen file to ``raw`` (a TagState.raw, or ``{"new": text}``); None removes it."""
    if f.tags is None:
        f.add_tags()
    tags = f.tags
    new = raw.get("new") if isinstance(raw, dict) and "new" in raw else None
    if kind == "vorbis":
        if "genre" in tags:
            del tags["genre"]
        if new is not None:
            tags["genre"] = [new]
        elif raw:
            tags["genre"] = list(raw)
    elif kind == "id3":
        from mutagen.id3 import TCON

        tags.delall("TCON")
        if new is not None:
            tags.add(TCON(encoding=3, text=[new]))
        elif raw:
            tags.add(TCON(encoding=raw["encoding"], text=raw["text"]))
    else:
        for key in ("\xa9gen", "gnre"):
            if key in tags:
                del tags[key]
        if new is not None:
            tags["\xa9gen"] = [new]
        elif raw:
            if raw.get("gen"):
                tags["\xa9gen"] = raw["gen"]
            if raw.get("gnre"):
                tags["gnre"] = raw["gnre"]


def _save(f, kind: str, path: str) -> None:
    if kind == "id3":
        version = f.tags.version[1] if f.tags is not None and f.tags.version[1] in (3, 4) else 4
        f.save(path, v2_version=version)
    else:
        f.save(path)


def _remove_container(f, kind: str, path: str) -> None:
    if kind == "id3" and Path(path).suffix.lower() not in ID3_CHUNK:  # MP3: the ID3v2 tag at the start
        from mutagen.id3 import delete

        delete(path, delete_v1=False, delete_v2=True)
    else:  # the whole tag block; for WAV/AIFF the ID3 chunk (and the RIFF/FORM size shrinks back)
        f.delete(path)


def _writable(path: str) -> None:
    """TagError unless the file may be changed: it exists, its permission bits allow writing (a read-only file
    stays read-only, even for root), and its folder takes the temporary copy."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise TagError(f"cannot read ({exc.strerror or exc})") from None
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise TagError("read-only file (left as it was)")
    if not os.access(os.path.dirname(path) or ".", os.W_OK):
        raise TagError("its folder is read-only (left as it was)")


def _safe_rewrite(path: str, kind: str, change) -> None:
    """Apply ``change(mutagen_file, tmp_path)`` to a copy of ``path`` and move the copy into place."""
    _writable(path)
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".genrelab-tmp-{name}")  # hidden (scans skip it), same extension
    try:
        shutil.copy2(path, tmp)
        f = _open(tmp, kind)
        change(f, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except TagError:
        raise
    except OSError as exc:
        raise TagError(f"write failed ({exc.strerror or type(exc).__name__}); the file was left as it was") from None
    except Exception as exc:  # noqa: BLE001 - mutagen's own errors
        raise TagError(f"write failed ({_one_line(exc)}); the file was left as it was") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_genre(path: str | os.PathLike[str], value: str) -> TagState:
    """Set the genre of ``path`` to ``value`` (replacing any); returns the state before. Safe: see module."""
    path = str(path)
    before = read_genre(path)

    def change(f, tmp: str) -> None:
        _apply(f, before.kind, {"new": value})
        _save(f, before.kind, tmp)

    _safe_rewrite(path, before.kind, change)
    return before


def restore_genre(path: str | os.PathLike[str], kind: str, raw: Any, container: bool) -> None:
    """Put back a genre recorded by :func:`read_genre` (``raw``; None: no genre; ``container`` False: no tag
    block at all)."""
    path = str(path)

    def change(f, tmp: str) -> None:
        if not container:
            _remove_container(f, kind, tmp)
            return
        _apply(f, kind, raw)
        _save(f, kind, tmp)

    _safe_rewrite(path, kind, change)


# --------------------------------------------------------------------------------------------- plan, apply, undo


@dataclass
class TagChange:
    """One line of a write-tags plan. ``action``: 'write' (the file will get ``new``), 'same' (already has it),
    'keep' (has another genre; --overwrite replaces it), 'skip' (``reason`` says why)."""

    track_id: int
    path: str
    action: str
    new: str | None = None
    old: list[str] | None = None
    reason: str = ""
    confidence: float | None = None


@dataclass
class TagReport:
    """What :func:`apply_tags` or :func:`undo_tags` did."""

    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    batch: int | None = None


def plan_tags(store: LibraryStore, *, under: Sequence[str | os.PathLike[str]] | None = None,
              overwrite: bool = False, min_confidence: float = 0.0,
              progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> list[TagChange]:
    """What writing genre tags would do to each analysed track (reads every file's current tag). Silent tracks
    are skipped: they have no genre."""
    rows = store.tracks(status="ok", under=under)
    plan: list[TagChange] = []
    for i, r in enumerate(rows):
        check_cancel(cancel)
        report(progress, i / max(len(rows), 1), f"reading tags {i + 1}/{len(rows)}")
        if is_silent(r.flags) or not r.top_genre:  # silence has no genre: nothing is ever written into it
            c = TagChange(r.id, r.path, "skip", None, reason="silent: no genre to write")
            with contextlib.suppress(TagError, OSError):
                c.old = read_genre(r.path).values  # shown as it is
            plan.append(c)
            continue
        new = display_genre(r.top_genre)
        c = TagChange(r.id, r.path, "skip", new, confidence=r.confidence)
        try:
            st = os.stat(r.path)
        except OSError:
            c.reason = "file is gone"
            plan.append(c)
            continue
        if (st.st_size, st.st_mtime_ns) != (r.size, r.mtime_ns):
            c.reason = "changed since it was analysed (run `genrelab tag` on it again)"
        elif r.confidence is not None and r.confidence < min_confidence:
            c.reason = f"confidence {r.confidence:.2f} below {min_confidence:.2f}"
        else:
            try:
                state = read_genre(r.path)
            except TagError as exc:
                c.reason = str(exc)
            else:
                c.old = state.values
                if state.values == [new]:
                    c.action = "same"
                elif state.values and not overwrite:
                    c.action, c.reason = "keep", "has a genre already (--overwrite replaces it)"
                else:
                    try:
                        _writable(r.path)
                        c.action = "write"
                    except TagError as exc:
                        c.reason = str(exc).replace(" (left as it was)", "")
        plan.append(c)
    report(progress, 1.0, "tags read")
    return plan


def apply_tags(store: LibraryStore, plan: Sequence[TagChange], *, progress: ProgressFn | None = None,
               cancel: CancelToken | None = None) -> TagReport:
    """Write the 'write' lines of ``plan``, journalling each old value first (for :func:`undo_tags`). The caller
    holds the store's writer lock. Failures are reported, never raised; the file stays as it was."""
    todo = [c for c in plan if c.action == "write"]
    out = TagReport(batch=store.next_tag_batch())
    for i, c in enumerate(todo):
        check_cancel(cancel)
        report(progress, i / max(len(todo), 1), f"writing tags {i + 1}/{len(todo)}")
        try:
            before = read_genre(c.path)
        except TagError as exc:
            out.failed.append((c.path, str(exc)))
            continue
        entry = store.journal_write(out.batch, c.path, before.kind, before.raw, before.container, c.new or "")
        try:
            write_genre(c.path, c.new or "")
        except TagError as exc:
            store.journal_forget(entry)
            out.failed.append((c.path, str(exc)))
            continue
        _record_new_state(store, c.path)
        out.done.append(c.path)
    report(progress, 1.0, f"{len(out.done)} files tagged")
    return out


def _record_new_state(store: LibraryStore, path: str) -> None:
    st = os.stat(path)
    store.update_file_state(path, st.st_size, st.st_mtime_ns, head_hash(path))


def undo_tags(store: LibraryStore, *, under: Sequence[str | os.PathLike[str]] | None = None,
              progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> TagReport:
    """Restore every genre tag GenreLab wrote (not yet undone), newest first. A file whose genre was changed by
    something else since is left alone and listed in ``skipped``. The caller holds the writer lock."""
    entries = store.journal_pending(under)
    out = TagReport()
    for i, e in enumerate(entries):
        check_cancel(cancel)
        report(progress, i / max(len(entries), 1), f"restoring tags {i + 1}/{len(entries)}")
        path = e["path"]
        try:
            now = read_genre(path)
        except TagError as exc:
            out.failed.append((path, str(exc)))
            continue
        if now.values != [e["new"]]:
            out.skipped.append((path, f"its genre is now {now.values!r}, not the {e['new']!r} GenreLab wrote; "
                                      "left alone"))
            store.journal_undone(e["id"])
            continue
        try:
            restore_genre(path, e["kind"], e["old"], e["old_container"])
        except TagError as exc:
            out.failed.append((path, str(exc)))
            continue
        store.journal_undone(e["id"])
        _record_new_state(store, path)
        out.done.append(path)
    report(progress, 1.0, f"{len(out.done)} files restored")
    return out
