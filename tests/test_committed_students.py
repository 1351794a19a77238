"""The students committed for lesson 16 are what tools/make_students.py's recipes produce: each is retrained and both
are compared where it matters, on where they send the same starts. A recipe is retrained when something it reads has
changed since its last passing retraining (tests/retrains.py)."""

import sys
from pathlib import Path

import pytest
import torch

import helpers
from retrains import retrain_unless_recorded

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_students  # noqa: E402

# Retraining takes 45 s here (progressive distillation's first four rounds); tests/conftest.py starts this file early,
# and tests/test_committed_students_b.py holds the other recipes so that the two workers share them.
RETRAINS = True
N_STARTS = 1000


@pytest.fixture(scope="module")
def setting():
    schedule, x0, _ = make_students.setup()
    x_T = helpers.gaussian_prior(x0, schedule, N_STARTS, torch.Generator().manual_seed(21))
    exact = helpers.ode_reference(helpers.s_curve_oracle(schedule), x_T, schedule.alpha_bar[-1].item(), 1 - 1e-12,
                                  rtol=1e-9, atol=1e-11)
    return schedule, x0, x_T, exact


def one_step(name, net, schedule, x_T):
    with torch.no_grad():
        if name == "reflow":
            return helpers.flow_solve(net, x_T, helpers.flow_grid(1)).double()
        k = int(name.split("_")[1]) if name.startswith("pd") else 1
        return helpers.sample_steps(net, schedule, len(x_T), helpers.student_steps(schedule, k), "ddim", x_T=x_T,
                                    target="x0").double()


def rms(a, b):
    return (a - b).norm(dim=1).pow(2).mean().sqrt().item()


def same_student(name, retrained, setting):
    """Two trainings of one recipe differ by floating-point rounding (another CPU) or not at all (this one); chaotic as
    training is, their maps may then drift apart by a fraction of their error. Where they send the starts must differ
    by under a third of the committed student's own distance to the exact map. Returns both distances."""
    schedule, x0, x_T, exact = setting
    committed = one_step(name, make_students.load(name, schedule, x0), schedule, x_T)
    again = one_step(name, retrained, schedule, x_T)
    numbers = {"rms_committed_retrained": rms(committed, again), "rms_committed_exact": rms(committed, exact)}
    assert numbers["rms_committed_retrained"] < numbers["rms_committed_exact"] / 3, (name, numbers)
    return numbers


def files_of(*names):
    """A student's committed file and its teacher's (the committed network)."""
    return [helpers.COMMITTED_CHECKPOINT] + [make_students.FILES[name] for name in names]


def test_progressive_students_match_their_recipe(setting):
    """The 4- and 2-step students from the recipe's first four rounds. The one-step student is the last round, which
    lesson 16 trains live from the committed 2-step student and compares with the committed file by the same rule
    (its cell asserts it; nbval runs it in every test command, `--lesson 16` included)."""
    def retrain_and_compare():
        students = make_students.train_progressive(rounds=(16, 8, 4, 2))
        return {f"pd_{n}": same_student(f"pd_{n}", students[n], setting) for n in (4, 2)}

    retrain_unless_recorded("progressive distillation", files_of("pd_4", "pd_2"), retrain_and_compare)


def test_an_untrained_student_fails_the_comparison(setting):
    """The comparison can fail: a student trained for 20 steps instead of its recipe's is told apart."""
    schedule, x0, _, _ = setting
    short = make_students.new_student(schedule, x0, 0)
    config = helpers.TrainConfig(steps=20, batch_size=1024, lr=2e-3)
    objective = helpers.ConsistencyObjective(schedule, helpers.load_model(helpers.COMMITTED_CHECKPOINT))
    helpers.train(short, x0, objective, config, progress=False)
    with pytest.raises(AssertionError):
        same_student("cd", short.eval(), setting)
