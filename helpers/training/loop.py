"""The training loop (lesson 08): one loop for every objective, the learning rate, batches and the EMA of the weights."""

import copy
import math
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .._checks import check_float, check_int, check_points, check_tokens, count_nonfinite
from ..networks.mlp import NoisePredictor, input_scale
from ..networks.preconditioning import Preconditioned
from .config import DEFAULT, TrainConfig
from .parallel import agreed, check_shares, data_parallel, process_group, shared_step
from .resume import load_state, save_state


def _check_config(config):
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a helpers.TrainConfig (e.g. helpers.DEFAULT), got {type(config).__name__}")


def build_model(config, schedule, x0):
    """The network a config trains: NoisePredictor(T, hidden) that records the config's target, with input scaling
    from the data's std if asked; for target 'edm', that network (recording 'edm') inside helpers.Preconditioned.

    Defined in lesson 08 (training).
    """
    _check_config(config)
    x0 = check_points("x0", x0, d=None)
    if config.scaled_input and x0.shape[0] < 2:
        raise ValueError(f"x0 needs at least 2 points to estimate the data's std for input scaling, got {x0.shape[0]}")
    if config.target == "edm":
        raw = NoisePredictor(schedule.T, config.hidden, d=x0.shape[1], predicts="edm")
        return Preconditioned(raw, schedule, x0.std().item()).to(x0.device)
    c_in = input_scale(schedule, x0.std().item()) if config.scaled_input else None
    return NoisePredictor(schedule.T, config.hidden, c_in=c_in, d=x0.shape[1], predicts=config.predicts).to(x0.device)


def learning_rate(config, step):
    """The learning rate at a 0-based step: linear warm-up, then constant or cosine decay to 0.

    Defined in lesson 08 (training).
    """
    _check_config(config)
    return _learning_rate(config, check_int("step", step, 0, config.steps))


def _learning_rate(config, step):
    """learning_rate on checked inputs: train's every step."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    if config.lr_schedule == "constant":
        return config.lr
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    return config.lr * 0.5 * (1 + math.cos(math.pi * progress))


class Batches:
    """Endless shuffled mini-batch indices, epoch after epoch, the last batch of an epoch possibly short
    (like a shuffled DataLoader with drop_last=False). Shuffled on the CPU (generator: a CPU generator),
    moved to device. Its state (the epoch's order, the place in it) is part of a resumable run's (lesson 22).
    Defined in lesson 08 (training)."""

    def __init__(self, n, batch_size, generator, device):
        self.n, self.batch_size, self.generator, self.device = n, batch_size, generator, device
        self.order, self.position = None, 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.order is None or self.position >= self.n:
            self.order, self.position = torch.randperm(self.n, generator=self.generator).to(self.device), 0
        index = self.order[self.position:self.position + self.batch_size]
        self.position += self.batch_size
        return index

    def state(self):
        return {"order": None if self.order is None else self.order.cpu(), "position": self.position}

    def restore(self, state):
        self.order = None if state["order"] is None else state["order"].to(self.device)
        self.position = state["position"]


def ema_weight(decay, n):
    """The weight of the n-th update (n = 1, 2, ...) in a bias-corrected EMA of the weights: (1 - decay) / (1 - decay**n).

    The plain EMA, e_n = decay * e_(n-1) + (1 - decay) * theta_n from e_0 = theta_0, keeps decay**n of the initial,
    random weights after n steps: 29 % after 1 229 steps at decay 0.999. Started from 0 instead and divided by
    1 - decay**n (Adam's correction of its moment estimates, Kingma & Ba 2015, Algorithm 1), it is a weighted
    average of theta_1..theta_n alone, with weights proportional to decay**(n - k); written as one update of the
    previous average, that is this weight. The first update (weight 1) replaces the initial weights.
    Defined in lesson 08 (training).
    """
    decay = check_float("decay", decay, 0.0, 1.0, low_open=False)
    n = check_int("n", n, 1)
    return (1 - decay) / (1 - decay**n)


def train(model, data, objective, config, on_checkpoint=None, every=None, progress=True, state=None):
    """Train model to minimise objective on data with Adam, gradient clipping, an optional bias-corrected EMA of the
    weights (helpers.ema_weight), and the learning rate and batches config says. Defined in lesson 08 (training).

    data: points, or a tuple of tensors, points first, one row per point (lesson 11's labels, 16's reflow partners).
    objective(model, batch, generator) is the batch's loss, its randomness from generator (a CPU generator seeded with
    config.seed); objective.start(model, data), if any, checks them once: helpers.Denoising (06, 08, 14), LabelDropout
    (11), FlowLoss (12), progressive_objective and ConsistencyObjective (16), lesson 17's digits in Dequantised.
    Lesson 22: with config.accumulate = k, or in a torch.distributed group of R processes, each step's batch is split
    into R k shares whose gradients add up before one update, the steps of one process on the whole batch; the objective
    then draws the whole batch's randomness (objective.draw) and scores a share (objective.loss). config.precision =
    "bfloat16" puts each forward pass under torch.autocast. state: a file the run's whole state is saved to every `every`
    steps and after the last; if it exists, the run resumes from it.
    on_checkpoint(step, sampler_model) runs every `every` steps and after the last (sampler_model: the EMA copy, or the
    model without EMA); True stops training. Returns the per-step losses, the seconds outside on_checkpoint, the model
    to sample from and the online model (the weights Adam moved).
    """
    _check_config(config)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (e.g. helpers.build_model(...)), got {type(model).__name__}")
    data = _check_data(data, model)
    x0 = data[0] if isinstance(data, tuple) else data
    if not callable(objective):
        raise TypeError(f"objective must turn a batch into a loss, objective(model, batch, generator) (e.g. "
                        f"helpers.Denoising(schedule, config)), got {type(objective).__name__}")
    if every is not None:
        check_int("every", every, 1)
    elif state is not None:
        raise ValueError("state needs every: how many steps apart to save it (a run saved only at its end cannot resume)")
    device = x0.device
    rank, world = process_group()
    shares = world * config.accumulate
    check_shares(config, x0.shape[0], shares, objective, world)
    if torch.is_autocast_enabled(device.type):
        raise RuntimeError("train was called inside torch.autocast: the whole run, its recipe's float32 included, would "
                           "compute in low precision, with copies of the weights that autocast keeps until the block "
                           "ends. Set config.precision = 'bfloat16' instead: train then wraps each step's forward pass")
    start = getattr(objective, "start", None)
    if start is not None:
        start(model, data)
    # All training randomness comes from one CPU generator, so a seed gives the same run on any device
    # (up to floating-point rounding), and with any number of processes.
    generator = torch.Generator().manual_seed(config.seed)
    # fused: one pass updates every weight tensor, instead of one pass per tensor (lesson 08).
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)
    ema = copy.deepcopy(model).requires_grad_(False) if config.ema_decay > 0 else None
    sampler_model = ema if ema is not None else model
    losses = torch.empty(config.steps)
    index_stream = Batches(x0.shape[0], config.batch_size, generator, device)
    first = 0
    if state is not None and Path(state).exists():
        first, done_losses = load_state(state, config, model, optimizer, ema, generator, index_stream)
        losses[:first] = done_losses
    network = model if world == 1 else data_parallel(model, device)
    autocast = torch.autocast(device.type, torch.bfloat16, enabled=config.precision == "bfloat16")
    model.train()
    started = time.perf_counter()
    checkpoint_seconds = 0.0
    done = first
    for step in tqdm(range(first, config.steps), disable=not progress, desc="training", mininterval=0.5,
                     initial=first, total=config.steps):
        for group in optimizer.param_groups:
            group["lr"] = _learning_rate(config, step)
        index = next(index_stream)
        batch = tuple(rows[index] for rows in data) if isinstance(data, tuple) else data[index]
        optimizer.zero_grad(set_to_none=True)
        try:
            if shares == 1:
                with autocast:
                    loss = objective(network, batch, generator)
                loss.backward()
            else:
                loss = shared_step(network, objective, batch, generator, autocast, rank, world, config.accumulate)
        except FloatingPointError as error:
            raise FloatingPointError(_diverged(step, config, x0, losses, f"the objective failed: {error}")) from error
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
        # Checked before the update: a non-finite gradient never reaches the weights.
        if not bool(torch.isfinite(loss.detach()) & torch.isfinite(grad_norm)):
            what = f"the loss became {loss.item()}" if not torch.isfinite(loss) else f"the gradient's norm became {grad_norm.item()}"
            raise FloatingPointError(_diverged(step, config, x0, losses, what))
        optimizer.step()
        if config.precision != "float32":
            # autocast drops its low-precision copies of the weights only when the outermost autocast block ends, and a
            # block around train, even a disabled one, is the outermost: without this the next step would reuse them.
            torch.clear_autocast_cache()
        if ema is not None:
            update_ema(ema, model, ema_weight(config.ema_decay, step + 1))
        losses[step] = loss.detach()
        done = step + 1
        if (every and done % every == 0) or done == config.steps:
            checkpoint_start = time.perf_counter()
            if state is not None:
                if rank == 0:
                    save_state(state, config, done, model, optimizer, ema, generator, index_stream, losses)
                if world > 1:
                    torch.distributed.barrier()
            stop = on_checkpoint is not None and on_checkpoint(done, sampler_model)
            if world > 1:
                stop = agreed(stop, device)
            checkpoint_seconds += time.perf_counter() - checkpoint_start
            if stop:
                break
    losses = losses[:done]
    if count_nonfinite(sampler_model.parameters()):
        raise FloatingPointError(_diverged(done - 1, config, x0, losses, "the weights became NaN or infinite"))
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - started - checkpoint_seconds
    return {"losses": losses, "seconds": seconds, "model": sampler_model, "online": model}


def update_ema(ema, model, weight):
    """Move each EMA weight the given share of the way to the model's (lesson 08; every process does it, lesson 22)."""
    with torch.no_grad():
        for p_ema, p in zip(ema.parameters(), model.parameters()):
            p_ema.lerp_(p, weight)


def _check_data(data, model):
    """data as train takes it: points of the model's dimension, or a tuple of them and more tensors of as many rows,
    every tensor moved to the points' device."""
    if not isinstance(data, tuple):
        return _rows("data", data, model)
    if not data or not all(isinstance(rows, torch.Tensor) for rows in data):
        raise TypeError("data must be a tensor of points or a tuple of tensors, points first (e.g. (x0, labels)), got a "
                        f"tuple of {[type(rows).__name__ for rows in data]}")
    x0 = _rows("data[0]", data[0], model)
    for k, rows in enumerate(data[1:], 1):
        if rows.ndim == 0 or rows.shape[0] != x0.shape[0]:
            raise ValueError(f"data[{k}] must have one row per point ({x0.shape[0]}), got shape {tuple(rows.shape)}")
    return (x0, *(rows.to(x0.device) for rows in data[1:]))


def _rows(name, x, model):
    """Points for a network of points; for lesson 19's network of tokens (it has K values), integer tokens."""
    if hasattr(model, "K") and isinstance(x, torch.Tensor) and not x.is_floating_point():
        return check_tokens(name, x, model.K, model.d)
    return check_points(name, x, getattr(model, "d", None))


def _diverged(step, config, x0, losses, what):
    """The error message of a diverged run: what diverged, at which step, and what to try."""
    before = f" (the loss one step before: {losses[step - 1].item():.3g})" if step > 0 else ""
    return (
        f"training diverged at step {step + 1} of {config.steps}: {what}{before}. Build a new model rather than use "
        f"this one's weights. Try a lower learning rate (lr = {config.lr:g}; lesson 08's default is {DEFAULT.lr:g}) and "
        f"data of scale about 1 (the largest |x0| here is {x0.abs().max().item():.3g})"
    )
