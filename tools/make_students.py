"""Train lesson 16's students from the committed network; write the checkpoints lesson 16 loads.

    .venv/bin/python tools/make_students.py        (about 2 minutes on 2 cores)

Five files in notebooks/checkpoints/: progressive distillation's students of 4, 2 and 1 steps, the consistency-distilled
student and the reflowed velocity network. tests/test_committed_students.py retrains each recipe and checks the
committed files are what it makes; benchmarks/one_step.py trains the same recipes on five seeds.
"""

import copy
import dataclasses
from pathlib import Path

import torch

import helpers
from helpers.objectives.distill import CONSISTENCY_STEPS, DISTILL, ConsistencyObjective, progressive_objective

FOLDER = helpers.COMMITTED_CHECKPOINT.parent
# Progressive distillation halves 32 steps (the teacher's DDIM) five times; these rounds' students are committed.
KEPT_ROUNDS = (4, 2, 1)
FILES = {**{f"pd_{n}": FOLDER / f"student_pd_{n}.pt" for n in KEPT_ROUNDS},
         "cd": FOLDER / "student_cd.pt", "reflow": FOLDER / "student_reflow.pt"}
# Reflow's pairs: this many starts from lesson 10's Gaussian, carried to x_0 by the teacher (lesson 15's best solver).
N_PAIRS = 20_000
TEACHER_NFE = 20


def setup():
    """The schedule, the training points and the teacher (the committed network, lesson 08's recipe)."""
    return helpers.sigmoid_schedule(100), helpers.s_curve(10_000), helpers.load_model(helpers.COMMITTED_CHECKPOINT)


def new_student(schedule, x0, seed):
    """An untrained x0-predicting student: lesson 14's preconditioning around the course's MLP."""
    torch.manual_seed(seed)
    return helpers.Preconditioned(helpers.NoisePredictor(schedule.T, DISTILL.hidden, predicts="edm"), schedule, x0.std().item())


def teacher_map(teacher, schedule, x_T):
    """Where the teacher sends x_T: DPM-Solver++(2M) on the shifted grid (lesson 15)."""
    steps = helpers.grid_steps(schedule, TEACHER_NFE, "shift")
    return helpers.sample_steps(teacher, schedule, x_T.shape[0], steps, "dpm++2m", x_T=x_T)


def train_progressive(seed=0, rounds=(16, 8, 4, 2, 1)):
    """Each round's student, {n_steps: student}; round n starts from round 2n's student and learns from it."""
    schedule, x0, teacher = setup()
    student, students = new_student(schedule, x0, seed), {}
    for n in rounds:
        config = dataclasses.replace(DISTILL, seed=seed)
        helpers.train(student, x0, progressive_objective(teacher, schedule, n), config, progress=False)
        students[n] = copy.deepcopy(student).eval()
        teacher = students[n]
    return students


def train_consistency(seed=0, distil=True):
    """Consistency distillation from the teacher (distil) or consistency training from the data alone."""
    schedule, x0, teacher = setup()
    student = new_student(schedule, x0, seed)
    config = dataclasses.replace(DISTILL, steps=CONSISTENCY_STEPS, seed=seed)
    objective = ConsistencyObjective(schedule, teacher if distil else None)
    helpers.train(student, x0, objective, config, progress=False)
    return student.eval()


def reflow_pairs(seed=0):
    """(x_T, x_0) pairs: starts drawn from lesson 10's Gaussian and the teacher's x_0 for each."""
    schedule, x0, teacher = setup()
    x_T = helpers.gaussian_prior(x0, schedule, N_PAIRS, torch.Generator().manual_seed(1000 + seed))
    return x_T, teacher_map(teacher, schedule, x_T)


def train_reflow(seed=0):
    """Lesson 12's velocity network trained by flow matching on the teacher's pairs: one round of reflow."""
    x_T, ends = reflow_pairs(seed)
    torch.manual_seed(seed)
    velocity = helpers.VelocityPredictor(DISTILL.hidden)
    config = dataclasses.replace(DISTILL, steps=CONSISTENCY_STEPS, seed=seed)
    helpers.train(velocity, (ends, x_T), helpers.FlowLoss(), config, progress=False)
    return velocity.eval()


def train_all(seed=0):
    """Every committed student of one seed, by name."""
    progressive = train_progressive(seed)
    return {**{f"pd_{n}": progressive[n] for n in KEPT_ROUNDS},
            "cd": train_consistency(seed), "reflow": train_reflow(seed)}


def savable(student):
    """The network a file holds: a Preconditioned student's raw network (the wrapper is rebuilt from the data's std)."""
    return student.raw if isinstance(student, helpers.Preconditioned) else student


def load(name, schedule, x0):
    """A committed student, rebuilt as lesson 16 builds it."""
    net = helpers.load_model(FILES[name])
    return net if name == "reflow" else helpers.Preconditioned(net, schedule, x0.std().item()).eval()


if __name__ == "__main__":
    for name, student in train_all().items():
        helpers.save_weights(savable(student), FILES[name])
        print(f"wrote {Path(FILES[name]).relative_to(FOLDER.parent.parent)}")
