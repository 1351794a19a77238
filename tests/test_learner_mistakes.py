"""A learner's mistake gets a clear answer, never a wrong one, and nothing a learner does destroys their work.

Two parts. PROBES: one row per mistake a learner makes (found by trying the helpers, the exercise checker, the
checkpoints and course.py as a newcomer would), each with what must happen: a clear error (its type and words) or the
correct result. SWEEP: every public entry point that takes points, fed shapes x dtypes x special values; each must give
a finite, correct result or an error that names the argument, never a silent NaN, inf or wrong shape.
"""

import json
import math
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch

import helpers
from conftest import SCH, seeded
from helpers.exercises import EXERCISES, Exercise, verdict
from helpers.exercises.base import prediction
from helpers.exercises.lesson02 import _measure_snr_unscaled
from helpers.exercises.lesson07 import _off_curve_with_last_step_noise

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("all",)

TINY = helpers.TrainConfig(steps=30, batch_size=64, hidden=16, lr=1e-2)
CLEAR = (TypeError, ValueError, FloatingPointError, OSError)


def net(T=100, seed=0, predicts="eps"):
    torch.manual_seed(seed)
    return helpers.NoisePredictor(T, 16, predicts=predicts)


def raises(call, exception, words):
    """Run call and check that it raises exception with every one of words in its message."""
    with pytest.raises(exception) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"
    return str(info.value)


# ----------------------------------------------------------------------------------------------------------------
# The exercise checker

def test_checker_answers_an_answer_that_changes_its_input_in_place():
    # Both change x in place; the first centres (wrong: the exercise only divides), the second erases it.
    assert verdict("01.1", lambda x: x.sub_(x.mean(0)).div_(x.std(0)))[0] is False
    assert verdict("01.1", lambda x: x.zero_())[0] is False
    # Right answers written in place are right.
    assert verdict("01.1", lambda x: x.div_(x.std(0)))[0] is True
    assert verdict("12.1", lambda eps, x, s: eps.sub_(x.sub_(s * eps).div_(1 - s)))[0] is True
    assert verdict("04.2", lambda xt, eps, a: xt.sub_((1 - a).sqrt() * eps).div_(a.sqrt()))[0] is True


def test_checker_reports_the_learners_own_error_and_line():
    def answer(x):
        scale = x.std(dim=0)
        return x / scale.reshape(3)

    ok, message = verdict("01.1", answer)
    assert ok is False
    assert "RuntimeError: shape '[3]' is invalid for input of size 2" in message
    line = answer.__code__.co_firstlineno + 2
    assert f"(your code, in answer, test_learner_mistakes.py line {line}: `return x / scale.reshape(3)`)" in message


def test_checker_names_the_cell_line_of_a_notebook_function():
    """In a kernel every cell may share one name, so the message gives the function and its line, not a quoted line
    that could be another cell's."""
    namespace = {}
    exec(compile("def mine(x):\n    return x / undefined\n", "<IPY-INPUT>", "exec"), namespace)
    ok, message = verdict("01.1", namespace["mine"])
    assert ok is False and "NameError: name 'undefined' is not defined (your code, in mine, line 2 of its cell)" in message
    exec(compile("def mine(x):\n    return x / undefined\n", "/tmp/ipykernel_123/4567.py", "exec"), namespace)
    assert "(your code, in mine, line 2 of its cell)" in verdict("01.1", namespace["mine"])[1]


def test_checker_says_to_pass_the_function_not_its_result():
    x = helpers.s_curve(10)
    ok, message = verdict("01.1", x / x.std(0))
    assert ok is False and "pass the function itself (to_unit_std), not a value or its result" in message


def test_checker_tells_a_damaged_course_file_from_a_wrong_answer(tmp_path, monkeypatch):
    damaged = tmp_path / "ddpm_scurve.pt"
    data = bytearray(helpers.COMMITTED_CHECKPOINT.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    damaged.write_bytes(bytes(data))
    monkeypatch.setattr(helpers.networks.checkpoint, "COMMITTED_CHECKPOINT", damaged)
    exercise = EXERCISES["07.1"]
    # A fresh check: the real one keeps the measurement it made from the intact file.
    fresh = Exercise(exercise.name, prediction(_off_curve_with_last_step_noise, "off-curve", rel_tol=0.03), exercise.hint)
    monkeypatch.setitem(EXERCISES, "07.1", fresh)
    ok, message = verdict("07.1", 10.0)
    assert ok is None
    assert "the check itself failed" in message and "damaged" in message and "not of your answer" in message


def test_checker_blames_what_the_function_returned_when_the_check_cannot_use_it():
    ok, message = verdict("04.2", lambda xt, eps, a: torch.zeros(100, 2, dtype=torch.complex64))
    assert ok is False and "not yet: the check could not use what your function returned (RuntimeError" in message


def test_checker_accepts_a_number_held_in_a_tensor():
    right = _measure_snr_unscaled()
    assert verdict("02.3", torch.tensor(right))[0] is True
    assert verdict("02.3", np.float64(right))[0] is True
    assert verdict("02.1", lambda beta: torch.prod(1 - beta))[0] is True


# ----------------------------------------------------------------------------------------------------------------
# Training that diverges, and what it leaves behind

@pytest.mark.parametrize("case", ["huge learning rate", "one point at 1e30"])
def test_diverging_training_stops_with_a_message(case, tmp_path):
    x0 = helpers.s_curve(500)
    config = TINY
    if case == "huge learning rate":
        config = helpers.TrainConfig(steps=30, batch_size=64, hidden=16, lr=1e10, clip_norm=1e30)
    else:
        x0[7] = 1e30
        config = helpers.TrainConfig(steps=30, batch_size=500, hidden=16)
    model = helpers.NoisePredictor(100, 16)
    message = raises(lambda: helpers.train(model, x0, helpers.Denoising(SCH, config), config, progress=False), FloatingPointError,
                     ["training diverged at step", "learning rate", "largest |x0|"])
    assert ("1e+30" in message) == (case == "one point at 1e30")


def test_nan_weights_are_never_saved_nor_sampled(tmp_path):
    model = net()
    with torch.no_grad():
        model.out.weight[0, 0] = float("nan")
    raises(lambda: helpers.save_weights(model, tmp_path / "w.pt"), ValueError, ["NaN or infinite", "diverged"])
    assert not (tmp_path / "w.pt").exists()
    raises(lambda: helpers.sample(model, SCH, 10, generator=seeded()), ValueError, ["model's weights hold 1 NaN"])
    raises(lambda: helpers.sample_steps(model, SCH, 10, 5, generator=seeded()), ValueError, ["model's weights"])


# ----------------------------------------------------------------------------------------------------------------
# A schedule that does not match the network

MISMATCH = {
    "sample, 50 steps": lambda: helpers.sample(net(), helpers.sigmoid_schedule(50), 10, generator=seeded()),
    "sample, 1000 steps": lambda: helpers.sample(net(), helpers.linear_schedule(1000), 10, generator=seeded()),
    "sample_steps": lambda: helpers.sample_steps(net(), helpers.sigmoid_schedule(50), 10, 5, generator=seeded()),
    "invert": lambda: helpers.invert(net(), helpers.sigmoid_schedule(50), helpers.s_curve(10), 5),
    "eps_loss": lambda: helpers.eps_loss(net(), helpers.s_curve(10), helpers.sigmoid_schedule(50)),
    "train": lambda: helpers.train(net(), helpers.s_curve(100), helpers.Denoising(helpers.sigmoid_schedule(50), TINY), TINY, progress=False),
    "guided": lambda: helpers.sample(helpers.Guided(helpers.ConditionalNoisePredictor(100, 3, 16), 0, 1.0),
                                     helpers.sigmoid_schedule(50), 10, generator=seeded()),
}


@pytest.mark.parametrize("name", MISMATCH)
def test_schedule_network_mismatch_is_named(name):
    raises(MISMATCH[name], ValueError, ["the network was built for T = 100 steps but the schedule has T ="])


# ----------------------------------------------------------------------------------------------------------------
# Checkpoints

def test_damaged_checkpoint_is_refused(tmp_path):
    path = tmp_path / "w.pt"
    helpers.save_weights(net(), path)
    data = bytearray(path.read_bytes())
    for offset in (len(data) // 3, len(data) // 2, 2 * len(data) // 3):
        damaged = data.copy()
        damaged[offset : offset + 64] = bytes(b ^ 0xFF for b in damaged[offset : offset + 64])
        path.write_bytes(bytes(damaged))
        raises(lambda: helpers.load_weights(helpers.NoisePredictor(100, 16), path), ValueError, ["damaged"])


def test_a_save_that_fails_part_way_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "w.pt"
    good = net(seed=1)
    helpers.save_weights(good, path)
    before = path.read_bytes()

    def disk_full(obj, file):
        file.write(b"PK\x03\x04 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(helpers.networks.checkpoint.torch, "save", disk_full)
    raises(lambda: helpers.save_weights(net(seed=2), path), OSError, ["could not write", "is unchanged"])
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["w.pt"]
    loaded = helpers.load_weights(helpers.NoisePredictor(100, 16), path)
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), good.state_dict().values()))


def test_an_old_checkpoint_without_checksum_is_explained(tmp_path):
    model = net()
    torch.save({"format": "scurve-diffusion/weights-v1", "config": model.config(), "state_dict": model.state_dict()},
               tmp_path / "old.pt")
    raises(lambda: helpers.load_weights(helpers.NoisePredictor(100, 16), tmp_path / "old.pt"), ValueError,
           ["older format without a checksum", "save the network again"])


# ----------------------------------------------------------------------------------------------------------------
# The learner's workspace (course.py lab)

def notebook(text):
    return json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": text}], "metadata": {},
                       "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def course_root(tmp_path):
    root = tmp_path / "course"
    (root / "notebooks" / "checkpoints").mkdir(parents=True)
    (root / "notebooks" / "01_data.ipynb").write_text(notebook("lesson v1"))
    (root / "notebooks" / "02_noise.ipynb").write_text(notebook("lesson 2 v1"))
    (root / "notebooks" / "checkpoints" / "ddpm_scurve.pt").write_bytes(b"weights v1")
    return root


def test_workspace_updates_an_unchanged_lesson_and_keeps_a_changed_one(course, course_root, tmp_path):
    mine = tmp_path / "workspace"
    assert len(course.make_workspace(mine, course_root)["new"]) == 3
    (mine / "notebooks" / "02_noise.ipynb").write_text(notebook("my notes on lesson 2"))
    (course_root / "notebooks" / "01_data.ipynb").write_text(notebook("lesson v2"))
    (course_root / "notebooks" / "02_noise.ipynb").write_text(notebook("lesson 2 v2"))
    (course_root / "notebooks" / "checkpoints" / "ddpm_scurve.pt").write_bytes(b"weights v2")
    report = course.make_workspace(mine, course_root)
    assert report["updated"] == [mine / "notebooks" / "01_data.ipynb", mine / "notebooks" / "checkpoints" / "ddpm_scurve.pt"]
    assert json.loads((mine / "notebooks" / "01_data.ipynb").read_text())["cells"][0]["source"] == "lesson v2"
    kept, new = mine / "notebooks" / "02_noise.ipynb", mine / "notebooks" / "02_noise.updated.ipynb"
    assert report["beside"] == [(kept, new)]
    assert "my notes" in kept.read_text() and "lesson 2 v2" in new.read_text()
    message = course.workspace_message(report, mine)
    assert "notebooks/02_noise.ipynb  ->  new: 02_noise.updated.ipynb" in message and "Updated" in message
    # Told once: the next run has nothing to say.
    assert course.make_workspace(mine, course_root) == {"new": [], "updated": [], "beside": [], "broken": []}
    # The learner works in the new version too; the course changes again: neither of their files is written over.
    new.write_text(notebook("my notes in the new version"))
    (course_root / "notebooks" / "02_noise.ipynb").write_text(notebook("lesson 2 v3"))
    report = course.make_workspace(mine, course_root)
    third = mine / "notebooks" / "02_noise.updated-2.ipynb"
    assert report["beside"] == [(kept, third)] and "lesson 2 v3" in third.read_text()
    assert "my notes on lesson 2" in kept.read_text() and "my notes in the new version" in new.read_text()


def test_workspace_from_before_the_manifest_keeps_a_differing_copy(course, course_root, tmp_path):
    mine = tmp_path / "workspace"
    course.make_workspace(mine, course_root)
    (mine / course.MANIFEST).unlink()
    (mine / "notebooks" / "01_data.ipynb").write_text(notebook("an old copy, perhaps with work in it"))
    report = course.make_workspace(mine, course_root)
    assert report["beside"] == [(mine / "notebooks" / "01_data.ipynb", mine / "notebooks" / "01_data.updated.ipynb")]
    assert "perhaps with work" in (mine / "notebooks" / "01_data.ipynb").read_text()


def test_a_broken_workspace_notebook_is_named_moved_aside_and_replaced(course, course_root, tmp_path):
    mine = tmp_path / "workspace"
    course.make_workspace(mine, course_root)
    broken = mine / "notebooks" / "01_data.ipynb"
    broken.write_text('{"cells": [ half a notebook')
    report = course.make_workspace(mine, course_root)
    (path, moved, problem), = report["broken"]
    assert path == broken and moved.read_text() == '{"cells": [ half a notebook' and "not valid JSON" in problem
    assert json.loads(broken.read_text())["cells"][0]["source"] == "lesson v1"
    message = course.workspace_message(report, mine)
    assert "notebooks/01_data.ipynb could not be opened" in message and "01_data.ipynb.broken" in message
    broken.write_text("[]")
    assert course.make_workspace(mine, course_root)["broken"][0][1].name == "01_data.ipynb.broken-2"


# ----------------------------------------------------------------------------------------------------------------
# A broken .venv (course.py)

def test_venv_problem_names_what_is_wrong(course, tmp_path):
    assert course.venv_problem(Path(sys.executable)) is None
    kind, why = course.venv_problem(tmp_path / "no-python")
    assert kind == "python" and "cannot run" in why
    (tmp_path / "gone").symlink_to(tmp_path / "removed")
    assert course.venv_problem(tmp_path / "gone")[0] == "python"
    assert course.venv_problem(Path(sys.executable), ("json", "no_such_module_xyz")) == ("missing", "no_such_module_xyz")


def test_venv_problem_is_not_fooled_by_the_current_folder(course, tmp_path, monkeypatch):
    """Run from the repository, `helpers` would be found as a folder there even when it is not installed."""
    (tmp_path / "zz_only_here").mkdir()
    (tmp_path / "zz_only_here" / "__init__.py").write_text("")
    monkeypatch.chdir(tmp_path)
    assert course.venv_problem(Path(sys.executable), ("zz_only_here",)) == ("missing", "zz_only_here")


@pytest.fixture
def fake_venv(course, tmp_path, monkeypatch):
    """course.py pointed at a .venv in tmp_path whose python is a dangling link; venv creation makes a python that
    runs this interpreter, and installing is recorded, not done."""
    root = tmp_path / ".venv"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "python").symlink_to(tmp_path / "deleted-python")
    monkeypatch.setattr(course, "VENV", root)
    monkeypatch.setattr(course, "STAMP", root / "course-installed.sha256")
    monkeypatch.setattr(course, "write_lab_overrides", lambda: None)
    calls = {"created": [], "installed": []}

    class Builder:
        def __init__(self, **options):
            calls["created"].append(options)

        def create(self, path):
            shutil.rmtree(path, ignore_errors=True)
            (path / "bin").mkdir(parents=True)
            (path / "bin" / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
            (path / "bin" / "python").chmod(0o755)

    monkeypatch.setattr(course.venv, "EnvBuilder", Builder)
    monkeypatch.setattr(course, "install", lambda python: calls["installed"].append(python))
    return course, calls


def test_setup_rebuilds_a_venv_whose_python_is_gone(fake_venv, capsys):
    course, calls = fake_venv
    python = course.setup()
    out = capsys.readouterr().out
    assert "is broken: its Python" in out and "cannot run" in out and "Building it again" in out
    assert calls["created"][0]["clear"] is True and calls["installed"] == [python]


def test_setup_reinstalls_missing_packages_and_says_what_to_delete_if_that_fails(fake_venv, capsys, monkeypatch):
    course, calls = fake_venv
    course.setup()
    monkeypatch.setattr(course, "REQUIRED_MODULES", ("json", "no_such_module_xyz"))
    with pytest.raises(SystemExit) as info:
        course.setup()
    assert "missing packages (no_such_module_xyz); installing them again" in capsys.readouterr().out
    assert len(calls["installed"]) == 2
    assert "still incomplete after installing: no_such_module_xyz" in str(info.value)
    assert f"Delete the folder {course.VENV}" in str(info.value)


# ----------------------------------------------------------------------------------------------------------------
# Common slips, and functions the lessons teach: a clear error, or the right answer

XT = helpers.s_curve(8, seed=1)
EPS = torch.randn(8, 2, generator=seeded(1))

TOKENS_4 = torch.tensor([[0, 1, 2, 0], [2, 2, 1, 0]])
SLIPS_RAISE = {
    "generator=42 to sample": (lambda: helpers.sample(net(), SCH, 5, generator=42), TypeError,
                               ["generator must be None or a torch.Generator", "manual_seed(42)", "got int 42"]),
    "generator=42 to q_sample": (lambda: helpers.q_sample(XT, 3, SCH, generator=42), TypeError, ["generator must be"]),
    "generator=42 to eps_loss": (lambda: helpers.eps_loss(net(), XT, SCH, generator=42), TypeError, ["generator must be"]),
    "generator=42 to flow_sample": (lambda: helpers.flow_sample(helpers.VelocityPredictor(16), 5, 3, generator=42),
                                    TypeError, ["generator must be"]),
    "eps of another shape": (lambda: helpers.reverse_mean(EPS[:3], XT, 3, SCH), ValueError, ["eps_pred must have the shape of xt"]),
    "reverse_sigma with step 100": (lambda: helpers.reverse_sigma(100, SCH), ValueError, ["t must be in [0, 100)"]),
    "ddim eta 2 (complex square root)": (lambda: helpers.ddim_step(XT, EPS, 0.5, 0.9, eta=2.0), ValueError, ["eta must be in [0.0, 1.0]"]),
    "ddim eta > 0 backwards": (lambda: helpers.ddim_step(XT, EPS, 0.9, 0.5, eta=0.5), ValueError, ["alpha_bar_s > alpha_bar_t"]),
    "ddim alpha_bar 0": (lambda: helpers.ddim_step(XT, EPS, 0.0, 0.9), ValueError, ["alpha_bar_t must be in (0.0, 1.0]"]),
    "solve on a grid past 1": (lambda: helpers.solve(lambda x, k: x, XT, torch.tensor([0.5, 1.5])), ValueError, ["alpha_bar must lie in (0, 1]"]),
    "sample_steps eta 3": (lambda: helpers.sample_steps(net(), SCH, 5, 5, eta=3.0), ValueError, ["eta must be in"]),
    "alpha_bar_of(1.5)": (lambda: helpers.alpha_bar_of(1.5), ValueError, ["s must be in [0, 1]"]),
    "flow_time(-0.2)": (lambda: helpers.flow_time(-0.2), ValueError, ["alpha_bar must be in [0, 1]"]),
    "flow_path with eps of another shape": (lambda: helpers.flow_path(XT, 0.5, EPS[:3]), ValueError, ["eps must have the shape of x0"]),
    "flow_solve on a grid past 1": (lambda: helpers.flow_solve(lambda x, s: x, XT, torch.tensor([2.0, 0.0])), ValueError, ["s must be in [0, 1]"]),
    "labels_of(NaN)": (lambda: helpers.labels_of(torch.tensor([0.0, math.nan])), ValueError, ["u must be finite"]),
    "labels_of(u beyond the curve)": (lambda: helpers.labels_of(torch.tensor([0.0, 7.0])), ValueError, ["u must be in [-3pi/2, 3pi/2]"]),
    "curve(int tensor)": (lambda: helpers.curve(torch.arange(3)), TypeError, ["u must be a floating-point tensor"]),
    "coverage_gap with NaN": (lambda: helpers.coverage_gap(torch.tensor([0.0, math.nan])), ValueError, ["u must be finite"]),
    "skewed_steps power -1": (lambda: helpers.skewed_steps(5, 100, -1.0), ValueError, ["power must be in (0.0, inf)"]),
    "conditional net, 3 labels for 8 points": (lambda: helpers.ConditionalNoisePredictor(100, 3, 16)(XT, 3, torch.tensor([0, 1, 2])),
                                               ValueError, ["c must be one label or one label per point (8)"]),
    "conditional net, label 'a'": (lambda: helpers.ConditionalNoisePredictor(100, 3, 16)(XT, 3, "a"), TypeError, ["c must be None"]),
    "labelled oracle, label 5": (lambda: helpers.LabelledOracle(SCH)(XT, 3, 5), ValueError, ["c must be in [0, 3)"]),
    "train with float labels": (lambda: helpers.train(helpers.ConditionalNoisePredictor(100, 3, 16), (XT, torch.zeros(8)),
                                                      helpers.LabelDropout(SCH, TINY), TINY, progress=False),
                                ValueError, ["labels must be an integer tensor"]),
    "train with label 3 of 3": (lambda: helpers.train(helpers.ConditionalNoisePredictor(100, 3, 16), (XT, torch.full((8,), 3)),
                                                      helpers.LabelDropout(SCH, TINY), TINY, progress=False),
                                ValueError, ["labels must be in [0, 3)"]),
    "LabelDropout on points without labels": (lambda: helpers.train(helpers.ConditionalNoisePredictor(100, 3, 16), XT,
                                                                    helpers.LabelDropout(SCH, TINY), TINY, progress=False),
                                              TypeError, ["LabelDropout trains on data (x0, labels)"]),
    "train with a dict as config": (lambda: helpers.train(net(), XT, helpers.Denoising(SCH, TINY), {"steps": 10}, progress=False), TypeError,
                                    ["config must be a helpers.TrainConfig"]),
    "Denoising with a dict as config": (lambda: helpers.Denoising(SCH, {"steps": 10}), TypeError,
                                        ["config must be a helpers.TrainConfig"]),
    "train with a schedule as objective": (lambda: helpers.train(net(), XT, SCH, TINY, progress=False), TypeError,
                                           ["objective must turn a batch into a loss", "helpers.Denoising(schedule, config)"]),
    "train with labels of another length": (lambda: helpers.train(net(), (XT, torch.zeros(5, dtype=torch.long)),
                                                                  helpers.Denoising(SCH, TINY), TINY, progress=False),
                                            ValueError, ["data[1] must have one row per point (8)"]),
    "float16 points": (lambda: helpers.q_sample(XT.half(), 3, SCH), TypeError, ["x0 must hold float32 or float64 numbers"]),
    "energy distance of points at 1e30": (lambda: helpers.energy_distance(XT * 1e30, XT), ValueError, ["overflowed", "|x| = 1.91e+29"]),
    "build_model on one point": (lambda: helpers.build_model(helpers.DEFAULT, SCH, XT[:1]), ValueError, ["at least 2 points"]),
    "gaussian_prior from one point": (lambda: helpers.gaussian_prior(XT[:1], SCH, 5), ValueError, ["at least 2 points"]),
    "network on another device": (lambda: net().to("meta")(XT, 3), ValueError, ["xt is on cpu but the network is on meta"]),
    "s_curve on device 'gpu'": (lambda: helpers.s_curve(5, device="gpu"), ValueError, ["device must be a device such as"]),
    "antithetic steps on device 'gpu'": (lambda: helpers.antithetic_steps(5, 100, device="gpu"), ValueError, ["device must be"]),
    "learning rate after the last step": (lambda: helpers.learning_rate(TINY, 30), ValueError, ["step must be in [0, 30)"]),
    "learning rate of a string": (lambda: helpers.learning_rate("default", 3), TypeError, ["config must be a helpers.TrainConfig"]),
    "build_model with a string config": (lambda: helpers.build_model("default", SCH, XT), TypeError, ["config must be"]),
    "sample a plain function": (lambda: helpers.sample(lambda x, t: x, SCH, 5), TypeError, ["model must be a torch.nn.Module"]),
    "oracle without a schedule, asked for step 3": (lambda: helpers.s_curve_oracle()(XT, 3), ValueError, ["made without a schedule"]),
    "oracle with a string schedule": (lambda: helpers.training_set_oracle(XT, "sigmoid"), TypeError, ["schedule must be a helpers.Schedule"]),
    "FlowOracle of a string": (lambda: helpers.FlowOracle("s-curve"), TypeError, ["mixture must be a MixtureOracle"]),
    "curve_coordinates chunk 0": (lambda: helpers.curve_coordinates(XT, chunk=0), ValueError, ["chunk must be in >= 1"]),
    "plot_field of a NaN field": (lambda: figure(lambda: helpers.plot_field(lambda p: p * math.nan)), ValueError,
                                  ["field(points) must be finite"]),
    "cosine schedule with s < 0": (lambda: helpers.cosine_schedule(100, s=-1), ValueError, ["s must be in [0.0, inf)"]),
    "make_schedule with T as a string": (lambda: helpers.make_schedule("cosine", "100"), TypeError, ["T must be an int, got str"]),
    "load_model of a missing file": (lambda: helpers.load_model("no/such/file.pt"), FileNotFoundError, ["no checkpoint at"]),
    "ode_reference from alpha_bar 0": (lambda: helpers.ode_reference(helpers.s_curve_oracle(), XT, 0.0, 0.9), ValueError,
                                       ["alpha_bar_start must be in (0.0, 1.0)"]),
    "ode_reference with a network": (lambda: helpers.ode_reference(net(), XT, 0.5, 0.9), TypeError, ["oracle must be a MixtureOracle"]),
    "quadrature with low above high": (lambda: helpers.quadrature(256, 1.0, -1.0), ValueError, ["high must be in (1.0"]),
    "sinusoidal_embedding of odd width": (lambda: helpers.sinusoidal_embedding(torch.zeros(2), 7), ValueError, ["dim must be even"]),
    "compare with three seeds": (lambda: helpers.compare(lambda s: 1.0, lambda s: 2.0, seeds=range(3)), ValueError,
                                 ["at least 5 distinct seeds"]),
    "compare of a function returning a pair": (lambda: helpers.compare(lambda s: (1.0, 2.0), lambda s: 1.0), TypeError,
                                                         ["must return a number"]),
    "redraw_margin over the five evidence seeds": (lambda: helpers.redraw_margin(lambda s: 1.0, lambda s: 1.1, range(5)),
                                                   ValueError, ["at least 10 distinct seeds"]),
    "tilted_sample with w NaN": (lambda: helpers.tilted_sample(helpers.LabelledOracle(), 0, math.nan, 5), ValueError, ["w must be in"]),
    "elbo with sigma 'beta tilde'": (lambda: helpers.elbo(net(), SCH, XT, sigma="beta tilde"), ValueError, ["sigma must be one of"]),
    "elbo on a schedule of another length": (lambda: helpers.elbo(net(), helpers.sigmoid_schedule(50), XT), ValueError,
                                             ["built for T = 100"]),
    "elbo with a prior that returns one number": (lambda: helpers.elbo(net(), SCH, XT, prior=lambda x: x.sum()), ValueError,
                                                  ["prior must return one log density per point"]),
    "ode_log_likelihood with divergence 'trace'": (lambda: helpers.ode_log_likelihood(net(), SCH, XT, 5, divergence="trace"),
                                                   ValueError, ["divergence must be one of"]),
    "ode_log_likelihood with method 'rk4'": (lambda: helpers.ode_log_likelihood(net(), SCH, XT, 5, method="rk4"), ValueError,
                                             ["method must be one of"]),
    "ode_log_likelihood with a string prior": (lambda: helpers.ode_log_likelihood(net(), SCH, XT, 5, prior="gaussian"), TypeError,
                                               ["prior must be None"]),
    "ode_log_likelihood with 0 steps": (lambda: helpers.ode_log_likelihood(net(), SCH, XT, 0), ValueError, ["n_steps must be in"]),
    "ode_log_likelihood of a plain function": (lambda: helpers.ode_log_likelihood(lambda x, t: x, SCH, XT, 5), TypeError,
                                               ["model must be a torch.nn.Module"]),
    "floor_factor of target 'noise'": (lambda: helpers.floor_factor(0.5, "noise"), ValueError, ["target must be one of"]),
    "edm_coefficients with data_std 0": (lambda: helpers.edm_coefficients(SCH.alpha_bar.double(), 0.0), ValueError,
                                         ["data_std must be in"]),
    "eps_weights 'edm' without the data's std": (lambda: helpers.eps_weights(SCH, "edm"), ValueError, ["needs the data's std"]),
    "loss_weights 'elbo' on a schedule ending in noise": (lambda: helpers.loss_weights(helpers.zero_terminal_snr(SCH), "v", "elbo"),
                                                          ValueError, ["weighting='own'"]),
    "zero_terminal_snr of a list of betas": (lambda: helpers.zero_terminal_snr([0.1, 0.2]), TypeError,
                                             ["schedule must be a helpers.Schedule"]),
    "AsEps of an 'edm' network": (lambda: helpers.AsEps(net(), SCH, "edm"), ValueError, ["predicts x0", "target='x0'"]),
    "sample_steps of an eps network from pure noise": (lambda: helpers.sample_steps(net(), helpers.zero_terminal_snr(SCH), 5, 5),
                                                       ValueError, ["alpha_bar = 0", "target='x0' or 'v'"]),
    "Preconditioned of a plain function": (lambda: helpers.Preconditioned(lambda x, t: x, SCH, 0.1), TypeError,
                                           ["raw must be a network"]),
    "dpm_solve with a decreasing grid": (lambda: helpers.dpm_solve(lambda x, k: x, XT, torch.tensor([0.9, 0.5])), ValueError,
                                         ["strictly increasing"]),
    "dpm_solve with solver 'dpm++'": (lambda: helpers.dpm_solve(lambda x, k: x, XT, GRID, "dpm++"), ValueError,
                                      ["solver must be one of", "'dpm++2m'"]),
    "dpm_solve of a network, not a function": (lambda: helpers.dpm_solve(net()(XT, 3), XT, GRID), TypeError,
                                               ["eps_fn must be a function"]),
    "dpm_solve from alpha_bar 0": (lambda: helpers.dpm_solve(lambda x, k: x, XT, torch.tensor([0.0, 0.5, 1.0]), target="v"),
                                   ValueError, ["alpha_bar must lie in (0, 1]"]),
    "sample_steps with method 'dpm-solver'": (lambda: helpers.sample_steps(net(), SCH, 5, 5, "dpm-solver"), ValueError,
                                              ["method must be one of", "'dpm2'"]),
    "grid_steps with 1 point": (lambda: helpers.grid_steps(SCH, 1), ValueError, ["n must be in [2, 101)"]),
    "grid_steps with more points than steps": (lambda: helpers.grid_steps(SCH, 101), ValueError, ["n must be in [2, 101)"]),
    "grid_alpha_bar with grid 'log-snr'": (lambda: helpers.grid_alpha_bar(SCH, 5, "log-snr"), ValueError,
                                           ["grid must be one of", "'lambda'"]),
    "half_log_snr at alpha_bar 1": (lambda: helpers.half_log_snr(1.0), ValueError, ["alpha_bar must be in (0.0, 1.0)"]),
    "langevin with kappa -0.1": (lambda: helpers.langevin(lambda x: x, XT, 0.5, 2, kappa=-0.1), ValueError, ["kappa must be in"]),
    "langevin with a step count of 2.5": (lambda: helpers.langevin(lambda x: x, XT, 0.5, 2.5), TypeError,
                                          ["n_steps must be an int"]),
    "FastEps of a conditional network": (lambda: helpers.FastEps(helpers.ConditionalNoisePredictor(100, 3, 16)), TypeError,
                                         ["FastEps takes a helpers.NoisePredictor"]),
    "FastEps at step 100": (lambda: helpers.FastEps(net())(XT, 100), ValueError, ["t must be in [0, 100)"]),
    "student_steps with 3 steps": (lambda: helpers.student_steps(SCH, 3), ValueError, ["n_steps must divide 32"]),
    "student_steps with 64 steps": (lambda: helpers.student_steps(SCH, 64), ValueError, ["n_steps must be in"]),
    "progressive_objective for 32 steps": (lambda: helpers.progressive_objective(net(), SCH, 32), ValueError,
                                           ["n_steps must be in"]),
    "progressive_objective training an eps network": (
        lambda: helpers.progressive_objective(net(), SCH, 2)(net(), XT, None), TypeError, ["the student must predict x0"]),
    "ConsistencyObjective training an eps network": (lambda: helpers.ConsistencyObjective(SCH)(net(), XT, None), TypeError,
                                                     ["the student must predict x0", "Preconditioned"]),
    "ConsistencyObjective with mu 1.5": (lambda: helpers.ConsistencyObjective(SCH, mu=1.5), ValueError, ["mu must be in"]),
    "ConsistencyObjective with a teacher of 50 steps": (lambda: helpers.ConsistencyObjective(SCH, net(50)), ValueError,
                                                        ["built for T = 50"]),
    "ConsistencyObjective with a seed for a generator": (
        lambda: helpers.ConsistencyObjective(SCH)(helpers.Preconditioned(net(predicts="edm"), SCH, 0.1), XT, 3), TypeError, ["generator"]),
    "save_weights of a Preconditioned student": (lambda: helpers.save_weights(helpers.Preconditioned(net(predicts="edm"), SCH, 0.1), "x.pt"),
                                                 TypeError, ["save its .raw network"]),
    "reflow pairs of another shape": (lambda: helpers.train(helpers.VelocityPredictor(8), (XT, XT[:, :1]), helpers.FlowLoss(), TINY,
                                                            progress=False), ValueError, ["x1 must", "x0"]),
    "straightness of a single state": (lambda: helpers.straightness(XT[None], [0.0]), ValueError, ["at least 2 times"]),
    "straightness with times for another chain": (lambda: helpers.straightness(torch.stack([XT, XT]), [0.0, 0.5, 1.0]),
                                                  ValueError, ["chain must have shape"]),
    "DISTILL changed in place": (lambda: setattr(helpers.DISTILL, "steps", 10), AttributeError, ["cannot assign"]),
    "Guided with a label per point beyond the labels": (
        lambda: helpers.Guided(helpers.ConditionalNoisePredictor(100, 3, 16), torch.tensor([0, 3]), 1.0), ValueError,
        ["label must be an int or integer labels in [0, 3)"]),
    "DIGITS changed in place": (lambda: setattr(helpers.DIGITS, "steps", 10), AttributeError, ["cannot assign"]),
    "plot_digits of scikit-learn's raw 0-16 pixels": (lambda: helpers.plot_digits(DIGIT_LEVELS), ValueError,
                                                       ["x must hold values in [-1, 1]", "2 (v + 1/2) / 17 - 1"]),
    "plot_digits of one image, not a batch": (lambda: helpers.plot_digits(DIGITS_X[0]), ValueError, ["shape (N, 64)"]),
    "dequantise of raw 0-16 pixels": (lambda: helpers.dequantise(DIGIT_LEVELS), ValueError, ["x0 must hold values in [-1, 1]"]),
    "bits_per_dim of the likelihood object": (lambda: helpers.bits_per_dim(helpers.ode_log_likelihood(
        helpers.s_curve_oracle(SCH), SCH, XT.double(), 3)), TypeError, ["log_p must be a float tensor", ".log_p"]),
    "bits_per_dim with d 0": (lambda: helpers.bits_per_dim(torch.zeros(3), 0), ValueError, ["d must be in >= 1"]),
    "digits network given S-curve points": (lambda: helpers.digits_network(DIGITS_X)(XT, 3), ValueError,
                                            ["xt must have shape (N, 64)"]),
    "digits_network of S-curve points": (lambda: helpers.digits_network(XT), ValueError, ["x0 must have shape (N, 64)"]),
    "train_digits with float labels": (lambda: helpers.train_digits(DIGITS_X[:20], DIGIT_LABELS[:20].float(), config=TINY),
                                       ValueError, ["labels must be an integer tensor"]),
    "DigitJudge with labels for another set": (lambda: helpers.DigitJudge(DIGITS_X, DIGIT_LABELS[:10], DIGITS_X, DIGIT_LABELS),
                                               ValueError, ["one label per image"]),
    "frechet_distance of a single sample": (lambda: helpers.frechet_distance(XT[:1], XT), ValueError, ["at least 2 points"]),
    "frechet_distance of clouds in different spaces": (lambda: helpers.frechet_distance(XT, DIGITS_X), ValueError,
                                                        ["x and y must have the same number of coordinates"]),
    "kernel_distance of a single sample": (lambda: helpers.kernel_distance(XT[:1], XT), ValueError, ["at least 2 points"]),
    "kernel_distance of clouds in different spaces": (lambda: helpers.kernel_distance(XT, DIGITS_X), ValueError,
                                                       ["x and y must have the same number of coordinates"]),
    "ema_weight before the first update": (lambda: helpers.ema_weight(0.995, 0), ValueError, ["n must be in >= 1"]),
    "ema_weight with decay 1": (lambda: helpers.ema_weight(1.0, 5), ValueError, ["decay must be in [0.0, 1.0)"]),
    "nearest with one reference image": (lambda: helpers.nearest(XT, XT[:1]), ValueError, ["at least 2 rows"]),
    "to_levels of integer pixels": (lambda: helpers.to_levels(DIGIT_LEVELS.long()), TypeError, ["float32 or float64"]),
    "digits_split called with a seed": (lambda: helpers.digits_split(1), TypeError, ["positional argument"]),
    "digits_schedule called with T": (lambda: helpers.digits_schedule(100), TypeError, ["positional argument"]),
    "check_exercise with a number for an id": (lambda: helpers.check_exercise(1.1, None), ValueError, ["exercise_id must be one of"]),
    # Issue 36: each of these answered wrongly in silence before.
    "sample of an x0-network": (lambda: helpers.sample(net(predicts="x0"), SCH, 4, generator=seeded()), ValueError,
                                ["predicts 'x0'", "AsEps"]),
    "sample_steps of a student file's raw network": (lambda: helpers.sample_steps(net(predicts="edm"), SCH, 4, 2,
                                                                                   generator=seeded()), ValueError,
                                                      ["Preconditioned"]),
    "sample_steps of a Preconditioned student named eps": (lambda: helpers.sample_steps(STUDENT, SCH, 4, 2, target="eps",
                                                                                         generator=seeded()), ValueError,
                                                            ["target='eps'", "predicts 'x0'"]),
    "Preconditioned around an eps-network": (lambda: helpers.Preconditioned(net(), SCH, 0.1), ValueError,
                                             ["predicts 'eps'", "predicts='edm'"]),
    "train an eps-network with target x0": (lambda: helpers.train(net(), XT, helpers.Denoising(SCH, replace(TINY, target="x0")),
                                                                   replace(TINY, target="x0"), progress=False),
                                            ValueError, ["build_model"]),
    "EDM's wrapper on zero terminal SNR": (lambda: helpers.Preconditioned(net(predicts="edm"), helpers.zero_terminal_snr(SCH), 0.1),
                                           ValueError, ["zero terminal SNR"]),
    "to_levels of scikit-learn's pixels as floats": (lambda: helpers.to_levels(DIGIT_LEVELS.float()), ValueError,
                                                     ["scikit-learn's pixels"]),
    "flow_sample of a noise predictor": (lambda: helpers.flow_sample(net(), 4, 2, generator=seeded()), ValueError,
                                         ["predicts 'eps'"]),
    "PosteriorOracle of a network": (lambda: helpers.PosteriorOracle(net(), torch.tensor([[1.0, 0.0]]), [0.0], 0.01), TypeError,
                                     ["prior must be lesson 09's exact data", "helpers.s_curve_oracle"]),
    "PosteriorOracle with y of two values for one row": (lambda: helpers.PosteriorOracle(helpers.s_curve_oracle(SCH), torch.tensor([[1.0, 0.0]]),
                                                                                        [0.0, 0.1], 0.01), ValueError, ["one finite value per row of A (1)"]),
    "PosteriorOracle's density of a finite set at x_0": (lambda: helpers.PosteriorOracle(helpers.training_set_oracle(XT, SCH), torch.eye(2),
                                                                                        [0.0, 0.0], 0.01).log_prob(XT), ValueError, ["has no density here"]),
    "observe with A as a row": (lambda: helpers.observe(XT, torch.tensor([1.0, 0.0]), 0.01), ValueError, ["A must have shape (m, d)"]),
    "observe with a list for A": (lambda: helpers.observe(XT, [[1.0, 0.0]], 0.01), TypeError, ["A must be a float tensor"]),
    "posterior_sample by an unknown method": (lambda: helpers.posterior_sample(net(), SCH, torch.eye(2), [0.0, 0.0], 0.01, XT, "ddrm"),
                                              ValueError, ["method must be one of"]),
    "posterior_sample replacing a projection": (lambda: helpers.posterior_sample(net(), SCH, torch.tensor([[0.6, 0.8]]), [0.0], 0.01, XT,
                                                                                "replace"), ValueError, ["pick coordinates"]),
    "posterior_sample with sigma_o 0 for pigdm": (lambda: helpers.posterior_sample(net(), SCH, torch.eye(2), [0.0, 0.0], 0.0, XT, "pigdm"),
                                                 ValueError, ["sigma_o must be in (0.0, inf)"]),
    # Lesson 19: tokens, not points.
    "TokenProcess by D3PM's name": (lambda: helpers.TokenProcess("absorbing", 17, 10), ValueError, ["'masked'"]),
    "noise the digits as floats": (lambda: helpers.TokenProcess("masked", 17, 10).noise(DIGIT_LEVELS.float() / 8 - 1, 3),
                                   TypeError, ["integer tokens", "to_levels"]),
    "noise at a fractional step": (lambda: helpers.TokenProcess("masked", 17, 10).noise(DIGIT_LEVELS.long(), 0.5), ValueError,
                                   ["integer step"]),
    "posterior at step 0": (lambda: helpers.TokenProcess("masked", 17, 10).posterior(DIGIT_LEVELS.long(), DIGIT_LEVELS.long(), 0),
                            ValueError, ["t must be in [1, 11)"]),
    "TokenPredictor of one image as a row": (lambda: helpers.TokenPredictor()(DIGIT_LEVELS.long()[0]), ValueError, ["shape (N, 64)"]),
    "TokenPredictor of a value above the mask": (lambda: helpers.TokenPredictor()(DIGIT_LEVELS.long() + 2), ValueError,
                                                 ["tokens 0 .. 17"]),
    "masked_elbo of a Gaussian network": (lambda: helpers.masked_elbo(net(), DIGIT_LEVELS.long()), TypeError,
                                          ["helpers.TokenPredictor or helpers.TrainingSetUnmasker"]),
    "unmask_sample with a process": (lambda: helpers.unmask_sample(helpers.TokenProcess("masked", 17, 10), 4, 8), TypeError,
                                     ["helpers.TokenPredictor or helpers.TrainingSetUnmasker"]),
    "reverse_probs with no mass on a visible token": (lambda: helpers.TokenProcess("masked", 3, 4).reverse_probs(
        torch.tensor([[0]]), torch.tensor([[[0.0, 1.0, 0.0]]]), 2), ValueError, ["keep some probability for its own value"]),
    "unmask_sample in zero steps": (lambda: helpers.unmask_sample(helpers.TokenPredictor(), 4, 0), ValueError, ["steps must be in"]),
    "unmask_sample in a made-up order": (lambda: helpers.unmask_sample(helpers.TokenPredictor(), 4, 8, "left-to-right"),
                                         ValueError, ["order must be one of"]),
    "train a token network on the digits as floats": (lambda: helpers.train(helpers.TokenPredictor(), DIGIT_LEVELS.float() / 8 - 1,
                                                                            helpers.MaskedLoss(), replace(helpers.MASKED, steps=2, warmup_steps=0),
                                                                            progress=False), TypeError, ["to_levels"]),
    "train_masked on the digits as floats": (lambda: helpers.train_masked(DIGIT_LEVELS.float() / 8 - 1, 17), TypeError, ["to_levels"]),
    "TrainingSetUnmasker of the float images": (lambda: helpers.TrainingSetUnmasker(DIGIT_LEVELS.float(), 17), TypeError,
                                                ["integer tokens"]),
    # Lesson 19's text: one network, two uses.
    "TokenTransformer with an odd head width": (lambda: helpers.TokenTransformer(8, 3, width=100, heads=4), ValueError,
                                                ["multiple of 2 heads"]),
    "TokenTransformer of a longer window": (lambda: helpers.TokenTransformer(8, 3)(torch.zeros((1, 9), dtype=torch.long)),
                                            ValueError, ["shape (N, 8)"]),
    "autoregressive_nll of the masked model": (lambda: helpers.autoregressive_nll(helpers.TokenTransformer(4, 3), TOKENS_4),
                                               TypeError, ["causal=True"]),
    "autoregressive_sample of the digits' token network": (lambda: helpers.autoregressive_sample(helpers.TokenPredictor(), 2),
                                                           TypeError, ["helpers.TokenTransformer with causal=True"]),
    "masked_elbo_sampled of the autoregressive model": (lambda: helpers.masked_elbo_sampled(
        helpers.TokenTransformer(4, 3, causal=True), TOKENS_4), ValueError, ["next_log_probs"]),
    "NextTokenLoss on the masked model": (lambda: helpers.train(helpers.TokenTransformer(4, 3), TOKENS_4, helpers.NextTokenLoss(),
                                                                replace(helpers.TEXT, steps=2, warmup_steps=0), progress=False),
                                          TypeError, ["causal=True"]),
    "train_text on a string": (lambda: helpers.train_text("masked", "def forward(self, x):", 96), TypeError,
                               ["Characters", "text_split"]),
    "text_split of a validation split": (lambda: helpers.text_split("validation"), ValueError, ["'train' or 'test'"]),
    "train_text by the paper's name": (lambda: helpers.train_text("MDLM", TOKENS_4, 3), ValueError, ["objective must be one of"]),
    # Lesson 20's backbones: 64 pixels in a row, the grid only inside the network.
    "UNet given images as 1 x 8 x 8 grids": (lambda: helpers.UNet(torch.ones(10))(torch.zeros(3, 1, 8, 8), 5), ValueError,
                                             ["xt must have shape (N, 64)", "(3, 1, 8, 8)"]),
    "UNet with channels GroupNorm cannot split": (lambda: helpers.UNet(torch.ones(10), channels=12), ValueError,
                                                  ["multiple of 8", "12"]),
    "UNet given its step count for c_in": (lambda: helpers.UNet(1000), ValueError, ["c_in must be a 1-d tensor"]),
    "DiT with patches that do not tile 8 x 8": (lambda: helpers.DiT(torch.ones(10), patch=3), ValueError,
                                                ["patch must divide", "got 3"]),
    "DiT with a width the heads cannot share": (lambda: helpers.DiT(torch.ones(10), width=96, heads=5), ValueError,
                                                ["multiple of heads (5)"]),
    "DiTBlock with a width the heads cannot share": (lambda: helpers.DiTBlock(50, 4), ValueError, ["multiple of heads (4)"]),
    "to_patches of one 8 x 8 image": (lambda: helpers.to_patches(torch.zeros(8, 8), 2), ValueError, ["(N, 64)", "(8, 8)"]),
    "from_patches with another patch size": (lambda: helpers.from_patches(torch.zeros(1, 16, 4), 4), ValueError,
                                             ["(N, 4, 16) for patch 4", "(1, 16, 4)"]),
    "backbone_recipe of 'transformer'": (lambda: helpers.backbone_recipe("transformer"), ValueError,
                                         ["name must be one of", "'dit'"]),
    "train_backbone on the S-curve": (lambda: helpers.train_backbone("unet", helpers.s_curve(100), replace(
        helpers.DIGITS, steps=2, warmup_steps=0)), ValueError, ["x0 must have shape (N, 64)"]),
    # Lesson 21's latent diffusion: images in, codes out, and back.
    "Autoencoder given 8 x 8 images": (lambda: helpers.Autoencoder().encode(torch.zeros(3, 8, 8)), ValueError,
                                       ["y must have shape (N, 64)"]),
    "Autoencoder decoding an image": (lambda: helpers.Autoencoder().decode(torch.zeros(3, 64)), ValueError,
                                      ["z must have shape (N, 8)"]),
    "Reconstruction with a KL weight on a plain autoencoder": (lambda: helpers.train(
        helpers.Autoencoder(kl=False), helpers.digits_split()[0][:10], helpers.Reconstruction(1e-3),
        replace(helpers.AUTOENCODER, steps=2, warmup_steps=0), progress=False), ValueError, ["KL-regularised"]),
    "Reconstruction training a noise predictor": (lambda: helpers.train(
        helpers.digits_network(helpers.digits_split()[0]), helpers.digits_split()[0][:10], helpers.Reconstruction(),
        replace(helpers.AUTOENCODER, steps=2, warmup_steps=0), progress=False), TypeError, ["helpers.Autoencoder"]),
    "latent_elbo through a plain autoencoder": (lambda: helpers.latent_elbo(
        helpers.Autoencoder(kl=False), 1.0, 0.1, helpers.NoisePredictor(1000, d=8), helpers.digits_schedule(),
        torch.zeros(2, 64)), ValueError, ["plain autoencoder", "KL-regularised"]),
    "decoder_std of a plain autoencoder": (lambda: helpers.decoder_std(helpers.Autoencoder(kl=False), torch.zeros(2, 64)),
                                           ValueError, ["plain autoencoder"]),
    "encode_latents with a scale of 0": (lambda: helpers.encode_latents(helpers.Autoencoder(), torch.zeros(2, 64), 0.0),
                                         ValueError, ["scale"]),
    "decode_latents with a negative scale": (lambda: helpers.decode_latents(helpers.Autoencoder(), torch.zeros(2, 8), -0.3),
                                             ValueError, ["scale"]),
    "latent_scale of S-curve points": (lambda: helpers.latent_scale(helpers.Autoencoder(), helpers.s_curve(10)), ValueError,
                                       ["x0 must have shape (N, 64)"]),
    "train_autoencoder on the S-curve": (lambda: helpers.train_autoencoder(helpers.s_curve(100)), ValueError,
                                         ["x0 must have shape (N, 64)"]),
    "train_latent on the S-curve": (lambda: helpers.train_latent(helpers.Autoencoder(), helpers.s_curve(100), 1.0), ValueError,
                                    ["x0 must have shape (N, 64)"]),
    "draw_latent from a std, not a log-variance": (lambda: helpers.draw_latent(torch.zeros(2, 8), torch.zeros(2, 7)),
                                                   ValueError, ["log_var", "shape"]),
    "embed with the embedding transposed": (lambda: helpers.embed(helpers.s_curve(10), helpers.embedding().T), ValueError,
                                            ["shape (d, 2)", "transpose"]),
    "embed of points already embedded": (lambda: helpers.embed(torch.zeros(5, 64), helpers.embedding()), ValueError,
                                         ["x0 must have shape (N, 2)"]),
    "embedding into one dimension": (lambda: helpers.embedding(1), ValueError, ["d must be"]),
    "embedded_oracle of a matrix that is not orthonormal": (lambda: helpers.embedded_oracle(torch.ones(64, 2)), ValueError,
                                                            ["orthonormal"]),
    # Lesson 22's scale: processes, micro-batches, precision and resuming.
    "launch of a function defined in the notebook": (lambda: helpers.launch(lambda x0, config: None, 2), TypeError,
                                                     ["importable module", "each new process imports it"]),
    "launch of no processes": (lambda: helpers.launch(helpers.train_digits_member, 0), ValueError, ["world"]),
    "launch on a port given as a string": (lambda: helpers.launch(helpers.train_digits_member, 2, port="29500"), TypeError,
                                           ["port"]),
    "train_digits_member with a batch four micro-batches cannot share": (lambda: helpers.train_digits_member(
        helpers.digits_split()[0], replace(helpers.DIGITS, steps=2, warmup_steps=0, batch_size=3, accumulate=4)),
        ValueError, ["batch_size 3 cannot be split into 4 micro-batches"]),
    "micro-batches with an epoch's last batch too small to split": (lambda: helpers.train_digits(
        helpers.digits_split()[0][:129], config=replace(helpers.DIGITS, steps=2, warmup_steps=0, accumulate=2)),
        ValueError, ["last batch holds 1 of the 129 points"]),
    "micro-batches of an objective that draws inside its call": (lambda: helpers.train(
        helpers.build_flow_model(helpers.DEFAULT, helpers.s_curve(100)), helpers.s_curve(100), helpers.FlowLoss(),
        replace(helpers.DEFAULT, steps=2, warmup_steps=0, accumulate=2), progress=False), TypeError,
        ["FlowLoss draws its randomness inside its call", "objective.draw"]),
    "precision float16": (lambda: replace(helpers.DIGITS, precision="float16"), ValueError,
                          ["precision must be one of", "'bfloat16'"]),
    "train inside torch.autocast": (lambda: _under_autocast(lambda: helpers.train_digits(
        helpers.digits_split()[0], config=replace(helpers.DIGITS, steps=2, warmup_steps=0))), RuntimeError,
        ["inside torch.autocast", "config.precision = 'bfloat16'"]),
    "elbo inside torch.autocast": (lambda: _under_autocast(lambda: helpers.elbo(net(), SCH, XT)), RuntimeError,
                                   ["outside the autocast block"]),
}


def _under_autocast(call):
    with torch.autocast("cpu", torch.bfloat16):
        return call()


def test_every_public_helper_is_probed():
    """Each name in helpers.__all__ appears in a probe of this file, so a new helper cannot skip this suite."""
    source = Path(__file__).read_text()
    data = {"DEFAULT", "REFERENCE", "COMMITTED_CHECKPOINT", "GRIDS", "PC_KAPPA", "SOLVERS", "LATENT_DIFFUSION"}
    assert [n for n in helpers.__all__ if n not in data and f"helpers.{n}" not in source] == []
    assert helpers.default_device().type in ("cpu", "cuda", "mps")


@pytest.mark.parametrize("name", SLIPS_RAISE)
def test_slip_gets_a_clear_error(name):
    call, exception, words = SLIPS_RAISE[name]
    raises(call, exception, words)


def test_float64_and_numpy_points_give_the_network_s_answer():
    model = net()
    want = model(XT, 3)
    for x in (XT.double(), XT.numpy(), XT.double().numpy()):
        out = model(x, 3)
        assert out.dtype == (torch.float64 if x.dtype in (torch.float64, np.float64) else torch.float32)
        torch.testing.assert_close(out.float(), want, rtol=1e-6, atol=1e-6)
    velocity = helpers.VelocityPredictor(16)
    torch.testing.assert_close(velocity(XT.double(), 0.3).float(), velocity(XT, 0.3), rtol=1e-6, atol=1e-6)


def test_sequences_and_arrays_are_accepted():
    model = net()
    torch.testing.assert_close(model(XT, [3] * 8), model(XT, torch.full((8,), 3)))
    beta = SCH.beta.numpy()
    torch.testing.assert_close(helpers.schedule_from_beta(beta).alpha_bar, SCH.alpha_bar)
    want = helpers.sample_steps(model, SCH, 5, 10, generator=seeded(2))
    # np.arange(100)[::-11] is 99, 88, ..., 0, the same steps, in an array read backwards (a negative stride).
    for steps in (np.int64(10), torch.tensor(10), helpers.timesteps(10, 100).numpy(), np.arange(100)[::-11]):
        torch.testing.assert_close(helpers.sample_steps(model, SCH, 5, steps, generator=seeded(2)), want)
    grid = torch.tensor([0.5, 0.9, 1.0], dtype=torch.float64)
    torch.testing.assert_close(helpers.solve(lambda x, k: x, XT, grid.numpy()), helpers.solve(lambda x, k: x, XT, grid))
    assert helpers.s_curve(3, device=None).device.type == "cpu"


def test_a_diverging_flow_run_gets_trains_message():
    config = helpers.TrainConfig(steps=30, batch_size=64, hidden=16, lr=1e10, clip_norm=1e30)
    model = helpers.VelocityPredictor(16)
    raises(lambda: helpers.train(model, helpers.s_curve(500), helpers.FlowLoss(), config, progress=False),
           FloatingPointError, ["training diverged at step", "learning rate"])


def test_numbers_held_in_tensors_are_numbers():
    std = helpers.s_curve(1000).std()
    torch.testing.assert_close(helpers.input_scale(SCH, std), helpers.input_scale(SCH, std.item()))
    torch.testing.assert_close(helpers.timesteps(torch.tensor(10), 100), helpers.timesteps(10, 100))
    torch.testing.assert_close(helpers.q_sample(XT, torch.tensor(3), SCH, eps=EPS), helpers.q_sample(XT, 3, SCH, eps=EPS))
    torch.testing.assert_close(helpers.q_sample(XT.numpy(), np.int64(3), SCH, eps=EPS), helpers.q_sample(XT, 3, SCH, eps=EPS))
    torch.testing.assert_close(helpers.ddim_step(XT, EPS, torch.tensor(0.5), np.float64(0.9)), helpers.ddim_step(XT, EPS, 0.5, 0.9))
    torch.testing.assert_close(helpers.Guided(helpers.LabelledOracle(SCH), torch.tensor(1), torch.tensor(2.0))(XT, 3),
                               helpers.Guided(helpers.LabelledOracle(SCH), 1, 2.0)(XT, 3))


# ----------------------------------------------------------------------------------------------------------------
# The sweep: every public entry point that takes points, with shapes x dtypes x special values

torch.manual_seed(0)
NET = helpers.NoisePredictor(100, 16)
CNET = helpers.ConditionalNoisePredictor(100, 3, 16)
VNET = helpers.VelocityPredictor(16)
ORACLE = helpers.s_curve_oracle(SCH)
FLOW = helpers.FlowOracle(helpers.s_curve_oracle())
REF = helpers.s_curve(6, seed=5)
GRID = torch.tensor([0.5, 0.9, 1.0], dtype=torch.float64)
STUDENT = helpers.Preconditioned(helpers.NoisePredictor(100, 16, predicts="edm"), SCH, 0.1)


def figure(draw):
    try:
        return draw()
    finally:
        plt.close("all")


def seeded_init(build):
    torch.manual_seed(0)
    return build()


def training_losses(x):
    torch.manual_seed(0)
    return helpers.train(helpers.NoisePredictor(100, 16), x, helpers.Denoising(SCH, TINY), TINY, progress=False)["losses"]


# name: (call with the points, the argument's name in the message)
ENTRY_POINTS = {
    "q_sample": (lambda x: helpers.q_sample(x, 5, SCH, generator=seeded()), "x0"),
    "q_step": (lambda x: helpers.q_step(x, 5, SCH, generator=seeded()), "x_prev"),
    "eps_loss": (lambda x: helpers.eps_loss(NET, x, SCH, generator=seeded()), "x0"),
    "NoisePredictor": (lambda x: NET(x, 3), "xt"),
    "ConditionalNoisePredictor": (lambda x: CNET(x, 3, 1), "xt"),
    "VelocityPredictor": (lambda x: VNET(x, 0.5), "xs"),
    "Guided": (lambda x: helpers.Guided(CNET, 1, 2.0)(x, 3), "xt"),
    "posterior": (lambda x: helpers.posterior(x, x, 5, SCH)[0], "xt"),
    "reverse_mean": (lambda x: helpers.reverse_mean(x, x, 5, SCH), "xt"),
    "ddim_step": (lambda x: helpers.ddim_step(x, x, 0.5, 0.9), "x"),
    "solve": (lambda x: helpers.solve(lambda y, k: torch.zeros_like(y), x, GRID), "x"),
    "dpm_solve": (lambda x: helpers.dpm_solve(lambda y, k: 0.1 * y, x, GRID, "dpm3"), "x"),
    "langevin": (lambda x: helpers.langevin(lambda y: 0.5 * y + 0.1, x, 0.5, 2, generator=seeded()), "x"),
    "FastEps": (lambda x: helpers.FastEps(NET)(x, 3), "x"),
    "progressive_objective": (lambda x: helpers.progressive_objective(NET, SCH, 2)(STUDENT, x, seeded()), "x0"),
    "ConsistencyObjective": (lambda x: helpers.ConsistencyObjective(SCH, NET)(STUDENT, x, seeded()), "x0"),
    "sample x_T": (lambda x: helpers.sample(NET, SCH, 6, generator=seeded(), x_T=x), "x_T"),
    "sample_steps x_T": (lambda x: helpers.sample_steps(NET, SCH, 6, 5, eta=1.0, generator=seeded(), x_T=x), "x_T"),
    "invert": (lambda x: helpers.invert(NET, SCH, x, 5), "x0"),
    "gaussian_prior": (lambda x: helpers.gaussian_prior(x, SCH, 5, generator=seeded()), "x0"),
    "elbo": (lambda x: helpers.elbo(NET, SCH, x, generator=seeded()).nll_bound, "x0"),
    "ode_log_likelihood": (lambda x: helpers.ode_log_likelihood(NET, SCH, x, 5).log_p, "x0"),
    "energy_distance": (lambda x: helpers.energy_distance(x, REF), "x"),
    "sample_quality": (lambda x: helpers.sample_quality(x), "samples"),
    "sharp_quality": (lambda x: helpers.sharp_quality(x, energy=False), "samples"),
    "curve_coordinates": (lambda x: helpers.curve_coordinates(x), "x"),
    "segment_quality": (lambda x: helpers.segment_quality(x, 1), "samples"),
    "oracle eps": (lambda x: ORACLE(x, 5), "x"),
    "oracle score": (lambda x: ORACLE.score(x, 5), "x"),
    "oracle log_prob": (lambda x: ORACLE.log_prob(x, 5), "x"),
    "oracle denoise": (lambda x: ORACLE.denoise(x, 5), "x"),
    "labelled oracle classifier": (lambda x: helpers.LabelledOracle(SCH).classifier(x, 5), "x"),
    "training_set_oracle": (lambda x: helpers.training_set_oracle(x, SCH)(x, 5), "x0"),
    "FlowOracle": (lambda x: FLOW(x, 0.5), "x"),
    "convert": (lambda x: helpers.convert(x, x, 0.5, "v", "x0"), "x_t"),
    "target_of": (lambda x: helpers.target_of(x, x, 0.5, "v"), "x0"),
    "to_flow": (lambda x: helpers.to_flow(x, 0.5)[0], "x_t"),
    "x0_and_eps": (lambda x: helpers.x0_and_eps(x, x, 0.0, "v"), "x_t"),
    "AsEps": (lambda x: helpers.AsEps(NET, SCH)(x, 3), "x_t"),
    "Preconditioned": (lambda x: STUDENT(x, 3), "x_t"),
    "flow_path": (lambda x: helpers.flow_path(x, 0.5, torch.zeros(6, 2)), "x0"),
    "flow_loss": (lambda x: helpers.flow_loss(VNET, x, generator=seeded()), "x0"),
    "flow_solve": (lambda x: helpers.flow_solve(lambda y, s: torch.zeros_like(y), x, helpers.flow_grid(3)), "x"),
    "flow_sample x1": (lambda x: helpers.flow_sample(VNET, 6, 3, x1=x), "x1"),
    "build_model": (lambda x: seeded_init(lambda: helpers.build_model(helpers.DEFAULT, SCH, x))(x, 3), "x0"),
    "build_flow_model": (lambda x: seeded_init(lambda: helpers.build_flow_model(helpers.DEFAULT, x))(REF, 0.5), "x0"),
    "train": (training_losses, "data"),
    "dequantise": (lambda x: helpers.dequantise(x, seeded()), "x0"),
    "observe": (lambda x: helpers.observe(x, torch.tensor([[0.6, 0.8]]), 0.01, seeded()), "x0"),
    "posterior_sample x_T": (lambda x: helpers.posterior_sample(NET, SCH, torch.tensor([[1.0, 0.0]]), [0.05], 0.01, x, "pigdm",
                                                                seeded()), "x_T"),
    "frechet_distance": (lambda x: helpers.frechet_distance(x, REF), "x"),
    "kernel_distance": (lambda x: helpers.kernel_distance(x, REF), "x"),
    "nearest": (lambda x: helpers.nearest(x, REF), "x"),
    "plot_points": (lambda x: figure(lambda: helpers.plot_points(x)), "x"),
    "plot_strip": (lambda x: figure(lambda: helpers.plot_strip([x], ["x"])), "x"),
    "animate_states": (lambda x: figure(lambda: helpers.animate_states([x], ["x"], "points")), "states"),
}


def with_entry(x, value):
    x = x.clone()
    x[2, 1] = value
    return x


GOOD = helpers.s_curve(6, seed=3)
# name: (the points, "accept" if the result must equal the float32 points' result, else "reject")
VARIANTS = {
    "float64": (GOOD.double(), "accept"),
    "numpy float64": (GOOD.double().numpy(), "accept"),
    "numpy float32": (GOOD.numpy(), "accept"),
    "not contiguous": (GOOD.T.contiguous().T, "accept"),
    "NaN": (with_entry(GOOD, math.nan), "reject"),
    "+inf": (with_entry(GOOD, math.inf), "reject"),
    "-inf": (with_entry(GOOD, -math.inf), "reject"),
    "empty": (torch.zeros(0, 2), "reject"),
    "three columns": (torch.cat([GOOD, GOOD[:, :1]], 1), "reject"),
    "1-d": (torch.zeros(6), "reject"),
    "batch of clouds": (torch.zeros(2, 6, 2), "reject"),
    "int64": (torch.zeros(6, 2, dtype=torch.long), "reject"),
    "bool": (torch.zeros(6, 2, dtype=torch.bool), "reject"),
    "complex64": (torch.zeros(6, 2, dtype=torch.complex64), "reject"),
    "float16": (GOOD.half(), "reject"),
    "list": (GOOD.tolist(), "reject"),
    "None": (None, "reject"),
    "1e30": (GOOD * 1e30, "finite or clear"),
}
DIGITS_X, DIGIT_LABELS = helpers.digits_split()[:2]
DIGIT_LEVELS = torch.as_tensor(helpers.to_levels(DIGITS_X[:5]), dtype=torch.float32)
# What works in any dimension (lesson 17 runs it on 64 pixels): three coordinates per point are data, not a mistake.
ANY_DIMENSION = {"q_sample", "q_step", "posterior", "reverse_mean", "ddim_step", "solve", "dpm_solve", "langevin",
                 "training_set_oracle", "convert", "target_of", "to_flow", "x0_and_eps", "build_model", "dequantise",
                 "flow_solve", "gaussian_prior"}
# Where None is the argument's default (draw the start), it is not a mistake.
NONE_IS_DEFAULT = {"sample x_T", "sample_steps x_T", "flow_sample x1"}
SWEEP = [(e, v) for e in ENTRY_POINTS for v in VARIANTS if not (v == "None" and e in NONE_IS_DEFAULT)]


def tensors_in(result):
    if isinstance(result, torch.Tensor):
        return [result]
    if isinstance(result, (tuple, list)):
        return [t for item in result for t in tensors_in(item)]
    if isinstance(result, dict):
        return [t for item in result.values() for t in tensors_in(item)]
    if isinstance(result, float):
        return [torch.tensor(result, dtype=torch.float64)]
    if hasattr(result, "__dataclass_fields__"):
        return [torch.tensor(getattr(result, f), dtype=torch.float64) for f in result.__dataclass_fields__ if f != "energy"]
    return []


def outcome(entry, variant):
    """'error' (clear, naming the argument), 'correct', or an AssertionError for anything else."""
    call, argument = ENTRY_POINTS[entry]
    points, expected = VARIANTS[variant]
    if variant == "three columns" and entry in ANY_DIMENSION:
        expected = "finite"
    try:
        result = call(points)
    except CLEAR as error:
        assert expected not in ("accept", "finite"), f"{entry} refused {variant} points: {error}"
        if expected == "reject":
            assert argument in str(error), f"{entry}: the error does not name {argument}: {error}"
        assert "Expected all tensors" not in str(error) and "mat1" not in str(error), f"{entry}: torch's own error: {error}"
        return "error"
    assert expected != "reject", f"{entry} accepted {variant} points silently"
    for tensor in tensors_in(result):
        assert torch.isfinite(tensor.double()).all(), f"{entry} returned a non-finite result for {variant} points"
    if expected == "accept":
        want = call(GOOD)
        for got, ref in zip(tensors_in(result), tensors_in(want)):
            torch.testing.assert_close(got.double(), ref.double(), rtol=1e-4, atol=1e-5)
    return "correct"


@pytest.mark.parametrize("entry, variant", SWEEP, ids=[f"{e}-{v}" for e, v in SWEEP])
def test_sweep(entry, variant):
    assert outcome(entry, variant) in ("error", "correct")


def test_compare_of_numpy_and_tensor_numbers_gives_a_comparison():
    result = helpers.compare(lambda s: np.float32(s), lambda s: torch.tensor(s + 1.0, dtype=torch.float64))
    assert isinstance(result, helpers.measures.evidence.Comparison) and result.a_better and result.differences == (-1.0,) * 5
