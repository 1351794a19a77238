"""The training loop."""

import copy
import math
import time

import torch
from tqdm.auto import tqdm

from ._checks import check_float, check_int, check_like, check_model_schedule, check_points, count_nonfinite
from ._random import noise
from .config import DEFAULT, TrainConfig
from .loss import _eps_loss, _target_loss, antithetic_steps, skewed_steps
from .model import NoisePredictor, input_scale
from .preconditioning import Preconditioned
from .weighting import loss_weights


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


def batches(n, batch_size, generator, device):
    """Endless shuffled mini-batch indices, epoch after epoch, the last batch of an epoch possibly short
    (like a shuffled DataLoader with drop_last=False). Shuffled on the CPU (generator: a CPU generator),
    moved to device. Defined in lesson 08 (training)."""
    while True:
        order = torch.randperm(n, generator=generator).to(device)
        yield from torch.split(order, batch_size)


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


def train(model, x0, schedule, config, on_checkpoint=None, every=None, progress=True, labels=None, label_dropout=0.0,
          objective=None, partners=None, augment=None):
    """Train model on the points x0 with Adam, gradient clipping and optional EMA of the weights (bias-corrected:
    helpers.ema_weight).

    The loss is L_simple (helpers.eps_loss) for config.target "eps" with weighting "own" or "eps"; otherwise the
    target's MSE weighted per step by helpers.weighting.loss_weights (lesson 14). With objective given: objective(model, x0_batch, generator) returns
    the batch's loss, and schedule is not used (lesson 12 trains with helpers.flow_loss and schedule=None). With
    partners, points paired one to one with x0 (lesson 16's reflow pairs), it is called as objective(model, x0_batch,
    generator, partners_batch).

    With augment, augment(x0_batch, generator) is the batch the loss sees, drawn afresh each step (lesson 17's
    helpers.dequantise spreads each pixel across its bin).

    With labels (one integer label per point), model is called as model(x_t, t, c) and each label is replaced by
    the null label (model.n_labels) with probability label_dropout: classifier-free guidance's training (lesson 11).

    on_checkpoint(step, sampler_model) runs every `every` steps and after the last one; sampler_model
    is the EMA copy when config.ema_decay > 0, else the model itself. If it returns True, training stops
    there. Returns a dict with the per-step losses (up to the last step run), the wall time spent outside
    on_checkpoint and the model to sample from. Defined in lesson 08 (training).
    """
    _check_config(config)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (e.g. helpers.build_model(...)), got {type(model).__name__}")
    x0 = check_points("x0", x0, getattr(model, "d", None))
    if objective is None:
        schedule = check_model_schedule(model, schedule)
        # Trained for one target, a network that records another would be read wrongly by every sampler afterwards.
        recorded = getattr(model, "predicts", config.predicts)
        if recorded != config.predicts:
            raise ValueError(f"model records that it predicts {recorded!r} and config.target {config.target!r} trains "
                             f"{config.predicts!r}: build it with helpers.build_model(config, schedule, x0)")
    if every is not None:
        check_int("every", every, 1)
    label_dropout = check_float("label_dropout", label_dropout, 0.0, 1.0, low_open=False, high_open=False)
    if labels is not None and objective is not None:
        raise ValueError("labels and objective cannot be combined")
    if labels is not None:
        labels = _check_labels(labels, x0, model)
    if augment is not None and not callable(augment):
        raise TypeError(f"augment must be a function augment(x0_batch, generator), got {type(augment).__name__}")
    if partners is not None:
        if objective is None:
            raise ValueError("partners are passed to an objective: give objective=... too")
        partners = check_like("partners", partners, x0, "x0").to(x0.device)
    device = x0.device
    # All training randomness comes from one CPU generator, so a seed gives the same run on any device
    # (up to floating-point rounding).
    generator = torch.Generator().manual_seed(config.seed)
    if objective is None:
        schedule = schedule.to(device)
        simple = config.target == "eps" and config.loss_weighting in ("own", "eps")
        if not simple:
            data_std = getattr(model, "data_std", None) or x0.std().item()
            weights = loss_weights(schedule, config.predicts, config.loss_weighting, data_std).to(device)
    # fused: one pass updates every weight tensor, instead of one pass per tensor (lesson 08).
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)
    ema = copy.deepcopy(model).requires_grad_(False) if config.ema_decay > 0 else None
    sampler_model = ema if ema is not None else model
    losses = torch.empty(config.steps)
    index_stream = batches(x0.shape[0], config.batch_size, generator, device)
    model.train()
    start = time.perf_counter()
    checkpoint_seconds = 0.0
    for step in tqdm(range(config.steps), disable=not progress, desc="training", mininterval=0.5):
        for group in optimizer.param_groups:
            group["lr"] = _learning_rate(config, step)
        index = next(index_stream)
        batch = x0[index] if augment is None else augment(x0[index], generator)
        if objective is not None:
            try:
                pair = () if partners is None else (partners[index],)
                loss = objective(model, batch, generator, *pair)
            except FloatingPointError as error:
                raise FloatingPointError(_diverged(step, config, x0, losses, f"the objective failed: {error}")) from error
        else:
            # The draws come in the order eps_loss makes them, so a seed gives the same run as lesson 06's loss.
            t = None if config.t_power == 1 else skewed_steps(index.shape[0], schedule.T, config.t_power, generator, device)
            predict = model
            if labels is not None:
                dropped = torch.rand(index.shape[0], generator=generator).to(device) < label_dropout
                c = labels[index].masked_fill(dropped, model.n_labels)
                predict = lambda xt, t: model(xt, t, c)
            if t is None:
                t = antithetic_steps(index.shape[0], schedule.T, generator, device)
            eps = noise((index.shape[0], x0.shape[1]), generator, device, x0.dtype)
            if simple:
                loss = _eps_loss(predict, batch, schedule, t, eps)
            else:
                loss = _target_loss(predict, batch, schedule, t, eps, config.predicts, weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
        # Checked before the update: a non-finite gradient never reaches the weights.
        if not bool(torch.isfinite(loss.detach()) & torch.isfinite(grad_norm)):
            what = f"the loss became {loss.item()}" if not torch.isfinite(loss) else f"the gradient's norm became {grad_norm.item()}"
            raise FloatingPointError(_diverged(step, config, x0, losses, what))
        optimizer.step()
        if ema is not None:
            with torch.no_grad():
                weight = ema_weight(config.ema_decay, step + 1)
                for p_ema, p in zip(ema.parameters(), model.parameters()):
                    p_ema.lerp_(p, weight)
        losses[step] = loss.detach()
        done = step + 1
        if on_checkpoint is not None and ((every and done % every == 0) or done == config.steps):
            checkpoint_start = time.perf_counter()
            stop = on_checkpoint(done, sampler_model)
            checkpoint_seconds += time.perf_counter() - checkpoint_start
            if stop:
                losses = losses[:done]
                break
    if count_nonfinite(sampler_model.parameters()):
        raise FloatingPointError(_diverged(done - 1, config, x0, losses, "the weights became NaN or infinite"))
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start - checkpoint_seconds
    return {"losses": losses, "seconds": seconds, "model": sampler_model}


def _check_labels(labels, x0, model):
    """One integer label in [0, model.n_labels) per point of x0, as a long tensor on x0's device."""
    n_labels = getattr(model, "n_labels", None)
    if n_labels is None:
        raise TypeError(f"labels need a conditional network (helpers.ConditionalNoisePredictor), got {type(model).__name__}")
    if not isinstance(labels, torch.Tensor) or labels.shape != (x0.shape[0],) or labels.is_floating_point() \
            or labels.is_complex() or labels.dtype == torch.bool:
        raise ValueError(f"labels must be an integer tensor of shape ({x0.shape[0]},), got {labels!r:.80}")
    if labels.min() < 0 or labels.max() >= n_labels:
        raise ValueError(f"labels must be in [0, {n_labels}), got values from {int(labels.min())} to {int(labels.max())}")
    return labels.long().to(x0.device)


def _diverged(step, config, x0, losses, what):
    """The error message of a diverged run: what diverged, at which step, and what to try."""
    before = f" (the loss one step before: {losses[step - 1].item():.3g})" if step > 0 else ""
    return (
        f"training diverged at step {step + 1} of {config.steps}: {what}{before}. Build a new model rather than use "
        f"this one's weights. Try a lower learning rate (lr = {config.lr:g}; lesson 08's default is {DEFAULT.lr:g}) and "
        f"data of scale about 1 (the largest |x0| here is {x0.abs().max().item():.3g})"
    )
