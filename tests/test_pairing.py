"""Every lesson (and the course talk) is an executed .ipynb paired with a py:percent twin, in lockstep."""

import copy
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.compare import compare_notebooks

ROOT = Path(__file__).resolve().parent.parent
LESSON_NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
APPENDICES = sorted((ROOT / "notebooks").glob("[0-9][0-9]a_*.ipynb"))
PAIRED = LESSON_NOTEBOOKS + APPENDICES + [ROOT / "slides" / "course_talk.ipynb"]


def test_lessons_exist():
    assert len(LESSON_NOTEBOOKS) >= 9
    assert [p.stem[:2] for p in LESSON_NOTEBOOKS] == [f"{i:02d}" for i in range(1, len(LESSON_NOTEBOOKS) + 1)]


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
        # JupyterLab's Run All stops at a cell that raises, even one tagged raises-exception: a lesson that shows an
        # error catches it and prints it.
        assert not any(o.output_type == "error" for o in cell.outputs), f"an error shows in: {cell.source[:80]}"


@pytest.mark.parametrize("ipynb", PAIRED, ids=lambda p: p.stem)
def test_ignored_outputs_say_why(ipynb):
    """nbval's markers are cell tags, with the reason in the cell's metadata (nbval_why), where contributors see it in
    the .py twin's cell header; a learner's code carries no test comments."""
    notebook = nbformat.read(ipynb, as_version=4)
    for cell in notebook.cells:
        assert "NBVAL" not in cell.source, f"use the tag nbval-ignore-output, not a comment: {cell.source[:80]}"
        if any(tag.startswith("nbval-") for tag in cell.metadata.get("tags", [])):
            assert len(cell.metadata.get("nbval_why", "")) > 30, f"say why in nbval_why: {cell.source[:80]}"


@pytest.mark.parametrize("ipynb", PAIRED, ids=lambda p: p.stem)
def test_no_saved_widget_state_or_repr(ipynb):
    """JupyterLab 4 cannot draw saved widgets, so a saved widget output would show as its Python repr."""
    notebook = nbformat.read(ipynb, as_version=4)
    assert "widgets" not in notebook.metadata
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert "application/vnd.jupyter.widget-view+json" not in output.get("data", {}), f"a saved widget output in: {cell.source[:80]}"
            assert "interactive(children" not in str(output.get("data", {}).get("text/plain", "")), cell.source[:80]


@pytest.mark.parametrize("ipynb", LESSON_NOTEBOOKS, ids=lambda p: p.stem)
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


def test_deck_builder_refuses_a_half_run_notebook():
    sys.path.insert(0, str(ROOT / "slides"))
    try:
        import build as deck_builder
    finally:
        sys.path.remove(str(ROOT / "slides"))
    notebook = nbformat.read(ROOT / "notebooks" / "01_data.ipynb", as_version=4)
    assert deck_builder.unfinished(notebook) is None
    half_run = copy.deepcopy(notebook)
    code = [c for c in half_run.cells if c.cell_type == "code"]
    code[-1].execution_count = None
    assert "never run" in deck_builder.unfinished(half_run)
    failed = copy.deepcopy(notebook)
    [c for c in failed.cells if c.cell_type == "code"][2].outputs.append(
        nbformat.v4.new_output("error", ename="NameError", evalue="x", traceback=[]))
    assert "error" in deck_builder.unfinished(failed)
    # Lesson 06 shows the reference's batch bug as a caught and printed error, not an error output.
    assert deck_builder.unfinished(nbformat.read(ROOT / "notebooks" / "06_loss.ipynb", as_version=4)) is None


@pytest.mark.parametrize("ipynb", LESSON_NOTEBOOKS + [ROOT / "slides" / "course_talk.ipynb"], ids=lambda p: p.stem)
def test_instructor_notes_say_what_they_are(ipynb):
    """In JupyterLab a notes cell looks like any other text; its first words say it is for the instructor."""
    notebook = nbformat.read(ipynb, as_version=4)
    notes = [c for c in notebook.cells if c.metadata.get("slideshow", {}).get("slide_type") == "notes"]
    assert notes and all(c.source.startswith(("**Instructor's note.**", "**Speaker's note.**")) for c in notes)


@pytest.mark.parametrize("appendix", APPENDICES, ids=lambda p: p.stem)
def test_appendix_and_its_lesson_link_each_other(appendix):
    """An appendix (NNa_name) holds what lesson NN moved out of its main line: the lesson must say where it went, and the
    appendix where it came from, or a learner never finds one from the other."""
    lesson = [p for p in LESSON_NOTEBOOKS if p.name[:2] == appendix.name[:2]]
    assert len(lesson) == 1, f"{appendix.name} has no lesson {appendix.name[:2]}"
    prose = lambda path: "".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    assert appendix.name in prose(lesson[0]), f"{lesson[0].name} never links to {appendix.name}"
    assert lesson[0].name in prose(appendix), f"{appendix.name} never links back to {lesson[0].name}"
