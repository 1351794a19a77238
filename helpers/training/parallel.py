"""One training step split between micro-batches and processes (lesson 22): the whole batch's randomness drawn once,
each share's gradient weighted by its rows, so that any split trains the steps of the whole batch."""

import contextlib

import torch


def process_group():
    """(this process's rank, the number of processes) in torch.distributed's process group, (0, 1) outside one.
    Defined in lesson 22 (scale)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def data_parallel(model, device):
    """model in DistributedDataParallel: its gradients averaged over the processes during backward (lesson 22)."""
    ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)


def agreed(stop, device):
    """Whether any process asked to stop: every process must leave the loop at the same step, or the others would wait
    in the next step's all-reduce until the group's timeout (lesson 22)."""
    flag = torch.tensor(float(bool(stop)), device=device)
    torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
    return bool(flag.item())


def check_shares(config, n, shares, objective, world):
    """Refuse a split the step cannot make: a share without rows, or an objective that draws inside its call
    (lesson 22)."""
    if shares == 1:
        return
    where = f"{world} processes x {config.accumulate} micro-batches" if world > 1 else f"{config.accumulate} micro-batches"
    if config.batch_size < shares:
        raise ValueError(f"batch_size {config.batch_size} cannot be split into {where}: each share needs a row")
    last = n % config.batch_size
    if 0 < last < shares:
        raise ValueError(f"each epoch's last batch holds {last} of the {n} points, too few to split into {where}: "
                         "choose a batch_size that leaves none or more")
    if not callable(getattr(objective, "draw", None)):
        raise TypeError(f"{type(objective).__name__} draws its randomness inside its call, so a split batch would not "
                        "train the steps of the whole batch: split needs objective.draw and objective.loss (helpers."
                        "Denoising, LabelDropout and Dequantised have them)")


def shared_step(network, objective, batch, generator, autocast, rank, world, accumulate):
    """Draw the whole batch's randomness, backpropagate this process's shares, each weighted by its rows over the
    batch's (times the processes, whose gradients DDP averages); return the whole batch's mean loss. Defined in
    lesson 22 (scale)."""
    rows = objective.draw(batch, generator)
    n = rows[0].shape[0]
    pieces = torch.tensor_split(torch.arange(n, device=rows[0].device), world * accumulate)[rank * accumulate:][:accumulate]
    total = torch.zeros((), device=rows[0].device)
    for j, piece in enumerate(pieces):
        # Only the last backward of a step all-reduces the gradients; the others accumulate locally.
        sync = world == 1 or j == accumulate - 1
        with (contextlib.nullcontext() if sync else network.no_sync()):
            with autocast:
                loss = objective.loss(network, *(r[piece] for r in rows)).float()
            (loss * (world * piece.shape[0] / n)).backward()
        total += loss.detach() * piece.shape[0] / n
    if world > 1:
        torch.distributed.all_reduce(total)
    return total
