"""What every lesson's exercises share: the Exercise record, the verdicts and how a learner's answer is run.

Two kinds of check: the learner writes a function (or picks a value) and the check tests it; or the learner first
predicts a number or a picture, and the check runs the experiment and says whether the prediction held.
"""

import copy
import functools
import math
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch


@dataclass(frozen=True)
class Exercise:
    """name: what the lesson's stub is called; test(answer) raises NotYet or returns an optional note. copies=False
    hands the learner's function the check's own inputs: only for an exercise about changing them in place."""

    name: str
    test: Callable
    hint: str
    copies: bool = True


class NotYet(Exception):
    """Raised by a test with the reason the answer is not right yet."""


class LearnerError(Exception):
    """An error raised inside the learner's own answer."""


def expect(condition, reason):
    if not condition:
        raise NotYet(reason)


def close(a, b, tol=1e-5):
    return torch.allclose(torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64), atol=tol, rtol=tol)


def number(value):
    """A 0-d tensor or a NumPy scalar as the Python number it holds (a learner's natural answer); else unchanged."""
    if isinstance(value, (torch.Tensor, np.ndarray, np.generic)) and value.ndim == 0:
        value = value.item()
    return float(value) if isinstance(value, float) else value


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def prediction(measure, what, rel_tol=0.1):
    """A check for "predict a number, then run it": measure() runs the experiment and returns the number, which the
    feedback shows once the prediction is within rel_tol of it."""

    # The experiment is deterministic: run it once, however often the check is called.
    measure = functools.cache(measure)

    def test(predicted):
        predicted = number(predicted)
        expect(is_number(predicted), f"write your prediction as a number first, then run the cell (received {shown(predicted)})")
        value = measure()
        # A miss says which way, never the value: a learner who read it could copy it back and be told "correct".
        side = "high" if predicted > value else "low"
        expect(
            math.isclose(predicted, value, rel_tol=rel_tol),
            f"your prediction of {what}, {predicted:.3g}, is too {side}: the run measures a value more than "
            f"{rel_tol:.0%} {'below' if side == 'high' else 'above'} it",
        )
        return f"The run measures {what} = {value:.3g}."

    return test


def choice(measure, choices):
    """A check for "predict a picture or an outcome, then run it": measure() returns (right choice, evidence)."""

    measure = functools.cache(measure)

    def test(predicted):
        key = choice_key(predicted, choices)
        expect(key is not None, f"write your prediction as one of {sorted(choices)} first (received {shown(predicted)})")
        answer, evidence = measure()
        expect(key == answer, f"the run does not show {choices[key]}")
        return f"The run shows {choices[answer]}: {evidence}."

    return test


def shown(value):
    """A learner's answer as feedback echoes it: its repr, short, and "a function" for a function."""
    if isinstance(value, Guarded):
        value = value.answer
    if callable(value):
        return f"a function ({getattr(value, '__name__', type(value).__name__)})"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def choice_key(predicted, choices):
    """The key of choices a learner's answer means, read leniently: "B", "(b)", " b ", "b." and the choice's own words
    all mean "b". None if it means none of them."""
    if not isinstance(predicted, str):
        return None
    text = " ".join(predicted.strip().strip("()[]'\".").split()).lower()
    for key, words in choices.items():
        if text in (str(key).lower(), " ".join(str(words).split()).lower().rstrip(".")):
            return key
    return None


class Guarded:
    """The learner's function, called on copies of its inputs, so an answer that changes them in place cannot change
    what the check compares it with. Errors it raises are marked as the learner's; returned counts the calls that
    returned, and only_none says whether every one of them returned None (the lesson's stub)."""

    def __init__(self, answer, copies):
        self.answer, self.copies, self.returned, self.only_none = answer, copies, 0, True

    def __call__(self, *args):
        if self.copies:
            args = copy.deepcopy(args)
        try:
            value = self.answer(*args)
        except Exception as error:
            raise LearnerError(error) from error
        self.returned += 1
        self.only_none = self.only_none and value is None
        return value


def _where(error):
    """' (line N of your code: `source`)' for the innermost frame of error's traceback outside the course and the
    libraries, or '' if there is none."""
    library = (str(Path(__file__).resolve().parent.parent), sys.prefix, sys.base_prefix, "<frozen")
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(library)]
    if not frames:
        return ""
    frame = frames[-1]
    source = f": `{frame.line.strip()}`" if frame.line and frame.line.strip() else ""
    if frame.filename.startswith("<"):
        # A notebook cell under one name for every cell (IPYKERNEL_CELL_NAME): its cached source can belong to another
        # cell, but the function's name and the line number within its cell are right.
        return f" (your code, in {frame.name}, line {frame.lineno} of its cell)"
    if "ipykernel_" in frame.filename:
        # A notebook cell under its own temporary file name, which means nothing to the learner.
        return f" (your code, in {frame.name}, line {frame.lineno} of its cell{source})"
    return f" (your code, in {frame.name}, {Path(frame.filename).name} line {frame.lineno}{source})"


def _describe(error):
    text = str(error)
    return f"{type(error).__name__}: {text[:300]}" if text else type(error).__name__


COURSE_FAILURE = ("This is a failure of the course's own files, not of your answer: restore them (`git checkout -- "
                  "helpers notebooks`, or a fresh clone), restart the kernel and run the check again.")


def judge(exercise_id, exercise, answer):
    """(True, "correct" message), (False, what is missing plus a hint) for a learner's answer, or (None, what went
    wrong) when the check itself fails and so cannot judge the answer."""
    guarded = Guarded(answer, exercise.copies) if callable(answer) else None
    not_yet = f"Exercise {exercise_id}: not yet: "
    try:
        note = exercise.test(guarded or answer)
    except NotYet as reason:
        # Nothing written yet (a value still None, or the stub function that returns None): the hint waits for a first
        # attempt, since it often names the method.
        untouched = answer is None or (guarded is not None and guarded.returned and guarded.only_none)
        return False, f"{not_yet}{reason}." + ("" if untouched else f" Hint: {exercise.hint}")
    except LearnerError as wrapped:
        error = wrapped.__cause__
        return False, f"{not_yet}your answer raised {_describe(error)}{_where(error)}. Hint: {exercise.hint}"
    except Exception as error:
        if guarded is None and isinstance(error, TypeError) and "not callable" in str(error):
            return False, (f"{not_yet}pass the function itself ({exercise.name}), not a value or its result. "
                           f"Hint: {exercise.hint}")
        if guarded is not None and guarded.returned:
            return False, (f"{not_yet}the check could not use what your function returned ({_describe(error)}). "
                           f"Hint: {exercise.hint}")
        return None, f"Exercise {exercise_id}: the check itself failed with {_describe(error)}. {COURSE_FAILURE}"
    # A prediction's check also reports what the run measured.
    return True, f"Exercise {exercise_id}: correct!" + (f" {note}" if note else "")
