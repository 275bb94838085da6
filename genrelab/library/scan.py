"""Find the audio files under library folders: recursive, hidden files and folders skipped, symlink loops and
files reached twice (through links) counted once, unreadable folders reported instead of stopping the scan."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from genrelab.audio import SUPPORTED_EXTENSIONS
from genrelab.progress import CancelToken, ProgressFn, check_cancel, report


@dataclass(frozen=True)
class FileEntry:
    """An audio file found by :func:`scan`: absolute path (as reached, links not resolved), size, mtime."""

    path: str
    size: int
    mtime_ns: int


@dataclass
class ScanResult:
    """What :func:`scan` found."""

    files: list[FileEntry] = field(default_factory=list)
    skipped_other: int = 0  # files with a non-audio extension
    skipped_hidden: int = 0  # hidden files and folders (names starting with '.')
    duplicates: int = 0  # the same file reached twice (links)
    loops: int = 0  # folder links leading back to a folder already walked
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): unreadable folders, bad roots


def scan(roots: Iterable[str | os.PathLike[str]], *, extensions: frozenset[str] = SUPPORTED_EXTENSIONS,
         progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> ScanResult:
    """Walk ``roots`` (folders or single files) and list their audio files, sorted by path."""
    out = ScanResult()
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()

    def add_file(path: str, st: os.stat_result) -> None:
        key = (st.st_dev, st.st_ino)
        if key in seen_files:
            out.duplicates += 1
            return
        seen_files.add(key)
        out.files.append(FileEntry(path, st.st_size, st.st_mtime_ns))

    for root in roots:
        root = os.path.abspath(os.fspath(root))
        try:
            st = os.stat(root)
        except OSError as exc:
            out.problems.append((root, _reason(exc)))
            continue
        if stat.S_ISREG(st.st_mode):
            if os.path.splitext(root)[1].lower() in extensions:
                add_file(root, st)
            else:
                out.problems.append((root, "not an audio file extension"))
            continue
        stack = [root]
        while stack:
            check_cancel(cancel)
            folder = stack.pop()
            try:
                dst = os.stat(folder)
            except OSError as exc:
                out.problems.append((folder, _reason(exc)))
                continue
            if (dst.st_dev, dst.st_ino) in seen_dirs:
                out.loops += 1
                continue
            seen_dirs.add((dst.st_dev, dst.st_ino))
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                out.problems.append((folder, _reason(exc)))
                continue
            subdirs = []
            for e in entries:
                if e.name.startswith("."):
                    out.skipped_hidden += 1
                    continue
                try:
                    is_dir = e.is_dir()  # follows links: a link to a folder is walked (loops are caught above)
                except OSError:
                    is_dir = False
                if is_dir:
                    subdirs.append(e.path)
                    continue
                if os.path.splitext(e.name)[1].lower() not in extensions:
                    out.skipped_other += 1
                    continue
                try:
                    fst = e.stat()  # follows links
                except OSError as exc:  # a dangling link, or no permission
                    out.problems.append((e.path, _reason(exc)))
                    continue
                if stat.S_ISREG(fst.st_mode):
                    add_file(e.path, fst)
            stack.extend(reversed(subdirs))
            report(progress, 0.0, f"scanning: {len(out.files)} audio files")
    out.files.sort(key=lambda f: f.path)
    return out


def _reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file or folder (or a dangling link)"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or type(exc).__name__


def is_under(path: str | os.PathLike[str], roots: Iterable[str | os.PathLike[str]]) -> bool:
    """Whether ``path`` lies in one of ``roots`` (by absolute path, links not resolved)."""
    p = Path(os.path.abspath(path))
    return any(p == Path(os.path.abspath(r)) or Path(os.path.abspath(r)) in p.parents for r in roots)
