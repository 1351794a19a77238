/* The Chinese edition's search page: Sphinx 8.1's Chinese catalogue has no translation of this line, which it added in
   8.1 (the older "page(s)" line is translated), so the page said it in English. */
Documentation.TRANSLATIONS["Search finished, found one page matching the search query."] = [
  "搜索完成，找到 1 个匹配的页面。", "搜索完成，找到 ${resultCount} 个匹配的页面。"];
