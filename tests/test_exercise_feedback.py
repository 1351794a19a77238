"""What a learner reads back from an exercise's check (issue 39): a prediction written as "B", "(b)", " b " or in the
choice's own words counts; an answer the check cannot read is echoed back; feedback is wrapped at spaces, never mid-word."""

import pytest

import helpers
from helpers.exercises import EXERCISES, WIDTH, verdict
from helpers.exercises.base import Exercise, choice, judge, prediction

LESSONS = ("all",)
CHOICES = {"a": "closer with 2 steps", "b": "farther with 2 steps"}


def choice_exercise():
    return Exercise("prediction", choice(lambda: ("b", "measured 0.3 against 0.2"), CHOICES), "hint")


@pytest.mark.parametrize("answer", ["b", "B", "(b)", " b ", "b.", "'b'", "Farther with 2 steps", "farther  with 2 steps."])
def test_a_prediction_is_read_leniently(answer):
    right, message = judge("x.1", choice_exercise(), answer)
    assert right is True, message


@pytest.mark.parametrize("answer", ["a", "A)", "closer with 2 steps"])
def test_a_wrong_prediction_is_still_wrong(answer):
    right, message = judge("x.1", choice_exercise(), answer)
    assert right is False and "the run shows" in message, message


@pytest.mark.parametrize("answer", ["c", "bb", 2, None, "farther"])
def test_an_unreadable_prediction_is_echoed(answer):
    right, message = judge("x.1", choice_exercise(), answer)
    assert right is False and f"received {answer!r}" in message, message


def test_a_number_that_is_not_one_is_echoed():
    exercise = Exercise("prediction", prediction(lambda: 2.0, "the std"), "hint")
    right, message = judge("x.2", exercise, "two")
    assert right is False and "received 'two'" in message, message
    assert judge("x.2", exercise, 2.05)[0] is True


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_feedback_is_wrapped_at_spaces(exercise_id, capsys):
    """The stub's feedback (what every learner sees first) as check_exercise prints it: no line wider than WIDTH unless it
    is one word, and the same words as the verdict."""
    def stub(*args):
        return None

    helpers.check_exercise(exercise_id, stub)
    printed = capsys.readouterr().out
    assert printed.split() == verdict(exercise_id, stub)[1].split()
    assert all(len(line) <= WIDTH or " " not in line.strip() for line in printed.splitlines()), printed
