"""The modules of ``lbprun.workload`` import one way: top -> engines -> bottom, no cycle.

Every import statement of every module is read with :mod:`ast` (module level and inside
functions, ``import x`` and ``from x import y``, absolute and relative), mapped to the workload
module it loads, and checked against the layer table below. Imports in an ``except ImportError``
handler are fallbacks for a module that is missing and are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lbprun.workload

PACKAGE = "lbprun.workload"
FOLDER = Path(lbprun.workload.__file__).parent

BOTTOM, ENGINE, TOP = 0, 1, 2

#: Layer of every module of the package: definitions and the numpy kernel at the bottom, the
#: engines in the middle (``engines`` is their dispatcher, which no other engine imports), the
#: public functions on top. A new module fails ``test_every_module_has_a_layer`` until it is
#: given its layer here.
LAYERS = {
    "__init__": TOP,  # the package's namespace: re-exports, so nothing in it imports from it
    "_cache": BOTTOM,
    "_fingerprint": BOTTOM,
    "_prepared": BOTTOM,
    "_scans": BOTTOM,
    "_grid": BOTTOM,
    "definitions": BOTTOM,
    "_weekly_kernel": BOTTOM,
    "_spikes_kernel": BOTTOM,
    "_acwr_kernel": BOTTOM,
    "kernel": BOTTOM,
    "_sources": BOTTOM,
    "_file_checks": BOTTOM,
    "_allocator": ENGINE,
    "_budget": ENGINE,
    "_chunks": ENGINE,
    "_duckdb_checks": ENGINE,
    "_duckdb_engine": ENGINE,
    "_dask_parts": ENGINE,
    "_dask_engine": ENGINE,
    "_stream_engine": ENGINE,
    "_pandas_engine": ENGINE,
    "engines": ENGINE,
    "_dispatch": TOP,
    "weekly": TOP,
    "spikes": TOP,
    "acwr": TOP,
    "shoes": TOP,
    "monotony": TOP,
    "exposure": TOP,
    "logs": TOP,
}

DISPATCHER = "engines"


def _is_import_error_handler(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    names = {getattr(kind, "id", getattr(kind, "attr", None)) for kind in kinds}
    return bool(names & {"ImportError", "ModuleNotFoundError"})


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of ``tree`` (any depth), except ImportError fallbacks."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            if _is_import_error_handler(node):
                return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _absolute(node: ast.ImportFrom) -> str:
    """The absolute module name of a (possibly relative) ``from ... import`` in the package."""
    if node.level == 0:
        return node.module or ""
    parts = PACKAGE.split(".")
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(module: str, node: ast.Import | ast.ImportFrom, modules: set[str]) -> set[str]:
    """The workload modules that an import statement loads."""
    prefix = PACKAGE + "."
    out: set[str] = set()
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        source = _absolute(node)
        if source == PACKAGE:
            names = [f"{PACKAGE}.{alias.name}" for alias in node.names]
            # a name that is not a submodule comes from the package's __init__
            if any(alias.name not in modules for alias in node.names):
                out.add("__init__")
        else:
            names = [source]
    for name in names:
        if name.startswith(prefix):
            head = name[len(prefix) :].split(".")[0]
            if head in modules:
                out.add(head)
    out.discard(module)
    return out


def import_graph(folder: Path) -> dict[str, set[str]]:
    """Module -> the workload modules it imports, for every ``*.py`` file of ``folder``."""
    modules = {path.stem for path in folder.glob("*.py")}
    graph = {}
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[path.stem] = set().union(
            *(_targets(path.stem, node, modules) for node in _imports(tree))
        )
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph as a list of modules (first == last), or None (depth-first)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Imports that go up a layer, or from an engine module to the dispatcher."""
    bad = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if LAYERS[target] > LAYERS[module]:
                bad.append(f"{module} (layer {LAYERS[module]}) imports {target} (layer up)")
            elif LAYERS[module] == ENGINE and target == DISPATCHER:
                bad.append(f"{module} imports the dispatcher {DISPATCHER}")
    return bad


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(FOLDER)


def test_every_module_has_a_layer(graph):
    missing = sorted(set(graph) - set(LAYERS))
    assert not missing, f"add these modules to LAYERS in {__name__}: {missing}"


def test_no_import_goes_up_a_layer(graph):
    assert layer_violations(graph) == []


def test_workload_imports_have_no_cycle(graph):
    assert find_cycle(graph) is None


def test_kernel_entry_point_imports_only_the_bottom(graph):
    assert {LAYERS[target] for target in graph["kernel"]} == {BOTTOM}
    assert {"_acwr_kernel", "_spikes_kernel", "_weekly_kernel"} <= graph["kernel"]


def test_the_reader_sees_every_kind_of_import(tmp_path):
    (tmp_path / "a.py").write_text(
        "import lbprun.workload.b\n"
        "def f():\n"
        "    from .c import x\n"
        "    from lbprun.workload import d, not_a_module\n"
        "try:\n"
        "    from lbprun.workload.e import y\n"
        "except ImportError:\n"
        "    from lbprun.workload.f import y\n"
    )
    for name in ("b", "c", "d", "e", "f", "__init__"):
        (tmp_path / f"{name}.py").write_text("")
    assert import_graph(tmp_path)["a"] == {"b", "c", "d", "e", "__init__"}


def test_cycles_and_upward_imports_are_found():
    cycle = find_cycle({"engines": {"_dispatch"}, "_dispatch": {"acwr"}, "acwr": {"engines"}})
    assert cycle == ["_dispatch", "acwr", "engines", "_dispatch"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert layer_violations({"_grid": {"_dispatch"}, "_dask_engine": {"engines"}}) == [
        "_dask_engine imports the dispatcher engines",
        "_grid (layer 0) imports _dispatch (layer up)",
    ]
