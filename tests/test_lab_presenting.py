"""Presenting and reopening lessons in JupyterLab, in a real browser, with `course.py lab`'s settings (tools/lab_session):

- live slides with working controls (jupyterlab-slideshow: the lesson's own notebook view becomes the slideshow);
- the RISE slideshow shows every slide, scrolls a tall one, keeps maths in headings (notebooks/rise.css), and its
  overview (W) and speaker view (T) open;
- a lesson saved after a run and reopened with a fresh kernel shows a note, not "model not found", under its controls;
- starting JupyterLab opens lesson 01 alone, not every lesson of the last session with a kernel each.
Each check is also run once on the defect it exists for, which it must find.
"""

import json
import urllib.request

import nbformat
import pytest

import course
from test_browser import (LOCAL, ROOT, RUN_UP_TO, SCREENSHOTS, expected_slides, isolated_page, move_every_control,
                          open_lesson, require)
from lab_session import CHROMIUM, serve


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(base URL, token, the server's root folder): JupyterLab on a learner's workspace, as `course.py lab` starts it."""
    require("chromium", CHROMIUM, "apt-get install chromium")
    root = tmp_path_factory.mktemp("lab")
    with serve(root) as (base, token):
        yield base, token, root


def api(base, token, path, method="GET", body=None):
    request = urllib.request.Request(f"{base}{path}?token={token}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def kernels_by_notebook(base, token):
    """{notebook path: session id} of the server's sessions (JupyterLab 4 names a session's path by a UUID in the
    notebook's folder and keeps the file's name in `name`)."""
    sessions = api(base, token, "/api/sessions")
    return {f"{s['path'].rsplit('/', 1)[0]}/{s['name']}" if "/" in s["path"] else s["name"]: s["id"] for s in sessions}


def shut_down(base, token, paths):
    for path, session in kernels_by_notebook(base, token).items():
        if path in paths:
            api(base, token, f"/api/sessions/{session}", "DELETE")


def last_control(name):
    cells = nbformat.read(ROOT / "notebooks" / name, as_version=4).cells
    return max(i for i, cell in enumerate(cells) if cell.cell_type == "code" and "interact(" in cell.source)


def open_notebooks(page):
    return page.evaluate("Array.from(window.jupyterapp.shell.widgets('main')).filter(w => w.context).map(w => w.context.path)")


def test_lab_start_opens_lesson_01_alone(browser, lab):
    """The last session left three lessons open; `course.py lab`'s start page opens lesson 01 alone, and starts one kernel.
    First in this file: no other page of the server has written the workspace yet."""
    base, token, _ = lab
    paths = ["notebooks/03_forward_process.ipynb", "notebooks/04_closed_form.ipynb", "notebooks/05_model.ipynb"]
    layout = {"main": {"dock": {"type": "tab-area", "currentIndex": 0, "widgets": [f"notebook:{p}" for p in paths]}}}
    workspace = {"data": {"layout-restorer:data": layout, **{f"notebook:{p}": {"data": {"path": p, "factory": "Notebook"}}
                                                            for p in paths}},
                 "metadata": {"id": "default"}}

    def start(url):
        api(base, token, "/lab/api/workspaces/default", "PUT", workspace)
        assert api(base, token, "/lab/api/workspaces/default")["data"]["layout-restorer:data"] == layout
        page, _ = isolated_page(browser, LOCAL)
        page.goto(f"{url}?token={token}" if "?" not in url else f"{url}&token={token}")
        page.wait_for_function("window.jupyterapp?.shell.currentWidget?.context", timeout=60_000)
        # Until every open lesson has its kernel (JupyterLab starts one per notebook tab), or 30 s.
        for _ in range(60):
            opened, kernels = open_notebooks(page), set(kernels_by_notebook(base, token))
            if set(opened) <= kernels:
                break
            page.wait_for_timeout(500)
        page.close()
        shut_down(base, token, paths)
        return opened, kernels

    opened, kernels = start(f"{base}/")
    assert opened == [course.FIRST_LESSON] and course.FIRST_LESSON in kernels and not kernels & set(paths), (opened, kernels)
    # Planted: JupyterLab's own start page restores the last session's lessons, and starts a kernel for each.
    opened, kernels = start(f"{base}/lab")
    assert set(paths) <= set(opened) and set(paths) <= kernels, (opened, kernels)


# Whether the last set of controls in the notebook is on screen: shown (the slideshow hides other slides' cells) and
# inside the 1280x720 window.
CONTROLS_IN_VIEW = """() => {
  const boxes = document.querySelectorAll('.widget-interact');
  const box = boxes[boxes.length - 1];
  if (!box || !box.querySelector('.noUi-handle, select')) return false;
  const rect = box.querySelector('.noUi-handle, select').getBoundingClientRect();
  return getComputedStyle(box).visibility === 'visible' && rect.top >= 0 && rect.bottom <= window.innerHeight;
}"""


def test_01_live_slides_then_reopened(browser, lab):
    """jupyterlab-slideshow (the notebook toolbar's deck button, command deck:start): run the lesson, start the slides at
    its top, press on (deck:forward, the → key) to the slide with the controls: they show, and each redraws the figure.
    Then the lesson is saved and reopened (check_reopened)."""
    base, token, _ = lab
    name = "01_data.ipynb"
    page, blocked = isolated_page(browser, LOCAL, height=720)
    page.goto(f"{base}/lab/tree/notebooks/{name}?reset&token={token}")
    page.wait_for_function("window.jupyterapp?.shell.currentWidget?.sessionContext", timeout=60_000)
    result = page.evaluate(RUN_UP_TO, last_control(name))
    assert result["unexecuted"] == 0 and result["errors"] == 0, result
    page.evaluate("window.jupyterapp.shell.currentWidget.content.activeCellIndex = 0")
    page.evaluate("window.jupyterapp.commands.execute('deck:start')")
    page.wait_for_selector(".jp-Deck-Remote", timeout=30_000)
    # Planted: on the first slide the controls are on a later slide, and the check must say so.
    assert not page.evaluate(CONTROLS_IN_VIEW)
    for _ in range(60):
        if page.evaluate(CONTROLS_IN_VIEW):
            break
        page.evaluate("window.jupyterapp.commands.execute('deck:forward', {})")
        page.wait_for_timeout(250)
    assert page.evaluate(CONTROLS_IN_VIEW), "the slideshow never showed the lesson's controls"
    page.screenshot(path=str(SCREENSHOTS / "live_slides_01_data_controls.png"))
    move_every_control(page, "live_slides_01_data")
    # The slideshow is remembered in the user's settings: stopped here, so that the next page opens as a notebook.
    page.evaluate("window.jupyterapp.commands.execute('deck:stop')")
    page.wait_for_selector(".jp-Deck-Remote", state="detached", timeout=10_000)
    assert blocked == []
    check_reopened(browser, lab, page, name)


HEADINGS_KEEP_CASE = ("Array.from(document.querySelectorAll('.reveal h1, .reveal h2'))"
                      ".every(h => getComputedStyle(h).textTransform === 'none')")


def open_rise(browser, base, token, path):
    page, blocked = isolated_page(browser, LOCAL, height=720)
    page.goto(f"{base}/rise/{path}?token={token}")
    page.wait_for_selector(".reveal .slides section h2", state="attached", timeout=60_000)
    page.wait_for_timeout(1_000)
    return page, blocked


def test_rise_shows_every_slide_scrolls_tall_ones_keeps_headings_and_opens_overview_and_notes(browser, lab):
    """The RISE slideshow of lesson 01: a slide per notebook slide, a slide taller than the screen scrolls, headings keep
    their case (maths in them would change: eta = 0 upper-cased is H = 0), and the overview (W) and speaker view (T) open."""
    base, token, _ = lab
    name = "01_data.ipynb"
    page, blocked = open_rise(browser, base, token, f"notebooks/{name}")
    slides = page.eval_on_selector_all(".reveal .slides > section", "els => els.length")
    assert slides == expected_slides(nbformat.read(ROOT / "notebooks" / name, as_version=4))
    page.screenshot(path=str(SCREENSHOTS / "rise_01_data.png"))
    assert page.evaluate(HEADINGS_KEEP_CASE), "RISE upper-cases headings (η = 0 would show as H = 0)"
    # A slide taller than the screen (lesson 01's statistics: code, output and text) must scroll, not be cut off.
    tall = 3
    # Keys pressed before reveal.js has started are lost; it has started once it writes the first slide's hash.
    page.wait_for_function("location.hash.startsWith('#/slide-0')", timeout=30_000)
    for _ in range(tall):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"location.hash.startsWith('#/slide-{tall}-')", timeout=10_000)
    page.wait_for_timeout(1_000)
    slide = page.evaluate("""() => {
      const s = document.querySelector('.reveal .slides > section.present > section.present');
      return {content: s.scrollHeight, box: s.clientHeight, overflow: getComputedStyle(s).overflowY,
              screen: document.querySelector('.reveal').getBoundingClientRect().height};
    }""")
    assert slide["content"] > slide["screen"] >= slide["box"] and slide["overflow"] == "scroll", slide
    page.screenshot(path=str(SCREENSHOTS / "rise_01_data_tall_slide.png"))
    page.mouse.click(640, 300)
    page.keyboard.press("w")
    page.wait_for_selector(".reveal.overview", state="attached", timeout=10_000)
    page.screenshot(path=str(SCREENSHOTS / "rise_01_overview.png"))
    page.keyboard.press("w")
    with page.context.expect_page(timeout=10_000) as speaker:
        page.keyboard.press("t")
    speaker.value.wait_for_selector("text=Upcoming", timeout=10_000)
    speaker.value.close()
    assert blocked == []
    page.close()

    # Planted: without the course's rise.css the headings are upper-cased, and the check says so.
    css = api(base, token, "/api/contents/notebooks/rise.css")
    api(base, token, "/api/contents/notebooks/rise.css", "DELETE")
    try:
        page, _ = open_rise(browser, base, token, f"notebooks/{name}")
        assert not page.evaluate(HEADINGS_KEEP_CASE)
        page.close()
    finally:
        api(base, token, "/api/contents/notebooks/rise.css", "PUT",
            {"type": "file", "format": "text", "content": css["content"]})


def plain(output):
    """An output's text/plain, which a saved notebook may hold as a list of lines."""
    text = output.get("data", {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else text


def shown_text(page, expected):
    """The notebook's text once `expected` or a widget error shows in it (or after 30 s)."""
    try:
        page.wait_for_function("t => ['model not found', t].some(s => document.querySelector('.jp-NotebookPanel')?.innerText.includes(s))",
                               arg=expected, timeout=30_000)
    except Exception:  # noqa: BLE001 (the caller's assertion says what is missing)
        pass
    return page.evaluate("document.querySelector('.jp-NotebookPanel').innerText")


def check_reopened(browser, lab, page, name):
    """The lesson run on `page`, saved (JupyterLab autosaves) and reopened with a fresh kernel, as after a new
    `course.py lab`: a note where its controls were, not "model not found"."""
    base, token, root = lab
    page.wait_for_selector(".widget-interact .jp-OutputArea-output img", state="attached", timeout=30_000)
    page.evaluate("window.jupyterapp.shell.currentWidget.context.save()")
    page.close()
    saved = json.loads((root / "notebooks" / name).read_text())
    outputs = [o for cell in saved["cells"] for o in cell.get("outputs", [])]
    assert not [o for o in outputs if course.WIDGET_VIEW in o.get("data", {})]
    assert [o for o in outputs if plain(o) == course.WIDGET_NOTE]
    shut_down(base, token, [f"notebooks/{name}"])
    page, _ = open_lesson(browser, base, token, name)
    text = shown_text(page, course.WIDGET_NOTE)
    assert "model not found" not in text and course.WIDGET_NOTE in text

    # Planted: the note put back to the widget output JupyterLab saves without the hook; the page shows the error.
    assert page.evaluate(PLANT_WIDGET_VIEW, [course.WIDGET_NOTE, course.WIDGET_VIEW])
    assert "model not found" in shown_text(page, "model not found")
    page.close()


PLANT_WIDGET_VIEW = """([note, mime]) => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  for (let i = 0; i < cells.length; i++) {
    const outputs = cells.get(i).outputs;
    for (let j = 0; outputs && j < outputs.length; j++) {
      if (outputs.get(j).data['text/plain'] === note) {
        outputs.set(j, {output_type: 'display_data', metadata: {},
                        data: {'text/plain': 'interactive(children=(...))', [mime]: {version_major: 2, version_minor: 0, model_id: '0123456789abcdef'}}});
        return true;
      }
    }
  }
  return false;
}"""
