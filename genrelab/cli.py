"""The `genrelab` command: the app (no sub-command) and analyse / model / bench / train / evaluate / ...

Sub-commands register themselves in :data:`COMMANDS` (name -> (help, add_arguments, run)); ``run`` returns the
exit status. Errors meant for people (GenreLabError) print as one line on stderr and exit 2 (1 for a batch
where some files failed).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

from genrelab.errors import GenreLabError

Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: dict[str, Command] = {}


def command(name: str, help_text: str, add_arguments: Callable[[argparse.ArgumentParser], None]):
    """Decorator registering ``run(args) -> int`` as sub-command ``name``."""

    def register(run: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = (help_text, add_arguments, run)
        return run

    return register


def _add_engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, help="ONNX model file (default: the installed model)")
    p.add_argument("--backend", choices=["onnx", "torch"], default="onnx", help="inference backend (default onnx)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto", help="device (default auto)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for the model (default: all cores)")


def _open_engine(args: argparse.Namespace):
    from genrelab.model.engine import open_engine

    return open_engine(args.model, args.backend, args.device, args.threads)


# ---- analyse ---------------------------------------------------------------------------------------------
def _analyse_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, help="audio files")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print a JSON list of tracks with full timelines")
    fmt.add_argument("--csv", action="store_true", help="print the timelines as CSV (path, time, genres...)")
    p.add_argument("--hop", type=float, default=0.5, help="seconds between windows (default 0.5)")
    _add_engine_options(p)


def _fmt_time(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


@command("analyse", "genre probabilities over time for audio files", _analyse_args)
def run_analyse(args: argparse.Namespace) -> int:
    from genrelab.analysis import analyse_file

    if args.hop <= 0:
        raise GenreLabError(f"--hop must be positive (got {args.hop})")
    engine = _open_engine(args)
    results, failed = [], 0
    writer = None
    for path in args.files:
        try:
            result = analyse_file(path, engine, args.hop)
        except GenreLabError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
            continue
        if args.json:
            results.append(result.to_dict())
        elif args.csv:
            if writer is None:
                writer = csv.writer(sys.stdout, lineterminator="\n")
                writer.writerow(["path", "time_s", *result.timeline.labels])
            for t, row in zip(result.timeline.times, result.timeline.probs, strict=True):
                writer.writerow([str(path), f"{t:.3f}", *(f"{p:.5f}" for p in row)])
        else:
            s = result.summary
            top3 = ", ".join(f"{g} {p:.2f}" for g, p in s.top3)
            flags = f"  [{', '.join(sorted(result.flags))}]" if result.flags else ""
            if "silent" in result.flags:  # as the Analyse page, the Live page and the library: no genre to name
                print(f"{path}  {_fmt_time(result.duration_s)}  silence (nothing above -80 dBFS){flags}")
            else:
                print(f"{path}  {_fmt_time(result.duration_s)}  {s.top_genre} {s.top3[0][1]:.2f}  (top-3: {top3}){flags}")
    if args.json:
        json.dump(results, sys.stdout, indent=1)
        print()
    if failed and len(args.files) > 1:  # one bad file: its error line says it all
        print(f"{failed} of {len(args.files)} files failed", file=sys.stderr)
    return 1 if failed else 0


# ---- model -----------------------------------------------------------------------------------------------
def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, help="ONNX model file (default: the installed model)")
    p.add_argument("--json", action="store_true", help="print the card as JSON")


@command("model", "show the model card of the installed (or given) model", _model_args)
def run_model(args: argparse.Namespace) -> int:
    from genrelab.model.card import read_card
    from genrelab.model.registry import default_model_path

    path = args.model or default_model_path()
    card = read_card(path)
    print(card.to_json() if args.json else f"File:          {path}\n{card.describe()}")
    return 0


# ---- bench -----------------------------------------------------------------------------------------------
def _bench_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, help="ONNX model file (default: the installed model)")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON (the text goes to stderr)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for the model")
    p.add_argument("--quick", action="store_true", help="fewer repeats (for smoke tests)")
    p.add_argument("--long", action="store_true", help="also analyse a 60-minute file and report peak memory")
    p.add_argument("--live", action="store_true", help="instead: the Live page recording the demo track played "
                   "into a PulseAudio null sink (fps, latency, skipped windows, dropouts, CPU)")
    p.add_argument("--library", action="store_true", help="instead: `genrelab tag` on 4-minute MP3s (tracks/s, "
                   "stages) and the similar-tracks search on 100,000 tracks")


@command("bench", "speed of decoding, features, the model and the whole analysis", _bench_args)
def run_bench(args: argparse.Namespace) -> int:
    from genrelab.bench import run_benchmarks

    def to_stderr(line: str) -> None:  # with --json, stdout is the JSON alone; people still see the numbers
        print(line, file=sys.stderr, flush=True)

    if args.live:
        from genrelab.gui.pages.live.bench import run_live_bench

        report_ = run_live_bench(args.model, seconds=8.0 if args.quick else 20.0,
                                 echo=to_stderr if args.json else print)
    elif args.library:
        from genrelab.library.bench import run_library_bench

        report_ = run_library_bench(args.model, threads=args.threads, quick=args.quick,
                                    echo=to_stderr if args.json else print)
    else:
        report_ = run_benchmarks(args.model, threads=args.threads, quick=args.quick, long=args.long,
                                 echo=to_stderr if args.json else print)
    if args.json:
        print(json.dumps(report_, indent=1))
    return 0


# ---- entry point -----------------------------------------------------------------------------------------
def _load_plugins() -> None:
    """Import the modules that register more sub-commands (training, library...) if they are installed."""
    import importlib

    for module in ("genrelab.cli_train", "genrelab.cli_library", "genrelab.cli_live"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def build_parser() -> argparse.ArgumentParser:
    _load_plugins()
    parser = argparse.ArgumentParser(prog="genrelab", description="GenreLab: genre analysis of music over time. "
                                     "With no sub-command, opens the app (optionally on FILE).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, add_arguments, _) in COMMANDS.items():
        add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def gui_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="genrelab", description="Open the GenreLab app (sub-commands: genrelab --help).")
    p.add_argument("file", nargs="?", type=Path, help="audio file to open")
    p.add_argument("--screenshot", type=Path, metavar="OUT.png", help="render the window after analysis and exit")
    p.add_argument("--page", default="analyse", help="page to show (default analyse)")
    _add_engine_options(p)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help")):
            args = parser.parse_args(argv)
            return COMMANDS[args.command][2](args)
        args = gui_parser().parse_args(argv)
        from genrelab.gui.app import run_app

        return run_app(args)
    except GenreLabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stderr = io.StringIO()
        return 0
