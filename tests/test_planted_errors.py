"""Plant errors into the lessons' own checks and make sure each check fails; without the error, each passes.

The check functions are compiled from the lessons' py:percent twins (only their `def` statements run), so the
test exercises exactly the code the lessons show. Nothing is written anywhere.
"""

import ast
import copy
import dataclasses
import math
import re
import tempfile
from pathlib import Path

import jupytext
import nbformat
import numpy as np
import pytest
import torch
from scipy import stats
from scipy.integrate import solve_ivp
from sklearn.datasets import make_s_curve
from torch.distributions import MultivariateNormal, Normal, kl_divergence

import helpers

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def lesson_functions(stem):
    """The functions a lesson defines in its code cells, compiled in a namespace holding the lessons' imports."""
    namespace = {"torch": torch, "np": np, "math": math, "helpers": helpers, "stats": stats, "plt": None,
                 "kl_divergence": kl_divergence, "Normal": Normal, "MultivariateNormal": MultivariateNormal}
    for cell in jupytext.read(NOTEBOOKS / f"{stem}.py").cells:
        if cell.cell_type == "code":
            defs = [node for node in ast.parse(cell.source).body if isinstance(node, ast.FunctionDef)]
            exec(compile(ast.Module(body=defs, type_ignores=[]), f"{stem}.py", "exec"), namespace)
    return namespace


def function_source(stem, name):
    """The source of the function name as a lesson defines it, to plant an error in its text."""
    for cell in jupytext.read(NOTEBOOKS / f"{stem}.py").cells:
        if cell.cell_type == "code":
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.FunctionDef) and node.name == name:
                    return ast.get_source_segment(cell.source, node)
    raise LookupError(f"{stem} defines no function {name}")


def fails(check, *args):
    try:
        check(*args)
    except AssertionError:
        return True
    return False


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)


@pytest.fixture(scope="module")
def schedule():
    return helpers.sigmoid_schedule(100)


@pytest.fixture(scope="module")
def x0():
    return helpers.s_curve(10_000)


def shifted(alpha_bar):
    """alpha_bar_{t-1} in place of alpha_bar_t: the off-by-one."""
    return torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar[:-1]])


# Lesson 01 -----------------------------------------------------------------------------------------------------

def test_01_data_stats():
    check = lesson_functions("01_data")["check_data_stats"]
    points, _ = make_s_curve(10_000, noise=0.1, random_state=0)
    assert not fails(check, helpers.s_curve(10_000))
    assert fails(check, torch.tensor(points[:, [0, 1]] / 10, dtype=torch.float32))  # wrong column
    assert fails(check, torch.tensor(points[:, [0, 2]], dtype=torch.float32))  # division by 10 missing
    assert fails(check, torch.tensor(points[:, [0, 2]] / 10 + 0.01, dtype=torch.float32))  # shifted mean


# Lesson 02 -----------------------------------------------------------------------------------------------------

def test_02_schedule(schedule):
    check = lesson_functions("02_noise_schedule")["check_schedule"]
    alpha_bar = schedule.alpha_bar
    assert not fails(check, alpha_bar, schedule.log_snr)
    assert fails(check, shifted(alpha_bar), schedule.log_snr)  # off-by-one in alpha_bar
    assert fails(check, alpha_bar.sqrt(), schedule.log_snr)  # a stray square root
    assert fails(check, alpha_bar, torch.log(alpha_bar.sqrt() / (1 - alpha_bar)))  # amplitude, not variance
    assert fails(check, helpers.sigmoid_schedule(100, beta_max=5.05e-3).alpha_bar, schedule.log_snr)  # beta_max 1 % off


def test_02_snr(schedule, x0):
    lesson = lesson_functions("02_noise_schedule")
    check, snr = lesson["check_snr"], lesson["snr"]
    states = [x0]
    for t in range(schedule.T):
        states.append(helpers.q_step(states[-1], t, schedule))
    data_var = x0.var(dim=0)
    assert not fails(check, snr(schedule.alpha_bar, data_var), x0, states)
    assert fails(check, snr(schedule.alpha_bar, torch.ones(2)), x0, states)  # unit-variance SNR
    assert fails(check, snr(schedule.alpha_bar, data_var.sqrt()), x0, states)  # sigma_data not squared
    assert fails(check, snr(shifted(schedule.alpha_bar), data_var), x0, states)  # off-by-one in alpha_bar


def test_02_std_of_x_T(schedule, x0):
    check = lesson_functions("02_noise_schedule")["check_std"]
    a = schedule.alpha_bar[-1]
    x_T = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn_like(x0)
    predicted = (a * x0.var(dim=0) + 1 - a).sqrt()
    assert not fails(check, x_T, predicted)
    assert fails(check, x_T, predicted**2)  # variance where the std belongs
    assert fails(check, a.sqrt() * x0 + (1 - a) * torch.randn_like(x0), predicted)  # noise without its square root


# Lesson 03 -----------------------------------------------------------------------------------------------------

def test_03_variance(schedule, x0):
    lesson = lesson_functions("03_forward_process")
    check, run_chain, beta = lesson["check_variance"], lesson["run_chain"], schedule.beta
    assert not fails(check, run_chain(x0, beta, lambda x, b, e: (1 - b).sqrt() * x + b.sqrt() * e), beta)
    assert fails(check, run_chain(x0, beta, lambda x, b, e: x + b.sqrt() * e), beta)  # no shrink
    assert fails(check, run_chain(x0, beta, lambda x, b, e: (1 - b) * x + b.sqrt() * e), beta)  # shrink without sqrt
    assert fails(check, run_chain(x0, beta, lambda x, b, e: (1 - b).sqrt() * x + b * e), beta)  # noise without sqrt


# Lesson 04 -----------------------------------------------------------------------------------------------------

def closed_forms(schedule):
    a = schedule.alpha_bar
    return {
        "right": lambda x0, t, eps: a[t].sqrt() * x0 + (1 - a[t]).sqrt() * eps,
        "sqrt(alpha_bar) 1 % off": lambda x0, t, eps: 1.01 * a[t].sqrt() * x0 + (1 - a[t]).sqrt() * eps,
        "noise std 1 % off": lambda x0, t, eps: a[t].sqrt() * x0 + 1.01 * (1 - a[t]).sqrt() * eps,
        "noise without sqrt": lambda x0, t, eps: a[t].sqrt() * x0 + (1 - a[t]) * eps,
        "alpha_bar_{t-1}": lambda x0, t, eps: shifted(a)[t].sqrt() * x0 + (1 - shifted(a)[t]).sqrt() * eps,
    }


def test_04_exact_check(schedule):
    lesson = lesson_functions("04_closed_form")
    check = lesson["check_closed_form"]
    x0 = helpers.s_curve(500).double()
    beta = schedule.beta.double()
    loop, noises = lesson["loop_with_noises"](x0, beta)
    forms = closed_forms(schedule)
    assert not fails(check, forms.pop("right"), x0, loop, noises, beta)
    assert not fails(check, lambda x, t, e: helpers.q_sample(x, t, schedule, eps=e), x0, loop, noises, beta)
    for name, form in forms.items():
        assert fails(check, form, x0, loop, noises, beta), name


def test_04_statistical_check(schedule, x0):
    check = lesson_functions("04_closed_form")["check_same_distribution"]
    chain = [x0]
    for t in range(schedule.T):
        chain.append(helpers.q_step(chain[-1], t, schedule))
    other = helpers.s_curve(10_000, seed=1)
    forms = closed_forms(schedule)
    directions = torch.eye(2)

    def run(form):
        return [other] + [form(other, t, torch.randn_like(other)) for t in range(schedule.T)]

    assert not fails(check, chain, run(forms["right"]), directions)
    assert fails(check, chain, run(forms["noise without sqrt"]), directions)


# Lesson 05 -----------------------------------------------------------------------------------------------------

def test_05_embedding():
    check = lesson_functions("05_model")["check_embedding"]

    def embedding(base=10_000, cos_shift=0, cos=True):
        def embed(t, dim):
            angles = t.double()[:, None] * base ** (-torch.arange(dim // 2 + 1) / (dim // 2))
            second = angles[:, cos_shift : cos_shift + dim // 2]
            return torch.cat([angles[:, : dim // 2].sin(), second.cos() if cos else second.sin()], dim=1)

        return embed

    assert not fails(check, helpers.sinusoidal_embedding)
    assert not fails(check, embedding())
    assert fails(check, embedding(base=1_000))  # wrong base
    assert fails(check, embedding(cos_shift=1))  # cosines one frequency off
    assert fails(check, embedding(cos=False))  # sines twice


# Lesson 06 -----------------------------------------------------------------------------------------------------

def test_06_posterior_means(schedule, x0):
    lesson = lesson_functions("06_loss")
    check, from_x0, from_eps = lesson["check_means"], lesson["mean_from_x0"], lesson["mean_from_eps"]
    beta, x = schedule.beta.double(), x0[:1000].double()

    def from_x0_shifted(x0, xt, t, beta):  # alpha_bar_t where the formula has alpha_bar_{t-1}
        alpha_bar = torch.cumprod(1 - beta, dim=0)
        return (alpha_bar[t].sqrt() * beta[t] * x0 + (1 - beta[t]).sqrt() * (1 - alpha_bar[t]) * xt) / (1 - alpha_bar[t])

    def from_eps_no_sqrt(xt, eps, t, beta):
        alpha_bar = torch.cumprod(1 - beta, dim=0)
        return (xt - beta[t] / (1 - alpha_bar[t]) * eps) / (1 - beta[t]).sqrt()

    def from_eps_alpha_bar_for_alpha(xt, eps, t, beta):
        alpha_bar = torch.cumprod(1 - beta, dim=0)
        return (xt - beta[t] / (1 - alpha_bar[t]).sqrt() * eps) / alpha_bar[t].sqrt()

    assert not fails(check, from_x0, from_eps, x, beta)
    assert fails(check, from_x0_shifted, from_eps, x, beta)
    assert fails(check, from_x0, from_eps_no_sqrt, x, beta)
    assert fails(check, from_x0, from_eps_alpha_bar_for_alpha, x, beta)


def test_06_weights(schedule):
    check = lesson_functions("06_loss")["check_weights"]
    beta = schedule.beta.double()
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    w = beta / (2 * (1 - beta) * (1 - alpha_bar))
    assert not fails(check, w, beta)
    assert fails(check, beta**2 / (2 * (1 - beta) * (1 - alpha_bar)), beta)  # sigma_t^2 = beta_t not cancelled
    assert fails(check, beta / (2 * (1 - beta) * (1 - shifted(alpha_bar))), beta)  # alpha_bar_{t-1}
    assert fails(check, beta / ((1 - beta) * (1 - alpha_bar)), beta)  # the 1/2 missing


def test_06_antithetic():
    lesson = lesson_functions("06_loss")
    check = lesson["check_antithetic"]
    assert not fails(check, helpers.antithetic_steps)
    for wrong in ("recipe_steps", "mirror_off_by_one", "draws_miss_last"):
        assert fails(check, lesson[wrong]), wrong


def test_06_floor(schedule):
    check = lesson_functions("06_loss")["check_floor"]
    x0 = helpers.s_curve(2_000)
    trained = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
    eps = torch.randn_like(x0)
    with torch.no_grad():
        errors = torch.stack([((eps - trained(helpers.q_sample(x0, t, schedule, eps=eps), t)) ** 2).mean(dim=1)
                              for t in range(schedule.T)])
    losses, se = errors.mean(dim=1), errors.std(dim=1) / math.sqrt(x0.shape[0])

    def bound(delta):
        return schedule.alpha_bar * delta**2 / (schedule.alpha_bar * delta**2 + 1 - schedule.alpha_bar)

    assert not fails(check, losses, se, bound(0.01))
    assert fails(check, losses, se, bound(0.1))  # the division by 10 forgotten


# Lesson 07 -----------------------------------------------------------------------------------------------------

def test_07_posterior(schedule):
    namespace = lesson_functions("07_sampling")
    namespace.update(x0=helpers.s_curve(10), schedule=schedule)
    check = namespace["posterior_check"]

    def eq7(x0_, xt_, t):
        return helpers.posterior(x0_, xt_, t, schedule)

    def planted(coef_x0=1.0, coef_xt=1.0, var_scale=1.0, off_by_one=False):
        def mean_fn(x0_, xt_, t):
            mean_x0, var = helpers.posterior(x0_, torch.zeros_like(xt_), t - int(off_by_one), schedule)
            mean_xt = helpers.posterior(torch.zeros_like(x0_), xt_, t - int(off_by_one), schedule)[0]
            return coef_x0 * mean_x0 + coef_xt * mean_xt, var_scale * var
        return mean_fn

    assert check(eq7) < 4.5
    assert check(planted(coef_xt=1.01)) > 4.5  # coefficient of x_t off by 1 %
    # x_0's coefficient moves the mean by only coef * |x_0| ~ 1e-3 at t = 60, so a 3 % error in it is not seen; 10 % is.
    assert check(planted(coef_x0=1.10)) > 4.5
    assert check(planted(var_scale=1.03)) > 4.5  # variance off by 3 %
    assert check(planted(off_by_one=True)) > 4.5  # alpha_bar_{t-1} and alpha_bar_t swapped for their neighbours


# Lesson 10 -----------------------------------------------------------------------------------------------------

def test_10_eta_one_is_beta_tilde():
    namespace = lesson_functions("10_fewer_steps")
    schedule64 = helpers.schedule_from_beta(helpers.sigmoid_schedule(100).beta.double())
    x, eps, z = torch.randn(3, 50, 2, dtype=torch.float64)
    namespace.update(T=100, schedule64=schedule64, x=x, eps=eps, z=z,
                     ab64=torch.cat([torch.ones(1, dtype=torch.float64), schedule64.alpha_bar]))
    gaps, step = namespace["eta_one_gaps"], namespace["ddim_step"]

    def beta_prime_noise(x, eps, ab_t, ab_s, eta=0.0, z=None):
        """sigma = eta sqrt(beta') (DDPM's larger variance) in place of eta sqrt(beta~') (eq. 16)."""
        sigma = eta * (1 - ab_t / ab_s) ** 0.5
        x_s = ab_s**0.5 * (x - (1 - ab_t) ** 0.5 * eps) / ab_t**0.5 + (1 - ab_s - sigma**2) ** 0.5 * eps
        return x_s if z is None else x_s + sigma * z

    def direction_without_sigma(x, eps, ab_t, ab_s, eta=0.0, z=None):
        """The noise added, but not taken out of the direction term sqrt(1 - alpha_bar_s - sigma^2)."""
        no_noise = step(x, eps, ab_t, ab_s, 0.0)
        return no_noise if z is None else no_noise + (step(x, eps, ab_t, ab_s, eta, z) - step(x, eps, ab_t, ab_s, eta))

    assert max(gaps(step)) < 1e-12
    assert max(gaps(beta_prime_noise)) > 1e-6
    assert max(gaps(direction_without_sigma)) > 1e-6


def test_10_ddim_is_euler_and_orders(schedule, x0):
    namespace = lesson_functions("10_fewer_steps")
    oracle = helpers.s_curve_oracle(schedule)
    namespace.update(T=100, schedule=schedule, alpha_bar=schedule.alpha_bar, oracle=oracle, x0=x0,
                     intervals=np.array([3, 9, 11, 33, 99]))
    euler_gap, fitted_order = namespace["euler_gap"], namespace["fitted_order"]

    def unscaled(x, eps, ab_t, ab_s, eta=0.0, z=None):
        """x_s = x0_hat + ... : the sqrt(alpha_bar_s) in front of x0_hat forgotten."""
        return (x - (1 - ab_t) ** 0.5 * eps) / ab_t**0.5 + (1 - ab_s) ** 0.5 * eps

    assert euler_gap(helpers.ddim_step) < 1e-12
    assert euler_gap(unscaled) > 1e-6

    # The order check, on the lesson's own reference solution: Heun passes; Euler passed off as Heun fails.
    alpha_bar = schedule.alpha_bar.double()
    starts = helpers.q_sample(helpers.s_curve(50, seed=41), 99, schedule, generator=torch.Generator().manual_seed(41)).double()
    namespace.update(starts=starts, ab_double=alpha_bar,
                     x_ref=helpers.ode_reference(oracle, starts, alpha_bar[-1].item(), alpha_bar[0].item()))

    def order(method):
        return fitted_order(np.array([namespace["ode_error"](oracle, n, method) for n in (3, 9, 11, 33, 99)]))

    assert abs(order("heun") - 2) < 0.2
    assert abs(order("ddim") - 2) > 0.2


# Lesson 11 -----------------------------------------------------------------------------------------------------

def test_12_exact_velocity_and_the_ddpm_view(x0):
    """Lesson 12's exact velocity, and its appendix 12a's velocity of the DDPM state against the DDPM ODE from eps*."""
    namespace = lesson_functions("12_flow_matching")
    appendix = lesson_functions("12a_appendix")
    mixture = helpers.s_curve_oracle()
    oracle = helpers.FlowOracle(mixture)
    u_nodes, log_w = helpers.quadrature()
    namespace.update(mixture=mixture, oracle=oracle, log_w=log_w, centres=helpers.curve(u_nodes))
    appendix.update(mixture=mixture, oracle=oracle)
    exact_velocity, vp_velocity, psi = namespace["exact_velocity"], appendix["vp_velocity"], appendix["psi"]
    eps = torch.randn(200, 2, dtype=torch.float64)

    def velocity_gap(fn):
        probe = helpers.flow_path(x0[:200].double(), 0.3, eps)
        return max((fn(probe, s) - oracle(probe, s)).abs().max().item() for s in (0.0, 0.3, 1.0))

    assert velocity_gap(exact_velocity) < 1e-10
    assert velocity_gap(lambda x, s: exact_velocity(x, s, std=0.1)) > 1e-3  # the data's std before the division by 10

    def vp_gap(fn):
        return max(((fn(x, s) - appendix["ddpm_state_velocity"](x, s)).norm(dim=1) / fn(x, s).norm(dim=1)).max().item()
                   for s in (0.05, 0.5, 0.9) for x in [helpers.flow_path(x0[:200].double(), s, eps) / psi(s)])

    def flipped(x, s):
        """psi' with the wrong sign: the scale change counted the wrong way."""
        scale = psi(s)
        return oracle(scale * x, s) / scale + x * (2 * s - 1) / scale**2

    assert vp_gap(vp_velocity) < 1e-8
    assert vp_gap(flipped) > 1e-3


def test_12_flow_and_ddpm_trajectories():
    namespace = lesson_functions("12_flow_matching")
    mixture = helpers.s_curve_oracle()
    namespace.update(mixture=mixture, oracle=helpers.FlowOracle(mixture))
    s_a, s_b = 0.9, 0.05
    x_a = helpers.flow_path(helpers.s_curve(30, seed=31), s_a, torch.randn(30, 2)).double()

    def trajectory_gap(ddpm_rhs):
        flow_end = solve_ivp(namespace["flow_rhs"], (s_a, s_b), x_a.numpy().ravel(), method="DOP853", rtol=1e-11, atol=1e-13).y[:, -1]
        ddpm_end = solve_ivp(ddpm_rhs, (s_a / (1 - s_a), s_b / (1 - s_b)), (x_a / (1 - s_a)).numpy().ravel(),
                             method="DOP853", rtol=1e-11, atol=1e-13).y[:, -1]
        return np.abs(flow_end - (1 - s_b) * ddpm_end).max()

    def variance_for_std(sigma, y_flat):
        """alpha_bar = 1 / (1 + sigma) instead of 1 / (1 + sigma^2): the noise-to-signal ratio taken as a variance."""
        ab = 1 / (1 + sigma)
        return mixture(torch.from_numpy(y_flat).reshape(-1, 2) * ab**0.5, None, alpha_bar=ab).numpy().ravel()

    assert trajectory_gap(namespace["ddpm_rhs"]) < 1e-5
    assert trajectory_gap(variance_for_std) > 1e-3


# The learner-mistake guards (tests/test_learner_mistakes.py) ----------------------------------------------------

def test_checker_copies_planted(monkeypatch):
    """Without the copies, an answer that erases its input is judged against the erased input, and passes."""
    def erase(x):
        return x.zero_()

    exercises = helpers.exercises
    assert exercises.verdict("01.1", erase)[0] is False
    original = exercises.EXERCISES["01.1"]
    monkeypatch.setitem(exercises.EXERCISES, "01.1", exercises.Exercise(original.name, original.test, original.hint, copies=False))
    assert exercises.verdict("01.1", erase)[0] is True


def test_checkpoint_checksum_planted(tmp_path, monkeypatch):
    """A checksum of the configuration alone lets a file with damaged weights load."""
    path = tmp_path / "w.pt"
    data = bytearray()

    def save_and_damage():
        helpers.save_weights(helpers.NoisePredictor(100, 16), path)
        data[:] = path.read_bytes()
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))

    save_and_damage()
    with pytest.raises(ValueError, match="damaged"):
        helpers.load_weights(helpers.NoisePredictor(100, 16), path)
    monkeypatch.setattr(helpers.networks.checkpoint, "checksum", lambda config, state: str(sorted(config.items())))
    save_and_damage()
    helpers.load_weights(helpers.NoisePredictor(100, 16), path)


def test_divergence_check_planted(monkeypatch):
    """With the finiteness checks taken out (torch.isfinite always true), a run at lr 1e10 returns NaN weights."""
    config = helpers.TrainConfig(steps=30, batch_size=64, hidden=16, lr=1e10, clip_norm=1e30)
    x0 = helpers.s_curve(500)
    with pytest.raises(FloatingPointError, match=r"training diverged at step \d+ of 30: the (loss|gradient)"):
        helpers.train(helpers.NoisePredictor(100, 16), x0, helpers.Denoising(helpers.sigmoid_schedule(100), config), config, progress=False)
    real = torch.isfinite
    monkeypatch.setattr(helpers.training.loop.torch, "isfinite", lambda x: real(x) | True)
    result = helpers.train(helpers.NoisePredictor(100, 16), x0, helpers.Denoising(helpers.sigmoid_schedule(100), config), config, progress=False)
    monkeypatch.undo()
    assert not all(torch.isfinite(p).all() for p in result["model"].parameters())


# The evidence rule (helpers.compare, tests/test_evidence.py) -------------------------------------------------------

def test_compare_direction_planted(monkeypatch):
    """A verdict that ignores lower_is_better calls the worse method better whenever higher is better."""
    def verdict(lower_is_better):
        return helpers.compare(lambda s: 2.0 + 0.1 * s, lambda s: 1.0, names=("A", "B"), lower_is_better=lower_is_better).verdict

    assert verdict(True) == "B better" and verdict(False) == "A better"
    monkeypatch.setattr(helpers.measures.evidence.Comparison, "a_better", property(lambda self: self.interval[1] < 0))
    assert verdict(False) != "A better"


def test_compare_one_sided_match_planted(monkeypatch):
    """A match that only bounds A from above (the old "no worse") lets a method sharper than the baseline match it."""
    wobble = [0.01, -0.02, 0.015, -0.005, 0.0, 0.02, -0.01, 0.005, -0.015, 0.01]

    def sharper():
        return helpers.compare(lambda s: 0.9 + wobble[s], lambda s: 1.0, seeds=range(10), margin=0.05).matches

    assert not sharper()
    monkeypatch.setattr(helpers.measures.evidence.Comparison, "matches", property(lambda self: self.interval[1] <= self.margin))
    assert sharper()


def test_compare_pairing_planted():
    """Unpaired noise (B drawn from the next seed) hides a difference that pairing shows on every seed."""
    def noisy(offset, shift=0):
        return lambda s: offset + np.random.default_rng(s + shift).normal(0, 1)

    assert helpers.compare(noisy(0.0), noisy(0.2), seeds=range(8)).a_better
    assert not helpers.compare(noisy(0.0), noisy(0.2, shift=100), seeds=range(8)).a_better


def test_09_memorisation_check_planted(schedule, x0):
    """Lesson 09's check (in its appendix) that the network generalises: a 'network' that is the finite-set optimum
    fails it."""
    lesson = lesson_functions("09a_appendix")
    oracle, finite = helpers.s_curve_oracle(schedule), helpers.training_set_oracle(x0, schedule)
    lesson.update(x0=x0, schedule=schedule, oracle=oracle, finite=finite)

    def closer(model):
        lesson["model"] = model
        return helpers.compare(lambda k: lesson["rms"](*lesson["step_one_predictions"](k)[:2]),
                               lambda k: lesson["rms"](*lesson["step_one_predictions"](k)[::2]))

    assert closer(helpers.load_model()).a_better
    assert closer(lambda xt, t: finite(xt.double(), t).float()).b_better


def test_10_probability_flow_keeps_the_marginal_planted(schedule):
    """Lesson 10's check 3: the exact ODE lands on q_1; the same ODE with a 10 % too small noise prediction does not."""
    lesson = lesson_functions("10_fewer_steps")
    oracle = helpers.s_curve_oracle(schedule)
    lesson.update(T=schedule.T, schedule=schedule, alpha_bar=schedule.alpha_bar, oracle=oracle,
                  seeded=lambda k: torch.Generator().manual_seed(k))
    assert max(abs(z) for z in lesson["pf_ode_marginal_gap"](oracle)) < 4
    assert max(abs(z) for z in lesson["pf_ode_marginal_gap"](lambda x, t: 0.9 * oracle(x, t))) > 4


@pytest.mark.parametrize("convention", ["w and 1 - w", "flipped sign"])
def test_11_guidance_convention_planted(schedule, x0, convention):
    """Lesson 11's check 3 passes helpers.Guided and fails a guide that mixes the two predictions another way."""
    lesson = lesson_functions("11_guidance")
    oracle = helpers.LabelledOracle(schedule)
    lesson.update(oracle=oracle, x0=x0, schedule=schedule, alpha_bar=schedule.alpha_bar,
                  seeded=lambda k: torch.Generator().manual_seed(k))
    w = 2.0
    assert lesson["convention_gap"](helpers.Guided(oracle, 0, w), w=w) < 1e-6
    a, b = (w, 1 - w) if convention == "w and 1 - w" else (1 - w, w)
    wrong = lambda x, t: a * oracle(x, t, 0) + b * oracle(x, t)  # noqa: E731 (one line, like the lesson's)
    assert lesson["convention_gap"](wrong, w=w) > 0.01


# Lessons 11, 12 and 14 use committed files of the networks they train live for 300 steps; each lesson's recipe_error,
# within tests/test_committed_lessons.py's RECIPE_MARGIN, is the test that a file is its full recipe
# (tools/make_lesson_networks.py). It passes a network that differs by rounding and fails another recipe's network.

CHECKPOINTS = helpers.COMMITTED_CHECKPOINT.parent


def recipe_margin(name):
    from test_committed_lessons import RECIPE_MARGIN

    return RECIPE_MARGIN[name]


def rounded_apart(network):
    """network with every weight moved by a relative 1e-6, as another CPU's rounding of the same training might."""
    other = copy.deepcopy(network)
    with torch.no_grad():
        for parameter in other.parameters():
            parameter.mul_(1 + 1e-6 * torch.randn(parameter.shape, generator=torch.Generator().manual_seed(1)))
    return other


def same_recipe(lesson, margin, live, committed):
    return abs(lesson["recipe_error"](live) - lesson["recipe_error"](committed)) < margin


def test_11_recipe_check_planted(schedule):
    """The guidance network's check fails the file with its labels 0 and 2 exchanged (a label embedding in the wrong row)."""
    lesson = lesson_functions("11_guidance")
    x0, u0 = helpers.s_curve(10_000, return_u=True)
    lesson.update(T=schedule.T, schedule=schedule, x0=x0, labels=helpers.labels_of(u0), oracle=helpers.LabelledOracle(schedule),
                  seeded=lambda k: torch.Generator().manual_seed(k))
    margin = recipe_margin("guidance")
    net = helpers.load_model(CHECKPOINTS / "guidance_net.pt")
    assert same_recipe(lesson, margin, rounded_apart(net), net)
    swapped = copy.deepcopy(net)
    with torch.no_grad():
        for embedding in swapped.label_embeddings:
            embedding.weight[[0, 2]] = embedding.weight[[2, 0]].clone()
    assert not same_recipe(lesson, margin, swapped, net)


def test_12_recipe_check_planted():
    """The velocity network's check fails lesson 16's reflowed network, the same architecture trained on other pairs."""
    lesson = lesson_functions("12_flow_matching")
    lesson.update(oracle=helpers.FlowOracle(helpers.s_curve_oracle()), seeded=lambda k: torch.Generator().manual_seed(k))
    margin = recipe_margin("flow")
    net = helpers.load_model(CHECKPOINTS / "flow_net.pt")
    assert same_recipe(lesson, margin, rounded_apart(net), net)
    assert not same_recipe(lesson, margin, helpers.load_model(CHECKPOINTS / "student_reflow.pt"), net)


def test_14_recipe_check_planted(schedule):
    """The EDM network's check fails the x0-network of the same recipe and seed, another target, and the other way round."""
    lesson = targets_lesson(schedule)
    margin = recipe_margin
    x0_net = helpers.load_model(CHECKPOINTS / "target_x0.pt")
    edm = helpers.Preconditioned(helpers.load_model(CHECKPOINTS / "target_edm.pt"), schedule, helpers.s_curve(10_000).std().item())
    assert same_recipe(lesson, margin("x0"), rounded_apart(x0_net), x0_net)
    assert not same_recipe(lesson, margin("x0"), edm, x0_net)
    assert not same_recipe(lesson, margin("edm"), x0_net, edm)


# Lesson 12's path and loss, checked against closed forms (issue 19) ----------------------------------------------

def test_12_path_and_loss_closed_forms():
    namespace = lesson_functions("12_flow_matching")
    namespace.update(mixture=helpers.s_curve_oracle())
    errors, flow_path, flow_loss = namespace["path_and_loss_errors"], namespace["flow_path"], namespace["flow_loss"]

    def swapped_path(x0, s, eps):
        """The ends exchanged: s = 0 would be noise."""
        return s * x0 + (1 - s) * eps

    def variance_path(x0, s, eps):
        """s as the noise's variance, not its scale (a VP-style slip)."""
        return (1 - s) * x0 + s**0.5 * eps

    def reversed_target(model, x0, s, eps):
        """The velocity of the path run from noise to data, x_0 - eps, as the target."""
        return ((x0 - eps - model(flow_path(x0, s[:, None], eps), s)) ** 2).mean()

    assert max(errors(flow_path, flow_loss)) < 4
    assert errors(swapped_path, flow_loss)[1] > 4 and errors(variance_path, flow_loss)[1] > 4
    assert errors(flow_path, reversed_target)[2] > 4


# Lesson 13 -----------------------------------------------------------------------------------------------------

def likelihood_lesson(schedule, stem="13_likelihood"):
    namespace = lesson_functions(stem)
    schedule64 = helpers.schedule_from_beta(schedule.beta.double())
    namespace.update(T=schedule.T, schedule=schedule, schedule64=schedule64, beta64=schedule64.beta,
                     ab64=schedule64.alpha_bar, oracle=helpers.s_curve_oracle(schedule))
    return namespace


def test_13_readable_terms_match_the_helper_planted(schedule):
    """The readable terms match helpers.elbo to rounding; the helper with the other reverse variances, or the float32
    schedule's alpha_bar in the readable version, does not."""
    lesson = likelihood_lesson(schedule)
    model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
    network64 = lambda x, t: model(x.float(), t).double()  # noqa: E731 (the lesson's own one-liner)
    x0 = helpers.s_curve(300, seed=10).double()
    readable = lesson["elbo_terms"](network64, x0, lesson["schedule64"].beta_tilde, torch.Generator().manual_seed(1))
    terms = helpers.elbo(model, schedule, x0, sigma="beta_tilde", generator=torch.Generator().manual_seed(1))
    assert not fails(lesson["term_gaps"], readable, terms)
    beta_terms = helpers.elbo(model, schedule, x0, sigma="beta", generator=torch.Generator().manual_seed(1))
    assert fails(lesson["term_gaps"], readable, beta_terms)
    lesson["ab64"] = schedule.alpha_bar.double()  # float32's alpha_bar: 1 - alpha_bar keeps 3 digits at the first step
    float32_readable = lesson["elbo_terms"](network64, x0, lesson["schedule64"].beta_tilde, torch.Generator().manual_seed(1))
    assert fails(lesson["term_gaps"], float32_readable, terms)


def test_13_elbo_forms_agree_planted(schedule):
    """Appendix 13a's first check: lesson 13's KL form and the raw bound agree; they part when the reverse variances differ
    or L_T is forgotten."""
    lesson = likelihood_lesson(schedule)
    lesson.update({name: fn for name, fn in likelihood_lesson(schedule, "13a_appendix").items()
                   if name in ("raw_bound", "forms_agree")})
    model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
    network64 = lambda x, t: model(x.float(), t).double()  # noqa: E731 (the lesson's own one-liner)
    x0 = helpers.s_curve(1000, seed=11).double()
    schedule64 = lesson["schedule64"]
    terms = lesson["elbo_terms"](network64, x0, schedule64.beta_tilde, torch.Generator().manual_seed(1))
    kl_form = terms[0] + terms[1].sum(0) + terms[2]
    raw = lesson["raw_bound"](network64, x0, schedule64.beta_tilde, torch.Generator().manual_seed(2))
    raw_beta = lesson["raw_bound"](network64, x0, schedule64.beta, torch.Generator().manual_seed(2))
    assert not fails(lesson["forms_agree"], kl_form, raw)
    assert fails(lesson["forms_agree"], kl_form, raw_beta)  # sigma^2 = beta~ in one form, beta in the other
    assert fails(lesson["forms_agree"], terms[1].sum(0) + terms[2], raw)  # L_T forgotten


def test_13_bound_above_entropy_planted(schedule):
    """Check 1: the exact network's bound lies above the entropy; a decoder normalised with d log(2 pi beta_1) in place of
    (d / 2) log(2 pi beta_1) falls below it."""
    lesson = likelihood_lesson(schedule)
    x0 = helpers.s_curve(2000, seed=12).double()
    log_q0 = lesson["oracle"].log_prob(x0, None)
    bound = helpers.elbo(lesson["oracle"], schedule, x0, generator=torch.Generator().manual_seed(3)).nll_bound
    beta_1 = schedule.beta.double()[0]
    assert not fails(lesson["check_bound"], bound, log_q0)
    assert fails(lesson["check_bound"], bound + torch.log(2 * math.pi * beta_1), log_q0)


def test_13_divergence_planted(schedule):
    """Check 3: autograd's trace matches finite differences; the sum of all four Jacobian entries, or one row, does not."""
    lesson = likelihood_lesson(schedule)
    oracle = lesson["oracle"]
    steps = torch.arange(100) % 100
    x = helpers.q_sample(helpers.s_curve(100, seed=13), steps, schedule, generator=torch.Generator().manual_seed(4)).double()
    eps_fn = lambda y: oracle(y, steps)  # noqa: E731

    def every_entry(eps_fn, x):
        x = x.detach().requires_grad_(True)
        return torch.autograd.grad(eps_fn(x).sum(), x)[0].sum(1)

    def first_entry_twice(eps_fn, x):
        """d eps_1 / d x_1 counted for both coordinates, as if the Jacobian were a multiple of the identity."""
        x = x.detach().requires_grad_(True)
        return 2 * torch.autograd.grad(eps_fn(x)[:, 0].sum(), x)[0][:, 0]

    assert not fails(lesson["check_divergence"], lesson["divergence"], eps_fn, x)
    assert fails(lesson["check_divergence"], every_entry, eps_fn, x)
    assert fails(lesson["check_divergence"], first_entry_twice, eps_fn, x)


def test_13_exact_likelihood_order_planted(schedule):
    """Check 4: Heun's log-likelihood converges to log q_0 with order 2; without the Jacobian term (d/2) log alpha_bar_T it
    stalls, and Euler's errors fail the order-2 claim."""
    lesson = likelihood_lesson(schedule)
    points = helpers.s_curve(50, seed=14).double()
    n_steps = np.array([16, 32, 64, 128, 256, 512])
    heun = np.array([lesson["exact_likelihood_error"](n, "heun", points) for n in n_steps])
    assert not fails(lesson["check_order"], n_steps, heun, 2, 2e-3)
    euler = np.array([lesson["exact_likelihood_error"](n, "euler", points) for n in n_steps[-3:]])
    assert fails(lesson["check_order"], n_steps[-3:], euler, 2, 2e-3)

    class WithoutJacobian:
        def __getattr__(self, name):
            return getattr(helpers, name)

        @staticmethod
        def ode_log_likelihood(model, schedule, x0, **kwargs):
            result = helpers.ode_log_likelihood(model, schedule, x0, **kwargs)
            return type(result)(result.log_p - torch.log(schedule.alpha_bar[-1].double()), result.log_prior, result.x_T)

    lesson["helpers"] = WithoutJacobian()
    planted = np.array([lesson["exact_likelihood_error"](n, "heun", points) for n in n_steps])
    assert fails(lesson["check_order"], n_steps, planted, 2, 2e-3)


def test_13_hutchinson_unbiased_planted(schedule):
    """Appendix 13a: Hutchinson's mean matches the exact log-likelihood; probes of std 1.2 (E[z z^T] = 1.44 I) make it
    biased."""
    lesson = likelihood_lesson(schedule, "13a_appendix")
    model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
    points = helpers.s_curve(200, seed=15).double()
    exact = helpers.ode_log_likelihood(model, schedule, points)
    runs = [helpers.ode_log_likelihood(model, schedule, points, divergence="hutchinson", generator=torch.Generator().manual_seed(k))
            for k in range(4)]
    jacobian = math.log(schedule.alpha_bar[-1].item())
    planted = torch.stack([r.log_prior + jacobian + 1.44 * (r.log_p - r.log_prior - jacobian) for r in runs])
    assert not fails(lesson["check_unbiased"], torch.stack([r.log_p for r in runs]), exact.log_p)
    assert fails(lesson["check_unbiased"], planted, exact.log_p)


def test_13_hutchinson_sign_patterns_planted():
    """Appendix 13a: over the probe's four sign patterns Hutchinson's estimate averages to the exact trace; an estimator
    that drops the second probe (the vector-Jacobian product summed) does not."""
    lesson = lesson_functions("13a_appendix")
    a = torch.tensor([[1.0, 2.0], [-3.0, 0.5]], dtype=torch.float64)
    eps_fn = lambda x: torch.tanh(x @ a)  # noqa: E731 (a field with off-diagonal Jacobian terms)
    x = torch.randn(50, 2, dtype=torch.float64)
    patterns = [torch.tensor([s1, s2], dtype=torch.float64).expand_as(x) for s1 in (-1.0, 1.0) for s2 in (-1.0, 1.0)]

    def dropped_v(f, x, v):
        x = x.detach().requires_grad_(True)
        return torch.autograd.grad((f(x) * v).sum(), x)[0].sum(1)

    exact = lesson["divergence"](eps_fn, x)
    for estimator, ok in ((lesson["hutchinson"], True), (dropped_v, False)):
        averaged = sum(estimator(eps_fn, x, v) for v in patterns) / 4
        assert torch.allclose(averaged, exact, rtol=1e-9, atol=1e-9) is ok


def test_13_continuous_limit_planted(schedule):
    """Check 2: on 2 000 points the exact network's KL sums come down towards the continuous-time limit and stay above it;
    the limit without its 1/2 (the weight on d lambda taken as 1) lies above the finer sums, and the check fails."""
    lesson = likelihood_lesson(schedule)
    lesson.update(oracle=helpers.s_curve_oracle(schedule), seeded=lambda k: torch.Generator().manual_seed(k))
    ab = lesson["ab64"]
    log_snr = (ab / (1 - ab)).log()
    points = helpers.s_curve(2_000, seed=16).double()
    shapes = {"course": log_snr, "even": torch.linspace(log_snr[0].item(), log_snr[-1].item(), schedule.T, dtype=torch.float64)}
    sums = {}
    for shape, grid in shapes.items():
        sums[shape, 99] = lesson["kl_sum"](grid, points)
        sums[shape, 396] = lesson["kl_sum"](lesson["four_times"](grid), points)
    mean, se = lesson["continuous_limit"](log_snr[-1].item(), log_snr[0].item(), helpers.s_curve(4_000, seed=17).double())
    assert not fails(lesson["check_limit"], sums, (mean, se))
    assert fails(lesson["check_limit"], sums, (2 * mean, 2 * se))


def test_13_elbo_weight_planted():
    """Exercise 13.2's check passes the solution and fails it with the continuous limit's step 1/2 log(SNR ratio), with
    the ratio inverted, and without the 1/2."""
    from helpers.exercises import verdict

    source = (NOTEBOOKS / "solutions" / "13_2.py").read_text().split("helpers.check_exercise")[0]
    planted = (("", "", True), ("(snr_before / snr_now - 1) / 2", "(snr_before / snr_now).log() / 2", False),
               ("(snr_before / snr_now - 1) / 2", "(snr_now / snr_before - 1) / 2", False),
               ("(snr_before / snr_now - 1) / 2", "(snr_before / snr_now - 1)", False))
    for old, new, right in planted:
        assert old in source
        namespace = {}
        exec(source.replace(old, new) if new else source, namespace)
        assert verdict("13.2", namespace["elbo_weight"])[0] is right, (old, new)


def test_13_prior_term_planted():
    """Exercise 13.1's check passes the solution and fails it twice too large, with the log term's sign flipped, with
    alpha_bar_T for its square root in the mean, and at the step before the last; each with its own diagnosis."""
    from helpers.exercises import verdict

    source = (NOTEBOOKS / "solutions" / "13_1.py").read_text().split("helpers.check_exercise")[0]
    planted = (("", "", None), ("- 2 * s2.log()) / 2", "- 2 * s2.log())", "exactly twice"),
               ("- 2 * s2.log())", "+ 2 * s2.log())", "not by one of the usual slips"),
               ("a * (x0**2)", "a**2 * (x0**2)", "the factor on x_0"),
               ("alpha_bar[-1]", "alpha_bar[-2]", "code step 98"))
    for old, new, diagnosis in planted:
        assert old in source
        namespace = {}
        exec(source.replace(old, new) if old else source, namespace)
        right, message = verdict("13.1", namespace["prior_term"])
        assert right is (diagnosis is None) and (diagnosis is None or diagnosis in message), (old, new, message)


# Lesson 14 ----------------------------------------------------------------------------------------------------

def targets_lesson(schedule):
    lesson = lesson_functions("14_targets")
    oracle = helpers.s_curve_oracle(schedule)
    lesson.update(schedule=schedule, T=schedule.T, oracle=oracle, flow_oracle=helpers.FlowOracle(oracle),
                  TARGETS=("eps", "x0", "v", "score", "velocity"))
    return lesson


def test_14_conversions_against_the_oracle_planted(schedule):
    """Check 1: helpers.convert of eps* matches the oracle's separate routes; a v with its two square roots exchanged,
    or a score that lost its sign, does not."""
    lesson = targets_lesson(schedule)
    assert not fails(lesson["check_small"], lesson["oracle_gaps"](50), 1e-10, "right")

    def planted(wrong):
        class Planted:
            def __getattr__(self, name):
                return getattr(helpers, name)

            @staticmethod
            def convert(prediction, x_t, alpha_bar, source, target):
                return wrong(helpers.convert(prediction, x_t, alpha_bar, source, target), prediction, x_t, alpha_bar, target)

        return Planted()

    def swapped_v(right, eps, x_t, alpha_bar, target):
        # v = sqrt(1 - alpha_bar) eps - sqrt(alpha_bar) x_0 instead of sqrt(alpha_bar) eps - sqrt(1 - alpha_bar) x_0.
        x0 = (x_t - math.sqrt(1 - alpha_bar) * eps) / math.sqrt(alpha_bar)
        return math.sqrt(1 - alpha_bar) * eps - math.sqrt(alpha_bar) * x0 if target == "v" else right

    for wrong in (swapped_v, lambda right, eps, x_t, alpha_bar, target: -right if target == "score" else right):
        lesson["helpers"] = planted(wrong)
        assert fails(lesson["check_small"], lesson["oracle_gaps"](50), 1e-10, "planted")


def test_14_kl_quadrature_planted(schedule):
    """Appendix 14a's check 1: the Gauss-Hermite KL agrees with Monte Carlo; nodes missing their factor sqrt(2) (a rule
    for exp(-z^2) used as if for the standard normal) do not."""
    lesson = lesson_functions("14a_appendix")
    oracle = helpers.s_curve_oracle(schedule)
    standard = MultivariateNormal(torch.zeros(2, dtype=torch.float64), torch.eye(2, dtype=torch.float64))
    n = 50_000
    x_T = helpers.q_sample(helpers.s_curve(n, seed=7).double(), torch.full((n,), schedule.T - 1), schedule,
                           eps=torch.randn(n, 2, generator=torch.Generator().manual_seed(7), dtype=torch.float64))
    log_ratio = oracle.log_prob(x_T, schedule.T - 1) - standard.log_prob(x_T)
    standard_error = (log_ratio.std() / math.sqrt(n)).item()

    def gap(expect_q_T):
        """The quadrature's distance from the Monte Carlo mean, in standard errors."""
        kl = expect_q_T(oracle, lambda x: oracle.log_prob(x, schedule.T - 1) - standard.log_prob(x))
        return {"Monte Carlo": abs(kl - log_ratio.mean().item()) / standard_error}

    assert not fails(lesson["check_small"], gap(lesson["expect_q_T"]), 3, "right")
    source = function_source("14a_appendix", "expect_q_T")
    assert "z * math.sqrt(2)" in source
    namespace = dict(lesson)
    exec(source.replace("z * math.sqrt(2)", "z"), namespace)
    assert fails(lesson["check_small"], gap(namespace["expect_q_T"]), 3, "planted")


def test_14_target_conversions_planted(monkeypatch):
    """The unit checks of helpers/process/targets.py (tests/test_targets.py) catch a v with its square roots exchanged, a
    score without its sign, and B^2 in place of A^2 in the floor factor."""
    import helpers.process.targets as targets
    from test_targets import definition_gaps, floor_ratios, oracle_gaps

    right = targets.coefficients
    assert max(definition_gaps().values()) < 1e-13 and max(oracle_gaps(50).values()) < 1e-11

    def swapped_v(alpha_bar, target):
        """v = sqrt(1 - alpha_bar) eps - sqrt(alpha_bar) x_0: the two square roots exchanged."""
        if target != "v":
            return right(alpha_bar, target)
        a, sigma = alpha_bar.sqrt(), (1 - alpha_bar).sqrt()
        return 1 / sigma, -a / sigma

    def score_sign(alpha_bar, target):
        """score = +eps / sqrt(1 - alpha_bar): the sign of Tweedie's formula lost."""
        a_s, b_s = right(alpha_bar, target)
        return (-a_s, b_s) if target == "score" else (a_s, b_s)

    monkeypatch.setattr(targets, "coefficients", swapped_v)
    assert definition_gaps()["eps", "v"] > 1e-2
    monkeypatch.setattr(targets, "coefficients", score_sign)
    assert oracle_gaps(50)["score"] > 1e-2
    monkeypatch.setattr(targets, "coefficients", right)
    ratios, alpha_bar = floor_ratios(50)
    assert abs(targets.floor_factor(alpha_bar, "x0").item() / ratios["x0"] - 1) < 1e-9
    # B^2 in place of A^2: the floor factor no longer matches the Monte Carlo ratio.
    assert abs(right(alpha_bar, "x0")[1].item() ** 2 / ratios["x0"] - 1) > 1e-2


# Lesson 15 ------------------------------------------------------------------------------------------------------

def solvers_lesson(schedule):
    namespace = lesson_functions("15_solvers")
    namespace.update(schedule=schedule, alpha_bar=schedule.alpha_bar.double(), oracle=helpers.s_curve_oracle(schedule),
                     NAMES={"ddim": "DDIM", "dpm2": "DPM-Solver-2", "dpm3": "DPM-Solver-3", "dpm++2m": "DPM-Solver++(2M)"})
    return namespace


def test_15_dpm_solver_1_is_ddim_planted(schedule):
    """Check 1: the lesson's DPM-Solver-1 equals DDIM; with e^h in place of e^h - 1 it does not."""
    lesson = solvers_lesson(schedule)
    x, eps = torch.randn(2, 100, 2, dtype=torch.float64)
    assert not fails(lesson["check_same"], lesson["dpm_solver_1"](x, eps, 0.3, 0.5), helpers.ddim_step(x, eps, 0.3, 0.5),
                     1e-12, "right")
    source = function_source("15_solvers", "dpm_solver_1")
    assert "math.expm1(h)" in source
    namespace = dict(lesson)
    exec(source.replace("math.expm1(h)", "math.exp(h)"), namespace)
    assert fails(lesson["check_same"], namespace["dpm_solver_1"](x, eps, 0.3, 0.5), helpers.ddim_step(x, eps, 0.3, 0.5),
                 1e-12, "planted")


def test_15_orders_planted(schedule):
    """Check 3: the lesson's order check passes DPM-Solver-2 as written; with 1/r in place of 1/(2r) the measured order
    falls to 1 and the check fails. Orders measured here with the lesson's own step against the Gaussian closed form."""
    from test_solvers import gaussian_eps, gaussian_flow, lambda_grid

    lesson = solvers_lesson(schedule)
    mean, std = torch.tensor([0.3, -0.2], dtype=torch.float64), 0.15
    eps_of = gaussian_eps(mean, std)
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    def order(step):
        errors = []
        for n in (12, 48):
            grid = lambda_grid(2 * n + 1).tolist()
            y = x
            for k in range(0, 2 * n, 2):
                y = step(eps_of, y, *grid[k:k + 3])
            errors.append((y - gaussian_flow(x, mean, std, grid[0], grid[-1])).norm(dim=1).max().item())
        return {"dpm2": math.log(errors[0] / errors[1], 4)}

    assert not fails(lesson["check_orders"], order(lesson["dpm_solver_2"]), {"dpm2": 2})
    source = function_source("15_solvers", "dpm_solver_2")
    assert "(2 * r)" in source
    namespace = dict(lesson)
    exec(source.replace("(2 * r)", "r"), namespace)
    assert fails(lesson["check_orders"], order(namespace["dpm_solver_2"]), {"dpm2": 2})


def test_15_fast_eps_planted(schedule):
    """Appendix 15a's check of helpers.FastEps against the network fails when its tables hold the step embeddings
    without the layers' biases."""
    appendix = lesson_functions("15a_appendix")
    model = helpers.load_model(helpers.COMMITTED_CHECKPOINT)
    fast = helpers.FastEps(model)
    x = helpers.s_curve(500).double()
    with torch.no_grad():
        want = model(x, torch.tensor(50))
        assert not fails(appendix["check_same"], fast(x, 50), want, 1e-4, "right")
        fast.tables = [embed.weight.detach() for embed in model.step_embeddings]
        assert fails(appendix["check_same"], fast(x, 50), want, 1e-4, "planted")


def test_15_exact_weight_planted():
    """Exercise 15.1's check passes the solution and fails the lesson's leading-order 1/(2r) (the answer a learner who
    stops at the Taylor step gives), the weight with e^h in place of e^-h, and one without its 1/r."""
    from helpers.exercises import verdict

    source = (NOTEBOOKS / "solutions" / "15_1.py").read_text().split("helpers.check_exercise")[0]
    right = "return (h / -math.expm1(-h) - 1) / (r * h)"
    assert right in source
    for new, passes in ((right, True), ("return 1 / (2 * r)", False), ("return (h / -math.expm1(h) - 1) / (r * h)", False),
                        ("return (h / -math.expm1(-h) - 1) / h", False)):
        namespace = {}
        exec(source.replace(right, new), namespace)
        assert verdict("15.1", namespace["exact_weight"])[0] is passes, new


def test_15_solver_unit_checks_planted(monkeypatch):
    """tests/test_solvers.py catches a Karras grid taken in (nu^2)^(1/rho) instead of nu^(1/rho) (a slip made while
    writing it), and DPM-Solver-3 with its last stage weight halved."""
    import helpers.sampling.solvers as solvers
    from test_solvers import gaussian_order, own_time_unevenness

    assert own_time_unevenness("karras") < 1e-9 and abs(gaussian_order("dpm3") - 3) < 0.3
    right_grid = solvers.grid_alpha_bar

    def squared_nu(schedule, n, grid="lambda"):
        if grid != "karras":
            return right_grid(schedule, n, grid)
        ab = schedule.alpha_bar.double()
        first, last = ab[0].item(), ab[-1].item()
        u = torch.linspace(1, 0, n, dtype=torch.float64)
        ends = [((1 - a) / a) ** (1 / solvers.KARRAS_RHO) for a in (first, last)]
        return 1 / (1 + ((ends[0] + u * (ends[1] - ends[0])) ** solvers.KARRAS_RHO) ** 2)

    monkeypatch.setattr(helpers, "grid_alpha_bar", squared_nu)
    assert own_time_unevenness("karras") > 1e-3
    monkeypatch.undo()
    right_weight = solvers._stage_weight
    monkeypatch.setattr(solvers, "_stage_weight", lambda h, r: right_weight(h, r) / (2 if r == 1.0 else 1))
    assert abs(gaussian_order("dpm3") - 3) > 0.3


# Lesson 16 ------------------------------------------------------------------------------------------------------

def test_16_pd_target_planted():
    """Lesson 16's check 2 (a DDIM step with pd_target's x0 lands on x_end) passes the lesson's pd_target and fails it with
    the noise ratio taken without its square root."""
    source = function_source("16_one_step", "pd_target")
    assert "** 0.5" in source
    x_t, x_end = torch.randn(2, 200, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for text, right in ((source, True), (source.replace("((1 - ab_end) / (1 - ab_t)) ** 0.5", "(1 - ab_end) / (1 - ab_t)"), False)):
        namespace = {}
        exec(text, namespace)
        x_tilde = namespace["pd_target"](x_t, x_end, 0.778, 0.93)
        eps_implied = (x_t - 0.778**0.5 * x_tilde) / (1 - 0.778) ** 0.5
        lands = (helpers.ddim_step(x_t, eps_implied, 0.778, 0.93) - x_end).abs().max().item() < 1e-12
        assert lands is right


def test_16_eps_weight_planted():
    """Exercise 16.1's check (the answer times the eps error must give progressive distillation's loss on the x0's)
    passes the solution and fails it without the truncation (1/SNR), without the move to eps (the x0 weight itself), and
    with the truncation on the wrong side."""
    from helpers.exercises import verdict

    source = (NOTEBOOKS / "solutions" / "16_1.py").read_text().split("helpers.check_exercise")[0]
    for old, new, right in (("", "", True), ("torch.clamp(snr, min=1.0) / snr", "1 / snr", False),
                            ("torch.clamp(snr, min=1.0) / snr", "torch.clamp(snr, min=1.0)", False),
                            ("min=1.0", "max=1.0", False)):
        assert old in source
        namespace = {}
        exec(source.replace(old, new) if old else source, namespace)
        assert verdict("16.1", namespace["eps_weight"])[0] is right, (old, new)


def test_16_near_data_prediction_planted():
    """Exercise 16.2's measurement tells its two outcomes apart: a student that is the exact consistency function (the
    exact ODE from its step to the data) closes the way left from the point near the data; one that returns its input
    leaves all of it. The committed CD student's answer is the check's own (tests/test_exercises.py)."""
    from helpers.exercises import lesson16

    schedule = helpers.sigmoid_schedule(100)
    alpha_bar, oracle = schedule.alpha_bar.double(), helpers.s_curve_oracle(schedule)

    def exact_student(x, t):
        return helpers.ode_reference(oracle, x.double(), alpha_bar[t[0]].item(), 1 - 1e-12, rtol=1e-9, atol=1e-11)

    point, answer, jump = lesson16.near_data_distances(exact_student, n=300)
    assert answer < point / 10 and jump < point / 10
    point, answer, _ = lesson16.near_data_distances(lambda x, t: x, n=300)
    assert answer == pytest.approx(point, rel=1e-4)


def replanted(monkeypatch, owner, name, old, new):
    """Replace owner.name (a function or method) by its own source with old replaced by new, compiled in its module."""
    import inspect
    import sys
    import textwrap

    function = getattr(owner, name)
    source = textwrap.dedent(inspect.getsource(function))
    assert old in source, f"{old!r} not in {name}"
    namespace = dict(vars(sys.modules[function.__module__]))
    exec(source.replace(old, new), namespace)
    monkeypatch.setattr(owner, name, namespace[name])


def each_plant_caught(monkeypatch, checks, plants):
    """Every check passes as the code is; with plant k (owner, name, old, new: see replanted) in place, check k fails."""
    for check in checks:
        check()
    for check, (owner, name, old, new) in zip(checks, plants):
        replanted(monkeypatch, owner, name, old, new)
        assert fails(check), (name, new)
        monkeypatch.undo()


def test_16_distill_unit_checks_planted(monkeypatch):
    """tests/test_distill.py catches: the teacher's DDIM step taken with the wrong noise level, the consistency target
    averaged with mu and 1 - mu swapped, and lesson 12's straightness without its time weights on an uneven grid."""
    import helpers.objectives.distill as distill
    import helpers.process.flows as flows
    import test_distill

    test_distill.test_progressive_objective_is_zero_at_its_target(1)
    test_distill.test_consistency_target_is_a_moving_average()
    test_distill.test_straightness_of_known_paths()
    replanted(monkeypatch, distill, "_move", "(1 - alpha_bar_t).sqrt()", "(1 - alpha_bar_t)")
    assert fails(test_distill.test_progressive_objective_is_zero_at_its_target, 1)
    replanted(monkeypatch, distill.ConsistencyObjective, "__call__", "lerp_(p, 1 - self.mu)", "lerp_(p, self.mu)")
    assert fails(test_distill.test_consistency_target_is_a_moving_average)
    replanted(monkeypatch, flows, "straightness", "((times[1:] - times[:-1]) / (times[-1] - times[0]))[:, None]",
              "torch.full_like(times[1:], 1 / (len(times) - 1))[:, None]")
    monkeypatch.setattr(helpers, "straightness", flows.straightness)
    assert fails(test_distill.test_straightness_of_known_paths)


def test_control_cells_check_planted(monkeypatch):
    """tests/test_browser.py's check of the cells the browser runs catches a slice that forgets cells filling in a
    table (a store into a subscript), one that treats a function's own names as the lesson's, and one that sends a cell's
    own earlier bindings back to earlier cells."""
    import test_browser

    test_browser.test_control_cells_keep_what_the_controls_need()
    replanted(monkeypatch, test_browser, "_statement_names", "isinstance(child, (ast.Subscript, ast.Attribute))", "False")
    assert fails(test_browser.test_control_cells_keep_what_the_controls_need)
    monkeypatch.undo()
    replanted(monkeypatch, test_browser, "_statement_names", "elif local is None or child.id not in local:", "else:")
    assert fails(test_browser.test_control_cells_keep_what_the_controls_need)
    monkeypatch.undo()
    replanted(monkeypatch, test_browser, "_names", "read |= own_read - bound - first", "read |= own_read - first")
    assert fails(test_browser.test_control_cells_keep_what_the_controls_need)


def test_17_dequantisation_cost_planted():
    """Exercise 17.1's check (against scipy's quadrature of the KL) passes the solution and fails it without the bin's
    mass, with the spread's mean square taken as width^2 / 4, and in nats instead of bits."""
    from helpers.exercises import verdict

    source = (NOTEBOOKS / "solutions" / "17_1.py").read_text().split("helpers.check_exercise")[0]
    for old, new, right in (("", "", True), (" + log_mass", "", False), ("width**2 / 12", "width**2 / 4", False),
                            (") / math.log(2)", ")", False)):
        assert old in source
        namespace = {}
        exec(source.replace(old, new) if old else source, namespace)
        assert verdict("17.1", namespace["dequantisation_cost"])[0] is right, (old, new)


def test_17_digits_unit_checks_planted(monkeypatch):
    """tests/test_digits.py catches: a dequantisation spread over two bins, bits per dimension without the bin's volume,
    a Fréchet distance without the factor 2 on its cross term, the ODE likelihood's change of volume taken for d = 2 in
    any dimension, the kernel distance with its diagonal kept (the biased estimate), the oracle's log density with the 2-D normaliser, the ELBO's prior term halved, and the
    nearest-neighbour ratio by the mean distance instead of the median."""
    import helpers.measures.digit_scores as digit_scores
    import helpers.data.digits as digits
    import helpers.measures.likelihood as likelihood
    import helpers.exact.oracle as oracle
    import test_digits

    checks = (test_digits.test_dequantisation_is_uniform_across_each_bin, test_digits.test_bits_per_dim_counts_the_mass_of_each_bin,
              test_digits.test_frechet_distance_agrees_with_scipy_and_the_one_dimensional_closed_form,
              test_digits.test_the_ode_likelihood_in_five_dimensions_is_the_gaussian_s_own,
              test_digits.test_kernel_distance_is_the_unbiased_mmd_by_scikit_learn_s_kernel_and_near_0_for_one_distribution)
    for check in checks:
        check()
    plants = ((digits, "_dequantise", "(2 * u - 1) * (BIN / 2)", "(2 * u - 1) * BIN"),
              (digits, "bits_per_dim", " + d * math.log(BIN)", ""),
              (digit_scores, "frechet_distance", "- 2 * cross", "- cross"),
              (likelihood, "ode_log_likelihood", "log_prior + d / 2 * math.log", "log_prior + math.log"),
              (digit_scores, "kernel_distance", "(k.sum() - k.diagonal().sum())", "k.sum()"))
    for check, (module, name, old, new) in zip(checks, plants):
        replanted(monkeypatch, module, name, old, new)
        if hasattr(helpers, name):
            monkeypatch.setattr(helpers, name, getattr(module, name))
        assert fails(check), name
        monkeypatch.undo()
    test_digits.test_the_finite_set_oracle_s_density_in_64_dimensions_is_torch_s_mixture()
    replanted(monkeypatch, oracle.MixtureOracle, "_path_terms", "self.d / 2 * torch.log", "torch.log")
    assert fails(test_digits.test_the_finite_set_oracle_s_density_in_64_dimensions_is_torch_s_mixture)
    monkeypatch.undo()
    # The ELBO's prior term against its closed form: the KL halved.
    test_digits.test_the_elbo_in_five_dimensions_has_the_gaussian_kl_in_closed_form()
    replanted(monkeypatch, likelihood, "elbo", "prior_term = torch.distributions.kl_divergence(q_T, p_T)",
              "prior_term = 0.5 * torch.distributions.kl_divergence(q_T, p_T)")
    monkeypatch.setattr(helpers, "elbo", likelihood.elbo)
    assert fails(test_digits.test_the_elbo_in_five_dimensions_has_the_gaussian_kl_in_closed_form)
    monkeypatch.undo()
    # The nearest-neighbour ratio against scikit-learn's: the mean in place of the median.
    judge = helpers.DigitJudge(*test_digits.SPLIT)
    test_digits.test_the_judge_scores_the_data_as_its_definitions_say(judge)
    replanted(monkeypatch, digit_scores.DigitJudge, "scores", "nn_ratio=d1.median().item()", "nn_ratio=d1.mean().item()")
    assert fails(lambda: test_digits.test_the_judge_scores_the_data_as_its_definitions_say(judge))



def test_printed_number_guard_planted(tmp_path, monkeypatch):
    """The guard of tests/test_portability.py fails on a lesson that prints a number to 10 digits (lesson 17's check 3
    as it was: the 7th digit moved between CPUs), and passes the same lesson printed to the digits it means."""
    import nbformat
    import test_portability

    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(distance)")
    notebook.cells = [cell]
    path = tmp_path / "17_planted.ipynb"
    for text, right in (("check 3: the Fréchet distance 0.6144986198\n", False), ("check 3: the Fréchet distance 0.6145\n", True)):
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        nbformat.write(notebook, path)
        assert fails(test_portability.test_printed_numbers_carry_only_meaningful_digits, path) is not right, text


@pytest.mark.parametrize("planted", ["sqrt c_skip", "2 c_out"])
def test_14_wrapper_check_planted(monkeypatch, schedule, planted):
    """Lesson 14's check 2. A wrong coefficient in helpers.edm_coefficients fails the check against the definitions
    (c_out^2 = V(c_skip), V's slope 0 at c_skip), even where Preconditioned uses the same wrong coefficient; a
    Preconditioned whose coefficients differ from helpers.edm_coefficients fails the wrapper check, which builds F from
    helpers.edm_coefficients (issue 37: the check used to build F from the helper Preconditioned uses and stayed at
    1.4e-16 with both errors planted there)."""
    import helpers.networks.preconditioning as preconditioning

    lesson = lesson_functions("14_targets")
    oracle = helpers.s_curve_oracle(schedule)
    x0 = helpers.s_curve(2_000, seed=3).double()
    data_std = x0.std().item()
    alpha_bar = schedule.alpha_bar[50].double()
    x_t = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * torch.randn(x0.shape, dtype=torch.float64,
                                                                       generator=torch.Generator().manual_seed(4))
    alpha_bars = schedule.alpha_bar.double()
    assert not fails(lesson["check_small"], lesson["coefficient_gaps"](alpha_bars, data_std), 1e-12, "right")
    assert lesson["wrapper_gap"](oracle, schedule, data_std, x_t, 50) < 1e-10
    right = preconditioning.edm_coefficients

    def wrong(alpha_bar, data_std):
        c_skip, c_out, c_in, c_noise = right(alpha_bar, data_std)
        return (c_skip.sqrt(), c_out, c_in, c_noise) if planted == "sqrt c_skip" else (c_skip, 2 * c_out, c_in, c_noise)

    # Only inside Preconditioned: the wrapper no longer undoes the F built from helpers.edm_coefficients.
    monkeypatch.setattr(preconditioning, "edm_coefficients", wrong)
    assert lesson["wrapper_gap"](oracle, schedule, data_std, x_t, 50) > 1e-3
    # Everywhere: the wrapper check passes (F and the wrapper agree), the definitions do not.
    monkeypatch.setattr(helpers, "edm_coefficients", wrong)
    assert lesson["wrapper_gap"](oracle, schedule, data_std, x_t, 50) < 1e-10
    assert fails(lesson["check_small"], lesson["coefficient_gaps"](alpha_bars, data_std), 1e-12, "planted")


def test_14_exercises_planted():
    """Exercise 14.1's check passes the solution and fails it with nu for nu^2, the two terms of V exchanged, or the
    unit-variance data's answer 1 / (1 + nu^2); 14.2's fails it with Var(x_t) taken as 1 or sigma_data for its square."""
    from helpers.exercises import verdict

    cases = {"14_1": ("edm_c_skip", [("", "", True), ("nu**2)", "nu)", False),
                                     ("data_std**2 / (data_std**2 + nu**2)", "nu**2 / (data_std**2 + nu**2)", False),
                                     ("data_std**2 / (data_std**2 + nu**2)", "1 / (1 + nu**2)", False)]),
             "14_2": ("gaussian_eps_star", [("", "", True), (" / (alpha_bar * data_std**2 + 1 - alpha_bar)", "", False),
                                            ("data_std**2", "data_std", False)])}
    for stem, (name, plants) in cases.items():
        source = (NOTEBOOKS / "solutions" / f"{stem}.py").read_text().split("helpers.check_exercise")[0]
        for old, new, right in plants:
            assert old in source
            namespace = {}
            exec(source.replace(old, new) if old else source, namespace)
            assert verdict(stem.replace("_", "."), namespace[name])[0] is right, (old, new)


def test_13_prior_term_information_planted(schedule):
    """Lesson 13's equality E[L_T] = I(x_0; x_T) with the exact prior fails when L_T is 0.05 nats off either way (its
    check 1, a one-sided bound with 0.567 nats of slack, cannot see that)."""
    lesson = lesson_functions("13_likelihood")
    oracle = helpers.s_curve_oracle(schedule)
    x0 = helpers.s_curve(4_000, seed=5)
    prior = helpers.elbo(oracle, schedule, x0, prior=lambda x: oracle.log_prob(x, schedule.T - 1),
                         generator=torch.Generator().manual_seed(4)).prior
    assert abs(lesson["information_gap"](prior, oracle, schedule, n=50_000)[0]) < 4
    for shift in (-0.05, 0.05):
        assert abs(lesson["information_gap"](prior + shift, oracle, schedule, n=50_000)[0]) > 4


@pytest.mark.parametrize("planted", ["DPM-Solver-2 without 1/(2r)", "DPM-Solver++(2M) with r inverted"])
def test_15_readable_solvers_planted(monkeypatch, schedule, planted):
    """Lesson 15's check 2 compares the readable solvers with helpers.dpm_solve on a grid even in t, where no r is 1/2
    or 1; on the grid even in lambda it used (issue 37) both planted errors pass."""
    import helpers.sampling.solvers as solvers

    lesson = lesson_functions("15_solvers")
    lesson["oracle"] = helpers.s_curve_oracle(schedule)
    x_T = helpers.gaussian_prior(helpers.s_curve(10_000), schedule, 200, torch.Generator().manual_seed(1)).double()
    method = "dpm2" if planted.startswith("DPM-Solver-2") else "dpm++2m"

    def gap(kind):
        grid = helpers.grid_alpha_bar(schedule, 7, kind)
        ab = grid.tolist()
        ours = helpers.dpm_solve(lambda x, k: lesson["exact_eps"](x, ab[k]), x_T, grid, method)
        if method == "dpm2":
            readable = x_T
            for k in range(0, 6, 2):
                readable = lesson["dpm_solver_2"](lesson["exact_eps"], readable, *ab[k:k + 3])
        else:
            readable = lesson["dpm_solver_pp_2m"](lesson["exact_eps"], x_T, ab)
        return (ours - readable).abs().max().item()

    assert gap("t") < 1e-12
    if method == "dpm2":
        monkeypatch.setattr(solvers, "_singlestep", lambda eps_fn, ab: _planted_singlestep(solvers, eps_fn, ab))
    else:
        monkeypatch.setattr(solvers, "_multistep", lambda predict, ab: _planted_multistep(solvers, predict, ab))
    assert gap("t") > 1e-6 and gap("lambda") < 1e-12


def _planted_singlestep(solvers, eps_fn, ab):
    """DPM-Solver-2's step with the stage's difference added as it is, without 1/(2r)."""
    def step(x, segment):
        i, stages, j = segment
        eps_i = eps_fn(x, i)
        if ab[j] == 1 or not stages:
            return solvers._ddim_step(x, eps_i, ab[i], ab[j])
        d1 = eps_fn(solvers._ddim_step(x, eps_i, ab[i], ab[stages[0]]), stages[0]) - eps_i
        return solvers._ddim_step(x, eps_i + d1, ab[i], ab[j])

    return step


def _planted_multistep(solvers, predict, ab):
    """DPM-Solver++(2M) with r = h / h_previous instead of h_previous / h."""
    previous = None

    def step(x, k):
        nonlocal previous
        x0_hat, _ = predict(x, k)
        combined = x0_hat
        if k > 0 and ab[k + 1] < 1:
            h = solvers._half_log_snr(ab[k + 1]) - solvers._half_log_snr(ab[k])
            r = h / (solvers._half_log_snr(ab[k]) - solvers._half_log_snr(ab[k - 1]))
            combined = (1 + 1 / (2 * r)) * x0_hat - previous / (2 * r)
        previous = x0_hat
        b = (1 - ab[k]) ** 0.5
        return solvers._ddim_step(x, (x - ab[k] ** 0.5 * combined) / b, ab[k], ab[k + 1], x0_hat=combined)

    return step


def test_16_exact_map_is_the_probability_flow_planted(monkeypatch, schedule):
    """Lesson 16's check 1 (every stop on a path maps to the same x_0) holds for any ODE; check 1b (the exact map agrees
    with lesson 10's Heun) fails when the exact map's ODE has the sign of eps flipped."""
    import helpers.sampling.solve as samplers

    lesson = lesson_functions("16_one_step")
    lesson.update(oracle=helpers.s_curve_oracle(schedule), schedule=schedule, alpha_bar=schedule.alpha_bar)
    starts = helpers.gaussian_prior(helpers.s_curve(10_000), schedule, 100, torch.Generator().manual_seed(5))
    assert lesson["heun_gap"](starts, lesson["exact_map"](starts)) < 2e-3
    real = samplers.solve_ivp
    monkeypatch.setattr(samplers, "solve_ivp", lambda fun, *args, **kwargs: real(lambda s, y: -fun(s, y), *args, **kwargs))
    flipped = lesson["exact_map"](starts)
    midway = lesson["exact_map"](starts, schedule.alpha_bar[30].item())
    onward = helpers.ode_reference(lesson["oracle"], midway, schedule.alpha_bar[30].item(), 1 - 1e-12, rtol=1e-9, atol=1e-11)
    assert (onward - flipped).norm(dim=1).max() < 1e-6  # check 1 still passes
    assert lesson["heun_gap"](starts, flipped) > 1e-2


def test_ema_without_its_bias_correction_planted(monkeypatch):
    """The EMA test compares helpers.train's average with numpy's weighted average of the weights it saw; the plain EMA
    (every update weighted 1 - decay, so the initial weights keep decay**n) fails it."""
    import helpers.training.loop as training
    from test_training import ema_against_the_weights_it_saw

    assert ema_against_the_weights_it_saw()[0] < 1e-6
    monkeypatch.setattr(training, "ema_weight", lambda decay, n: 1 - decay)
    assert ema_against_the_weights_it_saw()[0] > 1e-3


def test_helpers_import_circle_planted(tmp_path):
    """tests/test_helpers_layout.py finds the circle issue 40 removed (the solvers importing the module that dispatches
    to them), though the planted import hides inside a function."""
    import shutil

    from test_helpers_layout import HELPERS, import_circles

    shutil.copytree(HELPERS, tmp_path / "helpers")
    assert import_circles(tmp_path / "helpers") == []
    solvers = tmp_path / "helpers" / "sampling" / "solvers.py"
    solvers.write_text(solvers.read_text() + "\n\ndef _dispatch():\n    from .solve import solve\n\n    return solve\n")
    assert import_circles(tmp_path / "helpers") == [["helpers.sampling.solve", "helpers.sampling.solvers"]]


def test_18_inverse_unit_checks_planted(monkeypatch):
    """tests/test_inverse.py catches: the posterior's covariance without its delta^4 term (Bayes on a grid), the weights'
    likelihood without the data's thickness in S (rejection sampling), the score's sign (finite differences), and the
    noised density's centres not scaled by sqrt(alpha_bar) (Monte Carlo over exact draws)."""
    import helpers.exact.posterior as posterior
    import test_inverse

    checks = (test_inverse.test_exact_posterior_density_is_bayes_rule_on_a_grid,
              lambda: test_inverse.test_exact_posterior_is_what_rejection_sampling_keeps(test_inverse.COORDINATE),
              lambda: test_inverse.test_score_is_the_gradient_of_the_log_density(30),
              test_inverse.test_noised_density_is_the_posterior_convolved_with_the_noise)
    plants = ((posterior, "_bayes", "- delta2**2 * A.T @ torch.linalg.solve(S, A)", ""),
              (posterior, "_bayes", "S = delta2 * A @ A.T + sigma_o**2", "S = 0 * A @ A.T + sigma_o**2"),
              (posterior.PosteriorOracle, "_terms", "score = -((x - a", "score = ((x - a"),
              (posterior.PosteriorOracle, "_terms", "z, centres = x @ whiten, a * self.means @ whiten", "z, centres = x @ whiten, self.means @ whiten"))
    each_plant_caught(monkeypatch, checks, plants)


def test_19_discrete_unit_checks_planted(monkeypatch):
    """tests/test_discrete.py catches: the posterior left unnormalised (simulation of the chain), the marginal's kept
    share squared (product of the step matrices), the bound without its 1/n (the exact likelihood of a uniform set of
    strings), and every mask revealed at the first step (exact sampling of the strings)."""
    import test_discrete

    checks = (lambda: test_discrete.test_posterior_is_what_the_simulated_chain_gives("masked"),
              lambda: test_discrete.test_marginal_is_the_product_of_the_steps("uniform", 5),
              test_discrete.test_masked_elbo_of_the_exact_predictor_is_the_exact_likelihood,
              test_discrete.test_exact_sampler_with_many_steps_draws_the_strings_uniformly)
    plants = ((helpers.TokenProcess, "posterior", "return joint / total", "return joint"),
              (helpers.TokenProcess, "marginal_matrix", "self._mix(self.alpha_bar[t])", "self._mix(self.alpha_bar[t] ** 2)"),
              (helpers, "masked_elbo", ".double().cpu() / n_masked", ".double().cpu()"),
              (helpers.sampling.unmask, "_unmask", "< 1 / t)", "<= 1)"))
    each_plant_caught(monkeypatch, checks, plants)


def test_19_text_unit_checks_planted(monkeypatch):
    """tests/test_text.py catches: the autoregressive model shown the token it predicts (its probabilities no longer sum
    to 1 over every sequence), a rotation that is not one (its 2-d case written out), the sampled bound without its
    factor d (the exact sum over all masks), and the sampler drawing every position from the first one's prediction
    (the shares of its samples)."""
    import helpers.networks.transformer as transformer
    import test_text

    checks = (test_text.test_autoregressive_probabilities_sum_to_one,
              test_text.test_rotary_scores_depend_on_the_offset_alone,
              test_text.test_sampled_bound_averages_to_the_full_sum,
              test_text.test_autoregressive_sampler_draws_the_model)
    plants = ((helpers.TokenTransformer, "next_log_probs", "torch.cat([start, x0[:, :-1]], 1)", "x0"),
              (transformer, "rotate", "even * sin + odd * cos", "even * sin - odd * cos"),
              (helpers, "masked_elbo_sampled", "total += d * masked_cross_entropy", "total += masked_cross_entropy"),
              (helpers, "autoregressive_sample", "next_log_probs(x)[:, i]", "next_log_probs(x)[:, 0]"))
    each_plant_caught(monkeypatch, checks, plants)


def test_20_lesson_checks_planted():
    """Lesson 20's checks 1-3 pass the lesson's code and fail: a convolution that flips its filter (a true convolution,
    not PyTorch's cross-correlation), patches without their transpose (rows of the image, not squares), and attention
    scores without their 1 / sqrt(d_h)."""
    lesson = lesson_functions("20_backbones")
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 5, 3, padding=1)
    h = torch.randn(2, 3, 8, 8)
    block = helpers.DiTBlock(96, 4)
    torch.nn.init.normal_(block.modulate.weight, std=0.1)
    tokens, c = torch.randn(5, 16, 96), torch.randn(5, 96)
    x = helpers.digits_split()[2][:5]

    def checks(namespace):
        with torch.no_grad():
            yield torch.allclose(namespace["convolve"](h, conv.weight, conv.bias), conv(h), atol=1e-5)
            yield all(torch.equal(namespace["patches"](x, p), torch.nn.functional.unfold(
                x.reshape(-1, 1, 8, 8), kernel_size=p, stride=p).transpose(1, 2)) for p in (1, 2, 4, 8))
            yield torch.allclose(namespace["dit_block"](block, tokens, c), block(tokens, c), atol=1e-4)

    assert all(checks(lesson))
    plants = (("convolve", "padded[:, :, row:row + 8, col:col + 8]", "padded[:, :, 2 - row:10 - row, 2 - col:10 - col]"),
              ("patches", ".transpose(2, 3)", ""),
              ("dit_block", " / d_h**0.5", ""))
    for k, (name, old, new) in enumerate(plants):
        source = function_source("20_backbones", name)
        assert old in source, (name, old)
        namespace = dict(lesson)
        exec(source.replace(old, new), namespace)
        assert not list(checks(namespace))[k], (name, new)


def test_20_backbones_unit_checks_planted(monkeypatch):
    """tests/test_backbones.py catches: patches read in the image's row order (PyTorch's unfold), the zero-started
    layers started at random (the exact identity at the start), attention without its 1 / sqrt(d_h) (the written-out
    attention), the step's features averaged over the batch (each image on its own), attention taken over the head's
    numbers instead of the tokens (the tokens' order without positions), the EMA's horizon the whole run instead of a
    tenth (the recipes), and a loaded DiT built with
    one head, which its weights fit as well as any number of heads (the round trip)."""
    import helpers.networks.backbones as backbones
    import test_backbones

    checks = (lambda: test_backbones.test_patches_are_unfold_s_and_fold_undoes_them(2),
              test_backbones.test_a_fresh_dit_outputs_zero_and_its_blocks_are_the_identity,
              test_backbones.test_dit_block_is_the_written_out_attention,
              lambda: test_backbones.test_each_image_of_a_batch_is_denoised_on_its_own("unet"),
              test_backbones.test_without_positions_the_dit_does_not_see_the_tokens_order,
              lambda: test_backbones.test_recipes_give_equal_time_and_a_tenth_of_each_run_to_the_ema("unet", 4),
              lambda: test_backbones.test_weights_round_trip_and_refuse_the_other_network("dit", Path(tempfile.mkdtemp())))
    plants = ((backbones, "_to_patches", ".permute(0, 1, 3, 2, 4)", ".permute(0, 1, 2, 3, 4)"),
              (backbones, "_zero", "nn.init.zeros_(layer.weight)", "nn.init.normal_(layer.weight, std=0.02)"),
              (backbones.DiTBlock, "forward", "scaled_dot_product_attention(q, k, v)",
               "scaled_dot_product_attention(q, k, v, scale=1.0)"),
              (backbones.ResBlock, "forward", "self.step(e)[:, :, None, None]", "self.step(e).mean(0)[None, :, None, None]"),
              (backbones.DiTBlock, "forward", ".permute(2, 0, 3, 1, 4)", ".permute(2, 0, 3, 4, 1)"),
              (helpers, "backbone_recipe", "max(1.0, EMA_SHARE * steps)", "max(1.0, steps)"),
              (helpers, "load_model", 'config["heads"], config["patch"])', '1, config["patch"])'))
    each_plant_caught(monkeypatch, checks, plants)


def test_21_latent_unit_checks_planted(monkeypatch):
    """tests/test_latent.py catches: the KL with the log-variance's sign flipped (torch's KL), draws with the variance
    where the std belongs (their spread), the loss's squared error averaged over pixels instead of summed (the negative
    ELBO), the scale from the codes' mean absolute value (unit variance), the bound's k log c with the wrong sign (an exact
    latent model at three scales), the embedding's noise in every direction instead of off the plane (the plane kept),
    and the embedded oracle's std doubled (the 2-D oracle in the plane). A file loaded into the wrong autoencoder fails
    loudly (load_state_dict's size mismatch), so the round trip needs no plant."""
    import helpers.objectives.autoencoding as autoencoding
    import test_latent

    checks = (test_latent.test_kl_to_standard_is_torch_s_kl_of_two_gaussians,
              test_latent.test_draws_have_the_encoder_s_mean_and_variance,
              test_latent.test_reconstruction_is_the_negative_elbo_when_its_weight_is_twice_the_decoder_variance,
              test_latent.test_the_latent_scale_gives_the_draws_unit_variance,
              test_latent.test_the_bound_does_not_depend_on_the_scale_for_an_exact_latent_model,
              test_latent.test_the_embedding_keeps_the_plane_and_adds_its_noise_off_it,
              test_latent.test_the_embedded_oracle_is_the_plane_s_oracle_and_a_shrinkage_off_it)
    plants = ((autoencoding, "kl_to_standard", "- 1 - log_var", "- 1 + log_var"),
              (helpers, "draw_latent", "(0.5 * log_var).exp()", "log_var.exp()"),
              (autoencoding.Reconstruction, "__call__", "** 2).sum(1).mean()", "** 2).mean()"),
              (helpers, "latent_scale", "1 / z.std().item()", "1 / z.abs().mean().item()"),
              (helpers, "latent_elbo", "- k * math.log(scale)", "+ k * math.log(scale)"),
              (helpers, "embed", "z - (z @ q) @ q.T", "z"),
              (helpers, "embedded_oracle", "DATA_STD, schedule)", "2 * DATA_STD, schedule)"))
    each_plant_caught(monkeypatch, checks, plants)


def test_21_lesson_checks_planted():
    """Lesson 21's checks 1-3 pass the lesson's code and fail: the 2-D oracle asked at the 64-D point's first two numbers
    instead of its place in the plane, the KL with the log-variance's sign flipped, and the bound without the scale's
    k log c."""
    lesson = lesson_functions("21_latent_diffusion")
    schedule = helpers.sigmoid_schedule(100)
    q = helpers.embedding()
    oracle_64, oracle_2 = helpers.embedded_oracle(q, schedule), helpers.s_curve_oracle(schedule)
    y_t = helpers.q_sample(helpers.embed(helpers.s_curve(300), q, generator=torch.Generator().manual_seed(1)).double(), 40,
                           schedule, generator=torch.Generator().manual_seed(2))
    mu, log_var = torch.randn(6, 8), torch.randn(6, 8)
    torch.manual_seed(0)
    autoencoder = helpers.Autoencoder(latent=3, hidden=16)
    oracle = helpers.exact.oracle.MixtureOracle(torch.zeros(1, 3), torch.zeros(1), 0.5, helpers.digits_schedule())
    y = helpers.dequantise(helpers.digits_split()[2][:20], torch.Generator().manual_seed(3))

    by_helper = helpers.latent_elbo(autoencoder, 2.0, 0.3, oracle, helpers.digits_schedule(), y,
                                    torch.Generator().manual_seed(4)).nll_bound
    # One check per plant, each run on its own: the bound's check runs lesson 13's ELBO over 1 000 steps.
    checks = (lambda namespace: namespace["plane_gap"](oracle_64, oracle_2, q, y_t, 40) < 1e-8,
              lambda namespace: torch.allclose(namespace["kl_closed_form"](mu, log_var), kl_divergence(
                  Normal(mu, (0.5 * log_var).exp()), Normal(0.0, 1.0)).sum(1), rtol=1e-5, atol=1e-5),
              lambda namespace: torch.allclose(by_helper, namespace["latent_bound"](
                  autoencoder, 2.0, 0.3, oracle, helpers.digits_schedule(), y, torch.Generator().manual_seed(4))[0],
                  rtol=1e-6))
    assert all(check(lesson) for check in checks)
    plants = (("plane_gap", "oracle_2.denoise(x_tilde_t @ q, t)", "oracle_2.denoise(x_tilde_t[:, :2], t)"),
              ("kl_closed_form", "- 1 - log_var", "- 1 + log_var"),
              ("latent_bound", " - w.shape[1] * math.log(scale)", ""))
    for check, (name, old, new) in zip(checks, plants):
        source = function_source("21_latent_diffusion", name)
        assert old in source, (name, old)
        namespace = dict(lesson)
        exec(source.replace(old, new), namespace)
        assert not check(namespace), (name, new)


def test_22_scale_unit_checks_planted(monkeypatch):
    """tests/test_scale.py catches: micro-batches weighted alike instead of by their rows (three uneven ones), a resumed
    run whose random stream starts afresh instead of where it stopped, train under autocast let through (the first
    step's weights, cached), the casts kept from step to step inside a disabled autocast block, and a likelihood under
    autocast let through."""
    import helpers.data.digits as digits
    import helpers.measures.likelihood as likelihood
    import helpers.training.loop as loop
    import test_scale

    one = test_scale.helpers.train_digits_member(test_scale.X_TRAIN, test_scale.RUN)
    checks = (lambda: test_scale.test_micro_batches_train_the_whole_batch_s_steps(one, 3),
              lambda: test_scale.test_a_resumed_run_is_the_uninterrupted_one_bit_for_bit(Path(tempfile.mkdtemp()), 5),
              lambda: test_scale.test_bfloat16_trains_like_float32_and_autocast_around_the_loop_does_not(one),
              test_scale.test_bfloat16_inside_a_disabled_autocast_block_trains_as_outside_it,
              test_scale.test_a_likelihood_under_autocast_is_refused)
    plants = ((loop, "shared_step", "(world * piece.shape[0] / n)", "(world / len(pieces))"),
              (loop, "load_state", 'generator.set_state(state["generator"])', "generator.manual_seed(0)"),
              (digits, "train", "if torch.is_autocast_enabled(device.type):", "if False:"),
              (digits, "train", "torch.clear_autocast_cache()", "pass"),
              (likelihood, "check_full_precision", 'for device in ("cpu", "cuda"):', "for device in ():"))
    each_plant_caught(monkeypatch, checks, plants)


def test_22_an_ema_updated_in_one_process_is_caught():
    """The distributed EMA bug planted in both processes (tests/scale_members.py): the ranks' EMAs differ, and the second
    one is far from one process's; lesson 22's check 2 and tests/test_scale.py compare exactly these."""
    import scale_members
    import test_scale

    two = helpers.launch(scale_members.train_with_ema_on_rank_0, 2, test_scale.X_TRAIN, test_scale.RUN)
    one = helpers.train_digits_member(test_scale.X_TRAIN, test_scale.RUN)
    assert test_scale.largest(two[0]["ema"], one["ema"]) < test_scale.TOLERANCE
    assert not test_scale.equal(two[0]["ema"], two[1]["ema"])
    assert test_scale.largest(two[1]["ema"], one["ema"]) > 3 * test_scale.TOLERANCE


def test_22_processes_that_disagree_on_stopping_are_caught():
    """train's agreement to stop planted away in both processes (tests/scale_members.py): the first process runs on into
    an all-reduce the second never joins, and the test that both stop at step 7 fails with the first process's error."""
    import test_scale

    with pytest.raises(RuntimeError, match="process 0 of 2 failed"):
        test_scale.test_processes_stop_together_when_one_asks(agree=False)


def test_22_lesson_checks_planted():
    """Lesson 22's check 1 passes the lesson's split and fails with the shares weighted alike (34 and 33 rows)."""
    lesson = lesson_functions("22_scale")
    x_train = helpers.digits_split()[0]
    run = dataclasses.replace(helpers.DIGITS, steps=20, warmup_steps=2)
    lesson["objective"] = helpers.data.digits.Dequantised(helpers.Denoising(helpers.digits_schedule(), run))
    torch.manual_seed(0)
    lesson["model"] = helpers.digits_network(x_train)
    rows = lesson["objective"].draw(x_train[:67], torch.Generator().manual_seed(0))
    whole = lesson["gradient"](lesson["objective"].loss(lesson["model"], *rows))
    shares = torch.tensor_split(torch.arange(67), 2)

    def check(namespace):
        split = namespace["split_gradient"](rows, shares)
        return ((split - whole).norm() / whole.norm()).item() < 1e-5

    assert check(lesson)
    source = function_source("22_scale", "split_gradient")
    old = "* len(share) / n"
    assert old in source
    namespace = dict(lesson)
    exec(source.replace(old, "/ len(shares)"), namespace)
    assert not check(namespace)


def _plant_translation(english, chinese, defect):
    """Lesson 03's English and Chinese twins with one defect planted; the cell indices are lesson 03's."""
    text = [i for i, cell in enumerate(chinese.cells) if cell.cell_type == "markdown"][2]
    code = next(i for i, cell in enumerate(english.cells) if cell.cell_type == "code" and "\n" in cell.source and "#" not in cell.source)
    if defect == "stale":
        english.cells[text].source += " (a sentence added to the English)"
    elif defect == "more than its comments":
        english.cells[code].source += "\nx = 1"
    elif defect == "comments differ":
        english.cells[code].source += "  # a comment added to the English"
    elif defect == "missing or extra":
        del chinese.cells[text]
    elif defect == "extra":
        chinese.cells.insert(text, nbformat.v4.new_markdown_cell("多出来的一段。", metadata={"translates": "000000000000"}))
    elif defect == "moved":
        chinese.cells[text], chinese.cells[text + 2] = chinese.cells[text + 2], chinese.cells[text]
    elif defect == "not translated":
        chinese.cells[text].source = english.cells[text].source
    elif defect == "line break":
        chinese.cells[text].source = re.sub(r"([\u4e00-\u9fff])([\u4e00-\u9fff])", "\\1\n\\2", chinese.cells[text].source, count=1)
    elif defect == "slideshow metadata":
        chinese.cells[text].metadata["slideshow"] = {"slide_type": "fragment"}
    return text if defect != "more than its comments" and defect != "comments differ" else code


@pytest.mark.parametrize("defect", ["stale", "more than its comments", "comments differ", "missing or extra", "extra", "moved",
                                    "not translated", "line break", "slideshow metadata"])
def test_zh_translation_check_planted(defect):
    """tools/translation.py's cell-for-cell check passes lesson 03's translation (test_translation) and names each
    planted defect, in the cell where it was planted: an English cell changed (text, code, a comment), a cell of the
    translation missing, extra or moved, left in English, broken between two characters, or presented otherwise."""
    import translation

    english, chinese = (jupytext.read(folder / "03_forward_process.py") for folder in (translation.ENGLISH, translation.CHINESE))
    assert translation.compare(copy.deepcopy(english), copy.deepcopy(chinese)) == []
    index = _plant_translation(english, chinese, defect)
    problems = translation.compare(english, chinese)
    named = [problem for problem in problems if defect.split(" or ")[0] in problem or (defect == "extra" and "extra" in problem)]
    assert named, problems
    if defect not in ("missing or extra", "extra"):
        assert named[0].startswith(f"cell {index} (English: {translation.first_line(english.cells[index])!r})"), named


def test_zh_glossary_term_check_planted():
    """A translation that says 噪声表 where the glossary says 噪声调度 fails the term check; the committed one passes."""
    import translation

    english, chinese = (translation.prose(jupytext.read(folder / "02_noise_schedule.py"))
                        for folder in (translation.ENGLISH, translation.CHINESE))
    terms = translation.glossary()
    assert translation.term_problems(english, chinese, terms) == []
    problems = translation.term_problems(english, chinese.replace("噪声调度", "噪声表"), terms)
    assert problems == ["the English says 'noise schedule', the translation never '噪声调度' (zh/glossary.md)"]


def test_zh_location_check_planted():
    """Lesson 08's code works from zh/ (test_translation); without the line that saves the learner's checkpoint, its
    next line uses checkpoints/my_ddpm.pt in a folder zh/ does not have, and the check names it."""
    import translation

    code = "\n".join(cell.source for cell in jupytext.read(translation.ENGLISH / "08_training.py").cells if cell.cell_type == "code")
    assert translation.location_problems(code) == []
    saves = [line for line in code.splitlines() if "save_weights(" in line and "checkpoints/" in line]
    assert len(saves) == 1
    problems = translation.location_problems(code.replace(saves[0], ""))
    assert problems and problems[0].startswith("'checkpoints/my_ddpm.pt' is used in the lesson's own folder before"), problems
