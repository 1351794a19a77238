/* The search page's snippets read as prose (issue 39). Sphinx cuts each snippet from the page's text, where formulas
   are still TeX (MathJax typesets them only on the page itself), the theme's print-only copy of the title is plain TeX,
   and code cells are code: formulas become a plain-text
   reading (\boldsymbol\epsilon_\theta -> ε_θ), a displayed equation "[equation]", and cells' code is left out. */
(function () {
  const GREEK = {alpha: "α", beta: "β", gamma: "γ", delta: "δ", Delta: "Δ", epsilon: "ε", zeta: "ζ", eta: "η",
    theta: "θ", kappa: "κ", lambda: "λ", ell: "ℓ", mu: "μ", nu: "ν", pi: "π", rho: "ρ", sigma: "σ", Sigma: "Σ",
    tau: "τ", varphi: "φ", phi: "φ", chi: "χ", Phi: "Φ", omega: "ω", infty: "∞", approx: "≈", le: "≤", ge: "≥",
    leq: "≤", geq: "≥", times: "×", cdot: "·", sim: "∼", to: "→", mid: "|", in: "∈", sum: "Σ", int: "∫", nabla: "∇",
    partial: "∂", prod: "Π", sqrt: "√", pm: "±", neq: "≠", lVert: "‖", rVert: "‖"};

  function readable(tex) {
    return tex.replace(/^\\\(|\\\)$/g, "")
      .replace(/\\(?:mathbf|boldsymbol|mathrm|mathcal|text|operatorname|bar|hat|tilde|left|right|big|Big|,|;|!|quad|qquad|dfrac|frac|tfrac)\b/g, " ")
      .replace(/\\([A-Za-z]+)/g, (whole, name) => GREEK[name] || "")
      .replace(/[{}]/g, "").replace(/\s+/g, " ").trim();
  }

  function cleaned(htmlString) {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll(".cell_input, .headerlink, .course-language-switch, .onlyprint, script, style").forEach(el => el.remove());
    page.querySelectorAll("div.math").forEach(el => { el.textContent = " [equation] "; });
    page.querySelectorAll("span.math").forEach(el => { el.textContent = readable(el.textContent); });
    // docs/notation.md names each symbol by its TeX in code, beside the symbol itself: the symbol is enough here.
    page.querySelectorAll("code").forEach(el => { if (/\\[A-Za-z]/.test(el.textContent)) el.remove(); });
    return page.documentElement.outerHTML;
  }

  // Accents dropped, one character for one (precomposed letters lose their mark), so that positions still match.
  const plain = text => text.normalize("NFC").replace(/[^\u0000-\u007f]/g, c => c.normalize("NFD")[0]).toLowerCase();

  // Sphinx's own summary looks for the query's words as typed: "frechet" is not in "Fréchet", and the snippet then
  // showed the page's first line. The same 240 characters around the first word found, found without accents.
  function summary(htmlText, keywords, anchor) {
    const text = Search.htmlToText(htmlText, anchor).normalize("NFC");
    if (text === "") return null;
    const found = [...keywords].map(k => plain(text).indexOf(plain(k))).filter(i => i > -1);
    const start = found.length ? Math.max(Math.min(...found) - 120, 0) : 0;
    const element = document.createElement("p");
    element.classList.add("context");
    element.textContent = (start === 0 ? "" : "...") + text.substr(start, 240).trim() + (start + 240 < text.length ? "..." : "");
    return element;
  }

  function install() {
    if (typeof Search === "undefined" || Search.htmlToText.cleaned) return;
    const original = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => original(cleaned(htmlString), anchor);
    Search.htmlToText.cleaned = true;
    Search.makeSearchSummary = summary;
  }

  // A result's title is the page's heading as Sphinx indexed it, its maths still TeX (lessons 04, 05, 06): MathJax,
  // which every page loads, typesets each title once it is shown.
  function typesetTitles() {
    const results = document.getElementById("search-results");
    if (!results) return;
    new MutationObserver(() => {
      const titles = [...results.querySelectorAll("li > a")].filter(a => !a.dataset.typeset && a.textContent.includes("\\("));
      titles.forEach(a => { a.dataset.typeset = "yes"; });
      if (titles.length && window.MathJax?.typesetPromise) MathJax.startup.promise.then(() => MathJax.typesetPromise(titles));
    }).observe(results, {childList: true, subtree: true});
  }

  install();
  document.addEventListener("DOMContentLoaded", () => { install(); typesetTitles(); });
})();
