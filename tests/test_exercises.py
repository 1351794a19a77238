"""Every worked solution passes its check; unfinished and wrong answers do not; hints do not give the answer."""

import ast
import contextlib
import io
import os
import runpy
from pathlib import Path

import pytest

import helpers
from helpers.exercises import EXERCISES, verdict

SOLUTIONS = Path(__file__).resolve().parent.parent / "notebooks" / "solutions"


def solution_path(exercise_id):
    return SOLUTIONS / f"{exercise_id.replace('.', '_')}.py"


def run_solution(exercise_id):
    """Run a solution file as %load would in a lesson (cwd notebooks/), returning its namespace and output."""
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(SOLUTIONS.parent)
    try:
        with contextlib.redirect_stdout(out):
            namespace = runpy.run_path(str(solution_path(exercise_id)))
    finally:
        os.chdir(cwd)
    return namespace, out.getvalue()


def solution_for(exercise_id):
    return run_solution(exercise_id)[0][EXERCISES[exercise_id].name]


def test_every_exercise_has_a_solution_and_every_solution_an_exercise():
    files = {p.stem.replace("_", ".") for p in SOLUTIONS.glob("*.py")}
    assert files == set(EXERCISES)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_solution_passes(exercise_id, capsys):
    assert verdict(exercise_id, solution_for(exercise_id))[0] is True
    helpers.check_exercise(exercise_id, solution_for(exercise_id))
    assert capsys.readouterr().out.startswith(f"Exercise {exercise_id}: correct!")


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_loading_a_solution_prints_correct(exercise_id):
    _, printed = run_solution(exercise_id)
    assert printed.strip().splitlines()[-1].startswith(f"Exercise {exercise_id}: correct!")


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_placeholder_gets_a_hint(exercise_id, capsys):
    placeholder = (lambda *args: None) if callable(solution_for(exercise_id)) else None
    assert verdict(exercise_id, placeholder)[0] is False
    helpers.check_exercise(exercise_id, placeholder)
    out = capsys.readouterr().out
    assert "not yet" in out and "Hint:" in out


def wrong_version(right):
    """A wrong answer: 1 % off for a function, another letter for a choice, a clearly wrong number for a prediction."""
    if callable(right):
        return lambda *args: right(*args) * 1.01
    if isinstance(right, str):
        return "a" if right != "a" else "b"
    if right == 0.1:  # beta_max: the recipe's own value does not reach noise
        return 5e-3
    return right * 1.5 + 0.1


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_wrong_answer_is_rejected(exercise_id):
    assert verdict(exercise_id, wrong_version(solution_for(exercise_id)))[0] is False


def solution_fragments(exercise_id):
    """The code of a solution that a hint must not spell out: each statement and each assigned value."""
    tree = ast.parse(solution_path(exercise_id).read_text())
    fragments = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Return, ast.Assign, ast.AugAssign, ast.Expr)) and node.value is not None:
            # A bare name (an argument, a variable) says nothing about how to compute the answer.
            if isinstance(node.value, ast.Name) or "check_exercise" in ast.unparse(node):
                continue
            fragments.add(ast.unparse(node.value).replace(" ", ""))
    return fragments


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_hint_does_not_give_the_solution(exercise_id):
    hint = EXERCISES[exercise_id].hint.replace(" ", "")
    for fragment in solution_fragments(exercise_id):
        letter = fragment.strip("'\"")
        if len(letter) == 1 and letter.isalpha():
            # A one-letter choice: the hint must not name the letter.
            assert f"({letter})" not in hint and f"'{letter}'" not in hint and f'"{letter}"' not in hint
        else:
            assert fragment not in hint, f"the hint of {exercise_id} contains the solution's {fragment!r}"


def test_population_std_is_a_correct_answer_too():
    assert verdict("01.1", lambda x: x / x.std(dim=0, correction=0))[0] is True


def test_prediction_reports_the_measurement_only_once_predicted():
    unanswered = verdict("02.3", None)[1]
    answered = verdict("02.3", 1.0)[1]
    assert "measures" not in unanswered and "measures" in answered


def test_crashing_answer_gets_a_hint():
    def crashes(x):
        raise RuntimeError("half-written")

    ok, message = verdict("01.1", crashes)
    assert not ok and "raised RuntimeError" in message


def test_unknown_exercise():
    with pytest.raises(ValueError, match="exercise_id must be one of"):
        helpers.check_exercise("99.9", None)


def test_a_float32_answer_to_17_1_is_correct():
    """Computed in float32, the right formula is off by about 1e-7 bits; 17.1 asked for 1e-9 and rejected it (issue 36)."""
    import math

    import torch

    def bits_per_dim(log_p, d):
        log_p = log_p.float()
        return -(log_p.mean() + d * torch.tensor(math.log(2 / 17), dtype=torch.float32)) / (d * torch.tensor(math.log(2)))

    assert verdict("17.1", bits_per_dim)[0] is True
    # Natural logarithms instead of bits are still wrong.
    assert verdict("17.1", lambda log_p, d: -(log_p.float().mean() + d * math.log(2 / 17)) / d)[0] is False


def test_an_answer_to_04_2_that_ignores_its_inputs_is_rejected():
    """04.2 checked one data set, so returning that data set whatever the input passed (issue 36)."""
    assert verdict("04.2", lambda xt, eps, alpha_bar: helpers.s_curve(100, seed=1))[0] is False
