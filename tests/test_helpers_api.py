"""Every public helper names the lesson that teaches it, and some lesson uses it."""

import re
from pathlib import Path

import pytest

import helpers

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("all",)

ROOT = Path(__file__).resolve().parent.parent
LESSON_CODE = "".join(p.read_text() for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.py")))


@pytest.mark.parametrize("name", helpers.__all__)
def test_public_helper_is_taught_and_used(name):
    obj = getattr(helpers, name)
    if callable(obj):
        match = re.search(r"Defined in lesson (\d\d)", obj.__doc__ or "")
        assert match, f"helpers.{name}'s docstring must name its lesson"
        assert list((ROOT / "notebooks").glob(f"{match.group(1)}_*.py")), f"no lesson {match.group(1)}"
    assert f"helpers.{name}" in LESSON_CODE, f"no lesson uses helpers.{name}"
