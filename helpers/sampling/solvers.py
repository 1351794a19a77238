"""Fast solvers (lesson 15): DPM-Solver-2 and -3, DPM-Solver++(2M), their time grids, and a Langevin corrector.

The probability-flow ODE is linear in x apart from the network's term. Written in the half log-SNR
lambda/2 = log(sqrt(alpha_bar) / sqrt(1 - alpha_bar)), its linear part is solved exactly and only the network's term
is approximated: an exponential integrator (Lu et al. 2022, eq. 3.4). Its first-order member is DDIM with eta = 0 (their
section 4.1), so every step here is lesson 10's DDIM update (helpers.ddim_step) with a combined prediction in place of
eps_theta(x_t) or x0_hat: DDIM's step is linear in both, and a higher order only changes what goes in.

With h = (lambda_s - lambda_t) / 2 and r the fraction of h at which an intermediate stage sits:
- DPM-Solver-2 (Lu et al. 2022, Algorithm 4, the general form of their Algorithm 1, which fixes r = 1/2; the stage at
  any fraction r): eps_t + (eps_u - eps_t) / (2 r), eps_u at a DDIM step to the stage;
- DPM-Solver-3 (their Algorithm 2 puts the stages at r1 = 1/3, r2 = 2/3; here at any r1 < r2, as their code allows): two
  stages, combined as _stage_weight says; third order only with r2 = 2/3 (an even grid gives 1/3 and 2/3), second order
  elsewhere;
- DPM-Solver++(2M) (Lu et al. 2022b, Algorithm 2): x0_hat replaced by (1 + 1/(2 r)) x0_k - x0_{k-1} / (2 r), r the ratio
  of the previous step's h to this one's; one evaluation per step, the previous one reused.
"""

import math

import torch

from .._checks import check_eps_fn, check_float, check_generator, check_int, check_points
from .._random import noise
from ..process.flows import alpha_bar_of, flow_time, shift_times
from ..process.schedules import check_schedule
from ..process.targets import x0_and_eps
from .ddim import _check_grid, _ddim_step, timesteps
from .grid import run_grid

SOLVERS = ("dpm2", "dpm3", "dpm++2m", "pc")
GRIDS = ("t", "lambda", "karras", "shift")
KARRAS_RHO = 7.0  # Karras et al. 2022, eq. 5: their choice for every data set
SHIFT = 1 / 8  # lesson 12's best grid for DDIM (docs/decisions.md, "Flow matching against DDPM")
PC_KAPPA = 0.16  # Song et al. 2021 call it "snr"; their CIFAR-10 VE-SDE value; benchmarks/fast_solvers.py tries others


def half_log_snr(alpha_bar):
    """lambda / 2 = log(sqrt(alpha_bar / (1 - alpha_bar))) for alpha_bar in (0, 1): DPM-Solver's time (Lu et al. 2022
    call it lambda). Defined in lesson 15 (fast solvers)."""
    alpha_bar = check_float("alpha_bar", alpha_bar, 0.0, 1.0)
    return _half_log_snr(alpha_bar)


def _half_log_snr(alpha_bar):
    return 0.5 * (math.log(alpha_bar) - math.log1p(-alpha_bar))


def _stage_weight(h, r):
    """(phi_1(r h) - 1) / expm1(r h), phi_1(z) = expm1(z) / z: DPM-Solver-3's weight of a difference of eps, relative to
    DDIM's eps coefficient (Lu et al. 2022, Algorithm 2); the caller multiplies it by r2 / r1 (second stage) or 1 / r2."""
    z = r * h
    return (math.expm1(z) / z - 1) / math.expm1(z)


def _singlestep(eps_fn, ab):
    """DPM-Solver-2 or -3's step over one segment of the grid: its inner grid points are its stages, one or two."""
    def ddim(x, eps, i, j):
        return _ddim_step(x, eps, ab[i], ab[j])

    def step(x, segment):
        i, stages, j = segment
        eps_i = eps_fn(x, i)
        if ab[j] == 1 or not stages:
            return ddim(x, eps_i, i, j)  # x_0 has no log-SNR: the last step, into alpha_bar = 1, is DDIM's
        lam = [_half_log_snr(ab[k]) for k in (i, *stages, j)]
        h = lam[-1] - lam[0]
        r = [(value - lam[0]) / h for value in lam[1:-1]]
        d1 = eps_fn(ddim(x, eps_i, i, stages[0]), stages[0]) - eps_i
        if len(stages) == 1:
            return ddim(x, eps_i + d1 / (2 * r[0]), i, j)
        r1, r2 = r
        u2 = ddim(x, eps_i + (r2 / r1) * _stage_weight(h, r2) * d1, i, stages[1])
        d2 = eps_fn(u2, stages[1]) - eps_i
        return ddim(x, eps_i + _stage_weight(h, 1.0) * d2 / r2, i, j)

    return step


def _segments(n_points, order, last_is_data):
    """Split grid points 0 .. n_points - 1 into (start, stages, end) segments of `order` intervals each; the intervals
    left over take a lower order, and a last interval into x_0 is a segment of its own."""
    n_intervals = n_points - 1 - last_is_data
    segments, k = [], 0
    while k < n_intervals:
        width = min(order, n_intervals - k)
        segments.append((k, tuple(range(k + 1, k + width)), k + width))
        k += width
    if last_is_data:
        segments.append((n_points - 2, (), n_points - 1))
    return segments


def _multistep(predict, ab):
    """The step function of DPM-Solver++(2M): x0_hat extrapolated from this point's and the previous point's."""
    previous = None  # the last grid point's x0_hat (run_grid steps through k = 0, 1, ... in order)

    def step(x, k):
        nonlocal previous
        x0_hat, eps = predict(x, k)
        combined = x0_hat
        if k > 0 and ab[k + 1] < 1:  # the first step, and the last into x_0, are first order
            h = _half_log_snr(ab[k + 1]) - _half_log_snr(ab[k])
            r = (_half_log_snr(ab[k]) - _half_log_snr(ab[k - 1])) / h
            combined = (1 + 1 / (2 * r)) * x0_hat - previous / (2 * r)
        previous = x0_hat
        b = (1 - ab[k]) ** 0.5
        return _ddim_step(x, (x - ab[k] ** 0.5 * combined) / b, ab[k], ab[k + 1], x0_hat=combined)

    return step


def _predictor_corrector(eps_fn, ab, kappa, generator):
    def step(x, k):
        x = _ddim_step(x, eps_fn(x, k), ab[k], ab[k + 1])
        if ab[k + 1] == 1:
            return x
        return _langevin(lambda x: eps_fn(x, k + 1), x, ab[k + 1], 1, kappa, generator)

    return step


def dpm_solve(eps_fn, x, alpha_bar, solver="dpm++2m", keep_chain=False, target="eps", generator=None, kappa=PC_KAPPA):
    """Move x along an increasing grid of alpha_bar values (float64, in (0, 1]; a last 1 means x_0) with a DPM-Solver.

    eps_fn(x, k) predicts eps (or target 'x0' or 'v', lesson 14) at grid point k. 'dpm2' and 'dpm3' are single-step:
    every 2 (3) intervals form one step whose inner grid points are its stages, at the fractions r of the step in
    lambda where they sit; 'dpm++2m' takes one evaluation per interval. Each evaluates the network once per grid point
    except the last. 'pc' is a predictor-corrector sampler (Song et al. 2021, App. G): a DDIM step, then one
    Langevin step (helpers.langevin, with kappa and generator) at every grid point it lands on except x_0: two evaluations
    per grid point, one at the first and none at the last. Returns the last x, or with keep_chain every state the steps
    land on. Called by helpers.solve. Defined in lesson 15 (fast solvers).
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {list(SOLVERS)}, got {solver!r}")
    x = check_eps_fn(eps_fn, x, target)
    generator = check_generator(generator)
    kappa = check_float("kappa", kappa, 0.0, float("inf"))
    alpha_bar = _check_grid(alpha_bar)
    if not (alpha_bar[1:] > alpha_bar[:-1]).all():
        raise ValueError(f"solver {solver!r} needs alpha_bar strictly increasing (it samples, it never inverts)")
    ab = alpha_bar.tolist()

    def predict(x, k):
        return tuple(u.to(x.dtype) for u in x0_and_eps(eps_fn(x, k), x, ab[k], target))

    if solver == "dpm++2m":
        return run_grid(_multistep(predict, ab), x, len(ab) - 1, keep_chain)
    if solver == "pc":
        return run_grid(_predictor_corrector(lambda x, k: predict(x, k)[1], ab, kappa, generator), x, len(ab) - 1,
                        keep_chain)
    segments = _segments(len(ab), 2 if solver == "dpm2" else 3, ab[-1] == 1)
    step = _singlestep(lambda x, k: predict(x, k)[1], ab)
    return run_grid(lambda x, m: step(x, segments[m]), x, len(segments), keep_chain)


def grid_alpha_bar(schedule, n, grid="lambda"):
    """n alpha_bar values (float64) from the schedule's last step to its first, spaced evenly in the grid's own time.

    'lambda': in the log-SNR (Lu et al. 2022, section 3.3); 't': in the step index, linearly interpolated between steps;
    'karras': in nu^(1/rho), nu = sqrt((1 - alpha_bar) / alpha_bar) and rho = 7 (Karras et al. 2022, eq. 5); 'shift':
    lesson 12's flow time s, shifted by c = 1/8 towards the data (helpers.shift_times). Defined in lesson 15.
    """
    schedule = check_schedule(schedule)
    n = check_int("n", n, 2)
    if grid not in GRIDS:
        raise ValueError(f"grid must be one of {list(GRIDS)}, got {grid!r}")
    ab = schedule.alpha_bar.double().cpu()
    first, last = ab[0].item(), ab[-1].item()
    if last == 0 and grid in ("lambda", "karras"):
        raise ValueError(f"grid {grid!r} is even in a time that is infinite at alpha_bar = 0, where this schedule ends "
                         "(zero terminal SNR): use grid 't' or 'shift'")
    u = torch.linspace(1, 0, n, dtype=torch.float64)  # 1 at the last (noisiest) step, 0 at the first
    if grid == "t":
        position = u * (schedule.T - 1)
        low = position.floor().long().clamp(max=schedule.T - 2) if schedule.T > 1 else position.long()
        frac = position - low
        log_ab = ab.log()
        return (log_ab[low] + frac * (log_ab[(low + 1).clamp(max=schedule.T - 1)] - log_ab[low])).exp()
    if grid == "lambda":
        lam = 2 * _half_log_snr(first) + u * 2 * (_half_log_snr(last) - _half_log_snr(first))
        return torch.sigmoid(lam)
    if grid == "karras":
        nu_first, nu_last = ((1 - first) / first) ** (0.5 / KARRAS_RHO), ((1 - last) / last) ** (0.5 / KARRAS_RHO)
        nu = (nu_first + u * (nu_last - nu_first)) ** KARRAS_RHO
        return 1 / (1 + nu**2)
    s_first, s_last = flow_time(torch.tensor(first, dtype=torch.float64)), flow_time(torch.tensor(last, dtype=torch.float64))
    return alpha_bar_of(s_first + (s_last - s_first) * shift_times(u, SHIFT))


def grid_steps(schedule, n, grid="lambda"):
    """n distinct 0-based steps, from T - 1 down to 0, for a network that knows only whole steps: grid 't' is lesson
    10's helpers.timesteps; the others take the step nearest in log-SNR to each of grid_alpha_bar's values, and where
    two values meet one step, the one nearer the noise moves up to the next free step. Defined in lesson 15.
    """
    schedule = check_schedule(schedule)
    if schedule.T < 2:
        raise ValueError("the schedule has T = 1 step, and a grid needs at least 2 distinct steps: use a longer schedule")
    n = check_int("n", n, 2, schedule.T + 1)
    if grid == "t":
        return timesteps(n, schedule.T)
    lam = schedule.log_snr.double().cpu()
    wanted = torch.logit(grid_alpha_bar(schedule, n, grid))
    steps = (lam.unsqueeze(0) - wanted.unsqueeze(1)).abs().argmin(1).tolist()
    for k in range(n - 2, -1, -1):  # from the data end: distinct, decreasing, and room left for the steps before
        steps[k] = min(max(steps[k], steps[k + 1] + 1), schedule.T - 1 - k)
    return torch.tensor(steps)


def langevin(eps_fn, x, alpha_bar, n_steps, kappa=PC_KAPPA, generator=None):
    """n_steps of Langevin dynamics x <- x + delta score + sqrt(2 delta) z at one noise level, score = -eps / b.

    The step delta = 2 (kappa |z| / |score|)^2, norms averaged over the points: the corrector of Song et al. 2021 (App. G),
    without its factor alpha_i = 1 - beta_i; kappa = 0.16 is their value for CIFAR-10 with the VE SDE. It leaves q_t unchanged
    only as delta -> 0: for Gaussian q_t of variance v, run to stationarity, it settles at variance v (1 + kappa^2), so it
    repairs x's distribution towards q_t up to a bias of order kappa^2.
    eps_fn(x) predicts eps at this level. Defined in lesson 15 (fast solvers).
    """
    if not callable(eps_fn):
        raise TypeError(f"eps_fn must be a function eps_fn(x), got {type(eps_fn).__name__}")
    x = check_points("x", x, d=None)
    n_steps = check_int("n_steps", n_steps, 0)
    alpha_bar = check_float("alpha_bar", alpha_bar, 0.0, 1.0)
    kappa = check_float("kappa", kappa, 0.0, float("inf"))
    return _langevin(eps_fn, x, alpha_bar, n_steps, kappa, check_generator(generator))


def _langevin(eps_fn, x, alpha_bar, n_steps, kappa, generator):
    b = (1 - alpha_bar) ** 0.5
    for _ in range(n_steps):
        score = -eps_fn(x) / b
        z = noise(x.shape, generator, x.device, x.dtype)
        size = score.norm(dim=1).mean()
        if not size > 0:
            raise FloatingPointError(f"eps_fn returned {size.item() * b} for every point: the step 2 (kappa |z| / |score|)^2 "
                                     "needs a score that is not 0 everywhere")
        delta = 2 * (kappa * z.norm(dim=1).mean() / size) ** 2
        x = x + delta * score + (2 * delta) ** 0.5 * z
    return x
