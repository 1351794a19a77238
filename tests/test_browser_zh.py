"""The Chinese edition in JupyterLab (issue 46): `course.py lab --lang zh` opens Chinese lesson 01, which runs whole there.
The code of every Chinese lesson is the English one (tests/test_translation.py), run from zh/ instead of notebooks/:
what that changes, the relative paths, is checked in tests/test_translation.py. The browser and JupyterLab fixtures,
shared per worker, are tests/conftest.py's."""

import nbformat

from test_browser import CLOSE_IN_TAB, LOCAL, ROOT, RUN_CELLS, SCREENSHOTS, course, isolated_page


def test_chinese_start_page_opens_chinese_lesson_01_which_runs(browser, jupyterlab):
    """The link `course.py lab --lang zh` prints (its start page, with the token) opens zh/01_data.ipynb alone, its text
    rendered in Chinese, and Run All runs every cell without an error."""
    base, token = jupyterlab
    page, blocked = isolated_page(browser, LOCAL)
    page.goto(f"{base}{course.start_page('zh')}?token={token}")
    page.wait_for_function("window.jupyterapp?.shell.currentWidget?.context && window.jupyterapp.shell.currentWidget.sessionContext",
                           timeout=60_000)
    try:
        assert page.evaluate("window.jupyterapp.shell.currentWidget.context.path") == course.FIRST_LESSONS["zh"]
        assert page.evaluate("[...window.jupyterapp.shell.widgets('main')].length") == 1
        page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown h1", timeout=30_000)
        assert page.inner_text(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown h1").startswith("第 01 课")
        code = [index for index, cell in enumerate(nbformat.read(ROOT / "zh" / "01_data.ipynb", as_version=4).cells)
                if cell.cell_type == "code"]
        assert page.evaluate(RUN_CELLS, code) == {"code": len(code), "unexecuted": 0, "errors": 0}
        page.screenshot(path=str(SCREENSHOTS / "lab_zh_01_data.png"))
        assert blocked == []
    finally:
        page.evaluate(CLOSE_IN_TAB)
        page.close()
