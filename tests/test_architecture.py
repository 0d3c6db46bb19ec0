"""The package's shape, checked: no import cycles, dependencies pointing one way, modules of one job each.

Data flows one way through the package: the foundations (names, notation, the safe grammar, the rule
model, files, caches, time limits, pools) -> catalog -> evaluate -> printing -> verifier (+ conformance) ->
checking -> the API -> sheet -> examples -> render -> build -> cli (see :data:`STAGES`). These tests read the source with :mod:`ast` (nothing is imported), so a
violation is reported with the file and line of the import that causes it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import cheatsheet

PACKAGE = Path(cheatsheet.__file__).parent

#: Modules allowed over MAX_LINES, each with why it is still one job.
MAX_LINES = 600
LONG_MODULES = {
    "cheatsheet/catalog/activations.py": "catalog data: one Rule per activation (about 30), each a table of formulas",
    "cheatsheet/catalog/matrix.py": "catalog data: one Rule per matrix-calculus identity, each a table of formulas",
}


# ------------------------------------------------------------------------------------------- the import graph
@dataclass(frozen=True)
class Import:
    """``source`` imports ``target`` (both dotted module names) at ``line`` of ``file``."""

    source: str
    target: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.source} imports {self.target}"


def modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file of every module of the package at ``root`` (a package is its ``__init__``)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of the nodes inside ``if TYPE_CHECKING:`` blocks (imports for type hints only, never run)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            skip.update(id(sub) for stmt in node.body for sub in ast.walk(stmt))
    return skip


def _resolve(name: str, mods: dict[str, Path]) -> str | None:
    """The module ``name`` names, or the package holding the name (``pkg.api`` -> ``pkg``)."""
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def _targets(node: ast.Import | ast.ImportFrom, package: str, mods: dict[str, Path], top: str) -> list[str]:
    """The package's modules that ``node`` imports, for a module of ``package``."""
    if isinstance(node, ast.Import):
        found = [_resolve(a.name, mods) for a in node.names if a.name.split(".")[0] == top]
        return [t for t in found if t is not None]
    name = node.module or ""
    if node.level:  # relative: level 1 is ``package`` itself, 2 its parent, ...
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        name = ".".join([*base, name] if name else base)
    if name.split(".")[0] != top:
        return []
    found = [f"{name}.{a.name}" if f"{name}.{a.name}" in mods else _resolve(name, mods) for a in node.names]
    return [t for t in found if t is not None]


def imports(root: Path) -> list[Import]:
    """Every import of one module of the package by another, at any level (module, function, method), except
    those under ``if TYPE_CHECKING:``. ``import pkg`` or ``from pkg import name`` (a name defined in its
    ``__init__``) is an import of the package's ``__init__``; ``from pkg import mod`` one of the module."""
    mods = modules(root)
    found: list[Import] = []
    for source, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = source if path.name == "__init__.py" else source.rpartition(".")[0]
        file = str(path.relative_to(root.parent))
        skip = _type_checking_only(tree)
        for node in ast.walk(tree):
            if id(node) not in skip and isinstance(node, (ast.Import, ast.ImportFrom)):
                found += [
                    Import(source, t, file, node.lineno)
                    for t in _targets(node, package, mods, root.name)
                    if t != source
                ]
    return list(dict.fromkeys(found))  # `from m import a, b` is one import of m


def cycles(edges: list[Import]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
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
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


# ------------------------------------------------------------------------------------------- the walker itself
def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root / "pkg"


def test_walker_finds_function_level_cycles_and_ignores_type_checking(tmp_path: Path) -> None:
    """The graph counts an import inside a function, and not one under ``if TYPE_CHECKING:``."""
    pkg = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "def f():\n    from pkg.b import g\n    return g\n",
            "pkg/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.c import C\ndef g(): ...\n",
            "pkg/c.py": "from pkg import a\nclass C: ...\n",
        },
    )
    assert cycles(imports(pkg)) == []  # a -> b, c -> a; b -> c for type hints only
    (pkg / "b.py").write_text("def g():\n    from pkg.c import C\n    return C\n", encoding="utf-8")
    assert cycles(imports(pkg)) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_walker_counts_a_submodule_importing_its_package(tmp_path: Path) -> None:
    """``import pkg`` (or a name of its ``__init__``, or ``from . import name``) in a submodule that the
    ``__init__`` imports is a cycle; a sibling imported through the package is not."""
    pkg = _write(
        tmp_path,
        {
            "pkg/__init__.py": "def api():\n    from pkg.sub.run import run\n    return run()\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/run.py": "from pkg import helper\ndef run(): ...\n",
            "pkg/helper.py": "",
        },
    )
    assert cycles(imports(pkg)) == []
    for line in ("import pkg", "from pkg import api", "from .. import api"):
        (pkg / "sub" / "run.py").write_text(f"def run():\n    {line}\n", encoding="utf-8")
        assert cycles(imports(pkg)) == [["pkg", "pkg.sub.run"]], line


# ------------------------------------------------------------------------------------------- the package
def test_no_import_cycles() -> None:
    """No cycle among the package's modules, counting imports inside functions (``if TYPE_CHECKING:`` aside):
    a module may use what comes before it in the data flow, never what comes after."""
    edges = imports(PACKAGE)
    problems = []
    for component in cycles(edges):
        inside = [str(e) for e in edges if e.source in component and e.target in component]
        problems.append(f"cycle among {component}:\n    " + "\n    ".join(sorted(inside)))
    assert not problems, (
        "import cycles (break each with a TYPE_CHECKING import or by moving code down a stage):\n" + "\n".join(problems)
    )


#: The stages in the order data flows through them; a module may import its own stage and earlier ones only.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "foundations",
        (
            "cheatsheet.names",
            "cheatsheet.notation",
            "cheatsheet.grammar",
            "cheatsheet.rule",
            "cheatsheet.rule_checks",
            "cheatsheet.fsutil",
            "cheatsheet.cache",
            "cheatsheet.timelimit",
            "cheatsheet.pools",
        ),
    ),
    ("catalog", ("cheatsheet.catalog",)),
    ("evaluate", ("cheatsheet.evaluate",)),
    ("printing", ("cheatsheet.printing",)),
    ("verifier", ("cheatsheet.verifier", "cheatsheet.conformance")),
    ("checking", ("cheatsheet.checking",)),
    ("the API", ("cheatsheet",)),
    ("sheet", ("cheatsheet.sheet",)),
    ("examples", ("cheatsheet.examples",)),
    ("render", ("cheatsheet.render",)),
    ("build", ("cheatsheet.build",)),
    ("cli", ("cheatsheet.cli", "cheatsheet.__main__")),
)
#: Imports against the flow that are there on purpose: the rule model's thin facades (``Rule.evaluate``,
#: ``derivative_at``, ``to_numpy``, ``verdict``), imported when called, so that a rule can be used as the
#: public API promises; the modules they reach import ``Rule`` only for type checking.
FACADES = {("cheatsheet.rule", "cheatsheet.evaluate.numeric"), ("cheatsheet.rule", "cheatsheet.verifier.record")}


def stage_of(module: str) -> int:
    """The index in :data:`STAGES` of the longest prefix that covers ``module``."""
    best, length = -1, -1
    for index, (_, prefixes) in enumerate(STAGES):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = index, len(prefix)
    assert best >= 0, f"{module} belongs to no stage: add it to STAGES"
    return best


def test_every_module_has_a_stage() -> None:
    """A new top-level module or package is placed in the data flow on purpose."""
    for name in modules(PACKAGE):
        stage_of(name)


def test_dependencies_point_one_way() -> None:
    """Each stage imports only itself and earlier stages (the rule facades aside): nothing early knows of what
    comes later, so a stage can be read, tested and changed without the ones after it."""
    wrong = []
    for e in imports(PACKAGE):
        if (e.source, e.target) in FACADES:
            continue
        source, target = stage_of(e.source), stage_of(e.target)
        if target > source:
            wrong.append(f"{e}  ({STAGES[source][0]} must not import {STAGES[target][0]})")
    assert not wrong, "imports against the data flow:\n" + "\n".join(wrong)


def test_the_facades_are_still_needed() -> None:
    """FACADES lists only imports that exist."""
    present = {(e.source, e.target) for e in imports(PACKAGE)}
    assert present >= FACADES, f"FACADES lists imports that are gone: {FACADES - present}"


def test_modules_hold_one_job() -> None:
    """No module over 600 lines, except the catalog's data modules listed in LONG_MODULES with their reason."""
    sizes = {
        str(path.relative_to(PACKAGE.parent)): len(path.read_text(encoding="utf-8").splitlines())
        for path in modules(PACKAGE).values()
    }
    long = [
        f"{name}: {lines} lines"
        for name, lines in sorted(sizes.items())
        if lines > MAX_LINES and name not in LONG_MODULES
    ]
    assert not long, f"modules over {MAX_LINES} lines (split each along its jobs):\n" + "\n".join(long)
    stale = [name for name in LONG_MODULES if sizes.get(name, 0) <= MAX_LINES]
    assert not stale, f"LONG_MODULES lists modules that are gone or no longer long: {stale}"


# ------------------------------------------------------------------------------------------- names that shadow
def test_no_submodule_shadows_an_api_function() -> None:
    """A subpackage named like a function of the API (``cheatsheet/verify/``) replaces that function on the
    package as soon as anything imports it: ``cheatsheet.verify`` became a module."""
    children = {path.stem if path.name != "__init__.py" else path.parent.name for path in PACKAGE.glob("*.py")} | {
        path.parent.name for path in PACKAGE.glob("*/__init__.py")
    }
    assert not children & set(cheatsheet.__all__), (
        f"submodules named like API functions: {children & set(cheatsheet.__all__)}"
    )


def test_api_functions_survive_importing_the_verifier_and_the_checker(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Regression: with the subpackages named verify/ and check/, importing them made ``cheatsheet.verify`` and
    ``cheatsheet.check`` modules, and ``cheatsheet.verify(["relu"])`` raised "'module' object is not callable"."""
    import cheatsheet.checking.claim
    import cheatsheet.verifier.engine  # imported for its side effect: it sets the package's attribute `verifier`

    monkeypatch.setenv("CHEATSHEET_CACHE_DIR", str(tmp_path))  # the verdict cache, not the user's
    (verdict,) = cheatsheet.verify(["relu"])
    assert verdict.rule_id == "relu" and verdict.status in ("proved", "checked"), verdict.summary()
    assert cheatsheet.check("x^2", "2*x").holds
