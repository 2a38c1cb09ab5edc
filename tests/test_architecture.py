"""The package's shape: no import cycle between modules or between first-level subpackages (imports
inside functions included), and no module over 300 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "cardio_monai"
PACKAGE = "cardio_monai"
MAX_LINES = 300


def _modules() -> dict[str, Path]:
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = (PACKAGE, *path.relative_to(ROOT).with_suffix("").parts)
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return mods


def _imports(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    """Our modules that ``name`` imports anywhere in its file (top level, functions, classes)."""
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[: len(name.split(".")) - node.level + (1 if is_pkg else 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in mods] or [module]
        else:
            continue
        found |= {t for t in targets if t in mods and t != name}
    return found


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {name: _imports(name, path, mods) for name, path in mods.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), each a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _top(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_no_module_cycles():
    assert _cycles(_graph()) == []


def test_no_cycles_between_first_level_subpackages():
    graph: dict[str, set[str]] = {}
    for name, targets in _graph().items():
        graph.setdefault(_top(name), set()).update(_top(t) for t in targets if _top(t) != _top(name))
    assert _cycles(graph) == []


def test_workflows_do_not_import_each_other():
    workflows = {"regression", "synthesis", "segmentation"}
    crossing = [
        (name, t)
        for name, targets in _graph().items()
        for t in targets
        if _top(name) in workflows and _top(t) in workflows and _top(t) != _top(name)
    ]
    assert crossing == []


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_size(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_the_checker_sees_a_function_level_cycle(tmp_path):
    mods = {"cardio_monai.a": tmp_path / "a.py", "cardio_monai.b": tmp_path / "b.py"}
    mods["cardio_monai.a"].write_text("from cardio_monai.b import f\n")
    mods["cardio_monai.b"].write_text("def f():\n    from cardio_monai.a import g\n")
    graph = {name: _imports(name, path, mods) for name, path in mods.items()}
    assert _cycles(graph) == [["cardio_monai.a", "cardio_monai.b"]]
