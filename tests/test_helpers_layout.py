"""The helpers' layout: no module imports itself back through others, and docs/contributing.md maps every module to
the layer it sits in and the lesson that teaches it."""

import ast
import re
from pathlib import Path

import pytest

# The lessons whose tests these are (`python3 course.py test --lesson NN`, tests/conftest.py).
LESSONS = ("all",)

ROOT = Path(__file__).resolve().parent.parent
HELPERS = ROOT / "helpers"
MAP = ROOT / "docs" / "contributing.md"


def module_name(path, root):
    """helpers/sampling/ddim.py -> 'helpers.sampling.ddim'; a package's __init__.py is the package itself."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root=HELPERS):
    """{module: set of helpers modules it imports}, from every relative import in the file, at the top or inside a
    function (a lazy import still closes a circle; it only hides it until the call)."""
    files = {module_name(path, root): path for path in root.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                # `from . import solvers` imports a module; `from .solvers import dpm_solve` imports from one.
                submodule = f"{target}.{alias.name}"
                edges.add(submodule if submodule in files else target)
        graph[name] = {edge for edge in edges if edge in files and edge != name}
    return graph


def import_circles(root=HELPERS):
    """Every group of modules that import each other, directly or through others (Tarjan's strongly connected
    components of more than one module), each as a sorted list."""
    graph, index, low, stack, on_stack, circles = import_graph(root), {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for edge in sorted(graph[node]):
            if edge not in index:
                visit(edge)
                low[node] = min(low[node], low[edge])
            elif edge in on_stack:
                low[node] = min(low[node], index[edge])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                circles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_no_import_circles():
    assert import_circles() == [], "these helpers modules import each other: give each pair a direction"


def mapped_modules():
    """{path: lesson cell} from the map's table in docs/contributing.md: rows | `helpers/…py` | … | lesson(s) |."""
    section = MAP.read_text().split("## The helpers, layer by layer", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(helpers/[\w/]+\.py)` \|[^|]*\|([^|]*)\|", section, flags=re.M)
    return dict(rows)


def test_map_names_every_module_and_no_other():
    modules = {str(p.relative_to(ROOT)) for p in HELPERS.rglob("*.py")
               if p.name != "__init__.py" and "exercises" not in p.parts}
    assert set(mapped_modules()) == modules


@pytest.mark.parametrize("path", sorted(mapped_modules()))
def test_map_gives_the_lessons_that_define_the_module(path):
    """The map's lessons are the ones the module's own docstrings name ("Defined in lesson NN"), so a helper moved to
    another module, or taught in another lesson, shows up here."""
    text = (ROOT / path).read_text()
    named = set(re.findall(r"Defined in lessons? (\d\d)", text)) | set(re.findall(r"^\"\"\"[^\n]*\(lesson (\d\d)", text))
    listed = set(re.findall(r"\b(\d\d)\b", mapped_modules()[path]))
    assert named <= listed, f"{path}: the map lists lessons {sorted(listed)}, its docstrings name {sorted(named)}"
    assert listed or Path(path).name.startswith("_"), f"{path}: the map names no lesson"
