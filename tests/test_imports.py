"""The package's import graph: no cycles, and library modules do not import the command line.

Every `import sasiam.x` / `from .x import y` in sasiam/**/*.py is an edge, at module level
or inside a function: a lazy import only defers a dependency, and the import cycle of
issue 18 (tracker -> onnx -> backends -> int8 -> tracker) was made of lazy imports.
Edges into the root package `sasiam` are left out: importing any `sasiam.x` runs
sasiam/__init__.py first anyway, and it holds only `__version__`, the error classes
and a lazy `__getattr__` for the trackers.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sasiam"
# Modules that may import sasiam.cli: the entry point, and the command line itself.
COMMAND_LINE = {"sasiam.__main__", "sasiam.cli"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path, module: str, module_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = tree.body if module_level_only else ast.walk(tree)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from . import x`: x may be a module
    return names


def import_graph(module_level_only: bool = False) -> dict[str, set[str]]:
    """module -> the sasiam modules it imports (the longest module prefix of each imported name)."""
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {}
    for module, path in paths.items():
        edges = set()
        for name in imported_names(path, module, module_level_only):
            while name and name not in paths:
                name = name.rpartition(".")[0]
            if name and name not in (module, "sasiam"):
                edges.add(name)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read_and_a_cycle_would_show():
    graph = import_graph()
    assert {"sasiam.backends.base", "sasiam.backends.int8"} <= graph["sasiam.backends.torch"]
    assert "sasiam.backends" in graph["sasiam.tracking.tracker"]  # `from ..backends import load_backend`
    assert "sasiam.backends.torch" in graph["sasiam.backends"]  # a lazy import, inside the torch builder
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_module_level_imports_are_acyclic():
    assert cycles(import_graph(module_level_only=True)) == []


def test_imports_are_acyclic_lazy_ones_included():
    assert cycles(import_graph()) == []


def test_the_backends_need_no_tracker_data_or_command_line():
    """sasiam.backends sits below the tracker: it imports neither tracking, data, evaluation nor the CLI."""
    graph = import_graph()
    for module, targets in graph.items():
        if module.startswith("sasiam.backends"):
            above = sorted(t for t in targets
                           if t.split(".")[1] in ("tracking", "data", "evaluation", "cli", "integrations"))
            assert above == [], f"{module} imports {above}"


def test_library_modules_do_not_import_the_command_line():
    importers = sorted(module for module, targets in import_graph().items()
                       if "sasiam.cli" in targets and module not in COMMAND_LINE)
    assert len(importers) == 0, f"{len(importers)} library modules import sasiam.cli: {', '.join(importers)}"
