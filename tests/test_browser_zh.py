"""The Chinese edition in JupyterLab (issue 46): `course.py lab --lang zh` opens Chinese lesson 01, and Chinese lesson 08,
whose code reads ../benchmarks/results and writes checkpoints/ from the lesson's own folder, runs whole there. The
browser and JupyterLab fixtures, shared per worker, are tests/conftest.py's."""

import json
import urllib.request

import nbformat

from test_browser import CLOSE_IN_TAB, LOCAL, OPEN_IN_TAB, ROOT, RUN_CELLS, SCREENSHOTS, course, isolated_page


def test_chinese_start_page_opens_chinese_lesson_01(browser, jupyterlab):
    """The link `course.py lab --lang zh` prints (its start page, with the token) opens zh/01_data.ipynb alone, its text
    rendered in Chinese."""
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
        page.screenshot(path=str(SCREENSHOTS / "lab_zh_01_data.png"))
        assert blocked == []
    finally:
        page.evaluate(CLOSE_IN_TAB)
        page.close()


def test_chinese_lesson_08_runs_whole_in_jupyterlab(lab_tab, jupyterlab):
    page, blocked = lab_tab
    cells = nbformat.read(ROOT / "zh" / "08_training.ipynb", as_version=4).cells
    code = [index for index, cell in enumerate(cells) if cell.cell_type == "code"]
    assert page.evaluate(OPEN_IN_TAB, "zh/08_training.ipynb")
    try:
        result = page.evaluate(RUN_CELLS, code)
        page.screenshot(path=str(SCREENSHOTS / "lab_zh_08_training.png"))
        assert result == {"code": len(code), "unexecuted": 0, "errors": 0}, result
        base, token = jupyterlab
        # The learner's checkpoint, beside the Chinese lesson (…/checkpoints alone would be the checkpoints API's address).
        with urllib.request.urlopen(f"{base}/api/contents/zh/checkpoints/my_ddpm.pt?content=0&token={token}") as answer:
            assert json.loads(answer.read())["type"] == "file"
        assert blocked == []
    finally:
        page.evaluate(CLOSE_IN_TAB)
