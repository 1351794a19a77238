"""Build self-contained HTML decks of every lesson and of the course talk.

    python3 course.py slides            # all decks into build/slides/
    python3 course.py slides 01_data    # one deck

The decks open from disk with no network: reveal.js, require.js, jQuery and MathJax are fetched once from
the npm registry (`npm pack`, pinned versions below) into build/slides/vendor/, next to the decks, and
nothing in a deck points anywhere else. Nothing fetched is committed.
"""

import base64
import copy
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from PIL import Image
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from build_notebooks import strip_widgets, unfinished  # noqa: E402 (the rules shared with the lessons' build and the site)

OUT = ROOT / "build" / "slides"
VENDOR = OUT / "vendor"
TEMPLATES = Path(__file__).resolve().parent / "templates"
# reveal.js 4.0.2 is the version nbconvert 7's reveal template is written for.
NPM_PACKAGES = {"reveal.js": "4.0.2", "requirejs": "2.3.7", "jquery": "2.2.4", "mathjax": "2.7.9"}


def decks():
    """The notebooks that become decks: every lesson, then the course talk."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + [ROOT / "slides" / "course_talk.ipynb"]


def fetch_vendor():
    """Unpack the pinned npm packages into build/slides/vendor/<name>/ unless they are there already."""
    stamp = VENDOR / "versions.json"
    if stamp.exists() and json.loads(stamp.read_text()) == NPM_PACKAGES:
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("building decks needs npm (Node.js) to fetch reveal.js and MathJax from the npm registry")
    shutil.rmtree(VENDOR, ignore_errors=True)
    VENDOR.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        specs = [f"{name}@{version}" for name, version in NPM_PACKAGES.items()]
        subprocess.run([npm, "pack", "--silent", *specs], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        for name, version in NPM_PACKAGES.items():
            tarball = Path(tmp) / f"{name}-{version}.tgz"
            with tarfile.open(tarball) as archive:
                archive.extractall(tmp, filter="data")
            shutil.move(str(Path(tmp) / "package"), VENDOR / name)
    stamp.write_text(json.dumps(NPM_PACKAGES))


def exporter(show_code=True):
    config = Config()
    config.TemplateExporter.exclude_input = not show_code
    config.SlidesExporter.reveal_url_prefix = "vendor/reveal.js"
    config.SlidesExporter.reveal_theme = "white"
    # The projector's 1280 x 720 as the deck's own size: reveal.js's 960 x 700 leaves a third less room for a printed row.
    config.SlidesExporter.reveal_width = str(SLIDE_WIDTH)
    config.SlidesExporter.reveal_height = str(SLIDE_HEIGHT)
    config.SlidesExporter.reveal_scroll = False  # its scrolling covers sub-slides only; the template scrolls every tall slide
    config.HTMLExporter.require_js_url = "vendor/requirejs/require.js"
    config.HTMLExporter.jquery_url = "vendor/jquery/dist/jquery.min.js"
    config.HTMLExporter.mathjax_url = "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    config.TemplateExporter.extra_template_basedirs = [str(TEMPLATES)]
    config.TemplateExporter.template_name = "offline_reveal"
    return SlidesExporter(config=config)


def prepare(notebook, show_code=True):
    """The deck's notebook: widget state and output dropped (tools/build_notebooks.strip_widgets), then each step below
    in turn. (nbval's markers are cell tags, so no test comment reaches a slide.)"""
    strip_widgets(notebook)
    cells = figures_beside_controls(notebook.cells)
    if not show_code:
        cells = leave_out_empty(cells)
    cells = code_subslides(cells) if show_code else cells
    notebook.cells = split_tall_figures(cells, show_code)
    return notebook


def figures_beside_controls(cells):
    """Each set of controls shows the figure the cell before it draws, which no longer shows it: a deck has no kernel,
    so a widget could only show as its Python repr, and a "Try it" slide would show the `interact(...)` line alone."""
    for index, cell in enumerate(cells):
        if cell.cell_type == "code" and "interact(" in cell.source:
            drawing = next(c for c in reversed(cells[:index]) if c.cell_type == "code")
            cell.outputs = [o for o in drawing.outputs if FIGURE in o.get("data", {})]
            drawing.outputs = [o for o in drawing.outputs if FIGURE not in o.get("data", {})]
    return cells


def leave_out_empty(cells):
    """With the code hidden (the talk), a code cell without output shows nothing: left out, so that no slide is blank
    (the talk's set-up cell was its blank second slide). A slide or sub-slide it started starts at the next cell."""
    for index, cell in enumerate(cells):
        slideshow = cell.metadata.setdefault("slideshow", {})
        kind = slideshow.get("slide_type", "-")
        if cell.cell_type == "code" and not cell.outputs and kind not in ("skip", "notes"):
            slideshow["slide_type"] = "skip"
            following = cells[index + 1].metadata.setdefault("slideshow", {}) if index + 1 < len(cells) else {}
            if kind in ("slide", "subslide") and following.get("slide_type", "-") == "-":
                following["slide_type"] = kind
    return cells


def code_subslides(cells):
    """Every code cell that follows other content on its slide starts a sub-slide: a lesson's section is one slide in
    the notebook (and in RISE), and on a 1280x720 screen its text, code and figures together rarely fit, so each code
    cell shows with its output and the text after it."""
    has_content = False
    for cell in cells:
        slideshow = cell.metadata.setdefault("slideshow", {})
        kind = slideshow.get("slide_type", "-")
        if kind in ("slide", "subslide"):
            has_content = True
        elif kind in ("-", "fragment"):
            if cell.cell_type == "code" and has_content:
                slideshow["slide_type"] = "subslide"
            has_content = True
    return cells


# The deck's own coordinates (1280 x 720, scaled to the window): a line of code or printed output is 23 px high, a line
# of text 26 px and about 100 characters, a heading 60 px; a figure is at most MAX_FIGURE px high and TEXT_WIDTH wide
# (slides/templates/offline_reveal/index.html.j2). An estimate: the browser test measures the result.
SLIDE_WIDTH, SLIDE_HEIGHT, CODE_LINE, TEXT_LINE, HEADING, MAX_FIGURE, TEXT_WIDTH = 1280, 720, 23, 26, 60, 480, 1180
# What a slide's margins and the blocks' own padding take from its height.
PADDING = 60
FIGURE = "image/png"


def figure_height(output):
    width, height = Image.open(io.BytesIO(base64.b64decode(output["data"][FIGURE]))).size
    return min(height * min(1.0, TEXT_WIDTH / width), MAX_FIGURE)


def text_height(cell, show_code):
    """Estimated height of what a cell shows apart from its figures."""
    if cell.cell_type == "markdown":
        lines = cell.source.splitlines() or [""]
        return sum(HEADING if line.startswith("#") else TEXT_LINE * (1 + len(line) // 100) for line in lines)
    printed = sum(len(o.get("text", o.get("data", {}).get("text/plain", "")).splitlines())
                  for o in cell.get("outputs", []) if FIGURE not in o.get("data", {}))
    code = len(cell.source.splitlines()) if show_code and not cell.metadata.get("transient", {}).get("remove_source") else 0
    return CODE_LINE * (code + printed) + (20 if code or printed else 0)


def split_tall_figures(cells, show_code):
    """Give a figure a sub-slide of its own (the cell again, its code hidden, with only that figure) when, after what
    its (sub-)slide shows above it, it would end below the screen; a figure is never cut in two."""
    result, used = [], 0
    for cell in cells:
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if kind == "skip" or kind == "notes":
            result.append(cell)
            continue
        if kind in ("slide", "subslide"):
            used = 0
        figures = [o for o in cell.get("outputs", []) if FIGURE in o.get("data", {})]
        before = used
        used += text_height(cell, show_code)
        if not figures or used + sum(map(figure_height, figures)) <= SLIDE_HEIGHT - PADDING:
            used += sum(map(figure_height, figures)) if figures else 0
            result.append(cell)
            continue
        keep = [o for o in cell.outputs if FIGURE not in o.get("data", {})]
        shown_above = bool(keep) or bool(show_code and cell.source.strip())
        if shown_above:
            first = copy.deepcopy(cell)
            first.outputs = keep
            result.append(first)
        for number, figure in enumerate(figures):
            alone = copy.deepcopy(cell)
            alone.id = f"{cell.id}-figure-{number}"
            alone.outputs = [figure]
            alone.metadata.setdefault("transient", {})["remove_source"] = True
            if shown_above or before > 0 or number > 0:
                alone.metadata["slideshow"] = {"slide_type": "subslide"}
            result.append(alone)
        used = figure_height(figures[-1])
    return result


def build(paths):
    fetch_vendor()
    exporters = {True: exporter(), False: exporter(show_code=False)}
    for path in paths:
        # The talk's audience watches results; its code is in the notebook, and under the tests, like every lesson's.
        show_code = path.parent.name != "slides"
        notebook = nbformat.read(path, as_version=4)
        reason = unfinished(notebook)
        if reason:
            sys.exit(f"{path.relative_to(ROOT)} is not a clean, executed notebook ({reason}): run `python3 course.py build`")
        notebook = prepare(notebook, show_code)
        html, _ = exporters[show_code].from_notebook_node(notebook, resources={"metadata": {"name": path.stem}})
        target = OUT / f"{path.stem}.slides.html"
        target.write_text(html, encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")


def main(names):
    paths = decks()
    if names:
        paths = [p for p in paths if p.stem in names]
        missing = set(names) - {p.stem for p in paths}
        if missing:
            sys.exit(f"no deck named {sorted(missing)}")
    build(paths)


if __name__ == "__main__":
    main(sys.argv[1:])
