"""JupyterLab in a real browser (the decks: tests/test_decks.py): headless Chromium with every non-local request blocked.

CI (CI=true) installs Debian's chromium in .ci/run; there a missing browser fails these tests. Elsewhere
they are skipped with the install hint when no chromium is found.
"""

import ast
import json
import os
import re
import sys
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "screenshots"
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))
import course  # noqa: E402
import lab_session  # noqa: E402
from lab_session import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

def require(thing, found, hint):
    if found:
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{thing} is missing; CI must run the browser tests ({hint})")
    pytest.skip(f"{thing} not found: {hint}")


def isolated_page(browser, allowed, height=800):
    """A new page, 1280 px wide, whose requests outside `allowed` URL prefixes are aborted and recorded."""
    page = browser.new_page(viewport={"width": 1280, "height": height})
    blocked = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(allowed):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort()

    page.route("**/*", route)
    return page, blocked


# What a deck or a website page opened from disk may load: its own files, and the data the page makes itself.
DISK = ("file:", "data:", "blob:")


def open_from_disk(disk_page, path: Path, height=800):
    """The shared page (the disk_page fixture) showing the file at path in a window 1280 px wide, its lists of blocked
    requests and console errors holding this file's alone."""
    page, blocked, errors = disk_page
    # Away from the last file first, so that nothing it logs while unloading counts against this one.
    page.goto("about:blank")
    blocked.clear()
    errors.clear()
    page.set_viewport_size({"width": 1280, "height": height})
    page.goto(path.as_uri())
    return page


def expected_slides(notebook):
    kinds = [c.metadata.get("slideshow", {}).get("slide_type", "-") for c in notebook.cells]
    kinds = [k for k in kinds if k != "skip"]
    return kinds.count("slide") + (kinds[0] != "slide")


# Runs the cells up to and including cell `last` and counts, among those, code cells never run and error outputs.
RUN_UP_TO = "async (last) => {" + lab_session.AWAIT_IDLE_KERNEL + """
  const cells = panel.content.model.cells;
  // Every lesson's exercises come after its last control, so there is a cell below it to select.
  panel.content.activeCellIndex = last + 1;
  await app.commands.execute('notebook:run-all-above');
  let code = 0, unexecuted = 0, errors = 0;
  for (let i = 0; i <= last; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    code++;
    if (cell.executionCount === null) unexecuted++;
    for (let j = 0; j < cell.outputs.length; j++) {
      if (cell.outputs.get(j).type === 'error') errors++;
    }
  }
  return {code, unexecuted, errors};
}"""

# Runs the code cells at the given indices, one at a time in order, and counts, among those, cells never run and error
# outputs.
RUN_CELLS = "async (indices) => {" + lab_session.AWAIT_IDLE_KERNEL + """
  const cells = panel.content.model.cells;
  for (const i of indices) {
    panel.content.activeCellIndex = i;
    panel.content.deselectAll();
    await app.commands.execute('notebook:run-cell');
  }
  let unexecuted = 0, errors = 0;
  for (const i of indices) {
    const cell = cells.get(i);
    if (cell.executionCount === null) unexecuted++;
    for (let j = 0; j < cell.outputs.length; j++) {
      if (cell.outputs.get(j).type === 'error') errors++;
    }
  }
  return {code: indices.length, unexecuted, errors};
}"""

LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")


def open_lesson(browser, base, token, name):
    page, blocked = isolated_page(browser, LOCAL)
    page.goto(f"{base}/lab/tree/notebooks/{name}?reset&token={token}")
    page.wait_for_function(
        "window.jupyterapp && window.jupyterapp.shell.currentWidget && window.jupyterapp.shell.currentWidget.sessionContext",
        timeout=60_000,
    )
    return page, blocked


def test_lab_opens_lesson_01_with_the_course_in_view(browser, jupyterlab):
    """`course.py lab`'s options: lesson 01 opens, and the file browser shows the lessons, the talk and the solutions,
    without the lessons' .py twins. First of the JupyterLab tests: later ones leave lessons open in the saved layout."""
    base, token = jupyterlab
    page, blocked = isolated_page(browser, LOCAL)
    page.goto(f"{base}/?token={token}")
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget && window.jupyterapp.shell.currentWidget.context",
                           timeout=60_000)
    assert page.evaluate("window.jupyterapp.shell.currentWidget.context.path") == course.FIRST_LESSON

    def listing(path):
        with urllib.request.urlopen(f"{base}/api/contents/{path}?token={token}") as answer:
            return {item["name"] for item in json.loads(answer.read())["content"]}

    assert {"notebooks", "slides"} <= listing("")
    assert {"01_data.ipynb", "12_flow_matching.ipynb", "solutions"} <= listing("notebooks")
    assert not {name for name in listing("notebooks") if name.endswith(".py")}
    # In the file browser, at its default width, every lesson's name shows whole.
    page.evaluate("window.jupyterapp.commands.execute('filebrowser:go-to-path', {path: '/notebooks'})")
    page.wait_for_selector(".jp-DirListing-item[title*='12_flow_matching.ipynb']", timeout=30_000)
    names = page.eval_on_selector_all(
        ".jp-DirListing-item .jp-DirListing-itemText",
        "els => els.map(e => ({name: e.textContent, cut: e.scrollWidth > e.clientWidth + 1}))",
    )
    page.screenshot(path=str(SCREENSHOTS / "lab_file_browser.png"))
    assert len(names) >= 14 and not [n["name"] for n in names if n["cut"]], names
    assert blocked == []
    page.close()


def test_the_link_jupyter_prints_opens_lesson_01(browser, jupyterlab):
    """The link `course.py lab --no-browser` prints, pasted into a browser, opens lesson 01 (issue 39: with "?reset" in
    the default URL Jupyter printed ".../01_data.ipynb?reset?token=...", and a browser, reading the token as part of the
    first query, landed on the login page)."""
    base, token = jupyterlab
    printed = re.findall(r"http://127\.0\.0\.1:\d+/\S+", lab_session.LOG.read_text())
    assert printed, lab_session.LOG.read_text()[-1000:]
    link = printed[0]
    assert link.count("?") == 1 and "token=" in link, link
    page, blocked = isolated_page(browser, LOCAL)
    # Jupyter prints a token it was given (as tools/lab_session.py gives it) as "...", one it made up (as in
    # `course.py lab`) in full: put the real one in.
    page.goto(link.replace("token=...", f"token={token}"))
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget && window.jupyterapp.shell.currentWidget.context",
                           timeout=60_000)
    assert page.evaluate("window.jupyterapp.shell.currentWidget.context.path") == course.FIRST_LESSON
    assert page.evaluate("[...window.jupyterapp.shell.widgets('main')].length") == 1
    assert blocked == []
    page.close()


MENUS = ("File", "Edit", "View", "Run", "Kernel", "Tabs", "Settings", "Help")


def test_the_menus_and_commands_the_readme_names_exist(lab_tab):
    """Every "Menu → **Item**" and every "command palette's **Command**" in the README is in JupyterLab as installed
    (issue 39: the README sent presenters to View → "Open as Reveal Slideshow", which that menu does not have)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = re.findall(rf"\b({'|'.join(MENUS)}) →\s+\*\*(.+?)\*\*", readme)
    commands = re.findall(r"command palette's(?:\s+\(\*\*[^*]+\*\*\))?\s+\*\*(.+?)\*\*", readme)
    assert len(named) >= 3 and len(commands) >= 2, (named, commands)
    page, blocked = lab_tab
    # With a lesson in view: the Run menu shows its notebook commands only then.
    assert page.evaluate(OPEN_IN_TAB, course.FIRST_LESSON)
    items = {}
    for menu in sorted({menu for menu, _ in named}):
        page.click(f".lm-MenuBar-itemLabel:text-is('{menu}')")
        page.wait_for_selector(".lm-Menu .lm-Menu-itemLabel", timeout=10_000)
        items[menu] = set(page.eval_on_selector_all(".lm-Menu-itemLabel", "els => els.map(e => e.textContent.trim())"))
        page.keyboard.press("Escape")
        page.wait_for_selector(".lm-Menu", state="detached", timeout=10_000)
    # The labels of every command JupyterLab has (the palette lists them by label).
    palette = set(page.evaluate("(() => { const c = window.jupyterapp.commands; "
                                "return c.listCommands().map(id => { try { return c.label(id, {}); } catch (e) { return ''; } }); })()"))
    page.evaluate(CLOSE_IN_TAB)
    missing = [(menu, item) for menu, item in named if " ".join(item.split()) not in items[menu]]
    missing += [("command palette", command) for command in commands if " ".join(command.split()) not in palette]
    assert not missing, missing
    assert blocked == []


# Every lesson with controls runs in JupyterLab up to its last control, and each of its controls is moved. The later, longer lessons run
# from tests/test_browser_lessons.py and tests/test_browser_lessons_b.py, so that the test command's two workers share them.
# Lesson 01 runs in its live slides instead (tests/test_lab_presenting.py: every cell up to its last control, then every
# control moved), which a run here would repeat.
LAB_LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb") if "interact(" in p.read_text())
LATER_LESSONS = [name for name in LAB_LESSONS if name >= "10"]
# Alternate lessons in each file: the later lessons train or integrate for 20-40 s each, and one file of them all was the
# longest chunk a worker could get.
LATER_LESSONS_A, LATER_LESSONS_B = LATER_LESSONS[0::2], LATER_LESSONS[1::2]


SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
          ast.GeneratorExp)


def _names(source):
    """(names a cell binds or stores into at its top level, names it reads that an earlier cell must provide) of a code
    cell's source. A read needs an earlier cell unless the name is local to a function, class body, lambda or
    comprehension in it, or an earlier statement of the cell, or the same statement's loop or `with` target, bound it
    first (the lessons' cells run straight through: a name bound only under an `if` counts as bound)."""
    tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    bound, read = set(), set()
    for statement in tree.body:
        own_bound, own_read = _statement_names(statement)
        targets = [statement.target] if isinstance(statement, (ast.For, ast.AsyncFor)) else \
            [item.optional_vars for item in getattr(statement, "items", []) if item.optional_vars is not None]
        first = {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}
        read |= own_read - bound - first
        bound |= own_bound
    return bound, read


def _statement_names(statement):
    """(names one top-level statement binds or stores into, names it reads outside its own local scopes)."""
    bound, read = set(), set()

    def visit(node, local):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, SCOPES):
                if local is None and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    bound.add(child.name)
                arguments = [a.arg for a in ast.walk(child.args) if isinstance(a, ast.arg)] if hasattr(child, "args") else []
                stored = {n.id for n in ast.walk(child) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
                visit(child, (local or set()) | set(arguments) | stored)
                continue
            if local is None and isinstance(child, (ast.Import, ast.ImportFrom)):
                bound.update((alias.asname or alias.name).split(".")[0] for alias in child.names)
            if isinstance(child, ast.Name):
                if isinstance(child.ctx, ast.Store):
                    if local is None:
                        bound.add(child.id)
                elif local is None or child.id not in local:
                    read.add(child.id)
            elif local is None and isinstance(child, (ast.Subscript, ast.Attribute)) and isinstance(child.ctx, ast.Store):
                base = child.value
                while isinstance(base, (ast.Subscript, ast.Attribute)):
                    base = base.value
                if isinstance(base, ast.Name):
                    bound.add(base.id)
            visit(child, local)

    visit(ast.Module(body=[statement], type_ignores=[]), None)
    return bound, read


def control_cells(cells):
    """The code cells a lesson's controls need: every interact cell, and, walking back from the last one, every earlier
    cell that binds a name a needed cell reads (every binding, not only the last: a cell that rebinds or fills in a
    name is kept). A cell that changes an object only through a method call is not seen, so the lessons do not."""
    code = {i: _names(cell.source) for i, cell in enumerate(cells) if cell.cell_type == "code"}
    controls = [i for i in code if "interact(" in cells[i].source]
    needed, pending = set(controls), set()
    for i in sorted(code, reverse=True):
        if i > controls[-1]:
            continue
        bound, read = code[i]
        if i in needed or bound & pending:
            needed.add(i)
            pending |= read
    return sorted(needed)


def test_control_cells_keep_what_the_controls_need():
    """The slice of a lesson the browser runs: a made-up lesson whose control needs the imports, a table filled in by a
    later cell and a function; not the cell that only shares a local name, nor the check that needs nothing of it."""
    sources = ["import torch\nfrom ipywidgets import interact",          # 0 needed: torch, interact
               "table = {}",                                               # 1 needed: binds table
               "fig = 3\nx = torch.zeros(3)",                             # 2 not needed: show's fig and x are its own
               "table['a'] = torch.ones(2)",                               # 3 needed: fills in table
               "assert table['a'].sum() == 2",                             # 4 not needed
               "def show(k=1):\n    fig, x = k, table['a']\n    return [x * j for j in range(k)]",  # 5 needed
               "interact(show, k=(1, 3));",                                # 6 the control
               "after = 1"]                                                # 7 after the last control
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    assert control_cells(cells) == [0, 1, 3, 5, 6]
    # A cell's names it binds before it reads them come from itself: the plot's fig and ax, the loop's k, not cell 1's.
    sources = ["import torch\nfrom ipywidgets import interact",            # 0 needed
               "fig, ax, k, scale = 1, 2, 3, 4",                            # 1 not needed: cell 2 binds all before reading
               "fig, ax = 5, 6\nfor k in range(3):\n    ax = ax + k\nscale = torch.ones(1)\n"
               "def show(j=1):\n    return scale * j",                     # 2 needed: binds show
               "interact(show, j=(1, 3));"]                                 # 3 the control
    assert control_cells([nbformat.v4.new_code_cell(source) for source in sources]) == [0, 2, 3]
    # A read before the cell's own binding still needs the earlier one.
    sources[2] = "ax = ax + 1\nscale = torch.ones(1)\ndef show(j=1):\n    return scale * j"
    assert control_cells([nbformat.v4.new_code_cell(source) for source in sources]) == [0, 1, 2, 3]


def trains(source):
    """Whether the code calls helpers.train or a recipe built on it (train_digits, train_backbone, train_autoencoder,
    train_latent, ...); a comment that names one does not count."""
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr.startswith("train")
               and isinstance(node.func.value, ast.Name) and node.func.value.id == "helpers"
               for node in ast.walk(ast.parse(source)))


def trained_for_controls(cells):
    """The cells of a lesson's browser slice (control_cells) that train a network."""
    return [i for i in control_cells(cells) if trains(cells[i].source)]


def test_no_explorer_trains_a_network():
    """A lesson's controls use committed networks, so the browser run trains nothing: lessons 11, 12 and 14 train live
    beside their committed files (tools/make_lesson_networks.py), and their slices once pulled the training in through a
    cell that both loaded the file and compared it with the live network (28 s of lesson 14's browser run)."""
    trained = {name: trained_for_controls(nbformat.read(ROOT / "notebooks" / name, as_version=4).cells)
               for name in LAB_LESSONS}
    assert {name: cells for name, cells in trained.items() if cells} == {}
    # Planted: the network's file loaded in the cell that compares it with the live one.
    sources = ["import helpers\nfrom ipywidgets import interact",
               "live = helpers.train(model, x0, helpers.Denoising(schedule, config), config)['model']",
               "net = helpers.load_model(path)\nassert abs(error(net) - error(live)) < margin",
               "interact(lambda s: net(x, s), s=(0.0, 1.0));"]
    assert trained_for_controls([nbformat.v4.new_code_cell(source) for source in sources]) == [1]
    # Planted: lesson 21's first draft, whose explorer's autoencoders were loaded in the cell that trains one live (the
    # browser run took 27 s instead of 14).
    sources[1] = "live = helpers.train_autoencoder(x_train, kl=False)['model']\nnet = helpers.load_model(path)"
    sources[2] = "x = torch.zeros(2)"
    assert trained_for_controls([nbformat.v4.new_code_cell(source) for source in sources]) == [1]


def off_grid_sliders(source):
    """FloatSliders in a cell whose value is not min + k step in floating point: the front end snaps such a value when
    it draws the slider, and the update that follows leaves the first figure beside the next one (seen in lesson 16:
    value 0.3 on min -1.4 and step 0.05 snaps to 0.30000000000000027)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "FloatSlider":
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg in ("value", "min", "step")}
            value, low, step = kwargs.get("value", 0.0), kwargs.get("min", 0.0), kwargs.get("step", 0.1)
            # The slider's own rounding: the nearest grid point, computed as the front end computes it.
            if low + round((value - low) / step) * step != value:
                found.append(kwargs)
    return found


def test_float_sliders_start_on_their_step_grid():
    lessons = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    bad = [(path.name, found) for path in lessons for cell in nbformat.read(path, as_version=4).cells
           if cell.cell_type == "code" and (found := off_grid_sliders(cell.source))]
    assert bad == []
    # Planted: lesson 16's first sliders.
    assert off_grid_sliders("FloatSlider(value=0.3, min=-1.4, max=1.4, step=0.05)")


# Opens a lesson in the tab and waits until it is the notebook in view, with its session.
OPEN_IN_TAB = """async (path) => {
  const app = window.jupyterapp;
  await app.commands.execute('docmanager:open', {path});
  for (let i = 0; i < 600 && app.shell.currentWidget?.context?.path !== path; i++) {
    await new Promise(r => setTimeout(r, 100));
  }
  return app.shell.currentWidget?.context?.path === path && !!app.shell.currentWidget.sessionContext;
}"""

# Closes the lesson in view and shuts its kernel down, without the "save your work?" dialog (the tab's copy of the
# lessons is a temporary one).
CLOSE_IN_TAB = """async () => {
  const panel = window.jupyterapp.shell.currentWidget;
  await panel.sessionContext.shutdown();
  panel.context.model.dirty = false;
  panel.close();
}"""


def run_lesson_in_lab(lab_tab, name):
    """Run in JupyterLab the cells a lesson's controls need (control_cells) with no error, then move each of its
    controls. nbval runs every cell of every lesson; here the other cells would add time, not coverage of the controls.
    The live slides, the README's route for sliders in front of a room, are tested in tests/test_lab_presenting.py."""
    page, blocked = lab_tab
    cells = nbformat.read(ROOT / "notebooks" / name, as_version=4).cells
    needed = control_cells(cells)
    assert page.evaluate(OPEN_IN_TAB, f"notebooks/{name}"), f"{name} did not open"
    try:
        result = page.evaluate(RUN_CELLS, needed)
        assert result["code"] >= 2 and result["unexecuted"] == 0 and result["errors"] == 0, result
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"lab_{Path(name).stem}.png"))
        move_every_control(page, Path(name).stem)
        assert blocked == []
    finally:
        page.evaluate(CLOSE_IN_TAB)


@pytest.mark.parametrize("name", [name for name in LAB_LESSONS if name not in LATER_LESSONS and name != course.FIRST_LESSON.split("/")[-1]])
def test_lesson_runs_in_jupyterlab(lab_tab, name):
    run_lesson_in_lab(lab_tab, name)


def test_saved_lesson_shows_no_widget_reprs(lab_tab):
    """Opened and not run, a lesson shows its saved figures and no widget's Python repr (JupyterLab 4 cannot draw
    saved widgets, so the build keeps none; the cell before each interact draws its figure). One lesson here;
    tests/test_pairing.py checks the saved outputs of all of them."""
    page, blocked = lab_tab
    assert page.evaluate(OPEN_IN_TAB, "notebooks/10_fewer_steps.ipynb")
    try:
        page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img", state="attached",
                               timeout=30_000)
        text = page.evaluate("window.jupyterapp.shell.currentWidget.node.innerText")
        assert "interactive(children" not in text and "Error displaying widget" not in text
        assert blocked == []
    finally:
        page.evaluate(CLOSE_IN_TAB)


CONTROLS = ".widget-interact .noUi-handle, .widget-interact select"
FIGURE = ".widget-interact .jp-OutputArea-output img"


def ink(src):
    """The share of a PNG data URL's pixels that are not near-white: a figure with axes and data has plenty."""
    import base64
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("L")
    return sum(image.histogram()[:200]) / (image.width * image.height)


def move_every_control(page, stem):
    """Change each control of each interact once, from the lesson's initial settings: its figure must be redrawn, with as
    much ink as before. A control is put back before the next one of its interact moves (from another control's setting
    a move can leave the figure as it was); the last one of each interact stays, since the other interacts' figures do
    not read it (one redraw saved per interact)."""
    controls = page.locator(CONTROLS)
    assert controls.count() > 0, f"{stem}: no controls found"
    boxes = page.evaluate(f"Array.from(document.querySelectorAll({json.dumps(CONTROLS)}), "
                          "e => [...document.querySelectorAll('.widget-interact')].indexOf(e.closest('.widget-interact')))")
    for index, box in enumerate(boxes):
        control = controls.nth(index)
        image = f"document.querySelectorAll('.widget-interact')[{box}].querySelector('.jp-OutputArea-output img')"
        page.wait_for_function(f"!!{image}", timeout=30_000)
        control.scroll_into_view_if_needed()
        before = page.evaluate(f"{image}.getAttribute('src')")
        is_select = control.evaluate("e => e.tagName") == "SELECT"
        if is_select:
            original = control.input_value()
            # ipywidgets writes a label's spaces as no-break spaces in the option's text, not in its value.
            options = [text.replace("\xa0", " ") for text in control.locator("option").all_inner_texts()]
            control.select_option(options[(options.index(original) + 1) % len(options)])
        else:
            control.focus()
            page.keyboard.press("ArrowRight")
        after = wait_for_new_figure(page, image, before)
        page.screenshot(path=str(SCREENSHOTS / f"lab_{stem}_control_{index}_moved.png"))
        assert ink(after) > 0.5 * ink(before), f"{stem}: control {index} left a nearly blank figure"
        if box not in boxes[index + 1:]:
            continue
        if is_select:
            control.select_option(original)
        else:
            control.focus()
            page.keyboard.press("ArrowLeft")
        wait_for_new_figure(page, image, after)


def wait_for_new_figure(page, image, old):
    """The figure's new source, once the redraw has finished: a new figure, the kernel idle (the control's callback has
    ended) and the figure unchanged for 150 ms (a redraw can replace it in several steps), instead of a fixed half second
    after each change: two per control, about 60 a test run."""
    page.wait_for_function(SETTLED_FIGURE.replace("IMAGE", image), arg=old, timeout=30_000, polling=50)
    return page.evaluate(f"{image}.getAttribute('src')")


SETTLED_FIGURE = """(old) => {
  const src = IMAGE?.getAttribute('src');
  const kernel = window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel;
  if (!src || src === old || kernel?.status !== 'idle') { window.settledFigure = null; return false; }
  if (window.settledFigure?.src !== src) { window.settledFigure = {src, since: performance.now()}; return false; }
  return performance.now() - window.settledFigure.since >= 150;
}"""
