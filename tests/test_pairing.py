"""Every lesson (and the course talk) is an executed .ipynb paired with a py:percent twin, in lockstep."""

from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.compare import compare_notebooks

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAIRED = LESSONS + [ROOT / "slides" / "course_talk.ipynb"]


def test_lessons_exist():
    assert len(LESSONS) >= 9
    assert [p.stem[:2] for p in LESSONS] == [f"{i:02d}" for i in range(1, len(LESSONS) + 1)]


@pytest.mark.parametrize("ipynb", PAIRED, ids=lambda p: p.stem)
def test_pair_in_lockstep(ipynb):
    twin = ipynb.with_suffix(".py")
    assert twin.exists(), f"{twin.name} is missing"
    compare_notebooks(jupytext.read(twin), jupytext.read(ipynb), fmt="py:percent")


@pytest.mark.parametrize("ipynb", PAIRED, ids=lambda p: p.stem)
def test_committed_executed(ipynb):
    notebook = nbformat.read(ipynb, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "execute the notebook before committing it"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), "execute top to bottom in a fresh kernel"
    for cell in code:
        failed = any(o.output_type == "error" for o in cell.outputs)
        assert failed == ("raises-exception" in cell.metadata.get("tags", [])), f"unexpected outcome of: {cell.source[:80]}"


@pytest.mark.parametrize("ipynb", PAIRED, ids=lambda p: p.stem)
def test_ignored_outputs_say_why(ipynb):
    notebook = nbformat.read(ipynb, as_version=4)
    for cell in notebook.cells:
        lines = cell.source.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("# NBVAL_"):
                assert line.strip() in {"# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP"}, f"nbval only reads the bare marker: {line}"
                reason = lines[i + 1] if i + 1 < len(lines) else ""
                assert reason.startswith("# Why: ") and len(reason) > 30, f"say why on the next line: {cell.source[:80]}"


@pytest.mark.parametrize("ipynb", PAIRED, ids=lambda p: p.stem)
def test_no_saved_widget_state_or_repr(ipynb):
    """JupyterLab 4 cannot draw saved widgets, so a saved widget output would show as its Python repr."""
    notebook = nbformat.read(ipynb, as_version=4)
    assert "widgets" not in notebook.metadata
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            # Lesson 08's live training bar (tqdm) is the one widget kept: nbval compares its text. The decks drop it.
            assert "application/vnd.jupyter.widget-view+json" not in output.get("data", {}) or "helpers.train(" in cell.source, \
                f"a saved widget output in: {cell.source[:80]}"
            assert "interactive(children" not in str(output.get("data", {}).get("text/plain", "")), cell.source[:80]


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
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in notebook.cells]
    assert kinds[0] == "slide" and kinds.count("slide") >= 5 and "notes" in kinds, "the lesson must present as a deck"
    # A skipped cell cannot be run in the live slideshow, and every later cell needs the ones before it.
    assert not [c for c in notebook.cells if c.cell_type == "code" and c.metadata.get("slideshow", {}).get("slide_type") == "skip"]
