"""The package's modules import each other without cycles, so none works only
because of the order in which they happen to be imported."""

from __future__ import annotations

import ast
import fnmatch
import typing as t
from pathlib import Path

from helpers import REPO

PACKAGE = REPO / "capella_share"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(body: list[ast.stmt], functions: bool) -> t.Iterator[ast.stmt]:
    """The statements of ``body`` that may run: those under ``if TYPE_CHECKING``
    never do; with ``functions``, those inside functions and classes too."""
    for node in body:
        yield node
        if isinstance(node, ast.If) and _type_checking(node):
            yield from _statements(node.orelse, functions)
            continue
        if not functions and isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ):
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, field, []):
                if isinstance(child, ast.stmt):
                    yield from _statements([child], functions)
                elif hasattr(child, "body"):  # except handlers, match cases
                    yield from _statements(child.body, functions)


def _imports(path: Path, modules: set[str], functions: bool = False) -> set[str]:
    """The package modules ``path`` imports: when it is imported (module-level
    statements, those in a class body and in ``try``/``if`` included), or, with
    ``functions``, at any time (inside functions too). Never those under ``if
    TYPE_CHECKING``. ``from pkg import sub`` needs the submodule; ``from pkg
    import name`` needs ``pkg`` itself, even when ``pkg`` is being initialised
    around it."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _statements(ast.parse(path.read_text()).body, functions):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith("capella_share"):
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    found.add(sub if sub in modules else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("capella_share"))
    return found


def _graph(functions: bool = False) -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "labextension" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = {m for m in _imports(path, set(modules), functions) if m in modules and m != name}
        # importing a submodule runs its packages' __init__ first
        for edge in list(edges):
            parts = edge.split(".")
            edges.update(
                ".".join(parts[:i])
                for i in range(1, len(parts))
                if ".".join(parts[:i]) in modules and not name.startswith(".".join(parts[:i]))
            )
        graph[name] = edges
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_graph_is_read():
    graph = _graph()
    assert "capella_share.app" in graph
    assert "capella_share.handler_base" in graph["capella_share.handlers"]
    assert "capella_share.policy" in graph["capella_share.authorizer"]


def test_the_package_has_no_import_cycle():
    assert _cycle(_graph()) is None, " -> ".join(_cycle(_graph()) or [])


def test_the_detector_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycle_even_inside_functions():
    """An import inside a function runs later, but a cycle through it still ties
    the two modules together: the lower one cannot be understood, tested or
    changed without the upper."""
    assert _cycle(_graph(functions=True)) is None, " -> ".join(_cycle(_graph(functions=True)) or [])


def test_imports_inside_functions_are_read_and_type_checking_ones_are_not():
    source = """
import typing as t
if t.TYPE_CHECKING:
    import capella_share.hidden
else:
    import capella_share.shown
class C:
    def f(self):
        try:
            import capella_share.late
        except ImportError:
            pass
"""
    body = ast.parse(source).body

    def names(functions: bool) -> set[str]:
        return {
            a.name
            for node in _statements(body, functions)
            if isinstance(node, ast.Import)
            for a in node.names
        }

    assert names(functions=True) == {"typing", "capella_share.shown", "capella_share.late"}
    assert names(functions=False) == {"typing", "capella_share.shown"}


# -- the layers the README's Architecture section draws ------------------------------------

README = PACKAGE.parent / "README.md"


def _layers() -> list[tuple[str, list[str]]]:
    """The README's picture of the layers, top first: (name, module patterns)."""
    text = README.read_text()
    start = text.index("## Architecture")
    block = text[text.index("```text\n", start) + len("```text\n") :]
    block = block[: block.index("```")]
    layers: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if not line.strip():
            continue
        if line.startswith(" "):  # a line that goes on the one above
            layers[-1][1].extend(p.strip() for p in line.split(",") if p.strip())
        else:
            name, _, rest = line.partition(" ")
            layers.append((name, [p.strip() for p in rest.split(",") if p.strip()]))
    return layers


def _path_name(module: str) -> str:
    """capella_share.shares.handlers -> shares/handlers; a package is its __init__."""
    parts = module.split(".")[1:]
    is_package = (PACKAGE.joinpath(*parts) / "__init__.py").exists()
    return "/".join([*parts, "__init__"] if is_package else parts)


def _layer_of(module: str, layers: list[tuple[str, list[str]]]) -> int | None:
    """The index of the first layer (from the top) naming ``module``, or None."""
    name = _path_name(module)
    for index, (_, patterns) in enumerate(layers):
        if any(fnmatch.fnmatchcase(name, p) or name == f"{p}/__init__" for p in patterns):
            return index
    return None


def test_every_module_is_in_a_layer_of_the_picture():
    layers = _layers()
    assert [name for name, _ in layers][-1] == "bottom"
    missing = sorted(m for m in _graph(functions=True) if _layer_of(m, layers) is None)
    assert not missing, f"add these modules to a layer in README.md's Architecture: {missing}"


def _upward(graph: dict[str, set[str]], layers: list[tuple[str, list[str]]]) -> list[str]:
    """Each import of a module of a higher layer (a lower index: 0 is the top)."""
    wrong = []
    for module, imported in sorted(graph.items()):
        mine = _layer_of(module, layers)
        for other in sorted(imported):
            theirs = _layer_of(other, layers)
            if mine is not None and theirs is not None and theirs < mine:
                wrong.append(f"{module} ({layers[mine][0]}) imports {other} ({layers[theirs][0]})")
    return wrong


def test_no_module_imports_a_layer_above_its_own():
    wrong = _upward(_graph(functions=True), _layers())
    assert not wrong, "imports against README.md's layers:\n" + "\n".join(wrong)


def test_the_layer_check_names_an_import_upward():
    layers = [("top", ["app"]), ("bottom", ["upstream", "policy"])]
    graph = {
        "capella_share.app": {"capella_share.upstream"},
        "capella_share.upstream": {"capella_share.app", "capella_share.policy"},
        "capella_share.policy": set(),
    }
    assert _upward(graph, layers) == [
        "capella_share.upstream (bottom) imports capella_share.app (top)"
    ]
    assert _layer_of("capella_share.hub", layers) is None
