"""The Chinese edition of Part I (zh/, issue 46) is in step with the English lessons: cell for cell, the same code, each
translated cell of the English cell's current version, the English notebook's outputs, the glossary's terms.

The checks are tools/translation.py's; tests/test_planted_errors.py plants each defect they exist for."""

import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.compare import compare_notebooks

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import translation  # noqa: E402 (tools/ is not a package)

PART_ONE = [path.stem for path in sorted((ROOT / "notebooks").glob("0[1-8]_*.py"))]


def test_every_lesson_of_part_one_is_translated():
    assert len(PART_ONE) == 8 and translation.lessons() == PART_ONE


@pytest.mark.parametrize("name", PART_ONE)
def test_translation_in_step(name):
    english, chinese = (jupytext.read(folder / f"{name}.py") for folder in (translation.ENGLISH, translation.CHINESE))
    assert translation.compare(english, chinese) == []
    assert translation.term_problems(translation.prose(english), translation.prose(chinese), translation.glossary()) == []
    # Translated: most of the text is Chinese, and every markdown cell records the English version it translates.
    text = translation.prose(chinese)
    assert len(translation.CJK.findall(text)) > 0.5 * len(re.findall(r"[A-Za-z]", text))
    assert all(translation.KEY in cell.metadata for cell in chinese.cells if cell.cell_type == "markdown")


@pytest.mark.parametrize("name", PART_ONE)
def test_chinese_notebook_is_built_from_its_twin_and_the_english_outputs(name):
    """The committed zh/NAME.ipynb holds the twin's cells (jupytext's pairing) and, cell for cell, the outputs and
    execution counts of the executed English notebook: it is never executed itself."""
    committed = nbformat.read(translation.CHINESE / f"{name}.ipynb", as_version=4)
    compare_notebooks(jupytext.read(translation.CHINESE / f"{name}.py"), jupytext.read(translation.CHINESE / f"{name}.ipynb"),
                      fmt="py:percent")
    english = nbformat.read(translation.ENGLISH / f"{name}.ipynb", as_version=4)
    assert len(committed.cells) == len(english.cells)
    for zh, en in zip(committed.cells, english.cells):
        if en.cell_type == "code":
            assert (zh.outputs, zh.execution_count) == (en.outputs, en.execution_count), \
                f"{en.source[:80]!r}: run `.venv/bin/python tools/translation.py build {name}`"
    assert committed.metadata["kernelspec"] == english.metadata["kernelspec"]


@pytest.mark.parametrize("name", PART_ONE)
def test_code_works_from_the_chinese_folder(name):
    """The Chinese lesson runs the English code from zh/: its relative paths work there (translation.location_problems:
    ../ leads to the same file from both sibling folders; a path inside the lesson's folder is written before it is
    read), and the solutions its text loads exist from zh/."""
    code = "\n".join(cell.source for cell in jupytext.read(translation.ENGLISH / f"{name}.py").cells if cell.cell_type == "code")
    assert translation.location_problems(code) == []
    loads = re.findall(r"%load (\S+?\.py)", translation.prose(jupytext.read(translation.CHINESE / f"{name}.py")))
    assert loads and all((translation.CHINESE / path).is_file() for path in loads), loads


def test_glossary_has_every_term_of_part_one():
    """Each term the English glossary gives a lesson of 01-08 has its row, under the same English words, in Chinese."""
    english = translation.table(ROOT / "docs" / "glossary.md", "## Terms")
    part_one = [row[0] for row in english if any("01" <= n <= "08" for n in re.findall(r"\d\d", row[-1]))]
    assert len(part_one) >= 20
    assert set(part_one) - {en for _, en in translation.glossary()} == set()


def test_chinese_pages_have_no_line_break_between_characters():
    """A browser shows such a break as a space: the README's Chinese section (the Chinese site's landing page) and the
    glossary have none (the lessons: test_translation_in_step)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## 中文版\n", 1)[1].split("\n## ", 1)[0]
    for text in (section, (translation.CHINESE / "glossary.md").read_text(encoding="utf-8")):
        assert translation.SOFT_BREAK.findall(text) == []


def test_stale_finds_the_translated_version_in_the_history():
    """`translation.py stale` shows the English change since a translation; it finds that version in git's history.
    Every translated cell's version is in the history of its English twin (the newest commit that has the file)."""
    for name in PART_ONE[:2]:
        recorded = {cell.metadata[translation.KEY] for cell in jupytext.read(translation.CHINESE / f"{name}.py").cells
                    if translation.KEY in cell.metadata}
        found = set()
        for notebook in translation.english_history(name):
            found |= {translation.version(cell.source) for cell in notebook.cells}
            if recorded <= found:
                break
        assert recorded <= found


def test_course_lab_language_option(course, tmp_path):
    assert course.lab_language(["--lang", "zh", "--no-browser"]) == ("zh", ["--no-browser"])
    assert course.lab_language(["--lang=zh"]) == ("zh", [])
    assert course.lab_language(["--port=9999"]) == ("en", ["--port=9999"])
    with pytest.raises(SystemExit, match="zh"):
        course.lab_language(["--lang", "fr"])
    assert f"--LabApp.default_url={course.START}-zh" in course.lab_options(tmp_path, False, "zh")
    report = course.make_workspace(tmp_path)
    names = {path.relative_to(tmp_path).as_posix() for path in report["new"]}
    assert {f"zh/{name}.ipynb" for name in PART_ONE} <= names and not list((tmp_path / "zh").glob("*.py"))
