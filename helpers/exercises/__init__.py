"""Automatic checks for the lessons' exercises: each says "correct" or gives a hint.

One module per lesson, lessonNN.py, holds that lesson's checks and hints in a dict EXERCISES; this package gathers
every lessonNN module it finds, so a new lesson's exercises touch no other lesson's file. base.py holds what they
share. Defined in lesson 01 (data).
"""

import importlib
import pkgutil
import textwrap

from .base import Exercise, judge

EXERCISES = {}
# The width feedback is printed at.
WIDTH = 76
for _module in sorted(info.name for info in pkgutil.iter_modules(__path__) if info.name.startswith("lesson")):
    EXERCISES.update(importlib.import_module(f"{__name__}.{_module}").EXERCISES)


def verdict(exercise_id, answer):
    """(True, "correct" message), (False, what is missing plus a hint) for a learner's answer, or (None, what went
    wrong) when the check itself fails and so cannot judge the answer."""
    if exercise_id not in EXERCISES:
        raise ValueError(f"exercise_id must be one of {sorted(EXERCISES)}, got {exercise_id!r}")
    return judge(exercise_id, EXERCISES[exercise_id], answer)


def check_exercise(exercise_id, answer):
    """Run an exercise's check on the learner's answer and print "correct" or what is missing and a hint.

    Defined in lesson 01 (data).
    """
    # Wrapped at spaces: JupyterLab's output area breaks a long line wherever it reaches the edge, mid-word, and the
    # website's output box is about 77 characters wide.
    print("\n".join(textwrap.fill(line, WIDTH, break_long_words=False, break_on_hyphens=False) or line
                    for line in verdict(exercise_id, answer)[1].splitlines()))


__all__ = ["EXERCISES", "Exercise", "check_exercise", "verdict"]
