"""Every lesson is an executed .ipynb paired with a py:percent twin, in lockstep."""

from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.compare import compare_notebooks

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def test_lessons_exist():
    assert [p.stem[:2] for p in LESSONS] == [f"{i:02d}" for i in range(1, len(LESSONS) + 1)]
    assert len(LESSONS) >= 4


@pytest.mark.parametrize("ipynb", LESSONS, ids=lambda p: p.stem)
def test_pair_in_lockstep(ipynb):
    twin = ipynb.with_suffix(".py")
    assert twin.exists(), f"{twin.name} is missing"
    compare_notebooks(jupytext.read(twin), jupytext.read(ipynb), fmt="py:percent")


@pytest.mark.parametrize("ipynb", LESSONS, ids=lambda p: p.stem)
def test_committed_executed(ipynb):
    notebook = nbformat.read(ipynb, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "execute the notebook before committing it"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), "execute top to bottom in a fresh kernel"
    assert not any(o.output_type == "error" for c in code for o in c.outputs)


@pytest.mark.parametrize("ipynb", LESSONS, ids=lambda p: p.stem)
def test_ignored_outputs_say_why(ipynb):
    notebook = nbformat.read(ipynb, as_version=4)
    for cell in notebook.cells:
        if "NBVAL_IGNORE_OUTPUT" in cell.source or "NBVAL_SKIP" in cell.source:
            marker = next(line for line in cell.source.splitlines() if "NBVAL_" in line)
            assert ":" in marker and len(marker.split(":", 1)[1].strip()) > 20, f"give the reason: {marker}"


@pytest.mark.parametrize("ipynb", LESSONS, ids=lambda p: p.stem)
def test_lesson_structure(ipynb):
    notebook = nbformat.read(ipynb, as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and "**Goal.**" in first.source and "**Assumes.**" in first.source
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "## Summary" in text and "## Exercises" in text
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert code.count("helpers.check_exercise(") >= 2
    assert "sys.path" not in code
