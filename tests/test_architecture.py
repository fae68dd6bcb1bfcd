"""The shape of the package, checked with ``ast`` (nothing is imported or run):

- the graph of imports among ``twin`` modules has no cycle;
- every import of a ``twin`` module is at the top of its module (never inside a function,
  class or ``if``; only optional third-party extras may load lazily);
- no module inside the package imports the public facade ``twin`` itself;
- no module is over :data:`MAX_MODULE_LINES` lines and no class over :data:`MAX_CLASS_LINES`;
- every module is named in ``ARCHITECTURE.md``, in its package's paragraph.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "twin"
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 200


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES: dict[str, ast.Module] = {
    m: ast.parse(p.read_text(encoding="utf-8"), str(p)) for m, p in MODULES.items()
}


def imported_twin_modules(node: ast.Import | ast.ImportFrom, module: str) -> list[str]:
    """The ``twin`` modules an import statement names (``from pkg import sub`` names
    ``pkg.sub`` when ``sub`` is a module; relative imports are resolved against ``module``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name == "twin" or a.name.startswith("twin.")]
    base = node.module or ""
    if node.level:
        package = module.split(".")
        is_package = MODULES[module].name == "__init__.py"
        anchor = package[: len(package) - node.level + (1 if is_package else 0)]
        base = ".".join([*anchor, *([base] if base else [])])
    if base != "twin" and not base.startswith("twin."):
        return []
    out = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        out.append(sub if sub in MODULES else base)
    return out


def top_level_imports(tree: ast.Module) -> set[int]:
    """ids of the import statements at module level (also under a top-level ``try``)."""
    ids = set()
    for stmt in tree.body:
        nodes = [stmt]
        if isinstance(stmt, ast.Try):
            nodes = [*stmt.body, *(s for h in stmt.handlers for s in h.body), *stmt.orelse]
        ids |= {id(n) for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom))}
    return ids


def ancestors(module: str) -> list[str]:
    """The packages ``module`` lies in: ``twin.a.b`` → ``twin``, ``twin.a``."""
    parts = module.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts))]


def import_graph() -> dict[str, set[str]]:
    """Module → the modules importing it runs: each module it imports, and the ``__init__``
    of each package that module lies in, except packages that enclose the importer (those
    are initialised before it runs). So a subpackage ``__init__`` that re-exports names
    closes a cycle when a module it loads imports back into that subpackage from outside.

    A *name* imported from an enclosing package (``from twin.p import f`` in ``twin.p.a``,
    ``f`` not a module) is an edge to that package's ``__init__``: the name exists only once
    the ``__init__`` has run to where it defines it, so an ``__init__`` that loads ``twin.p.a``
    closes a cycle. ``from twin.p import a`` with ``a`` a module is an edge to ``twin.p.a``
    only (Python loads a submodule of a package still initialising)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, tree in TREES.items():
        enclosing = {*ancestors(module), module}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for dep in imported_twin_modules(node, module):
                    implicit = {m for m in ancestors(dep) if m in MODULES and m not in enclosing}
                    named = {dep} if dep in MODULES and dep != module else set()
                    graph[module] |= implicit | named
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (as a list of modules, first repeated last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                return [*stack[stack.index(d) :], d]
            if d not in state and (found := visit(d)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


# ------------------------------------------------------------------------------- the checks


def test_the_graph_of_twin_modules_has_no_cycle():
    assert find_cycle(import_graph()) is None, " → ".join(find_cycle(import_graph()) or [])


def test_every_import_of_a_twin_module_is_at_the_top_of_its_module():
    lazy = []
    for module, tree in TREES.items():
        top = top_level_imports(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
                if imported_twin_modules(node, module):
                    lazy.append(f"{MODULES[module].relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not lazy, "function-level imports of twin modules: " + ", ".join(lazy)


def test_no_module_inside_the_package_imports_the_public_facade():
    bad = [
        f"{m}:{node.lineno}"
        for m, tree in TREES.items()
        if m != "twin"
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and "twin" in imported_twin_modules(node, m)
    ]
    assert not bad, "import twin.<submodule> instead of the facade twin: " + ", ".join(bad)


def test_no_module_is_over_400_lines():
    sizes = {
        str(p.relative_to(PACKAGE.parent)): len(p.read_text(encoding="utf-8").splitlines())
        for p in MODULES.values()
    }
    big = {p: n for p, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not big, f"modules over {MAX_MODULE_LINES} lines: {big}"


def architecture_sections(text: str) -> dict[str, str]:
    """``ARCHITECTURE.md``'s module list cut into paragraphs by their heading
    (`` `twin/<package>/` — …`` at the start of a line): package path → text."""
    body = text[text.index("## Modules (one line each)") :]
    body = body[: body.index("\n## ", 1)]
    out: dict[str, str] = {}
    key = ""
    for line in body.splitlines():
        if line.startswith("`twin/"):
            key = line[1 : line.index("`", 1)]
        out[key] = out.get(key, "") + line + "\n"
    return out


def test_every_module_is_named_in_architecture_md():
    sections = architecture_sections(
        (PACKAGE.parent / "ARCHITECTURE.md").read_text(encoding="utf-8")
    )
    missing = []
    for path in MODULES.values():
        rel = path.relative_to(PACKAGE.parent)
        if rel.name == "__init__.py" and len(rel.parts) > 2:
            continue  # a subpackage's __init__ is described by its heading
        section = sections.get(str(rel.parent) + "/", "")
        if f"`{rel.name}`" not in section and f"`{rel.stem}`" not in section:
            missing.append(str(rel))
    assert not missing, f"modules not named in ARCHITECTURE.md's module list: {missing}"


def test_the_architecture_check_reads_paragraphs_by_package():
    text = "## Modules (one line each)\n`twin/a/` — x\n- `m.py` — y\n`twin/b/` — `n` z\n## End\n"
    sections = architecture_sections(text)
    assert "`m.py`" in sections["twin/a/"] and "`m.py`" not in sections["twin/b/"]
    assert "`n`" in sections["twin/b/"]


def test_no_class_is_over_200_lines():
    big = {}
    for module, tree in TREES.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_CLASS_LINES:
                    big[f"{module}.{node.name}"] = n
    assert not big, f"classes over {MAX_CLASS_LINES} lines: {big}"


# ------------------------------------------------------------------- the checker checks out


def _parse(source: str) -> ast.Module:
    return ast.parse(source)


def test_a_subpackage_init_that_reexports_from_outside_callers_closes_a_cycle():
    saved = dict(MODULES), dict(TREES)
    try:
        MODULES.update(
            {
                "twin.p": Path("twin/p/__init__.py"),
                "twin.p.a": Path("twin/p/a.py"),
                "twin.q": Path("twin/q/__init__.py"),
                "twin.q.b": Path("twin/q/b.py"),
            }
        )
        TREES.update(
            {
                "twin.p": _parse("from twin.p.a import f\n"),
                "twin.p.a": _parse("from twin.q.b import g\n"),
                "twin.q": _parse(""),
                "twin.q.b": _parse("from twin.p.spec import h\n"),
            }
        )
        MODULES["twin.p.spec"] = Path("twin/p/spec.py")
        TREES["twin.p.spec"] = _parse("")
        graph = import_graph()
        assert "twin.p" in graph["twin.q.b"]  # importing twin.p.spec first runs twin/p/__init__
        assert find_cycle({k: graph[k] for k in graph if k.startswith(("twin.p", "twin.q"))})
    finally:
        MODULES.clear(), TREES.clear()
        MODULES.update(saved[0]), TREES.update(saved[1])


def _graph_of(files: dict[str, str]) -> dict[str, set[str]]:
    """import_graph() of a made-up package: module name → source (``twin.p`` is a package)."""
    saved = dict(MODULES), dict(TREES)
    try:
        MODULES.clear(), TREES.clear()
        for name, source in files.items():
            is_package = any(other.startswith(name + ".") for other in files)
            path = name.replace(".", "/") + ("/__init__.py" if is_package else ".py")
            MODULES[name], TREES[name] = Path(path), _parse(source)
        return import_graph()
    finally:
        MODULES.clear(), TREES.clear()
        MODULES.update(saved[0]), TREES.update(saved[1])


def test_a_name_imported_from_the_enclosing_package_init_that_loads_the_importer_is_a_cycle():
    # twin/p/__init__.py loads twin.p.a, which wants a name the __init__ has not defined yet
    graph = _graph_of(
        {
            "twin": "",
            "twin.p": "from twin.p.a import f\ng = 1\n",
            "twin.p.a": "from twin.p import g\n",
        }
    )
    assert graph["twin.p.a"] == {"twin.p"}
    assert find_cycle(graph) == ["twin.p", "twin.p.a", "twin.p"]
    # the same through a relative import
    graph = _graph_of(
        {"twin": "", "twin.p": "from .a import f\ng = 1\n", "twin.p.a": "from . import g\n"}
    )
    assert find_cycle(graph) == ["twin.p", "twin.p.a", "twin.p"]


def test_a_submodule_imported_from_the_enclosing_package_is_not_a_cycle():
    # `from twin.p import b` with b a module loads twin.p.b even while twin/p/__init__ runs
    graph = _graph_of(
        {
            "twin": "",
            "twin.p": "from twin.p.a import f\n",
            "twin.p.a": "from twin.p import b\nimport twin.p.b as bb\n",
            "twin.p.b": "",
        }
    )
    assert graph["twin.p.a"] == {"twin.p.b"}
    assert find_cycle(graph) is None
    # but from outside the package it runs twin/p/__init__ first: a cycle if that loads back
    graph = _graph_of(
        {
            "twin": "",
            "twin.p": "from twin.p.a import f\n",
            "twin.p.a": "from twin.q import c\n",
            "twin.p.b": "",
            "twin.q": "",
            "twin.q.c": "from twin.p import b\n",
        }
    )
    assert graph["twin.q.c"] == {"twin.p", "twin.p.b"}
    assert find_cycle(graph) == ["twin.p", "twin.p.a", "twin.q.c", "twin.p"]


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_layered_graph():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


@pytest.mark.parametrize(
    ("source", "lazy"),
    [
        ("from twin.errors import TwinDataError\n", False),
        ("def f():\n    from twin.errors import TwinDataError\n", True),
        ("def f():\n    import twin.model.city\n", True),
        ("def f():\n    import playwright\n", False),  # an optional extra may load lazily
        ("if True:\n    from twin.errors import Problem\n", True),
        ("try:\n    from twin.errors import Problem\nexcept ImportError:\n    pass\n", False),
    ],
)
def test_the_lazy_import_check_tells_top_level_from_function_level(source, lazy):
    tree = _parse(source)
    top = top_level_imports(tree)
    found = [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom))
        and id(n) not in top
        and imported_twin_modules(n, "twin.errors")
    ]
    assert bool(found) == lazy


def test_from_a_package_import_a_submodule_counts_as_importing_the_submodule():
    node = _parse("from twin.viz import style\n").body[0]
    assert imported_twin_modules(node, "twin.viz.export") == ["twin.viz.style"]
    node = _parse("from twin import load_city\n").body[0]
    assert imported_twin_modules(node, "twin.cli.main") == ["twin"]
