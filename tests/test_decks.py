"""The offline decks (`python3 course.py slides`) in a real browser: every deck opened from disk in a 1280x720 window
of headless Chromium with every request that is not a file blocked, each slide and sub-slide visited and measured; and
the same checks failing once on each defect they exist for, planted by undoing one of slides/build.py's fixes.

CI (CI=true) installs Debian's chromium in .ci/run; there a missing browser fails these tests (test_browser.require).
"""

import shutil
import subprocess
import sys

import nbformat
import pytest

from test_browser import ROOT, SCREENSHOTS, expected_slides, open_from_disk, require

sys.path.insert(0, str(ROOT / "slides"))
import build as deck_builder  # noqa: E402

DECKS = deck_builder.decks()


@pytest.fixture(scope="module")
def built_decks(request):
    require("npm", shutil.which("npm"), "install Node.js; the decks fetch reveal.js from the npm registry")
    # With --lesson, only those lessons' decks (tests/conftest.py).
    wanted = {n.zfill(2) if n.isdigit() else n.zfill(3) for n in request.config.getoption("--lesson")}
    names = [p.stem for p in DECKS if p.stem.split("_")[0] in wanted]
    subprocess.run([sys.executable, str(ROOT / "slides" / "build.py"), *names], check=True, cwd=ROOT)
    return deck_builder.OUT


@pytest.mark.parametrize("notebook_path", DECKS, ids=lambda p: p.stem)
def test_deck_offline(disk_page, built_decks, notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    deck = built_decks / f"{notebook_path.stem}.slides.html"
    page = open_from_disk(disk_page, deck, height=720)
    page.wait_for_selector(".reveal.ready", state="attached", timeout=30_000)

    slides = page.eval_on_selector_all(".reveal .slides > section", "els => els.length")
    assert slides == expected_slides(notebook) > 1

    has_maths = any("$" in c.source for c in notebook.cells if c.cell_type == "markdown")
    if has_maths:
        page.wait_for_function("document.querySelectorAll('.MathJax_CHTML, .mjx-chtml').length > 0", timeout=30_000)
        # Until MathJax has typeset every formula: the first one shows long before the last (the screenshot of lesson 17's
        # title slide showed its formulas blank), and an error in a late one would otherwise go uncounted.
        page.evaluate("() => new Promise(done => window.MathJax?.Hub ? MathJax.Hub.Queue(done) : done())")
        assert page.evaluate("document.querySelectorAll('.MathJax_Error, .mjx-merror').length") == 0
        assert page.evaluate(UNTYPESET) == [], "maths left as TeX on a slide"
    page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=30_000)
    images = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
    assert images and all(width > 0 for width in images)

    # textContent, not innerText: reveal.js hides the slides that are not on screen, and innerText skips hidden text.
    text = page.evaluate("document.querySelector('.reveal .slides').textContent")
    assert "interactive(children" not in text and "0%|" not in text, "a widget shows as its repr in the deck"
    assert "NBVAL" not in text and "# Why:" not in text, "a test marker shows on a slide"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"deck_{notebook_path.stem}.png"))
    if notebook_path == DECKS[0]:
        # The → key moves slide by slide: reveal.js's own keyboard handling, the same in every deck, so pressed through
        # one (about 0.5 s a deck); WALK_SLIDES below visits every slide of every deck.
        current = "Array.from(document.querySelectorAll('.reveal .slides > section')).findIndex(s => s.classList.contains('present'))"
        for index in range(1, slides):
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"{current} === {index}", timeout=10_000)
    walk = page.evaluate(WALK_SLIDES)
    assert len(walk) >= slides
    problems = {kind: found for kind, found in deck_problems(walk).items() if found}
    assert problems == {}, f"slides with defects at 1280x720: {problems}"
    # Headings keep their case (maths in them would change: η = 0 upper-cased is H = 0).
    assert page.evaluate("Array.from(document.querySelectorAll('.reveal h1, .reveal h2, .reveal h3'))"
                         ".every(h => getComputedStyle(h).textTransform === 'none')")
    _, blocked, errors = disk_page
    assert blocked == [] and errors == []


# TeX that MathJax has not replaced: its delimiters left in the text of the slides, outside code.
UNTYPESET = """() => {
  const slides = document.querySelector('.reveal .slides').cloneNode(true);
  slides.querySelectorAll('pre, code, script').forEach(e => e.remove());
  return (slides.textContent.match(/\\$[^$\\s][^$]*\\$|\\\\\\(|\\\\\\[/g) || []).slice(0, 3);
}"""


# Visit every slide and sub-slide with reveal.js's own API (loaded through require.js, as the deck loads it) and
# measure the slide in the deck's own coordinates (1280 x 720, scaled to the window). A slide taller than that must
# scroll (the deck template makes it so); nothing may be wider, and no code line may run past its box. Also, per slide:
# words or numbers broken across two lines (a run of letters, digits, '.', '_' or '%'; a break after a hyphen or a
# bracket is allowed), printed table rows that take more than one line (a long printed sentence may wrap, at spaces),
# figures that end below the screen, a slide showing nothing, a "Try it" slide (controls) without its figure, and a
# slide that scrolls with no shadow on its edge to say so.
WALK_SLIDES = """async () => {
  const Reveal = await new Promise(resolve => require(["vendor/reveal.js/dist/reveal.js"], resolve));
  const {width, height} = Reveal.getConfig();
  // A printed table's row: columns aligned by runs of spaces, or numbers side by side ("+1.07 +0.96").
  const TABLE_ROW = /\\S {2,}\\S|\\d%? +[-+]?\\d/;
  const lines = range => new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top))).size;
  Reveal.slide(0, 0);
  const seen = [];
  for (let i = 0; i < Reveal.getTotalSlides(); i++) {
    const slide = Reveal.getCurrentSlide();
    const scrolls = getComputedStyle(slide).overflowY === "auto" && slide.clientHeight <= height + 1;
    const pre = Array.from(slide.querySelectorAll("pre")).map(p => p.scrollWidth - p.clientWidth);
    const split = [];
    const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest(".MathJax_CHTML, .MathJax, .MJX_Assistive_MathML, script, style, aside.notes")) continue;
      // A word can only be broken in a text that takes two lines or more: most take one, and measuring each word is slow.
      const whole = document.createRange();
      whole.selectNodeContents(node);
      if (lines(whole) < 2) continue;
      for (const m of node.textContent.matchAll(/[\\p{L}\\p{N}_.%]+/gu)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        if (lines(range) > 1) split.push(m[0]);
      }
    }
    const rows = [];
    for (const pre of slide.querySelectorAll(".jp-OutputArea-output pre")) {
      const texts = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
      for (let node = texts.nextNode(); node; node = texts.nextNode()) {
        let start = 0;
        for (const row of node.textContent.split("\\n")) {
          const range = document.createRange();
          range.setStart(node, start);
          range.setEnd(node, start + row.length);
          start += row.length + 1;
          if (TABLE_ROW.test(row) && lines(range) > 1) rows.push(row.slice(0, 60));
        }
      }
    }
    const top = slide.getBoundingClientRect().top, scale = Reveal.getScale();
    const images = Array.from(slide.querySelectorAll(".jp-OutputArea-output img"));
    const code = Array.from(slide.querySelectorAll(".jp-InputArea pre")).map(p => p.textContent).join("");
    seen.push({slide: location.hash, clipped: slide.scrollHeight > height + 1 && !scrolls,
               wide: Math.max(slide.scrollWidth - width - 1, ...pre, 0), scrolls: slide.scrollHeight > height + 1,
               split, rows, below: images.filter(img => (img.getBoundingClientRect().bottom - top) / scale > height + 1).length,
               blank: !slide.textContent.trim() && images.length === 0,
               silentScroll: slide.scrollHeight > height + 1 && !(getComputedStyle(slide).backgroundAttachment.includes("local")
                 && getComputedStyle(slide, "::after").content !== "none"),
               controlsWithoutFigure: code.includes("interact(") && images.length === 0});
    Reveal.next();
  }
  return seen;
}"""


def deck_problems(walk):
    """The slides of a walk (WALK_SLIDES) that show a defect, by kind; empty lists when the deck is right."""
    return {
        "cut off": [w["slide"] for w in walk if w["clipped"] or w["wide"] > 0],
        "split words": [(w["slide"], w["split"][:3]) for w in walk if w["split"]],
        "wrapped rows": [(w["slide"], w["rows"][:2]) for w in walk if w["rows"]],
        "figure below the screen": [w["slide"] for w in walk if w["below"]],
        "blank": [w["slide"] for w in walk if w["blank"]],
        "controls without figure": [w["slide"] for w in walk if w["controlsWithoutFigure"]],
        "scrolls with no sign": [w["slide"] for w in walk if w["silentScroll"]],
    }



# Planted defects: the checks above find each defect once its fix is undone. ---------------------------------------

def walk_planted(disk_page, monkeypatch, name, undo=(), html_change=None):
    """Build notebook `name`'s deck with slides/build.py's functions in `undo` replaced by "change nothing" and the
    deck's HTML passed through html_change, then walk it at 1280x720 and return deck_problems and the headings' style."""
    for function in undo:
        monkeypatch.setattr(deck_builder, function, lambda cells, *rest: cells)
    path = next(p for p in deck_builder.decks() if p.stem == name)
    show_code = path.parent.name != "slides"
    notebook = deck_builder.prepare(nbformat.read(path, as_version=4), show_code)
    html, _ = deck_builder.exporter(show_code).from_notebook_node(notebook, resources={"metadata": {"name": name}})
    target = deck_builder.OUT / f"planted_{name}.slides.html"
    target.write_text(html_change(html) if html_change else html, encoding="utf-8")
    try:
        page = open_from_disk(disk_page, target, height=720)
        page.wait_for_selector(".reveal.ready", state="attached", timeout=30_000)
        page.wait_for_function("document.querySelectorAll('.MathJax_CHTML').length > 0", timeout=30_000)
        problems = deck_problems(page.evaluate(WALK_SLIDES))
        transforms = page.evaluate("Array.from(document.querySelectorAll('.reveal .slides h2'), h => getComputedStyle(h).textTransform)")
    finally:
        target.unlink()
    return problems, transforms


def old_deck(html):
    """The deck as it was: reveal.js's 960 x 700, code and output blocks that wrap anywhere, never set smaller."""
    changed = (html.replace("width: 1280,", "width: 960,").replace("height: 720,", "height: 700,")
               .replace("overflow-wrap: normal; word-break: normal;", "overflow-wrap: anywhere;")
               .replace("fitBlocks(slide);", ""))
    assert changed.count("960") > html.count("960") and "anywhere" in changed and "fitBlocks(slide);" not in changed
    return changed


def test_planted_old_deck_splits_numbers_and_rows_and_blank_talk_slide(disk_page, built_decks, monkeypatch):
    """The talk as the old deck (split words, wrapped rows) and with its hidden set-up cell left in (a blank slide): three
    kinds of defect, each found by its own check, in one walk."""
    problems, _ = walk_planted(disk_page, monkeypatch, "course_talk", undo=["leave_out_empty"], html_change=old_deck)
    split = [word for _, words in problems["split words"] for word in words]
    assert "0.3411" in split or "stray" in split, problems["split words"]
    assert problems["wrapped rows"], "the talk's ablation rows wrapped in the old deck"
    assert problems["blank"], "the talk's hidden set-up cell makes a blank slide"


def test_planted_try_it_without_figure_and_upper_case_headings(disk_page, built_decks, monkeypatch):
    """Lesson 10's deck with its figures left where the notebook has them and without the template's rule that keeps
    headings' case (the white theme upper-cases them, and maths in them with it: η becomes H)."""
    problems, transforms = walk_planted(disk_page, monkeypatch, "10_fewer_steps", undo=["figures_beside_controls"],
                                        html_change=lambda h: h.replace("text-transform: none;", ""))
    assert problems["controls without figure"]
    assert "uppercase" in transforms


def test_planted_figure_below_code(disk_page, built_decks, monkeypatch):
    problems, _ = walk_planted(disk_page, monkeypatch, "12_flow_matching", undo=["split_tall_figures"])
    assert problems["figure below the screen"]


def test_planted_tall_slide_scrolls_with_no_sign(disk_page, built_decks, monkeypatch):
    """Lesson 17's deck (its first code slide is taller than the screen) without the template's scroll shadow, then
    without its fade: the slide scrolls and nothing says so."""
    problems, _ = walk_planted(disk_page, monkeypatch, "17_digits",
                               html_change=lambda h: h.replace("no-repeat local", "no-repeat scroll"))
    assert problems["scrolls with no sign"]
    # And without the fade over the content, which a code cell's box would otherwise hide the shadow under.
    problems, _ = walk_planted(disk_page, monkeypatch, "17_digits", html_change=lambda h: h.replace(".more-below::after", ".none::after"))
    assert problems["scrolls with no sign"]


# A live slideshow (jupyterlab-slideshow, RISE) shows a slide's cells from its start: the controls of a "Try it" slide
# must show on arrival, not below 25 lines of code and a still figure (lesson 15's did, issue 39). Estimated with the
# deck's own line heights (slides/build.py), which JupyterLab's are smaller than; a control row is about 60 px. The
# presenter's → key (deck:forward) passes over sub-slides, which only ↓ opens: controls on a sub-slide were never shown
# to the live-slides test of lesson 01, so they must be on a slide of their own (or on the slide above them).
CONTROL_ROW = 60
NEVER = float("inf")


def height_above_controls(notebook):
    """For each set of controls (an `interact(` cell), the estimated height its live slide shows above it."""
    cells, heights = notebook.cells, []
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or "interact(" not in cell.source:
            continue
        start = index
        while start > 0 and cells[start].metadata.get("slideshow", {}).get("slide_type", "-") not in ("slide", "subslide"):
            start -= 1
        if cells[start].metadata.get("slideshow", {}).get("slide_type") == "subslide":
            heights.append(NEVER)
            continue
        shown = [c for c in cells[start:index] if c.metadata.get("slideshow", {}).get("slide_type", "-") not in ("skip", "notes")]
        heights.append(sum(deck_builder.text_height(c, True) + sum(deck_builder.figure_height(o) for o in c.get("outputs", [])
                                                                   if deck_builder.FIGURE in o.get("data", {})) for c in shown))
    return heights


@pytest.mark.parametrize("notebook_path", [p for p in DECKS if p.parent.name == "notebooks"], ids=lambda p: p.stem)
def test_live_try_it_slides_open_on_their_controls(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    for height in height_above_controls(notebook):
        assert height + CONTROL_ROW <= deck_builder.SLIDE_HEIGHT, (
            "the controls are on a sub-slide, which → passes over" if height == NEVER
            else f"the controls start {height:.0f} px down their live slide")


@pytest.mark.parametrize("kind", ["-", "subslide"])
def test_planted_controls_below_the_code_or_on_a_sub_slide(kind):
    """Lesson 15 with its controls on the slide of the code that draws them, as it was; and on a sub-slide."""
    notebook = nbformat.read(ROOT / "notebooks" / "15_solvers.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and "interact(" in cell.source:
            cell.metadata["slideshow"] = {"slide_type": kind}
    assert max(height_above_controls(notebook)) + CONTROL_ROW > deck_builder.SLIDE_HEIGHT


def test_untypeset_maths_is_found(browser):
    """UNTYPESET finds TeX left in a slide's text, inline or display, and not the same characters inside code."""
    page = browser.new_page()
    page.set_content('<div class="reveal"><div class="slides"><p>$x_t = 1$ and \\(y\\)</p>'
                     '<pre>$not maths$</pre></div></div>')
    assert page.evaluate(UNTYPESET) == ["$x_t = 1$", "\\("]
    page.set_content('<div class="reveal"><div class="slides"><p>typeset</p><code>$x$</code></div></div>')
    assert page.evaluate(UNTYPESET) == []
    page.close()
