"""The course website (`python3 course.py site`) in a real browser: built once, every page opened in headless Chromium
with every request outside the site blocked, from disk; the landing and search pages also from a local HTTP server.

A page fails on a console error, a request outside the site, a broken link or image, maths left as TeX (or a TeX
error), a widget's Python repr or a test marker, and fewer figures than its notebook draws. Each of these checks is
shown to fail once on a planted defect (the test_site_check_catches_* tests).
"""

import contextlib
import functools
import http.server
import importlib.util
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from test_browser import SCREENSHOTS, isolated_page, open_from_disk

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from build_notebooks import strip_widgets  # noqa: E402

# website/build.py under a name of its own: `build` is slides/build.py, imported by test_browser.
_spec = importlib.util.spec_from_file_location("site_builder", ROOT / "website" / "build.py")
site_builder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(site_builder)
NOTEBOOK_PAGES = [path.stem for path, _ in site_builder.pages()]
PAGES = ["index", *NOTEBOOK_PAGES, *site_builder.DOCS, "search"]
# The Chinese edition (issue 46), in build/site/zh/.
ZH_NOTEBOOK_PAGES = [f"zh/{path.stem}" for path, _ in site_builder.zh_pages()]
ZH_PAGES = ["zh/index", *ZH_NOTEBOOK_PAGES, *(f"zh/{name}" for name in site_builder.ZH_DOCS), "zh/search"]
# In text outside code: a TeX command or a $...$ pair that MathJax did not typeset.
RAW_TEX = re.compile(r"\\[A-Za-z]{2,}|\$[^$\n]{1,80}\$")
REPRS = ("interactive(children", "IntSlider(", "FloatSlider(", "Dropdown(", "0%|", "Error displaying widget")
MARKERS = ("NBVAL", "nbval-", "# Why:")


@pytest.fixture(scope="module")
def site():
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "website" / "build.py")], check=True, cwd=ROOT)
    print(f"site built in {time.perf_counter() - start:.1f} s")
    return site_builder.OUT


# What a page shows, read once MathJax has finished: text outside code and maths, all its text, the cells' outputs, maths,
# images and links.
READ_PAGE = """async () => {
  if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
  await Promise.all(Array.from(document.images).map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  const main = document.querySelector('main') || document.body;
  const prose = main.cloneNode(true);
  // The theme's print-only header repeats the title as plain text; on screen it is hidden.
  prose.querySelectorAll('pre, code, mjx-container, script, style, .onlyprint').forEach(e => e.remove());
  // The navigation beside it carries the lessons' titles, maths included (lessons 05 and 06).
  const navigation = Array.from(document.querySelectorAll('.bd-sidebar-primary nav, .bd-sidebar-secondary nav')).map(nav => {
    const copy = nav.cloneNode(true);
    copy.querySelectorAll('pre, code, mjx-container, script, style').forEach(e => e.remove());
    return copy.textContent;
  }).join(' ');
  return {
    prose: prose.textContent, navigation, text: main.textContent,
    outputs: Array.from(main.querySelectorAll('.cell_output')).map(e => e.textContent).join(' '),
    maths: document.querySelectorAll('mjx-container').length,
    mathErrors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
    images: Array.from(document.images).map(i => ({src: i.getAttribute('src'), ok: i.naturalWidth > 0,
                                                   output: !!i.closest('.cell_output')})),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
    ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
    // Printed output and display maths wider than their box: each must scroll and show the edge shadow that says so
    // (website/static/course.css), or the end of the line is cut off with no sign (issue 39).
    cutOff: Array.from(main.querySelectorAll('div.cell_output pre, mjx-container[display="true"]')).filter(e => {
      const style = getComputedStyle(e);
      return e.scrollWidth > e.clientWidth + 1 &&
        !(['auto', 'scroll'].includes(style.overflowX) && style.backgroundImage.includes('radial-gradient'));
    }).map(e => e.textContent.slice(0, 60)),
  };
}"""


def figures_and_maths(stem):
    """(figures, has maths) of the page built from notebook `stem`, read from the notebook as the site shows it; (0,
    False) for a page that is no notebook."""
    notebooks = site_builder.zh_pages() if stem.startswith("zh/") else site_builder.pages()
    path = next((path for path, _ in notebooks if path.stem == stem.removeprefix("zh/")), None)
    if path is None:
        return 0, False
    notebook = nbformat.read(path, as_version=4)
    strip_widgets(notebook)
    figures = sum("image/png" in output.get("data", {}) for cell in notebook.cells if cell.cell_type == "code"
                  for output in cell.outputs)
    return figures, any("$" in cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def broken_links(page_file: Path, links, ids):
    """The links of the page at page_file that lead nowhere: a missing file, or an anchor its target lacks."""
    broken = []
    for href in links:
        parts = urlsplit(href)
        if parts.scheme or href.startswith("mailto:"):
            continue
        target = (page_file.parent / unquote(parts.path)).resolve() if parts.path else page_file
        if not target.exists():
            broken.append(href)
        elif parts.fragment and not (
            parts.fragment in ids if target == page_file
            else f'id="{parts.fragment}"' in target.read_text(encoding="utf-8", errors="replace")
        ):
            broken.append(href)
    return broken


def check_page(disk_page, page_file: Path, figures=0, has_maths=False, lesson=True, screenshot=None):
    """Open page_file from disk with every other request blocked and return its problems, as sentences. A lesson page
    (built from a notebook) must also show no test marker, in its code either; the decisions page names them."""
    page = open_from_disk(disk_page, page_file)
    seen = page.evaluate(READ_PAGE)
    if screenshot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / screenshot))
    _, blocked, errors = disk_page
    problems = [f"console error: {e}" for e in errors] + [f"request outside the site: {url}" for url in blocked]
    problems += [f"broken link: {href}" for href in broken_links(page_file, seen["links"], set(seen["ids"]))]
    problems += [f"broken image: {image['src']}" for image in seen["images"] if not image["ok"]]
    raw = RAW_TEX.findall(seen["prose"])
    if raw or seen["mathErrors"]:
        problems.append(f"maths not rendered: {raw[:3]}, {seen['mathErrors']} TeX errors")
    raw_in_navigation = RAW_TEX.findall(seen["navigation"])
    if raw_in_navigation:
        problems.append(f"maths not rendered in the navigation: {raw_in_navigation[:3]}")
    if has_maths and seen["maths"] == 0:
        problems.append("maths not rendered: no typeset formula on a page whose notebook has maths")
    # A widget shows as its repr in an output (or in text); the code that makes it names IntSlider( too.
    problems += [f"widget repr on the page: {r}" for r in REPRS if r in seen["outputs"] + seen["prose"]]
    problems += [f"test marker on the page: {m}" for m in MARKERS if lesson and m in seen["text"]]
    problems += [f"cut off with no sign: {text}" for text in seen["cutOff"]]
    shown = sum(image["output"] for image in seen["images"])
    if shown < figures:
        problems.append(f"figures missing: {shown} shown, the notebook draws {figures}")
    return problems


@pytest.mark.parametrize("stem", PAGES + ZH_PAGES)
def test_site_page(disk_page, site, stem):
    figures, has_maths = figures_and_maths(stem)
    page_file = site / f"{stem}.html"
    chinese = stem.startswith("zh/")
    lesson = stem in NOTEBOOK_PAGES + ZH_NOTEBOOK_PAGES
    assert check_page(disk_page, page_file, figures, has_maths, lesson, screenshot=f"site_{stem.replace('/', '_')}.png") == []
    html = page_file.read_text(encoding="utf-8")
    name = stem.removeprefix("zh/")
    if lesson:
        # The committed notebook to download (the link itself is checked above), and the command to run it.
        assert re.search(rf'href="_downloads/[0-9a-f]+/{name}.ipynb"', html), "no link to download the notebook"
        assert ("python3 course.py lab --lang zh" if chinese else "python3 course.py lab") in re.sub(r"<[^>]+>", "", html)
    # Navigation: every page's sidebar links every page of its edition built from a notebook; a search box on each page.
    for other in ZH_NOTEBOOK_PAGES if chinese else NOTEBOOK_PAGES:
        other = other.removeprefix("zh/")
        assert f'href="{other}.html' in html or name == other, f"{stem} does not link {other}"
    assert 'name="q"' in html
    # The language switch: this page in the other edition where it has one, else that edition's landing page.
    counterpart = name if (name in {p.removeprefix("zh/") for p in ZH_PAGES} and name in PAGES) else "index"
    switch = re.findall(r'<a class="btn course-language-switch" href="([^"]+)"', html)
    assert switch == [("../" if chinese else "zh/") + f"{counterpart}.html"], switch


@pytest.mark.parametrize("query, lesson", [("前向过程", "03_forward_process"), ("噪声调度", "02_noise_schedule"),
                                           ("指数移动平均", "08_training")])
def test_site_search_finds_chinese_words(served_site, query, lesson):
    """The Chinese edition's search finds a lesson by a Chinese term (Chinese has no spaces: website/conf.py indexes
    pairs of characters); Sphinx's own Chinese search, without the jieba dictionary, indexes no Chinese at all (planted)."""
    base, page, blocked, errors = served_site
    page.goto(f"{base}/zh/search.html?q={query}")
    page.wait_for_selector(f"#search-results li a[href*='{lesson}']", timeout=30_000)
    # The result line in Chinese (website/static/zh_messages.js), and snippets without the language button's word.
    page.wait_for_function("document.querySelector('#search-results .search-summary')?.textContent.includes('个匹配的页面')",
                           timeout=30_000)
    page.wait_for_function("Array.from(document.querySelectorAll('#search-results li')).every(li => li.querySelector('p.context'))",
                           timeout=30_000)
    snippets = page.eval_on_selector_all("#search-results li p.context", "ps => ps.map(p => p.textContent)")
    page.screenshot(path=str(SCREENSHOTS / f"site_zh_search_{lesson}.png"))
    assert errors == [] and blocked == []
    assert not [text for text in snippets if re.match(r"\W*English\b", text) or SNIPPET_NOISE.search(text)], snippets
    sys.path.insert(0, str(ROOT / "website"))
    import conf

    assert set(conf.han_terms(query)) <= set(conf.SearchHan({}).split(f"这一课讲{query}。"))
    assert conf.SearchChinese.split(conf.SearchChinese({}), query) == [] or "jieba" in sys.modules


@pytest.mark.parametrize("edition, query", [("", "closed form"), ("zh/", "闭式")])
def test_site_search_titles_show_maths_typeset(served_site, edition, query):
    """Lesson 04's heading holds maths: in a search result its title is typeset, not TeX (website/static/search_snippets.js;
    without it the title read "Lesson 04 — Jumping to any \\(t\\): ...")."""
    base, page, blocked, errors = served_site
    page.goto(f"{base}/{edition}search.html?q={query}")
    page.wait_for_selector("#search-results li a[href*='04_closed_form'] mjx-container", timeout=30_000)
    titles = page.eval_on_selector_all("#search-results li > a", "links => links.map(a => a.textContent)")
    assert errors == [] and blocked == []
    assert not [title for title in titles if "\\(" in title], titles


def test_site_landing_lists_every_lesson(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    table = html[html.index("<table"):html.index("</table>")]
    # Each lesson, followed by its appendix ("09a") where it has one.
    assert re.findall(r"<td><p>(\d\da?)</p></td>", table) == [p.stem.split("_")[0] for p in site_builder.lessons()]
    assert "course_talk.html" in table


@contextlib.contextmanager
def served(folder):
    """`python3 -m http.server` on folder, in a thread, on a free port."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def served_site(browser, site):
    """(base URL, page, blocked requests, console errors): the built site over HTTP, as `python3 -m http.server -d
    build/site` serves it, and one page for the searches below."""
    with served(site) as base:
        page, blocked = isolated_page(browser, (base, "data:"))
        errors = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        yield base, page, blocked, errors
        page.close()


def test_site_served_search_finds_lessons(served_site):
    """The search page finds the lesson on guidance."""
    base, page, blocked, errors = served_site
    page.goto(f"{base}/search.html?q=guidance")
    page.wait_for_selector("#search-results li a[href*='11_guidance']", timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "site_search.png"))
    assert errors == [] and blocked == []


# A result's snippet as a reader sees it: TeX (a backslash command, \( or $) or a cell's code (its imports) reads as
# noise under a lesson's title (issue 39). Printed output may show "DDIM(eta=0)": it is what the lesson printed.
SNIPPET_NOISE = re.compile(r"\\[A-Za-z]+|\\\(|\$|^\s*(?:import [\w.]+$|from [\w.]+ import )", re.M)


def search_snippets(base, page, query):
    """(result link, snippet text) of each result of the search page for `query`, once every snippet has loaded."""
    page.goto(f"{base}/search.html?q={query}")
    page.wait_for_selector("#search-results li", timeout=30_000)
    page.wait_for_function("document.querySelector('#search-results .search-summary')?.textContent.includes('page')",
                           timeout=30_000)
    page.wait_for_function("Array.from(document.querySelectorAll('#search-results li'))"
                           ".every(li => li.querySelector('p.context'))", timeout=30_000)
    return page.eval_on_selector_all("#search-results li", "items => items.map(li => "
                                     "[li.querySelector('a').getAttribute('href'), li.querySelector('p.context').textContent])")


@pytest.mark.parametrize("query", ["Frechet", "Fréchet", "noise schedule", "closed form"])
def test_site_search_snippets_read_as_prose(served_site, query):
    """"Frechet" without its accent finds lesson 17's Fréchet distance; no snippet shows TeX or code."""
    base, page, blocked, errors = served_site
    results = search_snippets(base, page, query)
    page.screenshot(path=str(SCREENSHOTS / f"site_search_{query.replace(' ', '_')}.png"))
    assert blocked == [] and errors == [] and results
    if "chet" in query:
        assert any("17_digits" in href and "Fréchet" in text for href, text in results), results
    noisy = [(href, SNIPPET_NOISE.search(text).group(0), text[:160]) for href, text in results if SNIPPET_NOISE.search(text)]
    assert noisy == [], noisy


def test_site_search_snippets_planted_tex(browser, site, tmp_path):
    """The site without its snippet cleaner: the same search shows TeX in a snippet, and the check says so."""
    for entry in site.iterdir():
        (tmp_path / entry.name).symlink_to(entry)
    (tmp_path / "_static").unlink()
    shutil.copytree(site / "_static", tmp_path / "_static")
    (tmp_path / "_static" / "search_snippets.js").write_text("", encoding="utf-8")
    with served(tmp_path) as base:
        page, _ = isolated_page(browser, (base, "data:"))
        results = search_snippets(base, page, "noise schedule")
        page.close()
    assert any(SNIPPET_NOISE.search(text) for _, text in results), results


def test_site_search_drops_accents_from_words_and_queries():
    """The index's splitter drops accents (website/conf.py); Sphinx's own English splitter keeps them (planted)."""
    sys.path.insert(0, str(ROOT / "website"))
    import conf

    assert conf.SearchUnaccented({}).split("la distance de Fréchet") == ["la", "distance", "de", "Frechet"]
    assert "Fréchet" in conf.SearchEnglish({}).split("la distance de Fréchet")


# Planted defects: each check above must fail on the defect it exists for. The page is a copy of a built lesson page,
# changed once, in a copy of the site made of links to the built files.

def planted_site(site, tmp_path, stem, change):
    for entry in site.iterdir():
        (tmp_path / entry.name).symlink_to(entry)
    (tmp_path / f"{stem}.html").unlink()
    html = (site / f"{stem}.html").read_text(encoding="utf-8")
    changed = change(html)
    assert changed != html, "the planted change did not apply"
    (tmp_path / f"{stem}.html").write_text(changed, encoding="utf-8")
    return tmp_path / f"{stem}.html"


BODY = '<article class="bd-article">'
PLANTS = {
    "console error": lambda h: h.replace("</body>", "<script>console.error('planted')</script></body>"),
    "request outside the site": lambda h: h.replace("</head>", '<link rel="stylesheet" href="https://cdn.example.org/x.css"></head>'),
    "broken link": lambda h: h.replace(BODY, BODY + '<a href="no_such_page.html">x</a>'),
    "broken image": lambda h: h.replace(BODY, BODY + '<img src="figures/no_such_figure.png">'),
    "maths not rendered": lambda h: h.replace(BODY, BODY + r"<p>the variance $\sigma_t^2$ stays</p>"),
    # As myst-nb draws a cell's text output.
    "widget repr": lambda h: h.replace(BODY, BODY + '<div class="cell_output"><div class="output text_plain"><pre>'
                                       "interactive(children=(IntSlider(value=3),))</pre></div></div>"),
    "test marker": lambda h: h.replace(BODY, BODY + "<p># NBVAL_IGNORE_OUTPUT</p>"),
    # A printed line far wider than the column, in a box that hides what does not fit.
    "cut off with no sign": lambda h: h.replace(BODY, BODY + '<div class="cell_output"><pre style="overflow: hidden">'
                                                + "wide " * 80 + "</pre></div>"),
    "figures missing": lambda h: re.sub(r'<img[^>]*src="_images/[^"]*"[^>]*>', "", h),
}


# Planted together where each check's finding can come only from its own defect; a console error alone, since a blocked
# request or a missing image logs one too.
PLANT_GROUPS = [["console error"], [defect for defect in PLANTS if defect != "console error"]]


def test_site_check_catches_untypeset_navigation(disk_page, site, tmp_path):
    """A page without maths of its own still shows lessons 05 and 06's titles, with maths, in its navigation: Sphinx
    loaded MathJax only on pages with maths, so the benchmarks and decisions pages showed them as TeX. Planted: the
    MathJax script taken out of such a page."""
    stem = "benchmarks"

    def without_mathjax(html):
        return re.sub(r'<script[^>]*src="[^"]*mathjax[^"]*"[^>]*></script>', "", html, flags=re.IGNORECASE)

    problems = check_page(disk_page, planted_site(site, tmp_path, stem, without_mathjax), lesson=False)
    assert any(p.startswith("maths not rendered in the navigation") for p in problems), problems


@pytest.mark.parametrize("defects", PLANT_GROUPS, ids=lambda group: f"{len(group)} defects")
def test_site_check_catches_planted(disk_page, site, tmp_path, defects):
    stem = "03_forward_process"
    figures, has_maths = figures_and_maths(stem)

    def plant(html):
        for defect in defects:
            html = PLANTS[defect](html)
        return html

    # Without the defects the same page passes: test_site_page[03_forward_process].
    problems = check_page(disk_page, planted_site(site, tmp_path, stem, plant), figures, has_maths)
    missed = [defect for defect in defects if not any(p.startswith(defect) for p in problems)]
    assert missed == [], problems
