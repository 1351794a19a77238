"""What a lesson prints is read by a learner, not a programmer (issue 39): no bare dict, NumPy array or tensor reprs in
the committed outputs. A table or a sentence says what each number is; a repr shows braces, quotes and dtypes."""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")) + [ROOT / "slides" / "course_talk.ipynb"]
LESSONS = ("all",)
# A printed dict ({'a': 1, ...} or {1: [99], ...}), a NumPy or torch repr (a NumPy array prints as numbers in brackets
# with no commas: "[0.91  0.602 0.269]"), or nested brackets. An interval "[-1.78, -1.27]" is not a repr, and neither is
# a pair "per coordinate: [0.071 0.139]", which reads as the point it is.
NUMBER = r"-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?"
REPRS = re.compile(r"\{['\"\w.-]+: [^{}]*\}|\barray\(|\btensor\(|dtype=|\[\[|\[\s*" + NUMBER + r"(?:\s+" + NUMBER + r"){2,}\s*\]")


def printed_lines(notebook):
    """(cell index, line) of every printed stream line and plain-text result, except in cells that show an error on
    purpose (a traceback quotes code)."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stdout":
                text = output.text
            elif output.output_type == "execute_result":
                text = output.get("data", {}).get("text/plain", "")
            else:
                continue
            for line in text.splitlines():
                yield index, line


def reprs(notebook):
    return [(index, line) for index, line in printed_lines(notebook) if REPRS.search(line)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_reprs_in_printed_output(path):
    found = reprs(nbformat.read(path, as_version=4))
    assert not found, "\n".join(f"cell {index}: {line[:120]}" for index, line in found)
