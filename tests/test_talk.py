"""The course talk (slides/course_talk.ipynb) covers every lesson, from the committed, executed notebook, and fits its
~25 minutes (about 2 minutes a section). A new lesson fails this test until the talk is rebuilt
(`python3 course.py build course_talk`): Part III's slide lists its lessons when it runs."""

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
TALK = ROOT / "slides" / "course_talk.ipynb"
MINUTES_PER_SLIDE, MINUTES = 2, 25


def shown_text(notebook):
    """What the talk's slides show: its markdown and its printed outputs (its code is hidden in the deck)."""
    parts = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and cell.metadata.get("slideshow", {}).get("slide_type") != "notes":
            parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def uncovered(text, lessons):
    """The lesson numbers the text names neither as "lesson NN" nor inside a range "lessons AA–BB" (or "AA-BB")."""
    named = {int(n) for n in re.findall(r"lesson (\d\d)\b", text)}
    for first, last in re.findall(r"lessons (\d\d)\s*[–-]\s*(\d\d)", text):
        named |= set(range(int(first), int(last) + 1))
    for first in re.findall(r"lessons (\d\d) on\b", text):
        named |= {n for n in lessons if n >= int(first)}
    return sorted(set(lessons) - named)


def lesson_numbers():
    return [int(path.name[:2]) for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]


def test_talk_covers_every_lesson_and_lists_part_three():
    text = shown_text(nbformat.read(TALK, as_version=4))
    assert uncovered(text, lesson_numbers()) == []
    assert "Part II" in text and "Part III" in text
    # Part III's slide prints its lessons' titles from the notebooks (13-17); Part IV's lessons (18 on) have their own slide.
    for number in (n for n in lesson_numbers() if 13 <= n <= 17):
        assert f"lesson {number:02d}:" in text, f"lesson {number:02d} is not in Part III's list: rebuild the talk"
    if any(n >= 18 for n in lesson_numbers()):
        assert "Part IV" in text


def test_talk_fits_its_time():
    """About 2 minutes per numbered section (the speaker's budget in the talk's first note); title and summary aside."""
    notebook = nbformat.read(TALK, as_version=4)
    sections = sum(bool(re.match(r"## \d+\. ", cell.source)) for cell in notebook.cells if cell.cell_type == "markdown")
    assert 9 <= sections and sections * MINUTES_PER_SLIDE <= MINUTES, f"{sections} sections at ~{MINUTES_PER_SLIDE} min each"


def test_talk_coverage_check_planted():
    """The talk as it was (lessons 01–09): the check names the lessons it left out."""
    old = "## 1. The data (lesson 01)\n## 2. (lessons 02–03)\n## 9. The exact answer (lesson 09)\nlessons 05–06, lesson 07, lesson 08"
    lessons = lesson_numbers()
    assert uncovered(old, lessons) == [4] + [n for n in lessons if n >= 10]
