"""Build the course website into build/site/ from the committed, executed notebooks (nothing is re-executed).

    python3 course.py site

Every lesson (notebooks/NN_*.ipynb, found by name, each followed by its appendix NNa_*.ipynb if any; so a new lesson needs no change here), the course talk, the
benchmarks and decisions pages, and a landing page with the lesson table. Sphinx with myst-nb and sphinx-book-theme;
the pages load nothing from outside the site (website/conf.py). Open build/site/index.html from disk, or serve the
folder with `python3 -m http.server -d build/site`.

The Chinese edition of lessons 01-08 (zh/, issue 46) is a second Sphinx project in Chinese, built into build/site/zh/:
its lessons, its glossary and a landing page from the README's Chinese section. Every page of either edition links the
same page in the other (the page itself where it has one, else the other's landing page).
"""

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from build_notebooks import strip_widgets, unfinished  # noqa: E402 (the rules shared with the lessons' build and the decks)

HERE = Path(__file__).resolve().parent
SOURCE = ROOT / "build" / "site-source"
OUT = ROOT / "build" / "site"
DOCS = ("results", "benchmarks", "decisions", "notation", "glossary")
TALK_TITLE = "The course talk (slides with speaker notes)"
ZH_SOURCE = ROOT / "build" / "site-source-zh"
ZH_OUT = OUT / "zh"
ZH_DOCS = ("glossary",)
# The README's section in Chinese, which the Chinese landing page shows.
ZH_README = "## 中文版"


def lessons():
    """The lessons, each followed by its appendix (NNa_name) when it has one."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))


def pages():
    """(notebook, its path in the repository) for every page built from a notebook: the lessons, then the talk."""
    return [(path, path.relative_to(ROOT).as_posix()) for path in [*lessons(), ROOT / "slides" / "course_talk.ipynb"]]


def zh_pages():
    """(notebook, its path in the repository) for every page of the Chinese edition built from a notebook."""
    return [(path, path.relative_to(ROOT).as_posix()) for path in sorted((ROOT / "zh").glob("[0-9][0-9]_*.ipynb"))]


def title(notebook):
    """The notebook's first heading, without the '#'s."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise ValueError("a notebook without a '# ' heading has no title for the site")


def language(repository_path):
    """The edition a page belongs to: "zh" for the Chinese lessons (zh/), else "en"."""
    return "zh" if repository_path.startswith("zh/") else "en"


# The cell put under each page's heading: the committed notebook to download, and how to run it.
RUN_NOTE = {
    "en": ("```{{admonition}} Run this page yourself\n:class: tip\n{{download}}`Download the notebook ({name}) "
           "<downloads/{name}>` (the executed file this page shows), or run it in JupyterLab with the whole course: in a "
           "clone of the repository, `python3 course.py lab`, then open `{path}`.\n```"),
    "zh": ("```{{admonition}} 自己运行这一页\n:class: tip\n{{download}}`下载笔记本（{name}） <downloads/{name}>`"
           "（即本页显示的已执行文件），或在 JupyterLab 中与整个课程一起运行：在仓库的克隆中运行 "
           "`python3 course.py lab --lang zh`，然后打开 `{path}`。\n```"),
}


def run_note(repository_path):
    return RUN_NOTE[language(repository_path)].format(name=Path(repository_path).name, path=repository_path)


# Put under each cell that makes controls: a page has no kernel to move them.
CONTROLS_NOTE = {"en": "*These controls need a running kernel, so this page shows the figure above, drawn at their "
                       "starting values. Run the notebook to move them.*",
                 "zh": "*这些控件需要运行中的内核，所以本页显示上面那张按控件初始值绘制的图。运行笔记本即可拖动它们。*"}


def prepare(notebook, repository_path):
    """The page's notebook: no widget state or output (tools/build_notebooks.strip_widgets; the cell before each set of
    controls draws its figure statically) and a note under each set of controls, every code cell collapsible (drawn
    open, website/conf.py), and the run note after the first cell, which holds the heading."""
    strip_widgets(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            tags = cell.metadata.setdefault("tags", [])
            if "hide-input" not in tags:
                tags.append("hide-input")
    if repository_path.startswith("slides/"):
        # The talk's own title is the course's name, which the landing page and the navigation already carry.
        heading = notebook.cells[0]
        heading.source = heading.source.replace(f"# {title(notebook)}", f"# {TALK_TITLE}", 1)
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell(run_note(repository_path)))
    controls_note = CONTROLS_NOTE[language(repository_path)]
    for index in reversed(range(len(notebook.cells))):
        if notebook.cells[index].cell_type == "code" and "interact(" in notebook.cells[index].source:
            notebook.cells.insert(index + 1, nbformat.v4.new_markdown_cell(controls_note))
    return notebook


def landing(entries):
    """index.md: what the course is, the lesson table and the table of contents, from the notebooks' own titles."""
    rows = "\n".join(f"| {stem.split('_')[0] if stem[:2].isdigit() else '–'} | [{name}]({stem}.ipynb) |" for stem, name in entries)
    toc = "\n".join(stem for stem, _ in entries)
    docs = "\n".join(DOCS)
    readme = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## ", 1)[0].split("\n", 1)[1].strip()
    return f"""# S-Curve Diffusion

{readme}

Every page below is a lesson notebook as the course commits it, executed, with its figures and animations. Sliders
need a running kernel: on these pages each one is shown as the figure the lesson draws beside it. To run and change a
lesson, use the download link on its page, or clone the repository and run `python3 course.py lab`.

| # | page |
|---|---|
{rows}

Also: [results](results.md) (the course's claims with their numbers), [benchmarks](benchmarks.md) (the measured
tables), [decisions](decisions.md) (the course's conventions), [notation](notation.md) (every symbol, with its one
meaning) and [glossary](glossary.md) (every term, with its one meaning, and the blog's names).

```{{toctree}}
:hidden:
:caption: Lessons

{toc}
```

```{{toctree}}
:hidden:
:caption: Reference

{docs}
```
"""


def zh_landing(entries):
    """The Chinese edition's index.md: the README's Chinese section, the lesson table and the table of contents."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"\n{ZH_README}", 1)[1].split("\n## ", 1)[0].split("\n", 1)[1].strip()
    rows = "\n".join(f"| {stem[:2]} | [{name}]({stem}.ipynb) |" for stem, name in entries)
    toc = "\n".join(stem for stem, _ in entries)
    return f"""# S 形曲线扩散（中文版）

{section}

| 课 | 页面 |
|---|---|
{rows}

另见：[术语表](glossary.md)（每个术语一个含义，附英文原词）。

```{{toctree}}
:hidden:
:caption: 课程

{toc}
```

```{{toctree}}
:hidden:
:caption: 参考

glossary
```
"""


def stage(source, notebooks, docs, landing_page, edition):
    """Write a Sphinx source tree into source: conf.py and the edition's settings (edition.json, read by conf.py), the
    prepared notebooks, the pages (docs: (file, page name)), the downloads and the landing page."""
    shutil.rmtree(source, ignore_errors=True)
    (source / "downloads").mkdir(parents=True)
    shutil.copy(HERE / "conf.py", source / "conf.py")
    shutil.copytree(HERE / "static", source / "static")
    shutil.copytree(HERE / "templates", source / "templates")
    (source / "edition.json").write_text(json.dumps(edition, ensure_ascii=False), encoding="utf-8")
    entries = []
    for path, repository_path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        reason = unfinished(notebook)
        if reason:
            sys.exit(f"{repository_path} is not a clean, executed notebook ({reason}): run `python3 course.py build`")
        shutil.copy(path, source / "downloads" / path.name)
        notebook = prepare(notebook, repository_path)
        entries.append((path.stem, title(notebook)))
        nbformat.write(notebook, source / path.name)
    for path, name in docs:
        # The Chinese pages link the English site's reference pages, one folder up (as HTML: MyST reads a Markdown link
        # to a page outside its project as an anchor).
        text = re.sub(r"\[([^]]+)\]\(\.\./docs/(\w+)\.md\)", r'<a href="../\2.html">\1</a>', path.read_text(encoding="utf-8"))
        (source / f"{name}.md").write_text(text, encoding="utf-8")
    (source / "index.md").write_text(landing_page(entries), encoding="utf-8")


def editions():
    """(source, output, notebooks, docs, landing page, settings) of the English site and of the Chinese one."""
    english, chinese = pages(), zh_pages()
    en_names = ["index", "search", "genindex", *DOCS, *(path.stem for path, _ in english)]
    zh_names = ["index", "search", "genindex", *ZH_DOCS, *(path.stem for path, _ in chinese)]
    return [
        (SOURCE, OUT, english, [(ROOT / "docs" / f"{name}.md", name) for name in DOCS], landing,
         {"language": "en", "switch": {"label": "中文", "title": "中文版（第 01–08 课）", "prefix": "zh/", "pages": zh_names}}),
        (ZH_SOURCE, ZH_OUT, chinese, [(ROOT / "zh" / f"{name}.md", name) for name in ZH_DOCS], zh_landing,
         {"language": "zh_CN", "switch": {"label": "English", "title": "English edition (the whole course)", "prefix": "../",
                                          "pages": en_names}}),
    ]


def build():
    start = time.perf_counter()
    shutil.rmtree(OUT, ignore_errors=True)
    for source, out, notebooks, docs, landing_page, edition in editions():
        stage(source, notebooks, docs, landing_page, edition)
        # -W: a warning (a broken reference, a page left out of the navigation) fails the build; -q: only problems print.
        subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-j", "1",
                        str(source), str(out)], check=True, cwd=ROOT)
    pages_built = len(list(OUT.glob("*.html"))) + len(list(ZH_OUT.glob("*.html")))
    print(f"wrote {OUT.relative_to(ROOT)}/ ({pages_built} pages, {ZH_OUT.relative_to(OUT)}/ the Chinese edition) in "
          f"{time.perf_counter() - start:.0f} s; open {(OUT / 'index.html').relative_to(ROOT)}")


if __name__ == "__main__":
    try:
        build()
    except subprocess.CalledProcessError as error:
        sys.exit(f"sphinx failed ({error.returncode}); its messages are above")
