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


# A snake_case name in printed output is code talking (ode_nll, nn_ratio, t_power): a learner reads it only if the
# lesson said what it is, in its prose, or defined it in its own code (`def one_percent_off`, `steps = ...`). Maths
# written in ASCII for plain-text feedback (alpha_bar_t, x0_hat) is not code: its parts are symbols, not words; nor is a
# printed call's keyword (`TrainConfig(batch_size=1024)`), which shows the code that would set it.
IDENTIFIER = re.compile(r"(?<![\w./'\"`-])([A-Za-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w(/.'\"`=-])")
ASCII_MATHS = {"alpha_bar", "beta_tilde", "sigma_data", "eps_theta", "eps_hat", "x0_hat", "x0_hats", "L_simple"}


def is_code_name(name):
    """A name with a word after its first part (off_curve, min_snr), not a symbol with subscripts (x_t, alpha_bar_t)."""
    base = re.sub(r"(_[a-z0-9]{1,2})+$", "", name) if name.split("_")[0] not in ("x", "eps") else name
    return base not in ASCII_MATHS and any(len(part) >= 3 and part.isalpha() for part in base.split("_")[1:])


def undefined_names(notebook):
    prose = " ".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    found = {}
    for index, line in printed_lines(notebook):
        for name in IDENTIFIER.findall(line):
            defined = name in prose or re.search(rf"\bdef {name}\b|^\s*{name}\s*=|\bfor {name} in\b", code, re.M)
            if is_code_name(name) and not defined:
                found.setdefault(name, (index, line))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_printed_names_are_words_or_defined(path):
    found = undefined_names(nbformat.read(path, as_version=4))
    assert not found, "\n".join(f"cell {index}: {name!r} in {line.strip()[:100]}" for name, (index, line) in found.items())
