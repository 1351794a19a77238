"""What a learner reads back from an exercise's check (issue 39): a prediction written as "B", "(b)", " b " or in the
choice's own words counts; an answer the check cannot read is echoed back; feedback is wrapped at spaces, never mid-word;
13.1 names the usual slips; and no exercise's feedback to a wrong answer contains its solution's formula."""

import ast
import contextlib
import io
import math
import re
import warnings
from pathlib import Path

import pytest
import torch

import helpers
from helpers.exercises import EXERCISES, WIDTH, verdict
from helpers.exercises.base import Exercise, NotYet, choice, judge, prediction
from test_exercises import solution_for, wrong_version

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
    assert right is False and "the run does not show" in message, message


@pytest.mark.parametrize("answer", ["c", "bb", 2, None, "farther"])
def test_an_unreadable_prediction_is_echoed(answer):
    right, message = judge("x.1", choice_exercise(), answer)
    assert right is False and f"received {answer!r}" in message, message


def test_a_number_that_is_not_one_is_echoed():
    exercise = Exercise("prediction", prediction(lambda: 2.0, "the std"), "hint")
    right, message = judge("x.2", exercise, "two")
    assert right is False and "received 'two'" in message, message
    assert judge("x.2", exercise, 2.05)[0] is True


@pytest.mark.parametrize("predicted, side", [(2.5, "too high"), (1.5, "too low")])
def test_a_missed_prediction_says_which_way_but_not_the_value(predicted, side):
    """Issue 45: a learner who read the measured value after a miss could copy it back and be told "correct"."""
    exercise = Exercise("prediction", prediction(lambda: 2.0, "the std"), "hint")
    right, message = judge("x.2", exercise, predicted)
    assert right is False and side in message and "2" not in message.replace("x.2", "").replace(str(predicted), ""), message
    right, message = judge("x.2", exercise, 1.95)
    assert right is True and "the std = 2" in message, message


def test_an_empty_answer_gets_no_hint():
    """Issue 45: a prediction's hint names its method, so it waits until the learner has written something."""
    exercise = Exercise("prediction", prediction(lambda: 2.0, "the std"), "the secret method")
    assert "secret" not in judge("x.2", exercise, None)[1]
    assert "secret" in judge("x.2", exercise, 3.0)[1]


def test_a_missed_choice_does_not_name_the_right_one():
    right, message = judge("x.1", choice_exercise(), "a")
    assert right is False and CHOICES["b"] not in message and "0.3" not in message, message


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


# Exercise 13.1 (issue 39): the usual slips in L_T each get their own diagnosis, never the formula -------------------

def prior_term(x0, scale=1.0, d_variance=2, reverse=False, step=-1, mean_power=0.5, variance_power=1.0):
    """L_T per point for helpers.sigmoid_schedule(100), written the way a learner might, with one slip at a time."""
    a = helpers.sigmoid_schedule(100).alpha_bar[step].double()
    var, mean_square = (1 - a) ** variance_power, a ** (2 * mean_power) * (x0**2).sum(1)
    if reverse:  # KL(N(0, I) || N(m, var I))
        return scale * (2 / var + mean_square / var - 2 + 2 * var.log()) / 2
    return scale * (d_variance * var + mean_square - d_variance - d_variance * var.log()) / 2


SLIPS_13_1 = {
    "twice": (dict(scale=2.0), "exactly twice"),
    "half, the mean over coordinates": (dict(scale=0.5), "exactly half"),
    "the KL reversed": (dict(reverse=True), "the other way round"),
    "bits": (dict(scale=1 / math.log(2)), "in bits"),
    "the variance terms for one coordinate": (dict(d_variance=1), "counted for one"),
    "alpha_bar for its square root": (dict(mean_power=1.0), "the factor on x_0"),
    "the variance squared": (dict(variance_power=2.0), "standard deviation are mixed up"),
    "the paper's T taken as code step T": (dict(step=-2), "code step 98"),
}


def test_13_1_right_answer_passes():
    assert verdict("13.1", prior_term)[0] is True


@pytest.mark.parametrize("slip", sorted(SLIPS_13_1))
def test_13_1_names_the_slip(slip):
    """Each usual slip gets its own diagnosis, and none gets the message of an unrelated wrong answer."""
    options, diagnosis = SLIPS_13_1[slip]
    right, message = verdict("13.1", lambda x0: prior_term(x0, **options))
    assert right is False and diagnosis in message, message
    unrelated = verdict("13.1", lambda x0: prior_term(x0) + 0.3)[1]
    assert "not by one of the usual slips" in unrelated and "not by one of the usual slips" not in message
    assert not formula_leaks(message, formula_fragments("13.1")), message


def test_13_1_one_coordinate_and_the_mean_over_points():
    one_coordinate = verdict("13.1", lambda x0: prior_term(x0[:, :1] * torch.ones(1, 2)) / 2)[1]
    assert "first coordinate alone" in one_coordinate, one_coordinate
    mean = verdict("13.1", lambda x0: prior_term(x0).mean())[1]
    assert "the mean over the points" in mean, mean


# Feedback never contains a solution's formula, for every exercise of the course (issue 39) ------------------------

SOLUTIONS = Path(__file__).resolve().parent.parent / "notebooks" / "solutions"
# The length from which a sub-expression of a solution counts as a piece of its formula (whitespace removed).
FRAGMENT_LENGTH = 12
SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult}


def squeezed(text):
    """Code or prose with whitespace removed (feedback is wrapped at spaces) and ** written as ^."""
    return "".join(text.split()).replace("**", "^")


def solution_tree(exercise_id):
    return ast.parse((SOLUTIONS / f"{exercise_id.replace('.', '_')}.py").read_text())


def answer_function(tree, name):
    return next((node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name), None)


def dotted_name(node):
    """torch.unique_consecutive, schedule.alpha_bar: a name, not a formula."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def formula_fragments(exercise_id):
    """A solution's formula, squeezed: each value its answer function returns or assigns (or, for an answer that is a
    value, the expression assigned to it), and each of their sub-expressions of FRAGMENT_LENGTH characters or more.
    A bare or dotted name or a number is no formula (a prediction's feedback reports the measured number by design)."""
    tree = solution_tree(exercise_id)
    name = EXERCISES[exercise_id].name
    function = answer_function(tree, name)
    if function is not None:
        answers = [node.value for node in ast.walk(function) if isinstance(node, ast.Return) and node.value is not None]
        steps = [node.value for node in ast.walk(function) if isinstance(node, (ast.Assign, ast.AugAssign))]
    else:
        answers = [node.value for node in tree.body if isinstance(node, ast.Assign)
                   and any(isinstance(target, ast.Name) and target.id == name for target in node.targets)]
        steps = []
    fragments = set()
    for root in answers + steps:
        for node in ast.walk(root):
            if isinstance(node, ast.Constant) or dotted_name(node) or not isinstance(node, ast.expr):
                continue
            text = squeezed(ast.unparse(node))
            # The answer's whole expression at any length; an intermediate step's (s2 = 1 - a) only from 12 characters.
            if (node is root and root in answers) or len(text) >= FRAGMENT_LENGTH:
                fragments.add(text)
    return fragments


def formula_shape(text):
    """A squeezed formula with its module prefixes dropped and every variable written x, so that the solution's
    var1 / var2 - 1 + math.log(var2 / var1) and a message's v1/v2 - 1 + log(v2/v1) read alike: x/x-1+log(x/x). A name
    followed by ( is a function and stays."""
    text = re.sub(r"\b(?:math|torch|np|numpy)\.", "", text)
    return re.sub(r"[A-Za-z_][A-Za-z0-9_]*(?!\w|\()", "x", text)


def formula_leaks(message, fragments):
    """The fragments a message contains, as written or with the variables renamed (a shape of FRAGMENT_LENGTH
    characters and two operators or more, so that prose cannot match it by chance)."""
    text = squeezed(message)
    shape = formula_shape(text)
    return sorted(fragment for fragment in fragments
                  if fragment in text or (len(formula_shape(fragment)) >= FRAGMENT_LENGTH
                                          and sum(map(formula_shape(fragment).count, "+-*/^")) >= 2
                                          and formula_shape(fragment) in shape))


def mutants(exercise_id):
    """Wrong answers made from the solution: one arithmetic operator of its answer function swapped at a time
    (+ and -, * and /, ** for *). Only the solution's imports, definitions and assignments run."""
    name = EXERCISES[exercise_id].name
    count = sum(isinstance(node, ast.BinOp) and type(node.op) in SWAPS
                for node in ast.walk(answer_function(solution_tree(exercise_id), name)))
    for k in range(count):
        tree = solution_tree(exercise_id)
        tree.body = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.Assign))]
        target = [node for node in ast.walk(answer_function(tree, name))
                  if isinstance(node, ast.BinOp) and type(node.op) in SWAPS][k]
        target.op = SWAPS[type(target.op)]()
        namespace = {}
        exec(compile(ast.fix_missing_locations(tree), "<mutant>", "exec"), namespace)
        yield namespace[name]


def wrong_answers(exercise_id):
    """The unfinished stub, the solution 1 % off (tests/test_exercises.py's), and for a function every operator swap;
    for a choice every other letter; for a number a few wrong values."""
    right = solution_for(exercise_id)
    if callable(right):
        yield lambda *args: None
        yield wrong_version(right)
        yield from mutants(exercise_id)
    elif isinstance(right, str):
        yield from (None, *(letter for letter in "abcd" if letter != right))
    else:
        yield from (None, wrong_version(right), 0.0, -1.0)


def feedback_leaks(exercise_id):
    """(message, the solution's fragments it contains) for each wrong answer whose feedback gives part of the formula,
    and how many wrong answers got feedback."""
    fragments = formula_fragments(exercise_id)
    leaks, judged = [], 0
    # A swapped operator may warn (a complex power, a division by zero): not what this test is about.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for answer in wrong_answers(exercise_id):
            right, message = verdict(exercise_id, answer)
            if right:
                continue  # a swap that changes nothing (say, a product with 1)
            judged += 1
            if found := formula_leaks(message, fragments):
                leaks.append((message, found))
    return leaks, judged


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_feedback_never_gives_the_formula(exercise_id, monkeypatch):
    monkeypatch.chdir(SOLUTIONS.parent)  # as %load runs a solution, from notebooks/
    leaks, judged = feedback_leaks(exercise_id)
    assert judged >= 2, f"only {judged} wrong answers to {exercise_id} were judged"
    assert not leaks, "\n".join(sorted({f"{found} in: {message}" for message, found in leaks}))


def test_every_function_solution_has_a_formula_to_guard():
    for exercise_id in EXERCISES:
        if callable(solution_for(exercise_id)):
            assert formula_fragments(exercise_id), exercise_id


@pytest.mark.parametrize("planted", ["the whole formula", "a sub-expression, written with ^", "other names"])
def test_feedback_that_gives_the_formula_fails_planted(monkeypatch, planted):
    """Planted: 14.1's feedback as it was before issue 39, the whole c_skip after any wrong answer; a piece of it; and
    the formula in the names of the maths (as 06.2's feedback gave its KL until issue 39)."""
    leak = {"the whole formula": "c_skip = data_std**2 / (data_std**2 + nu**2)",
            "a sub-expression, written with ^": "the denominator is data_std^2 + nu^2",
            "other names": "it is sd^2 / (sd^2 + nu^2)"}[planted]

    def test(answer):
        raise NotYet(f"your c_skip is not the minimiser; {leak}")

    monkeypatch.setitem(EXERCISES, "14.1", Exercise("edm_c_skip", test, "V is a parabola in c"))
    leaks, judged = feedback_leaks("14.1")
    assert judged >= 2 and len(leaks) == judged
