"""A printed number carries the digits that mean something (docs/contributing.md): the cheap guard against outputs that
differ between CPUs. nbval compares printed text, and a CPU with other kernels changes the last digits of float32
arithmetic (about 7 significant digits) and of iterative float64 solvers; tools/portability.py runs the lessons with
other CPUs' kernels and finds what this guard cannot (a training run that drifts further)."""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPARED = (sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "notebooks").glob("[0-9][0-9]a_*.ipynb"))
            + [ROOT / "slides" / "course_talk.ipynb"])
LESSONS = ("all",)
# float32 carries 7 significant digits and its last one moves with the kernels: six is the most a lesson prints.
MAX_DIGITS = 6
# A decimal number, in plain or scientific notation, not part of a name or a longer number.
DECIMAL = re.compile(r"(?<![\w.])(\d*\.\d+)(?:[eE][-+]?\d+)?(?![\w.])")


def over_precise(text):
    """The decimal numbers in text that show more than MAX_DIGITS significant digits (integers are exact: never)."""
    return [match.group(0) for match in DECIMAL.finditer(text)
            if len(match.group(1).replace(".", "").lstrip("0")) > MAX_DIGITS]


def compared_texts(notebook):
    """(cell index, text) of every output nbval compares: streams and text-like results of cells it does not ignore."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or "nbval-ignore-output" in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                yield index, output["text"]
            for key in ("text/plain", "text/html", "text/latex", "text/markdown"):
                if key in output.get("data", {}):
                    yield index, output["data"][key]


@pytest.mark.parametrize("path", COMPARED, ids=lambda p: p.stem)
def test_printed_numbers_carry_only_meaningful_digits(path):
    found = [(index, number) for index, text in compared_texts(nbformat.read(path, as_version=4))
             for number in over_precise(text)]
    assert found == [], (f"{path.name}: (cell, number) printed with more than {MAX_DIGITS} significant digits; print the "
                         "digits the lesson means and assert the rest in code")


def test_over_precise_reads_numbers_as_written():
    assert over_precise("check 3: the Fréchet distance 0.6144986198, by sqrtm 0.6144986198") == ["0.6144986198"] * 2
    assert over_precise("6.144986198e-01 and 1234.567") == ["6.144986198e-01", "1234.567"]
    assert over_precise("72066 parameters, seed 20240101, 2 367 tests, 0.000012 and 3e-15, 1.2e-10, 597.954, v1.2.3") == []


PROBE = """
import json, torch
from threadpoolctl import threadpool_info
print(json.dumps({"openblas": sorted({i["architecture"] for i in threadpool_info() if i["internal_api"] == "openblas"}),
                  "aten": torch.backends.cpu.get_cpu_capability()}))
"""


def test_the_course_pins_the_same_kernels_on_every_avx2_cpu(course):
    """course.same_kernels names one choice per library for CPUs with AVX2 and FMA, and none without (forcing AVX2
    kernels there would crash). Read back by the libraries themselves in a fresh process started with nothing but the
    pin: OpenBLAS reports its Haswell kernels and torch its AVX2 loops, whatever this CPU would pick."""
    import json
    import subprocess
    import sys

    assert course.same_kernels({"sse2", "avx"}) == {} and course.same_kernels({"avx2"}) == {}
    pin = course.same_kernels({"avx2", "fma", "avx512f"})
    assert pin["OPENBLAS_CORETYPE"] == "Haswell" and pin["ATEN_CPU_CAPABILITY"] == "avx2" and pin["MKL_CBWR"] == "AVX2"
    if not {"avx2", "fma"} <= course.cpu_flags():
        pytest.skip("this CPU has no AVX2 and FMA: the course pins nothing here")
    env = {k: v for k, v in course.env_with({}).items() if k not in pin}
    found = json.loads(subprocess.run([sys.executable, "-c", PROBE], env={**env, **pin}, capture_output=True, text=True,
                                      check=True).stdout)
    assert found == {"openblas": ["Haswell"], "aten": "AVX2"}, found


def test_the_portability_report_reads_nbval_s_difference():
    """tools/portability.py labels nbval's diff lines: pytest marks the committed output (the left side of nbval's
    assert) with "+" and the new one with "-"; a source line of the cell that starts with "- " is not a difference."""
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import portability

    message = ("Cell 13: Cell outputs differ\n\nInput:\nx = (a\n    - 2 * b)\nprint(x)\n\nTraceback:\n mismatch 'stdout'\n\n"
               " assert reference_output == test_output failed:\n\n  'check 3: 0.6144986198' == 'check 3: 0.6144982126'\n"
               "  \n  - check 3: 0.6144982126\n  + check 3: 0.6144986198\n")
    assert portability.changed_lines(message) == ["here: check 3: 0.6144982126", "committed: check 3: 0.6144986198"]
