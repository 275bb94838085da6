"""``genrelab devices`` and ``genrelab record``: list inputs, record a take (optionally with a rolling genre).

Registered by :func:`genrelab.cli._load_plugins`. Both first repair takes a crash left unfinished and say so.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from genrelab.cli import command


def _recover(stream=sys.stderr) -> None:
    from genrelab.audio.record_take import recover_unfinished

    for item in recover_unfinished():
        print(("" if item.ok else "warning: ") + item.message, file=stream)


# ---- devices --------------------------------------------------------------------------------------------------
def _devices_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the list as JSON")


@command("devices", "list the audio inputs `genrelab record --device` accepts", _devices_args)
def run_devices(args: argparse.Namespace) -> int:
    import json

    from genrelab.audio.record import default_input, list_inputs

    devices = list_inputs()
    if args.json:
        print(json.dumps([{"index": d.index, "name": d.name, "channels": d.channels, "default_rate": d.default_rate,
                           "host": d.host, "monitor": d.monitor, "description": d.description} for d in devices],
                         indent=1))
        return 0
    if not devices:
        print("no audio input device found", file=sys.stderr)
        return 2
    default = default_input(devices)
    print(f"{'':2}{'index':>5}  {'channels':>8}  {'rate':>6}  name")
    for d in devices:
        mark = "*" if d is default else " "
        extra = f"  — {d.description}{', what the computer plays' if d.monitor else ''}" if d.pulse_source else ""
        print(f"{mark:2}{d.index:>5}  {d.channels:>8}  {d.default_rate:>6}  {d.name} ({d.host}){extra}")
    return 0


# ---- record ---------------------------------------------------------------------------------------------------
def _record_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", metavar="NAME|INDEX", help="input to record (default: the system's default input; "
                   "`genrelab devices` lists them)")
    p.add_argument("--seconds", type=float, default=None, metavar="S", help="stop after S seconds (default: Ctrl-C)")
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="the take's file (.flac or .wav; never overwritten). Default: a new name in --folder")
    p.add_argument("--folder", type=Path, default=None, help="recordings folder (default: ~/Music/GenreLab or "
                   "$GENRELAB_RECORDINGS)")
    p.add_argument("--format", choices=["flac", "wav"], default=None, help="file format (default flac)")
    p.add_argument("--live", action="store_true", help="print the rolling top genre and its probability every hop")
    p.add_argument("--hop", type=float, default=0.5, help="seconds between genre estimates with --live (default 0.5)")
    p.add_argument("--model", type=Path, help="ONNX model file for --live (default: the installed model)")
    p.add_argument("--backend", choices=["onnx", "torch"], default="onnx", help="inference backend (default onnx)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for the model (default: all cores)")


class _Stop(Exception):
    """SIGTERM: finish the take like Ctrl-C."""


@command("record", "record an input to a FLAC/WAV take (Ctrl-C finishes the file), optionally with live genres",
         _record_args)
def run_record(args: argparse.Namespace) -> int:
    from genrelab.audio.record import Recorder, RecordError, resolve_input
    from genrelab.audio.record_take import default_recordings_folder, start_take

    if args.seconds is not None and args.seconds <= 0:
        raise RecordError(f"--seconds must be positive (got {args.seconds:g})")
    if args.hop <= 0:
        raise RecordError(f"--hop must be positive (got {args.hop:g})")
    if args.out is None and args.folder is not None and args.folder.exists() and not args.folder.is_dir():
        raise RecordError(f"{args.folder}: is a file, not a folder")
    _recover()
    engine = None
    if args.live:
        from genrelab.model.engine import open_engine

        engine = open_engine(args.model, args.backend, "auto", args.threads)
    device = resolve_input(args.device)
    recorder = Recorder(device)
    target = args.out if args.out is not None else (args.folder or default_recordings_folder())
    take = None
    analyser = None
    shown = 0

    def on_term(_signum: int, _frame: object) -> None:
        raise _Stop()

    old_term = signal.signal(signal.SIGTERM, on_term)
    try:
        if args.out is None and args.folder is not None:  # a folder, even named like a file ("Takes.2026")
            try:
                args.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise RecordError(f"cannot use the recordings folder {args.folder} ({exc.strerror})") from None
        take = start_take(recorder, target, args.format, max_seconds=args.seconds, from_start=True)
        recorder.start()
        if engine is not None:
            from genrelab.audio.record_live import LiveAnalyser

            analyser = LiveAnalyser(recorder, start_frame=0, engine=engine, hop_s=args.hop).start()
        if not recorder.wait_for_audio():
            raise RecordError(recorder.error or f"no audio arrives from {device.name} (is it connected?)")
        limit = f"{args.seconds:g} s" if args.seconds else "until Ctrl-C"
        print(f"recording {device.name} ({recorder.rate} Hz, {recorder.channels} ch) to {take.path} ({limit})",
              file=sys.stderr, flush=True)
        while not take.done.wait(0.05):
            if analyser is not None:
                shown = _print_estimates(analyser, shown)
    except (KeyboardInterrupt, _Stop):
        pass
    except RecordError:
        if take is not None:
            take.stop()
            if take.frames == 0:
                take.path.unlink(missing_ok=True)
        recorder.stop()
        if analyser is not None:
            analyser.stop(drain=False)
        raise
    finally:
        signal.signal(signal.SIGTERM, old_term)
    if take is None:  # interrupted before the file existed
        raise KeyboardInterrupt
    result = take.stop()
    recorder.stop()
    if analyser is not None:
        analyser.stop()
        _print_estimates(analyser, shown)
    if result.frames == 0 and result.error is None:
        result.path.unlink(missing_ok=True)
        print("nothing was recorded (no file kept)", file=sys.stderr)
        return 130
    notes = [f"{result.dropouts} dropouts"]
    if result.lost_frames:
        notes.append(f"{result.lost_frames / result.rate:.2f} s lost (the disk was too slow)")
    if analyser is not None and analyser.skipped:
        notes.append(f"{analyser.skipped} genre windows skipped (the model was too slow)")
    print(f"saved {result.path}: {result.seconds:.2f} s, {', '.join(notes)}", file=sys.stderr)
    if result.error:
        print(f"error: {result.error}", file=sys.stderr)
        return 1
    return 0


def _print_estimates(analyser, shown: int) -> int:  # noqa: ANN001 - LiveAnalyser
    estimates = analyser.estimates
    while shown < len(estimates):
        e = estimates[shown]
        genre, p = e.top
        print(f"{_clock(e.time)}  {genre:<10s} {p:.2f}", flush=True)
        shown += 1
    return shown


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:05.2f}"

