"""One symbol, one meaning, course-wide (issue 38): docs/notation.md lists each Greek letter and bold letter the lessons
write in their maths, with its meaning and the lessons that use it. A lesson (or its appendix) that writes a symbol the
table does not list for that lesson fails here, so whoever gives a letter a second meaning has to read its row first."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "notation.md"
LESSONS = ("all",)
MATH = re.compile(r"\$\$?(.+?)\$\$?", re.S)
GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon phi chi psi "
         "omega varphi varepsilon vartheta ell Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega").split()
# \boldsymbol\mu, \mathbf{v}, \boldsymbol{\epsilon}: the bold letter; the argument may be braced or not.
BOLD = re.compile(r"\\(?:mathbf|boldsymbol|bm)\s*\{?\s*(\\[A-Za-z]+|[A-Za-z])")
PLAIN = re.compile(r"\\([A-Za-z]+)(?![A-Za-z])")


def lesson_prose(path):
    """The markdown of a py:percent lesson: its comment lines, without the leading '# '."""
    return "\n".join(line[2:] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("# "))


def symbols_in(prose):
    """The tracked symbols a text writes in $...$ maths: '\\lambda' for a plain Greek letter, 'bold v' or 'bold \\mu' for
    a bold one."""
    found = set()
    for math in MATH.findall(prose):
        bold = {f"bold {m}" for m in BOLD.findall(math)}
        plain = BOLD.sub(" ", math)
        found |= bold | {f"\\{name}" for name in PLAIN.findall(plain) if name in GREEK}
    return found


def table():
    """{symbol: set of lesson numbers} from docs/notation.md's rows: | `symbol` | $shown$ | meaning | lessons |."""
    rows = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`([^`]+)`\s*\|.*\|\s*([\d, ]+)\s*\|\s*$", line)
        if match:
            rows[match.group(1)] = {n.strip() for n in match.group(2).split(",")}
    return rows


def test_the_table_reads():
    rows = table()
    assert len(rows) >= 20 and "\\lambda" in rows and "bold v" in rows


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.py")), ids=lambda p: p.stem)
def test_every_symbol_a_lesson_writes_is_listed_for_it(path):
    rows, lesson = table(), path.name[:2]
    unlisted = sorted(sym for sym in symbols_in(lesson_prose(path)) if lesson not in rows.get(sym, ()))
    assert not unlisted, (f"lesson {lesson} writes {unlisted}: docs/notation.md does not list them for it. Read each "
                          "symbol's row: use the meaning it has, or another symbol.")


def unlisted(prose, lesson):
    rows = table()
    return sorted(sym for sym in symbols_in(prose) if lesson not in rows.get(sym, ()))


def test_planted_second_meaning_is_caught():
    """Planted: lesson 06's ELBO weight written λ_t again (it was, until issue 38), and lesson 17's integer image
    written in bold v; both pass without the plant."""
    for lesson, plant in (("06", r"the ELBO's weight $\lambda_t$"), ("17", r"the integer image $\mathbf{v}$")):
        prose = lesson_prose(next((ROOT / "notebooks").glob(f"{lesson}_*.py")))
        assert unlisted(prose, lesson) == []
        assert unlisted(prose + "\n" + plant, lesson) != []
