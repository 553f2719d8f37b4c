"""No import cycles among Downhill's own modules (surfaces/, physics/, gui/, main.py).

A cycle makes the order in which modules are first imported matter (a name used before its
module has finished running), forces imports into function bodies to dodge it, and ties the
lowest modules to the highest. The graph is read from the source with ``ast``, not from a running
interpreter, so an import inside a function counts as much as one at the top of a module: both
run. Only imports under ``if TYPE_CHECKING:`` are left out (they never run).

An edge goes to the module an import names: ``import a.b`` and ``from a import b`` (b a module)
to ``a.b``, ``from a.b import name`` to ``a.b``. The parent packages Python also runs on the way
are not edges: a package's ``__init__`` that imports its own modules is no cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("surfaces", "physics", "gui")
SCRIPTS = ("main.py",)


def first_party_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every first-party module's dotted name -> its source file (a package is its __init__.py)."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    for script in SCRIPTS:
        if (root / script).exists():
            modules[Path(script).stem] = root / script
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node`` (in functions and classes too), except under
    ``if TYPE_CHECKING:`` (its ``else`` branch does run, and counts)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for statement in child.orelse:
                yield from _imports(ast.Module(body=[statement], type_ignores=[]))
        else:
            yield from _imports(child)


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The first-party modules that the module ``name`` (source at ``path``) imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for statement in _imports(tree):
        if isinstance(statement, ast.Import):
            targets.update(alias.name for alias in statement.names)
            continue
        base = statement.module or ""
        if statement.level:  # relative: from the module's own package, up level - 1 more
            package = name.split(".") if is_package else name.split(".")[:-1]
            package = package[: len(package) - (statement.level - 1)]
            base = ".".join(package + ([base] if base else []))
        for alias in statement.names:
            submodule = f"{base}.{alias.name}" if base else alias.name
            targets.add(submodule if submodule in modules else base)
    return {target for target in targets if target in modules and target != name}


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the first-party modules it imports."""
    modules = first_party_modules(root)
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a list of modules, the first repeated at the end) per strongly connected group
    of modules that import each other (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(group)
    return [_cycle_within(group, graph) for group in groups]


def _cycle_within(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest cycle through the group's first module, by breadth-first search inside the group."""
    start = min(group)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in sorted(graph[node] & group):
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, node, start]
                if successor not in previous:
                    previous[successor] = node
                    following.append(successor)
        frontier = following
    return sorted(group)  # (unreachable: a strongly connected group has a cycle through each member)


def test_the_graph_is_read_from_every_module() -> None:
    graph = import_graph()
    # the reader really found modules and imports (a reader that found none could not fail)
    assert {"main", "gui.app", "physics.simulation", "physics.scenes", "surfaces.surface"} <= set(graph)
    assert "surfaces.surface" in graph["physics.simulation"]
    assert "physics.balls" in graph["physics.scenes"]


def test_the_reader_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    package = tmp_path / "physics"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f():\n    from physics.high import g\n")
    (package / "high.py").write_text("from . import low\n")
    (package / "typed.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                      "    from physics.high import g\n")
    graph = import_graph(tmp_path)
    assert graph["physics.typed"] == set()
    assert cycles(graph) == [["physics.high", "physics.low", "physics.high"]]


def test_no_module_imports_itself_through_others() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)
