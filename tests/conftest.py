import os
import re
import sys
from pathlib import Path

import pytest
import torch

import helpers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from figure_checks import environment  # noqa: E402 (tools/ is not a package)

# Every kernel nbval starts checks each figure the lesson draws (tools/figure_checks.py): a problem becomes a stderr
# line that the committed notebook does not have, so the lesson's test fails and shows it.
os.environ.update(environment())
# The reference recipe's schedule, which most tests use (import it: `from conftest import SCH, seeded`).
SCH = helpers.sigmoid_schedule(100)


def seeded(seed=0):
    """A CPU generator seeded with seed: the helpers draw all their noise on the CPU."""
    return torch.Generator().manual_seed(seed)

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) + (["mps"] if torch.backends.mps.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request):
    """Every device this machine has: the CPU here and in CI, CUDA as well on a GPU machine."""
    return torch.device(request.param)


@pytest.fixture
def course():
    """The repository's course.py, imported as a module."""
    sys.path.insert(0, str(ROOT))
    try:
        import course as module
    finally:
        sys.path.remove(str(ROOT))
    return module


# The browser fixtures, one per pytest worker for the whole run (a worker runs several browser files in turn): one
# Chromium, one JupyterLab server and one JupyterLab tab, shared by tests/test_browser.py, the later lessons' files, the
# decks and the site (tests/test_lab_presenting.py starts its own server: it tests a learner's fresh workspace). Each
# started once less per file saves its start-up: Chromium about a second, JupyterLab's server about 4 s, its page 5-6 s.

@pytest.fixture(scope="session")
def browser():
    from test_browser import CHROMIUM, CHROMIUM_ARGS, require

    require("chromium", CHROMIUM, "apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def disk_page(browser):
    """(page, blocked requests, console errors): one page in which the decks and the website's pages are opened from disk
    one after another (test_browser.open_from_disk), every request that is not a file blocked. A fresh page for each
    took 0.6-1.0 s more a deck or page (docs/decisions.md, "Test-suite time budget")."""
    from test_browser import DISK, isolated_page

    page, blocked = isolated_page(browser, DISK)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, blocked, errors
    page.close()


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory):
    """(base URL, token): JupyterLab on a learner's workspace (tools/lab_session.py)."""
    from test_browser import CHROMIUM, lab_session, require

    require("chromium", CHROMIUM, "apt-get install chromium")
    with lab_session.serve(tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(scope="session")
def lab_tab(browser, jupyterlab):
    """(page, blocked requests): one JupyterLab tab in Presentation Mode (larger text), in which the lessons are opened one
    after another, as a learner keeps one tab open. Loading JupyterLab afresh for each lesson took 5-6 s against 2 s to
    open a lesson in a loaded tab (docs/decisions.md, "Test-suite time budget")."""
    from test_browser import LOCAL, isolated_page

    base, token = jupyterlab
    page, blocked = isolated_page(browser, LOCAL)
    page.goto(f"{base}/lab?reset&token={token}")
    page.wait_for_function("window.jupyterapp?.shell", timeout=60_000)
    page.evaluate("async () => { await window.jupyterapp.restored; "
                  "await window.jupyterapp.commands.execute('application:toggle-presentation-mode'); }")
    page.wait_for_selector(".jp-LabShell.jp-mod-presentationMode", state="attached", timeout=10_000)
    yield page, blocked
    page.close()


# One lesson's tests (`python3 course.py test --lesson 08`): its notebook under nbval, its exercises, its deck, its
# browser run, and the tests of the helpers it teaches. A test belongs to lesson NN when one of its parameters names it
# ("08_training", "08.1", a path to 08_...), when its name starts test_08_, or when its module lists NN in LESSONS
# ("all": every lesson). Tests that name no lesson run only in the whole suite, and so do the files that retrain a
# committed network (RETRAINS = True): they check tools/make_*.py's recipes, not the lesson, and take 25-45 s each
# when they retrain (tests/retrains.py), most of the 60 s one lesson's tests may take (docs/decisions.md, "Test-suite
# time budget").
LESSON_NAME = re.compile(r"(\d\da?)[._]")


def pytest_addoption(parser):
    parser.addoption("--lesson", action="append", default=[], metavar="NN",
                     help="run only lesson NN's tests (its notebook, exercises, deck, browser run and helpers' tests)")


def lessons_of(item):
    """The lessons a collected test belongs to: a set of "NN", or {"all"}."""
    if getattr(getattr(item, "module", None), "RETRAINS", False):
        return set()
    if item.path.suffix == ".ipynb":
        # "14" for lesson 14, "14a" for its appendix (`--lesson 14a`): a lesson's tests stay within their minute.
        return {item.path.name.split("_")[0]}
    params = getattr(getattr(item, "callspec", None), "params", {})
    named = set()
    for value in params.values():
        match = LESSON_NAME.match(value.name if isinstance(value, Path) else str(value))
        if match:
            named.add(match.group(1))
    match = re.match(r"test_(\d\d)_", item.name)
    if match:
        named.add(match.group(1))
    return named or set(getattr(item.module, "LESSONS", ()))


def long_first(item):
    """Sort key of a test's file. The test command (course.py) hands whole files to its workers in collection order
    (`--dist loadfile --no-loadscope-reorder`; pytest-xdist's default order, most tests first, started the browser files,
    which hold few tests, last), and a long file that starts last decides when the run ends. So: files that run lessons
    in JupyterLab first (40-150 s a file), then the other browser tests (decks, site: 50-80 s a file), then the lesson
    notebooks from the last lesson back (the later lessons train and integrate: 30-80 s each under nbval), then the rest
    (seconds a file). Files that retrain a committed network (RETRAINS = True: 25-50 s a file when they retrain) go with
    the JupyterLab runs. With --lesson the lesson's notebook goes first: it is then the longest file (30-45 s under
    nbval), and started after the decks and the site it ended 10 s after everything else (lesson 09: 66 s)."""
    if item.path.suffix == ".ipynb":
        if item.config.getoption("--lesson"):
            return (-1, 0)
        return (2, -int(item.path.name[:2]) if item.path.name[:2].isdigit() else 0)
    fixtures = set(getattr(item, "fixturenames", ()))
    if fixtures & {"jupyterlab", "lab"} or getattr(item.module, "RETRAINS", False):
        return (0, 0)
    return (1, 0) if "browser" in fixtures else (3, 0)


def pytest_collection_modifyitems(config, items):
    # A key per file and a stable sort: a file's tests stay together and in order.
    keys = {}
    items.sort(key=lambda item: keys.setdefault(item.path, long_first(item)))
    wanted = {n.zfill(2) if n.isdigit() else n.zfill(3) for n in config.getoption("--lesson")}
    if not wanted:
        return
    kept = [item for item in items if (lessons := lessons_of(item)) & wanted or "all" in lessons]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept
