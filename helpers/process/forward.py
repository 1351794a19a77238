"""The forward (noising) process q."""

from .._checks import check_generator, check_like, check_points, check_steps
from .._random import noise
from .schedules import check_schedule


def _prepare(name, x, t, schedule, eps, generator):
    """Check the inputs of a forward step; return them with t as a tensor and the noise drawn if not given."""
    x = check_points(name, x, d=None)
    schedule = check_schedule(schedule).to(x.device)
    t = check_steps("t", t, schedule.T, n=x.shape[0], device=x.device)
    if eps is None:
        eps = noise(x.shape, check_generator(generator), x.device, x.dtype)
    else:
        eps = check_like("eps", eps, x, name)
    return x, t, schedule, eps


def q_step(x_prev, t, schedule, eps=None, generator=None):
    """One forward step: x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps, eps ~ N(0, I).

    t is 0-based (an int, or one step per point); generator, if given, is a CPU generator.
    Defined in lesson 03 (forward process).
    """
    x_prev, t, schedule, eps = _prepare("x_prev", x_prev, t, schedule, eps, generator)
    beta = schedule.beta[t].unsqueeze(1)
    return (1 - beta).sqrt() * x_prev + beta.sqrt() * eps


def q_sample(x0, t, schedule, eps=None, generator=None):
    """The closed form: x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, eps ~ N(0, I).

    t is 0-based (an int, or one step per point); generator, if given, is a CPU generator.
    Defined in lesson 04 (closed form).
    """
    return _q_sample(*_prepare("x0", x0, t, schedule, eps, generator))


def _q_sample(x0, t, schedule, eps):
    """q_sample on inputs already checked (t one step per point, schedule on x0's device)."""
    return schedule.sqrt_alpha_bar[t].unsqueeze(1) * x0 + schedule.sqrt_one_minus_alpha_bar[t].unsqueeze(1) * eps
