"""One to four steps (lesson 16): the grids students sample on, and the objectives of progressive distillation,
consistency distillation and consistency training. Reflow is lesson 12's flow_loss on the teacher's pairs.

Every student here predicts x0 (helpers.Preconditioned, lesson 14) and samples by DDIM with target 'x0' on
student_steps(schedule, k): k steps, k evaluations, and the step arithmetic is sampling/ddim.py's. The noisy point at
step t is x_t = a_t x_0 + b_t eps with a_t = sqrt(alpha_bar_t) and b_t = sqrt(1 - alpha_bar_t); each grid ends at the
data itself, alpha_bar = 1.
"""

import copy

import torch

from .._checks import check_float, check_generator, check_int, check_loss, check_points
from .._random import noise
from ..process.schedules import check_model_schedule, check_schedule
from ..process.targets import read_as
from ..sampling.solve import _ddim_step
from ..sampling.solvers import grid_steps
from ..training.config import TrainConfig

# The finest grid: lesson 15's shifted grid of 32 steps. Every student's grid is a subset of it.
FINEST = 32


def student_steps(schedule, n_steps):
    """The n_steps-step grid: every (FINEST / n_steps)-th step of grid_steps(schedule, FINEST, 'shift'), from step
    T - 1 down. Halving n_steps keeps every other step, so each grid lies inside the one twice as fine, which
    progressive distillation needs. n_steps: a power of two up to FINEST. Defined in lesson 16 (one step)."""
    schedule = check_schedule(schedule)
    if schedule.T < FINEST:
        raise ValueError(f"schedule must have T >= {FINEST} steps (the students' grids are {FINEST} of its steps), got "
                         f"T = {schedule.T}")
    n_steps = check_int("n_steps", n_steps, 1, FINEST + 1)
    if FINEST % n_steps:
        raise ValueError(f"n_steps must divide {FINEST} (1, 2, 4, 8, 16 or 32), got {n_steps}")
    return grid_steps(schedule, FINEST, "shift")[:: FINEST // n_steps]


def _levels(schedule, steps):
    """alpha_bar at grid points 0..len(steps), the last one the data (alpha_bar = 1), float64."""
    return torch.cat([schedule.alpha_bar.cpu().double()[steps], torch.ones(1, dtype=torch.float64)])


def _x0_hat(model, x, t, alpha_bar):
    """A network's prediction of x0 at steps t (one per point; alpha_bar theirs, shape (n, 1)): its own output if it
    predicts x0, else the x0 its eps implies."""
    out = model(x, t)
    if getattr(model, "predicts", "eps") == "x0":
        return out
    return (x - (1 - alpha_bar).sqrt() * out) / alpha_bar.sqrt()


def _move(x, x0_hat, alpha_bar_t, alpha_bar_s):
    """DDIM's deterministic step from alpha_bar_t to alpha_bar_s (per point) with prediction x0_hat."""
    eps_hat = (x - alpha_bar_t.sqrt() * x0_hat) / (1 - alpha_bar_t).sqrt()
    return _ddim_step(x, eps_hat, alpha_bar_t, alpha_bar_s, x0_hat=x0_hat)


def _check_student(student, schedule):
    if not isinstance(student, torch.nn.Module) or getattr(student, "predicts", None) != "x0":
        raise TypeError("the student must predict x0, e.g. helpers.Preconditioned(helpers.NoisePredictor(..., "
                        f"predicts='edm'), schedule, data_std), got {type(student).__name__}")
    return check_model_schedule(student, schedule)


def progressive_objective(teacher, schedule, n_steps):
    """The loss of one round of progressive distillation (Salimans & Ho 2022, Algorithm 2): a student of n_steps
    steps learns to cover two of the teacher's steps (its grid student_steps(schedule, 2 n_steps)) in one.

    From x_t, the teacher takes two DDIM steps, through t' to t''; the student's target is the x0 whose single DDIM
    step from t lands on the same point: x~ = (x_t'' - (b_t''/b_t) x_t) / (a_t'' - (b_t''/b_t) a_t), which is x_t''
    itself where t'' is the data. The squared error is weighted by max(SNR, 1), their "truncated SNR" weighting.
    Returns objective(student, x0, generator) for helpers.train. Defined in lesson 16 (one step).
    """
    schedule = check_schedule(schedule)
    n_steps = check_int("n_steps", n_steps, 1, FINEST // 2 + 1)
    steps, fine = student_steps(schedule, n_steps), student_steps(schedule, 2 * n_steps)
    levels, fine_levels = _levels(schedule, steps), _levels(schedule, fine)
    check_model_schedule(teacher, schedule)
    read_as(teacher, None, ("eps", "x0"), "progressive_objective's teacher")
    teacher.eval()

    def objective(student, x0, generator):
        _check_student(student, schedule)
        x0 = check_points("x0", x0)
        generator = check_generator(generator)
        i = torch.randint(n_steps, (x0.shape[0],), generator=generator)
        eps = noise(x0.shape, generator, x0.device, x0.dtype)
        ab_t, ab_mid, ab_end = (v[j].reshape(-1, 1).to(x0) for v, j in
                                ((levels, i), (fine_levels, 2 * i + 1), (levels, i + 1)))
        t, t_mid = steps[i].to(x0.device), fine[2 * i + 1].to(x0.device)
        x_t = ab_t.sqrt() * x0 + (1 - ab_t).sqrt() * eps
        with torch.no_grad():
            x_mid = _move(x_t, _x0_hat(teacher, x_t, t, ab_t), ab_t, ab_mid)
            x_end = _move(x_mid, _x0_hat(teacher, x_mid, t_mid, ab_mid), ab_mid, ab_end)
            ratio = ((1 - ab_end) / (1 - ab_t)).sqrt()
            target = (x_end - ratio * x_t) / (ab_end.sqrt() - ratio * ab_t.sqrt())
        weight = (ab_t / (1 - ab_t)).clamp(min=1)
        return check_loss((weight * (student(x_t, t) - target) ** 2).mean(), x0)

    return objective


class ConsistencyObjective:
    """The consistency loss (Song et al. 2023, eq. 7 for CD, eq. 10 for CT, with lambda = 1 and the squared L2
    distance) on the FINEST grid and the data: ||f_theta(x_far, far) - f_target(x_near, near)||^2, for a random pair
    of neighbouring grid points, far the noisier (their t_{n+1}) and near the next one towards the data (their t_n).

    With a teacher (consistency distillation, their Algorithm 2), x_near is one DDIM step of the teacher from x_far: an
    ODE solver's step. Without one (consistency training, Algorithm 3), x_near = a_near x_0 + b_near z with the same x_0
    and z that made x_far = a_far x_0 + b_far z. At the data f is the identity (the boundary condition). f_target is an
    exponential moving average of the student (decay mu), updated once per call before the loss: their
    theta^- <- mu theta^- + (1 - mu) theta after each optimiser step. Called as objective(student, x0, generator) by
    helpers.train. Defined in lesson 16 (one step).
    """

    def __init__(self, schedule, teacher=None, mu=0.95):
        self.schedule = check_schedule(schedule)
        self.steps = student_steps(self.schedule, FINEST)
        self.levels = _levels(self.schedule, self.steps)
        self.mu = check_float("mu", mu, 0.0, 1.0, low_open=False)
        if teacher is not None:
            check_model_schedule(teacher, self.schedule)
            read_as(teacher, None, ("eps", "x0"), "ConsistencyObjective's teacher")
            teacher.eval()
        self.teacher, self.target, self.student = teacher, None, None

    def _f(self, net, x, n):
        """f(x, grid point n): the network's x0, or x itself at the data (n = FINEST)."""
        at_data = (n == FINEST).reshape(-1, 1).to(x.device)
        out = net(x, self.steps[n.clamp(max=FINEST - 1)].to(x.device))
        return torch.where(at_data, x, out)

    def __call__(self, student, x0, generator):
        _check_student(student, self.schedule)
        x0 = check_points("x0", x0)
        generator = check_generator(generator)
        if self.student is not None and student is not self.student:
            # The EMA target follows one student: another one would learn towards the first one's weights.
            raise ValueError("this ConsistencyObjective already trains another student (its EMA target follows that "
                             "one): make a new ConsistencyObjective for each student")
        if self.target is None:
            self.target, self.student = copy.deepcopy(student).requires_grad_(False), student
        else:
            with torch.no_grad():
                for p_target, p in zip(self.target.parameters(), student.parameters()):
                    p_target.lerp_(p, 1 - self.mu)
        n = torch.randint(FINEST, (x0.shape[0],), generator=generator)
        z = noise(x0.shape, generator, x0.device, x0.dtype)
        ab_far, ab_near = self.levels[n].reshape(-1, 1).to(x0), self.levels[n + 1].reshape(-1, 1).to(x0)
        x_far = ab_far.sqrt() * x0 + (1 - ab_far).sqrt() * z
        t_far = self.steps[n].to(x0.device)
        with torch.no_grad():
            if self.teacher is None:
                x_near = ab_near.sqrt() * x0 + (1 - ab_near).sqrt() * z
            else:
                x_near = _move(x_far, _x0_hat(self.teacher, x_far, t_far, ab_far), ab_far, ab_near)
            target = self._f(self.target, x_near, n + 1)
        return check_loss(((student(x_far, t_far) - target) ** 2).mean(), x0)


# The course's student recipe (lesson 16; tools/make_students.py): one round of progressive distillation. Consistency
# models and reflow train for CONSISTENCY_STEPS at the same settings, about half the time of PD's five rounds.
DISTILL = TrainConfig(steps=1000, batch_size=1024, lr=2e-3, lr_schedule="cosine", warmup_steps=100)
CONSISTENCY_STEPS = 3000
