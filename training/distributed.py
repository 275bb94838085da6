"""Distributed data parallel training (torch's own DDP) for the one pipeline.

``torchrun --standalone --nproc-per-node N -m training --data DIR --out OUT ...`` starts N processes that run
:func:`training.pipeline.run` together: each batch is split between them (gradients averaged by
``DistributedDataParallel``), process 0 validates, decides, keeps the one checkpoint and writes the model and
report (the same files as a single-process run); the others only train. Backend: NCCL on CUDA, gloo on CPU.

Without ``torch.distributed`` initialised everything here is a no-op (one process, rank 0).
"""

from __future__ import annotations

import os
from typing import Any


def _dist():  # noqa: ANN202 - the torch.distributed module, or None
    try:
        import torch.distributed as dist
    except ImportError:
        return None
    return dist if dist.is_available() and dist.is_initialized() else None


def init_from_env() -> bool:
    """Join the process group torchrun describes (``WORLD_SIZE`` > 1 in the environment); False if none."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    import torch
    import torch.distributed as dist

    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
    return True


def world() -> tuple[int, int]:
    """(rank, number of processes); (0, 1) when not distributed."""
    dist = _dist()
    return (dist.get_rank(), dist.get_world_size()) if dist else (0, 1)


def is_main() -> bool:
    """True in process 0 (or when not distributed): the one that writes files and reports."""
    return world()[0] == 0


def describe() -> str:
    """One line about the process group ("" when not distributed)."""
    dist = _dist()
    if dist is None:
        return ""
    return f"distributed data parallel: {dist.get_world_size()} processes ({dist.get_backend()})"


def barrier() -> None:
    dist = _dist()
    if dist is not None:
        dist.barrier()


def broadcast(obj: Any) -> Any:
    """Process 0's ``obj`` in every process."""
    dist = _dist()
    if dist is None:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def any_set(flag: bool) -> bool:
    """True in every process if ``flag`` is true in any (a cancel seen by one stops all, between batches)."""
    dist = _dist()
    if dist is None:
        return flag
    import torch

    t = torch.tensor([1 if flag else 0], dtype=torch.int32)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def sum_all(values: list[float]) -> list[float]:
    """Element-wise sums over the processes."""
    dist = _dist()
    if dist is None:
        return values
    import torch

    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


def wrap(net: Any) -> Any:
    """``net`` wrapped in DistributedDataParallel when distributed (else ``net`` itself)."""
    if _dist() is None:
        return net
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(net)
