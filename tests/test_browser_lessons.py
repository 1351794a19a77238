"""The later lessons in JupyterLab (every other one; tests/test_browser_lessons_b.py has the rest): files of their own,
so that the test command's two workers (`--dist loadfile`) share the browser runs. The run itself is
tests/test_browser.py's; the browser and JupyterLab fixtures, shared per worker, are tests/conftest.py's."""

import pytest

from test_browser import LATER_LESSONS_A, run_lesson_in_lab


@pytest.mark.parametrize("name", LATER_LESSONS_A)
def test_later_lesson_runs_in_jupyterlab(lab_tab, name):
    run_lesson_in_lab(lab_tab, name)
