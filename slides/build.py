"""Build self-contained HTML decks of every lesson and of the course talk.

    python3 course.py slides            # all decks into build/slides/
    python3 course.py slides 01_data    # one deck

The decks open from disk with no network: reveal.js, require.js, jQuery and MathJax are fetched once from
the npm registry (`npm pack`, pinned versions below) into build/slides/vendor/, next to the decks, and
nothing in a deck points anywhere else. Nothing fetched is committed.
"""

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
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
    config.SlidesExporter.reveal_scroll = False  # its scrolling covers sub-slides only; the template scrolls every tall slide
    config.HTMLExporter.require_js_url = "vendor/requirejs/require.js"
    config.HTMLExporter.jquery_url = "vendor/jquery/dist/jquery.min.js"
    config.HTMLExporter.mathjax_url = "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    config.TemplateExporter.extra_template_basedirs = [str(TEMPLATES)]
    config.TemplateExporter.template_name = "offline_reveal"
    return SlidesExporter(config=config)


def prepare(notebook, show_code=True):
    """Drop widget state and output (tools/build_notebooks.strip_widgets) and, when the deck shows code, start a
    sub-slide at every code cell that follows other content on its slide. (nbval's markers are cell tags, so no test
    comment reaches a slide.)

    A deck has no kernel, so a widget could only show as its Python repr (interactive(children=...) or a progress bar
    frozen at 0 %); each lesson draws the same figure statically in the cell before its controls. A lesson's section
    is one slide in the notebook (and in RISE); on a 1280x720 screen its text, code and figures together rarely fit,
    so the deck shows each code cell, with its output and the text after it, on a sub-slide of its own.
    """
    strip_widgets(notebook)
    has_content = False
    for cell in notebook.cells:
        slideshow = cell.metadata.setdefault("slideshow", {})
        kind = slideshow.get("slide_type", "-")
        if kind in ("slide", "subslide"):
            has_content = True
        elif kind in ("-", "fragment"):
            if show_code and cell.cell_type == "code" and has_content:
                slideshow["slide_type"] = "subslide"
            has_content = True
    return notebook


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
