"""How heavy each lesson (and appendix) reads, from the executed notebooks: prose words, code cells, printed tables,
asserts (issue 38's density table).

    .venv/bin/python tools/lesson_density.py                 # every lesson and appendix
    .venv/bin/python tools/lesson_density.py "notebooks/1[3-7]*.ipynb"

Words: runs of letters and digits in the markdown cells, each inline formula ($...$) counted as one word. A printed
table: three or more consecutive printed lines, each with three or more fields split by two or more spaces or by '|'.
"""
import json, re, sys, glob
def words(s): return len(re.findall(r"[A-Za-z0-9\u00C0-\u024F]+", re.sub(r"\$[^$]*\$", " x ", s)))
for f in sorted(glob.glob(sys.argv[1] if len(sys.argv)>1 else "notebooks/*.ipynb")):
    nb = json.load(open(f))
    prose = sum(words("".join(c["source"])) for c in nb["cells"] if c["cell_type"]=="markdown")
    code = [c for c in nb["cells"] if c["cell_type"]=="code"]
    asserts = sum("".join(c["source"]).count("assert ") for c in code)
    tables = 0
    for c in code:
        for o in c.get("outputs", []):
            if o.get("output_type")=="stream":
                txt="".join(o["text"]).splitlines()
                # a table: >=3 consecutive lines with >=3 fields separated by 2+ spaces or |
                run=0; found=0
                for l in txt:
                    if len(re.split(r"\s{2,}|\|", l.strip()))>=3: run+=1
                    else:
                        if run>=3: found+=1
                        run=0
                if run>=3: found+=1
                tables+=found
    print(f"{f.split('/')[-1][:24]:24s} words {prose:5d} code {len(code):3d} tables {tables:2d} asserts {asserts:3d}")
