"""The Chinese edition of Part I (zh/): each lesson a py:percent twin whose cells are the English lesson's, one for one.

    .venv/bin/python tools/translation.py start 03_forward_process  # a new translation, each cell marked with its version
    .venv/bin/python tools/translation.py check   # what is out of step (missing, extra, moved or stale cells, changed code,
                                                  # a glossary term not used)
    .venv/bin/python tools/translation.py stale   # each stale cell with the English change since it was translated
    .venv/bin/python tools/translation.py build   # write zh/*.ipynb: the Chinese cells, the English outputs

The rules (docs/decisions.md, "The Chinese edition"): a code cell is the English cell, except that its comments may be
translated; a markdown cell is translated, and records in its `translates` metadata the version (a hash) of the English
cell it translates, so that a change to the English cell names the translation it made stale. The Chinese notebook is
never executed: it takes each code cell's outputs from the executed English notebook.
"""

import difflib
import hashlib
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "notebooks"
CHINESE = ROOT / "zh"
KEY = "translates"
# Cell metadata that must be the English cell's: how the cell presents and how it is tested.
SAME_METADATA = ("slideshow", "tags")
CJK = re.compile(r"[\u3400-\u9fff]")
# A line break between two Chinese characters (or full-width punctuation, Chinese quotes) inside a paragraph: browsers show it as a space.
WIDE = "[\u201c\u201d\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
SOFT_BREAK = re.compile(rf"{WIDE}\n(?![-*|#>]|\d+\.){WIDE}")


def lessons():
    """The Chinese twins, by name (01_data, ...)."""
    return [path.stem for path in sorted(CHINESE.glob("[0-9][0-9]_*.py"))]


def version(source: str) -> str:
    """The version of an English cell that a translation records: the first 12 hex digits of its text's SHA-256."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


def without_comments(source: str):
    """The code's tokens without its comments and blank lines: what a translated code cell must keep unchanged."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [(token.type, token.string) for token in tokens if token.type not in (tokenize.COMMENT, tokenize.NL)]


def first_line(cell) -> str:
    line = next((line for line in cell.source.splitlines() if line.strip()), "")
    return line[:70] + ("..." if len(line) > 70 else "")


def compare(english, chinese) -> list:
    """What is wrong with the Chinese notebook against the English one, one sentence per problem (empty when in step).

    Cells are matched by position. A markdown cell whose recorded version is another English cell's is named as moved."""
    problems = []
    versions = {version(cell.source): index for index, cell in enumerate(english.cells) if cell.cell_type == "markdown"}
    if len(english.cells) != len(chinese.cells):
        problems.append(f"the English lesson has {len(english.cells)} cells and the translation {len(chinese.cells)}: "
                        f"a cell is missing or extra")
    for index, (en, zh) in enumerate(zip(english.cells, chinese.cells)):
        where = f"cell {index} (English: {first_line(en)!r})"
        if en.cell_type != zh.cell_type:
            problems.append(f"{where}: the English cell is {en.cell_type}, the translation's {zh.cell_type}")
            continue
        for key in SAME_METADATA:
            if en.metadata.get(key) != zh.metadata.get(key):
                problems.append(f"{where}: its {key} metadata differs from the English cell's")
        recorded = zh.metadata.get(KEY)
        if en.cell_type == "code":
            if zh.source == en.source:
                if recorded is not None:
                    problems.append(f"{where}: equals the English cell, so it records no version: remove {KEY}")
                continue
            try:
                same = without_comments(en.source) == without_comments(zh.source)
            except (tokenize.TokenError, IndentationError, SyntaxError):
                same = False
            if not same:
                problems.append(f"{where}: the code differs from the English cell's in more than its comments")
            elif recorded != version(en.source):
                problems.append(f"{where}: stale: the English cell changed since its comments were translated"
                                if recorded else f"{where}: its comments differ from the English cell's, and it "
                                                 f"records no version ({KEY})")
            continue
        if recorded is None:
            problems.append(f"{where}: records no version ({KEY})")
        elif recorded != version(en.source):
            moved = versions.get(recorded)
            problems.append(f"{where}: moved: it translates English cell {moved}" if moved is not None else
                            f"{where}: stale: the English cell changed since it was translated")
        elif not CJK.search(zh.source) and re.search(r"[A-Za-z]{4,}", re.sub(r"\$[^$]*\$", "", en.source)):
            problems.append(f"{where}: not translated (no Chinese in it)")
        elif SOFT_BREAK.search(zh.source):
            problems.append(f"{where}: a line break between two Chinese characters shows as a space: join the lines")
    return problems


def check(name: str) -> list:
    return compare(jupytext.read(ENGLISH / f"{name}.py"), jupytext.read(CHINESE / f"{name}.py"))


# A relative path in a lesson's code: a string holding a folder and a file name.
PATH_LITERAL = re.compile(r"""["']([\w.-]*/[\w./-]*\.\w+)["']""")


def location_problems(code: str) -> list:
    """The relative paths in a lesson's code that would not work from zh/ as they do from notebooks/. A path that climbs
    out of the lesson's folder (../benchmarks/...) leads to the same file from both sibling folders; a path inside it
    exists in zh/ only if the lesson writes it first, through helpers.save_weights, which makes its folder."""
    problems, made = [], set()
    for line in code.splitlines():
        for path in PATH_LITERAL.findall(line):
            folder = path.split("/")[0]
            if folder == "..":
                continue
            if "save_weights(" in line.split(path)[0]:
                made.add(folder)
            elif folder not in made:
                problems.append(f"{path!r} is used in the lesson's own folder before the lesson makes it, and zh/ has none")
    return problems


def table(path: Path, heading: str) -> list:
    """The rows of the Markdown table under heading in path, each a list of its cells (a cell may hold an escaped |)."""
    section = path.read_text(encoding="utf-8").split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|") and not line.startswith("|---")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))] for line in lines[1:]]


def glossary():
    """(Chinese term, English term) of every row of the Chinese glossary's table of the course's terms."""
    return [(row[0], row[1]) for row in table(CHINESE / "glossary.md", "## 课程术语")]


def prose(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def term_problems(english: str, chinese: str, terms) -> list:
    """The glossary's terms that the English text uses and the Chinese text does not: a term is its words before any
    parenthesis or comma, matched as whole words in English (any case) and as written in Chinese."""
    problems = []
    for zh_term, en_term in terms:
        en_key, zh_key = re.split(r" \(|,", en_term)[0].lower(), re.split(r"[（ ]", zh_term)[0]
        if re.search(rf"\b{re.escape(en_key)}\b", english.lower()) and zh_key not in chinese:
            problems.append(f"the English says {en_key!r}, the translation never {zh_key!r} (zh/glossary.md)")
    return problems


def start(name: str) -> Path:
    """Write zh/NAME.py from the English twin: the same cells, each markdown cell marked with its version, to translate."""
    target = CHINESE / f"{name}.py"
    if target.exists():
        sys.exit(f"{target.relative_to(ROOT)} exists: translate it in place (`stale` says what changed)")
    notebook = jupytext.read(ENGLISH / f"{name}.py")
    # jupytext writes only the cell metadata its filter names (read from the English twin's cells).
    kept = notebook.metadata["jupytext"].get("cell_metadata_filter", "-all")
    notebook.metadata["jupytext"]["cell_metadata_filter"] = f"{KEY},{kept}"
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.metadata[KEY] = version(cell.source)
    target.parent.mkdir(exist_ok=True)
    jupytext.write(notebook, target, fmt="py:percent")
    return target


def built(name: str):
    """The Chinese notebook as committed: its own cells, and each code cell's outputs and count from the English notebook."""
    notebook = jupytext.read(CHINESE / f"{name}.py")
    # jupytext lists the cell metadata keys it keeps in a set's order, which changes from one process to the next.
    keys = notebook.metadata["jupytext"]["cell_metadata_filter"].split(",")
    notebook.metadata["jupytext"]["cell_metadata_filter"] = ",".join(sorted(k for k in keys if k != "-all") + ["-all"])
    english = nbformat.read(ENGLISH / f"{name}.ipynb", as_version=4)
    notebook.metadata["kernelspec"] = english.metadata["kernelspec"]
    notebook.metadata["language_info"] = english.metadata.get("language_info", {})
    for zh, en in zip(notebook.cells, english.cells):
        # The English cell's id, not a random one: a rebuild writes the same file.
        zh.id = en.id
        if zh.cell_type == "code" == en.cell_type:
            zh.outputs, zh.execution_count = en.outputs, en.execution_count
    return notebook


def build(names) -> None:
    for name in names:
        problems = check(name)
        if problems:
            sys.exit(f"zh/{name}.py is out of step with notebooks/{name}.py:\n  " + "\n  ".join(problems))
        nbformat.write(built(name), CHINESE / f"{name}.ipynb")
        print(f"wrote zh/{name}.ipynb")


def english_history(name: str):
    """Every committed version of the English twin, newest first."""
    path = f"notebooks/{name}.py"
    commits = subprocess.run(["git", "log", "--format=%h", "--", path], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    for commit in commits:
        text = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, capture_output=True, text=True).stdout
        if text:
            yield jupytext.reads(text, fmt="py:percent")


def stale(name: str) -> int:
    """Print each stale cell of a translation with the English diff since the version it translates; return how many."""
    english, chinese = jupytext.read(ENGLISH / f"{name}.py"), jupytext.read(CHINESE / f"{name}.py")
    count = 0
    for index, (en, zh) in enumerate(zip(english.cells, chinese.cells)):
        recorded = zh.metadata.get(KEY)
        if recorded is None or recorded == version(en.source):
            continue
        count += 1
        old = next((cell.source for notebook in english_history(name) for cell in notebook.cells
                    if version(cell.source) == recorded), None)
        print(f"== zh/{name}.py, cell {index}: the English cell changed since version {recorded}; it is now version "
              f"{version(en.source)}, which the translated cell records once it is updated")
        if old is None:
            print("   (that version is in no commit of this clone: compare by hand)")
            continue
        print("\n".join(difflib.unified_diff(old.splitlines(), en.source.splitlines(), "translated", "now", lineterm="")))
    return count


def main(argv) -> int:
    if not argv or argv[0] not in ("start", "check", "stale", "build"):
        print(__doc__)
        return 2
    names = argv[1:] or lessons()
    if argv[0] == "start":
        for name in names:
            print(f"wrote {start(name).relative_to(ROOT)}")
        return 0
    if argv[0] == "build":
        build(names)
        return 0
    if argv[0] == "stale":
        return 1 if sum(stale(name) for name in names) else 0
    terms = glossary()
    problems = {name: check(name) + term_problems(prose(jupytext.read(ENGLISH / f"{name}.py")),
                                                  prose(jupytext.read(CHINESE / f"{name}.py")), terms) for name in names}
    for name, found in problems.items():
        print(f"zh/{name}.py: " + ("in step" if not found else "\n  " + "\n  ".join(found)))
    return 1 if any(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
