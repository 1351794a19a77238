"""Lesson 16's grids and objectives, each checked by a route that does not share its code: DDIM's step solved for its x0
numerically, the pairs the objectives build read back from a recording network, closed forms for Gaussian data, and
paths whose straightness is known."""

import math

import pytest
import torch

import helpers
from helpers.objectives.distill import FINEST

LESSONS = ("16",)
SCHEDULE = helpers.sigmoid_schedule(100)
AB = SCHEDULE.alpha_bar.double()
MEAN, STD = torch.tensor([0.05, -0.03], dtype=torch.float64), 0.1


class GaussianEps(torch.nn.Module):
    """The exact eps* at step t for data N(MEAN, STD^2 I): sqrt(1 - ab) (x - sqrt(ab) MEAN) / (ab STD^2 + 1 - ab)."""
    T = SCHEDULE.T

    def forward(self, x, t):
        ab = AB[torch.as_tensor(t)].reshape(-1, 1).to(x)
        return (1 - ab).sqrt() * (x - ab.sqrt() * MEAN.to(x)) / (ab * STD**2 + 1 - ab)


def gaussian_flow(x, ab_from, ab_to=1.0, std=STD):
    """The exact ODE map for Gaussian data: the standardised point keeps its value."""
    scale = lambda ab: (ab * std**2 + 1 - ab) ** 0.5  # noqa: E731
    return ab_to**0.5 * MEAN + (x - ab_from**0.5 * MEAN) * scale(ab_to) / scale(ab_from)


class Recorder(torch.nn.Module):
    """An x0-'student' that returns its input and remembers every (x, t) it was called with."""
    predicts, T = "x0", SCHEDULE.T

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
        self.calls = []

    def forward(self, x, t):
        self.calls.append((x.detach().clone(), torch.as_tensor(t).expand(len(x)).clone()))
        return x + 0 * self.weight


def gaussian_points(n, seed=0):
    return MEAN + STD * torch.randn(n, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def test_student_grids_nest():
    fine = helpers.grid_steps(SCHEDULE, FINEST, "shift").tolist()
    assert helpers.student_steps(SCHEDULE, FINEST).tolist() == fine
    for n in (1, 2, 4, 8, 16):
        coarse, finer = helpers.student_steps(SCHEDULE, n).tolist(), helpers.student_steps(SCHEDULE, 2 * n).tolist()
        assert len(coarse) == n and coarse[0] == SCHEDULE.T - 1 and set(coarse) <= set(finer)
        # Between two neighbours of the coarse grid lies exactly one point of the finer one.
        assert finer[::2] == coarse
    with pytest.raises(ValueError, match="divide"):
        helpers.student_steps(SCHEDULE, 3)


def solved_x0(x_t, x_end, ab_t, ab_end):
    """The x0 with ddim_step(x_t, eps(x0), ab_t, ab_end) = x_end, found from the step's values at x0 = 0 and x0 = 1:
    the step is affine in x0 with one slope for both coordinates."""
    def step(guess):
        return helpers.ddim_step(x_t, (x_t - ab_t**0.5 * guess) / (1 - ab_t) ** 0.5, ab_t, ab_end)
    at_zero, at_one = step(torch.zeros_like(x_t)), step(torch.ones_like(x_t))
    return (x_end - at_zero) / (at_one - at_zero)


class SolvedStudent(torch.nn.Module):
    """Predicts exactly progressive distillation's target for the Gaussian teacher: two DDIM steps of the teacher by
    helpers.ddim_step, then DDIM's step solved for x0 (solved_x0)."""
    predicts, T = "x0", SCHEDULE.T

    def __init__(self, n_steps, offset=0.0):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
        self.coarse = helpers.student_steps(SCHEDULE, n_steps).tolist() + [None]
        self.fine = helpers.student_steps(SCHEDULE, 2 * n_steps).tolist() + [None]
        self.offset, self.teacher = offset, GaussianEps()

    def forward(self, x, t):
        out = torch.empty_like(x)
        for step in torch.as_tensor(t).unique().tolist():
            rows = torch.as_tensor(t) == step
            mid, end = self.fine[self.fine.index(step) + 1], self.coarse[self.coarse.index(step) + 1]
            ab_t, ab_mid, ab_end = AB[step].item(), AB[mid].item(), 1.0 if end is None else AB[end].item()
            x_mid = helpers.ddim_step(x[rows], self.teacher(x[rows], step), ab_t, ab_mid)
            x_end = helpers.ddim_step(x_mid, self.teacher(x_mid, mid), ab_mid, ab_end)
            out[rows] = solved_x0(x[rows], x_end, ab_t, ab_end)
        return out + self.offset + 0 * self.weight


@pytest.mark.parametrize("n_steps", [1, 4])
def test_progressive_objective_is_zero_at_its_target(n_steps):
    objective = helpers.progressive_objective(GaussianEps(), SCHEDULE, n_steps)
    x0 = gaussian_points(512)
    assert objective(SolvedStudent(n_steps), x0, torch.Generator().manual_seed(1)).item() < 1e-20
    # An error of 0.01 in both coordinates costs the mean weight max(SNR, 1) times 1e-4.
    assert objective(SolvedStudent(n_steps, 0.01), x0, torch.Generator().manual_seed(1)).item() > 1e-4


def pairs(objective, x0):
    """The (far, near) points an objective builds, read from what the student and its target were called with."""
    student = Recorder()
    objective(student, x0, torch.Generator().manual_seed(3))
    (x_far, t_far), = student.calls
    (x_near, _), = objective.target.calls[-1:]
    return x_far, t_far, x_near


def test_consistency_training_reuses_x0_and_noise():
    x0 = gaussian_points(2000)
    x_far, t_far, x_near = pairs(helpers.ConsistencyObjective(SCHEDULE), x0)
    steps = helpers.student_steps(SCHEDULE, FINEST).tolist()
    ab_far = AB[t_far].reshape(-1, 1)
    ab_near = torch.tensor([AB[steps[steps.index(t) + 1]].item() if t else 1.0 for t in t_far.tolist()],
                           dtype=torch.float64).reshape(-1, 1)
    z_far = (x_far - ab_far.sqrt() * x0) / (1 - ab_far).sqrt()
    inner = t_far > 0
    z_near = (x_near[inner] - ab_near[inner].sqrt() * x0[inner]) / (1 - ab_near[inner]).sqrt()
    assert torch.allclose(z_far[inner], z_near, atol=1e-9)
    # At the last pair the near point is the data itself.
    assert torch.allclose(x_near[~inner], x0[~inner], atol=1e-12) and (~inner).any()
    assert 1.5 < t_far.double().std() / 10 and len(set(t_far.tolist())) == FINEST


def test_consistency_distillation_takes_the_teachers_ddim_step():
    x0 = gaussian_points(1000)
    x_far, t_far, x_near = pairs(helpers.ConsistencyObjective(SCHEDULE, GaussianEps()), x0)
    steps = helpers.student_steps(SCHEDULE, FINEST).tolist() + [None]
    for t in (steps[0], steps[10], 0):
        rows = t_far == t
        near = steps[steps.index(t) + 1]
        ab_near = 1.0 if near is None else AB[near].item()
        want = helpers.ddim_step(x_far[rows], GaussianEps()(x_far[rows], t), AB[t].item(), ab_near)
        assert torch.allclose(x_near[rows], want, atol=1e-10)


def test_consistency_distillation_is_nearly_zero_at_the_exact_map():
    """For Gaussian data the consistency function is gaussian_flow; CD's loss there is DDIM's one-step error only."""
    class Exact(Recorder):
        def forward(self, x, t):
            ab = AB[torch.as_tensor(t)].reshape(-1, 1)
            return gaussian_flow(x, ab) + 0 * self.weight

    class Off(Recorder):
        """The flow map of data with a 20 % larger spread: consistent along its own paths, not the teacher's."""
        def forward(self, x, t):
            ab = AB[torch.as_tensor(t)].reshape(-1, 1)
            return gaussian_flow(x, ab, std=1.2 * STD) + 0 * self.weight

    x0 = gaussian_points(1000)
    at_truth = helpers.ConsistencyObjective(SCHEDULE, GaussianEps())(Exact(), x0, torch.Generator().manual_seed(4)).item()
    off = helpers.ConsistencyObjective(SCHEDULE, GaussianEps())(Off(), x0, torch.Generator().manual_seed(4)).item()
    assert at_truth < 1e-7 and off > 10 * at_truth


def test_consistency_anchor_is_the_identity():
    objective = helpers.ConsistencyObjective(SCHEDULE)
    x = gaussian_points(10)
    n = torch.full((10,), FINEST)
    assert torch.equal(objective._f(lambda x, t: x * 0 + 7, x, n), x)
    assert torch.equal(objective._f(lambda x, t: x * 0 + 7, x, n - 1), x * 0 + 7)


def test_consistency_target_is_a_moving_average():
    objective = helpers.ConsistencyObjective(SCHEDULE, mu=0.9)
    student, x0 = Recorder(), gaussian_points(8)
    objective(student, x0, torch.Generator().manual_seed(0))
    assert objective.target.weight.item() == 0.0
    with torch.no_grad():
        student.weight.fill_(1.0)
    objective(student, x0, torch.Generator().manual_seed(0))
    with torch.no_grad():
        student.weight.fill_(3.0)
    objective(student, x0, torch.Generator().manual_seed(0))
    # theta^- = 0.9 (0.9 * 0 + 0.1 * 1) + 0.1 * 3
    assert objective.target.weight.item() == pytest.approx(0.9 * 0.1 + 0.3, abs=1e-12)


def test_objectives_refuse_an_eps_student():
    eps_net = helpers.NoisePredictor(SCHEDULE.T, 16)
    with pytest.raises(TypeError, match="predict x0"):
        helpers.ConsistencyObjective(SCHEDULE)(eps_net, gaussian_points(4).float(), None)
    with pytest.raises(TypeError, match="predict x0"):
        helpers.progressive_objective(GaussianEps(), SCHEDULE, 2)(eps_net, gaussian_points(4).float(), None)


def test_train_hands_each_point_its_partner():
    x0 = helpers.s_curve(500)
    seen = []

    def objective(net, batch, generator):
        x, partner = batch
        assert torch.equal(partner, 2 * x + 1)
        seen.append(len(x))
        return helpers.flow_loss(net, x, generator=generator, eps=partner)

    config = helpers.TrainConfig(steps=6, batch_size=128)
    helpers.train(helpers.VelocityPredictor(8), (x0, 2 * x0 + 1), objective, config, progress=False)
    assert len(seen) == 6
    with pytest.raises(ValueError, match="one row per point"):
        helpers.train(helpers.VelocityPredictor(8), (x0, x0[:10]), objective, config, progress=False)


def test_straightness_of_known_paths():
    times = torch.linspace(0, 1, 4001, dtype=torch.float64)
    angle = times * math.pi / 2
    quarter = torch.stack([angle.cos(), angle.sin()], -1)[:, None]
    shape, deviation = helpers.straightness(quarter, times)
    assert shape == pytest.approx(2 * math.sqrt(2) / math.pi, abs=1e-6)
    assert deviation == pytest.approx(math.pi**2 / 8 - 1, abs=1e-6)
    # A straight path at speed 2 tau, on a grid crowded near tau = 0: chord/arc 1 and deviation int (2 tau - 1)^2 = 1/3,
    # which only the time weighting of uneven intervals gets right.
    uneven = torch.linspace(0, 1, 4001, dtype=torch.float64) ** 3
    line = torch.stack([uneven**2, -(uneven**2)], -1)[:, None]
    shape, deviation = helpers.straightness(line, uneven)
    assert shape == pytest.approx(1, abs=1e-12) and deviation == pytest.approx(1 / 3, abs=1e-4)


def test_velocity_network_round_trips_through_a_file(tmp_path):
    net = helpers.VelocityPredictor(16, data_std=0.12)
    helpers.save_weights(net, tmp_path / "v.pt")
    back = helpers.load_model(tmp_path / "v.pt")
    x = helpers.s_curve(50)
    assert type(back) is helpers.VelocityPredictor and back.data_std == 0.12
    assert torch.equal(back(x, 0.3), net(x, 0.3))
    with pytest.raises(ValueError, match="different network"):
        helpers.load_weights(helpers.VelocityPredictor(32), tmp_path / "v.pt")
    with pytest.raises(ValueError, match="different network"):
        helpers.load_weights(helpers.NoisePredictor(100, 16), tmp_path / "v.pt")


def test_ddim_step_with_one_alpha_bar_per_point():
    """Lesson 16's objectives step every point at its own alpha_bar; the same as one step per point."""
    from helpers.sampling.ddim import _ddim_step

    x, eps = torch.randn(2, 30, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    ab_t, ab_s = torch.rand(30, 1, dtype=torch.float64) * 0.5 + 0.2, torch.rand(30, 1, dtype=torch.float64) * 0.2 + 0.75
    together = _ddim_step(x, eps, ab_t, ab_s)
    one_by_one = torch.cat([helpers.ddim_step(x[i:i + 1], eps[i:i + 1], ab_t[i].item(), ab_s[i].item()) for i in range(30)])
    assert torch.allclose(together, one_by_one, atol=1e-14)


def test_a_consistency_objective_follows_one_student():
    """Its EMA target is a copy of the first student it trains: a second student would learn towards the first one's
    weights in silence (issue 36), so it is refused."""
    objective = helpers.ConsistencyObjective(SCHEDULE)
    first, second, x0 = Recorder(), Recorder(), gaussian_points(8)
    objective(first, x0, torch.Generator().manual_seed(0))
    objective(first, x0, torch.Generator().manual_seed(1))
    with pytest.raises(ValueError, match="new ConsistencyObjective"):
        objective(second, x0, torch.Generator().manual_seed(0))
