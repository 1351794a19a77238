"""Rebuild each lesson notebook (and the course talk) from its py:percent twin and execute it in a fresh kernel.

    python3 course.py build                     # every lesson and the talk
    python3 course.py build 03_forward_process  # one notebook (name without extension)

Outputs are replaced; the .py stays the source of truth for the cells. Prints each lesson's run time. A lesson with a
Chinese twin (zh/, tools/translation.py) has its Chinese notebook written again with the new outputs, or is named as out
of step with its translation.
"""

import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

import translation
from figure_checks import MARKER, environment

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
# Lessons (NN_name), their appendices (NNa_name: the full tables, searches and side topics a lesson links to) and the talk.
SOURCES = (sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py")) + sorted(NOTEBOOKS.glob("[0-9][0-9]a_*.py"))
           + [ROOT / "slides" / "course_talk.py"])
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# No lesson cell takes a minute (each whole lesson runs in under one).
CELL_TIMEOUT = 120
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def strip_widgets(notebook):
    """Keep no widget state and no widget output (interact controls, lesson 08's progress bar), in place.

    JupyterLab 4 cannot draw saved widget state (jupyterlab/jupyterlab#15361: "model not found"), so an unrun lesson
    would show each widget as its Python repr or an error, and a deck, which has no kernel, would load a widget manager
    from a CDN to show the same repr. The cell before each interact draws the same figure statically, and running the
    lesson brings the live widgets. The one rule for saved lessons and decks (slides/build.py).
    """
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code" and "interact(" in cell.source:
            cell.outputs = []
        elif cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]


def unfinished(notebook):
    """Why a notebook is not a clean, executed lesson (a cell never run, or an error shown), or None.

    Decks and the website are built from the committed notebooks, which `course.py build` executes whole; learners work
    on their copies in workspace/. This catches a notebook saved half-run, which would otherwise make a silently wrong
    deck or page.
    """
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("execution_count") is None:
            return f"code cell {index} was never run"
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            return f"code cell {index} shows an error"
    return None


def build(py_path: Path) -> float:
    notebook = jupytext.read(py_path)
    notebook.metadata["kernelspec"] = KERNELSPEC
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(py_path.parent)}})
    client.record_timing = False
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    problems = [line for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
                if output.get("name") == "stderr" for line in output["text"].splitlines() if line.startswith(MARKER)]
    if problems:
        sys.exit(f"{py_path.stem}: " + "; ".join(dict.fromkeys(problems)))
    strip_widgets(notebook)
    nbformat.write(notebook, py_path.with_suffix(".ipynb"))
    # Rewrite the twin from the notebook so both carry identical metadata.
    jupytext.write(notebook, py_path, fmt="py:percent")
    return seconds


def main(names):
    # Every kernel this build starts checks each figure it draws (tools/figure_checks.py).
    os.environ.update(environment())
    paths = SOURCES
    if names:
        paths = [p for p in paths if p.stem in names]
        missing = set(names) - {p.stem for p in paths}
        if missing:
            sys.exit(f"no notebook named {sorted(missing)}")
    for path in paths:
        try:
            seconds = build(path)
        except CellTimeoutError:
            # Now and then nbclient waits forever on a cell with a widget although the kernel is idle
            # (jupyter/nbclient#312; twice on lesson 12 here). A fresh kernel gets through.
            print(f"{path.stem}: a cell did not return within {CELL_TIMEOUT} s; building it again", flush=True)
            seconds = build(path)
        print(f"{path.stem}: {seconds:.1f} s", flush=True)
        if path.stem in translation.lessons():
            problems = translation.check(path.stem)
            if problems:
                print(f"  zh/{path.stem}.py is out of step (`.venv/bin/python tools/translation.py stale`):\n    "
                      + "\n    ".join(problems))
            else:
                translation.build([path.stem])


if __name__ == "__main__":
    main(sys.argv[1:])
