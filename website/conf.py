"""Sphinx configuration of the course website (website/build.py copies the pages next to this file's settings).

Everything the pages load is in the built site: the theme's CSS, JavaScript and icon fonts come with the pip packages,
and MathJax 3 with `sphinx-mathjax-offline` (docs/decisions.md, "The website").
"""

import unicodedata

import sphinx.search
from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput, visit_HideCellInput
from sphinx.search.en import SearchEnglish

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
html_title = "S-Curve Diffusion"
html_static_path = ["static"]
html_css_files = ["course.css"]
html_js_files = ["search_snippets.js"]
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,  # it offers Sphinx's copy of the page; each page links the committed notebook itself
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "navigation_with_keys": True,
}
# The theme logs a console error on a first visit unless a colour mode is given; the figures are drawn on white.
html_context = {"default_mode": "light"}
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
