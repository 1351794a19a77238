"""Sphinx configuration of the course website (website/build.py copies the pages next to this file's settings).

Everything the pages load is in the built site: the theme's CSS, JavaScript and icon fonts come with the pip packages,
and MathJax 3 with `sphinx-mathjax-offline` (docs/decisions.md, "The website").
"""

import json
import re
import unicodedata
from pathlib import Path

import sphinx.search
from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput, visit_HideCellInput
from sphinx.search.en import SearchEnglish
from sphinx.search.zh import SearchChinese

# Which edition this is (website/build.py writes it beside this file): its language and the link to the other edition's
# pages. Imported from website/ by the tests, for its search classes, it has none.
EDITION_FILE = Path(__file__).parent / "edition.json"
EDITION = json.loads(EDITION_FILE.read_text(encoding="utf-8")) if EDITION_FILE.exists() else {"language": "en", "switch": {}}

project = "S-Curve Diffusion"
author = "the S-Curve Diffusion course"
copyright = "the course's authors"
extensions = ["myst_nb", "sphinx-mathjax-offline"]
# The committed notebooks are executed and tested already; the site shows their outputs as they are.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath"]
# A lesson's own links to other notebooks or files of the repository are not pages of the site.
suppress_warnings = ["myst.xref_missing", "myst.header"]
exclude_patterns = ["_build", "downloads"]
html_theme = "sphinx_book_theme"
language = EDITION["language"]
html_title = "S-Curve Diffusion" if language == "en" else "S 形曲线扩散（中文版）"
templates_path = ["templates"]
if language != "en":
    # myst-nb's label of each collapsible code cell; Sphinx translates the rest of the theme's words itself.
    nb_code_prompt_show, nb_code_prompt_hide = "显示代码", "隐藏代码"
html_static_path = ["static"]
html_css_files = ["course.css"]
html_js_files = ["search_snippets.js"] + (["zh_messages.js"] if language != "en" else [])
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,  # it offers Sphinx's copy of the page; each page links the committed notebook itself
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "navigation_with_keys": True,
    # Every page links itself in the other edition, at the top, beside the theme's buttons.
    "article_header_end": ["language-switch.html", "article-header-buttons.html"],
}
# The theme logs a console error on a first visit unless a colour mode is given; the figures are drawn on white.
html_context = {"default_mode": "light", "switch": EDITION["switch"]}
# MathJax's own menu would fetch its speech-rule files from a CDN when opened.
mathjax3_config = {"options": {"enableMenu": False}}


def unaccented(text):
    """'Fréchet' as 'Frechet': a reader types either (issue 39: "Frechet" found only the code that spells it so)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


class SearchUnaccented(SearchEnglish):
    """English search with accents dropped from the indexed words and, in the browser, from the query's."""

    js_splitter_code = """
function splitQuery(query) {
  return query.normalize("NFD").replace(/\\p{M}/gu, "")
    .split(/[^\\p{Letter}\\p{Number}_\\p{Emoji_Presentation}]+/gu).filter(term => term);
}
"""

    def split(self, input):
        return [unaccented(word) for word in super().split(input)]


sphinx.search.languages["en"] = SearchUnaccented

HAN = re.compile(r"[\u3400-\u9fff]+|[A-Za-z0-9_]+")


def han_terms(text):
    """The search terms of a text: each run of Chinese characters as its overlapping pairs (a lone character as itself),
    each Latin word unaccented. Chinese has no spaces between words, and Sphinx's Chinese search indexes no Chinese
    at all without the jieba dictionary; pairs find a word of any length (a query matches pages holding all its pairs)."""
    terms = []
    for run in HAN.findall(unaccented(text)):
        if run[0] < "\u3400":
            terms.append(run)
        else:
            terms += [run[i:i + 2] for i in range(len(run) - 1)] or [run]
    return terms


class SearchHan(SearchChinese):
    """Chinese search without a dictionary: the index and the browser split text alike, into han_terms."""

    js_splitter_code = """
function splitQuery(query) {
  const terms = [];
  for (const run of query.normalize("NFD").replace(/\\p{M}/gu, "").match(/[\\u3400-\\u9fff]+|[A-Za-z0-9_]+/g) || []) {
    if (run[0] < "\\u3400" || run.length === 1) { terms.push(run); continue; }
    for (let i = 0; i + 1 < run.length; i++) terms.push(run.slice(i, i + 2));
  }
  return terms;
}
"""

    def split(self, input):
        return han_terms(input)

    def word_filter(self, stemmed_word):
        return len(stemmed_word) > 1 or stemmed_word >= "\u3400"


sphinx.search.languages["zh"] = SearchHan


def visit_open(self, node):
    """myst-nb's collapsible code cell, drawn open: the code is what a lesson teaches, so a reader hides it, not shows it."""
    visit_HideCellInput(self, node)
    for index in range(len(self.body) - 1, -1, -1):
        if self.body[index].startswith("<details"):
            self.body[index] = self.body[index].replace("<details", "<details open", 1)
            break


def setup(app):
    app.add_node(HideCodeCellNode, override=True, html=(visit_open, depart_HideCellInput))
    # MathJax on every page, not only on pages with maths of their own: every page's navigation carries the lessons'
    # titles, and lessons 05 and 06's have maths (the docs pages showed them as TeX).
    app.set_html_assets_policy("always")
