"""Every worked solution passes its check; unfinished and wrong answers do not."""

import runpy
from pathlib import Path

import pytest

import helpers
from helpers.exercises import EXERCISES, verdict

SOLUTIONS = Path(__file__).resolve().parent.parent / "notebooks" / "solutions"


def solution_for(exercise_id):
    path = SOLUTIONS / f"{exercise_id.replace('.', '_')}.py"
    return runpy.run_path(str(path))[EXERCISES[exercise_id].name]


def test_every_exercise_has_a_solution_and_every_solution_an_exercise():
    files = {p.stem.replace("_", ".") for p in SOLUTIONS.glob("*.py")}
    assert files == set(EXERCISES)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_solution_passes(exercise_id, capsys):
    assert verdict(exercise_id, solution_for(exercise_id))[0] is True
    helpers.check_exercise(exercise_id, solution_for(exercise_id))
    assert capsys.readouterr().out.strip() == f"Exercise {exercise_id}: correct!"


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_placeholder_gets_a_hint(exercise_id, capsys):
    placeholder = None if EXERCISES[exercise_id].name == "beta_max" else (lambda *args: None)
    assert verdict(exercise_id, placeholder)[0] is False
    helpers.check_exercise(exercise_id, placeholder)
    out = capsys.readouterr().out
    assert "not yet" in out and "Hint:" in out


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_wrong_answer_is_rejected(exercise_id):
    if EXERCISES[exercise_id].name == "beta_max":
        wrong = 5e-3
    else:
        right = solution_for(exercise_id)

        def wrong(*args):
            return right(*args) * 1.01

    assert verdict(exercise_id, wrong)[0] is False


def test_crashing_answer_gets_a_hint():
    def crashes(x):
        raise RuntimeError("half-written")

    ok, message = verdict("01.1", crashes)
    assert not ok and "raised RuntimeError" in message


def test_unknown_exercise():
    with pytest.raises(ValueError, match="exercise_id must be one of"):
        helpers.check_exercise("99.9", None)
