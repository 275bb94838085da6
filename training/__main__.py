"""``python -m training ARGS`` = ``genrelab train ARGS``; under torchrun, the same run on several processes.

``torchrun --standalone --nproc-per-node N -m training --data DIR --out OUT ...`` trains with torch's
distributed data parallel (:mod:`training.distributed`): one checkpoint, the same model file and report as a
single-process run. Process 0 prints and writes; the others train quietly.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"]:
        argv = argv[1:]
    from training import distributed

    distributed.init_from_env()
    try:
        if distributed.is_main():
            from genrelab import cli

            return cli.main(["train", *argv])
        return _quiet_rank(argv)
    finally:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()


def _quiet_rank(argv: list[str]) -> int:
    """A process other than 0: the same run, no output (process 0 reports errors and results)."""
    from genrelab import cli, cli_train
    from genrelab.errors import Cancelled, GenreLabError
    from training.pipeline import run

    args = cli.build_parser().parse_args(["train", *argv])
    out = args.out or Path("runs") / f"{args.data.resolve().name}-{args.arch}-{args.input}-{args.image}"  # as train
    try:
        run(cli_train._pipeline_config(args, args.arch, args.input, out))  # noqa: SLF001 - the CLI's own
    except (Cancelled, GenreLabError):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
