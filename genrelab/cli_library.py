"""`genrelab tag` and `genrelab similar`: the library from the command line (see genrelab.library)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path

from genrelab.cli import command
from genrelab.errors import Cancelled, GenreLabError

MAX_LISTED = 20


class _Progress:
    """A progress line on stderr: rewritten in place on a terminal, a line every few seconds otherwise."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self._last = 0.0
        self._shown = False

    def __call__(self, fraction: float, message: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < (0.2 if self.tty else 5.0) and fraction < 1.0:
            return
        self._last = now
        if self.tty:
            bar = "#" * int(24 * fraction)
            print(f"\r[{bar:<24}] {100 * fraction:5.1f}% {message}"[:150].ljust(80), end="", file=sys.stderr,
                  flush=True)
            self._shown = True
        else:
            print(f"{100 * fraction:5.1f}% {message}", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self._shown:
            print(file=sys.stderr, flush=True)
            self._shown = False


def _cancel_on_sigint() -> threading.Event:
    """Ctrl-C sets the returned event (the run commits what it has and stops); a second Ctrl-C interrupts."""
    cancel = threading.Event()

    def handler(signum, frame) -> None:  # noqa: ARG001
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)
    return cancel


# ---- tag -------------------------------------------------------------------------------------------------
def _tag_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("folders", nargs="*", type=Path, metavar="DIR", help="music folders (or files) to tag")
    p.add_argument("--db", type=Path, help="library database (default: library.sqlite in the user data folder)")
    p.add_argument("--jobs", type=int, default=None,
                   help="decoding processes (default: one per core; 0: none), or Ray actors with --executor ray")
    p.add_argument("--windows", type=int, default=10, metavar="K",
                   help="3-s windows analysed per track, spread over it (default 10; 0: every window, hop 0.5 s)")
    p.add_argument("--model", type=Path, help="ONNX model file (default: the installed model)")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads for the model (default: 1 beside the decoding processes, else all cores)")
    p.add_argument("--executor", choices=["local", "ray"], default="local",
                   help="local processes (default) or Ray actors (pip install 'genrelab[cluster]')")
    p.add_argument("--address", help="Ray cluster address (default: start a local Ray)")
    p.add_argument("--wait", action="store_true", help="wait for another run on the same database to finish")
    p.add_argument("--commit-every", type=int, default=32, metavar="N",
                   help="commit results every N tracks (and at least every second; default 32)")
    p.add_argument("--prune", action="store_true", help="forget stored tracks whose files are gone")
    p.add_argument("--csv", type=Path, metavar="OUT", help="write the library as CSV")
    p.add_argument("--json", type=Path, metavar="OUT", help="write the library as JSON")
    p.add_argument("--m3u-dir", type=Path, metavar="DIR", help="write one M3U playlist per genre into DIR")
    p.add_argument("--write-tags", action="store_true", help="write the top genre into the files' genre tags")
    p.add_argument("--dry-run", action="store_true", help="with --write-tags: print what would change, change nothing")
    p.add_argument("--overwrite", action="store_true", help="with --write-tags: replace existing genres too")
    p.add_argument("--min-confidence", type=float, default=0.0, metavar="P",
                   help="with --write-tags: only tracks whose top genre has at least this mean probability")
    p.add_argument("--undo", action="store_true", help="restore every genre tag GenreLab wrote (under DIR, if given)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line")


def _print_summary(summary, store) -> None:
    s = summary
    rate = f" ({s.tracks_per_s:.1f} tracks/s after {s.elapsed_s - s.analyse_s:.1f} s of start-up)" if s.analysed else ""
    print(f"{s.scanned} audio files found: {s.counts()} ({s.new} new, {s.changed} changed), "
          f"{s.unchanged} unchanged, in {s.elapsed_s:.1f} s{rate}")
    if s.scan is not None:
        extra = []
        if s.scan.skipped_other:
            extra.append(f"{s.scan.skipped_other} non-audio files skipped")
        if s.scan.skipped_hidden:
            extra.append(f"{s.scan.skipped_hidden} hidden entries skipped")
        if s.scan.loops:
            extra.append(f"{s.scan.loops} folder link loops not followed")
        if s.scan.duplicates:
            extra.append(f"{s.scan.duplicates} files reached twice counted once")
        if extra:
            print("scan: " + ", ".join(extra))
        for path, reason in s.scan.problems[:MAX_LISTED]:
            print(f"  cannot scan {path}: {reason}")
    counts = [f"{g} {n}" for g, n in store.genre_counts().items()]
    silent = store.silent_count()
    if silent:
        counts.append(f"{silent} silent (no genre)")
    if counts:
        print("library: " + ", ".join(counts) + f"  (database {store.path})")
    failures = store.failures()
    if failures:
        print(f"could not analyse {len(failures)} files:")
        for r in failures[:MAX_LISTED]:
            print(f"  {r.path}: {r.error}")
        if len(failures) > MAX_LISTED:
            print(f"  ... and {len(failures) - MAX_LISTED} more (--csv or --json lists them all)")
    if s.missing:
        kept = "forgotten" if s.pruned else "kept in the database (--prune forgets them)"
        print(f"{len(s.missing)} stored files are gone from disk: {kept}")


def _print_plan(plan, dry_run: bool) -> None:
    verb = "would write" if dry_run else "writing"
    writes = [c for c in plan if c.action == "write"]
    for c in writes:
        old = "no genre" if not c.old else "; ".join(c.old)
        print(f"{verb}: {c.path}: {old} -> {c.new}")
    for c in plan:
        if c.action == "keep":
            print(f"kept: {c.path}: has {'; '.join(c.old or [])} (--overwrite replaces it with {c.new})")
        elif c.action == "skip":
            print(f"skipped: {c.path}: {c.reason}")
    same = sum(c.action == "same" for c in plan)
    print(f"tags: {len(writes)} to write, {same} already right, {sum(c.action == 'keep' for c in plan)} kept, "
          f"{sum(c.action == 'skip' for c in plan)} skipped" + (" (dry run: nothing changed)" if dry_run else ""))


@command("tag", "tag a music library: genres of every file in a database, exports, genre tags", _tag_args)
def run_tag(args: argparse.Namespace) -> int:
    from genrelab.library import exports
    from genrelab.library.pipeline import tag_library
    from genrelab.library.store import LibraryStore
    from genrelab.library.tags import apply_tags, plan_tags, undo_tags

    if args.windows < 0:
        raise GenreLabError(f"--windows must be 0 (every window) or more (got {args.windows})")
    if args.jobs is not None and args.jobs < 0:
        raise GenreLabError(f"--jobs must be 0 or more (got {args.jobs})")
    exporting = args.csv or args.json or args.m3u_dir
    if not args.folders and not (args.undo or exporting or args.write_tags):
        raise GenreLabError("give one or more music folders (or --undo, --write-tags, --csv/--json/--m3u-dir on the "
                            "existing database)")
    for f in args.folders:
        try:
            there = f.exists()
        except OSError as exc:  # a folder above it cannot be entered
            raise GenreLabError(f"{f}: cannot read ({(exc.strerror or str(exc)).lower()})") from None
        if not there:
            raise GenreLabError(f"{f}: no such file or folder")
    if (args.dry_run or args.overwrite) and not args.write_tags:
        raise GenreLabError("--dry-run and --overwrite go with --write-tags")
    progress = _Progress(not args.quiet)
    cancel = _cancel_on_sigint()
    status = 0
    with LibraryStore(args.db, readonly=not args.folders) as store:
        under = [str(f.absolute()) for f in args.folders] or None
        if args.undo:
            with store.writer_lock(wait=args.wait):
                rep = undo_tags(store, under=under, progress=progress, cancel=cancel)
            progress.done()
            for path in rep.done:
                print(f"restored: {path}")
            for path, why in rep.skipped:
                print(f"left alone: {path}: {why}")
            for path, why in rep.failed:
                print(f"failed: {path}: {why}")
            print(f"undo: {len(rep.done)} restored, {len(rep.skipped)} left alone, {len(rep.failed)} failed")
            return 1 if rep.failed else 0
        if args.folders:
            try:
                summary = tag_library(args.folders, store, args.model, n_windows=args.windows, jobs=args.jobs,
                                      threads=args.threads, executor=args.executor, address=args.address,
                                      wait_for_lock=args.wait, commit_every=max(1, args.commit_every),
                                      progress=progress, cancel=cancel)
            except Cancelled:
                progress.done()
                print(f"cancelled: what was analysed is stored in {store.path}; run the same command again to "
                      "resume", file=sys.stderr)
                return 130
            progress.done()
            if args.prune and summary.missing:
                store.prune(summary.missing)
                summary.pruned = True
            _print_summary(summary, store)
            status = 1 if summary.failed else 0
        if args.write_tags:
            plan = plan_tags(store, under=under, overwrite=args.overwrite, min_confidence=args.min_confidence,
                             progress=progress, cancel=cancel)
            progress.done()
            _print_plan(plan, args.dry_run)
            if not args.dry_run:
                with store.writer_lock(wait=args.wait):
                    rep = apply_tags(store, plan, progress=progress, cancel=cancel)
                progress.done()
                for path, why in rep.failed:
                    print(f"failed: {path}: {why}")
                print(f"tags written to {len(rep.done)} files, {len(rep.failed)} failed "
                      f"(`genrelab tag --undo` restores them)")
                status = status or (1 if rep.failed else 0)
        if args.csv:
            print(f"{exports.export_csv(store, args.csv)} tracks written to {args.csv}")
        if args.json:
            print(f"{exports.export_json(store, args.json)} tracks written to {args.json}")
        if args.m3u_dir:
            lists = exports.export_m3u(store, args.m3u_dir)
            print(f"{len(lists)} playlists written to {args.m3u_dir}: " + ", ".join(p.name for p in lists.values()))
    return status


# ---- similar ---------------------------------------------------------------------------------------------
def _similar_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", metavar="FILE|TRACK_ID", help="an audio file (in the library or not) or a track id")
    p.add_argument("-k", type=int, default=5, help="how many tracks (default 5)")
    p.add_argument("--db", type=Path, help="library database (default: library.sqlite in the user data folder)")
    from genrelab.library.similar_default import BY_CHOICES, DEFAULT_BY  # plain Python: no start-up cost

    p.add_argument("--by", choices=BY_CHOICES, default=DEFAULT_BY,
                   help="genre: Jensen-Shannon distance of the genre distributions (the paper's way); sound: cosine "
                        "distance of the model's embeddings; auto: sound when the model has an embedding, else "
                        f"genre (default: {DEFAULT_BY})")
    p.add_argument("--model", type=Path, help="model for a FILE outside the library (default: the library's model)")
    p.add_argument("--json", action="store_true", help="print JSON")


@command("similar", "the library tracks closest to a file or track (genre distribution or sound)", _similar_args)
def run_similar(args: argparse.Namespace) -> int:
    from genrelab.library.similar_api import find_similar
    from genrelab.library.store import LibraryStore

    if args.k <= 0:
        raise GenreLabError(f"-k must be positive (got {args.k})")
    with LibraryStore(args.db, readonly=True) as store:
        res = find_similar(store, args.query, k=args.k, by=args.by, model=args.model)
    if args.json:
        print(json.dumps(res.to_dict(), indent=1, ensure_ascii=False))
        return 0
    what = "genre distribution, Jensen-Shannon distance" if res.by == "genre" else "sound embedding, cosine distance"
    top = f" ({res.query_genre} {res.query_confidence:.2f})" if res.query_genre else ""
    print(f"closest to {res.query_label}{top} by {what}, among {res.searched} tracks:")
    for i, n in enumerate(res.neighbours, 1):
        genre = f"{n.top_genre} {n.confidence:.2f}" if n.top_genre else ""
        print(f"{i:3d}  {n.distance:.4f}  {genre:14s} {n.path}")
    if not res.neighbours:
        print("  (no other analysed tracks)")
    return 0

