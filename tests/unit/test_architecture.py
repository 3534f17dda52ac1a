"""The house plan holds: no import circles, and the layers import-linter checks (``make lint``
runs ``lint-imports`` with ``.importlinter``; docs/architecture.md explains the plan)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]


def _circles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), every import counted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if not imported.startswith(package):
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module.startswith(package) and module not in index:
            visit(module)
    return found


def test_no_module_of_the_runtime_package_is_in_an_import_circle() -> None:
    graph = grimp.build_graph("sunday_mining", cache_dir=None)
    assert _circles(graph, "sunday_mining") == []


def test_the_import_contracts_hold() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def _test_module_imports(path: Path) -> list[str]:
    """The test modules (``test_*``) that one file under tests/ imports, by dotted name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found += [base, *(f"{base}.{alias.name}" for alias in node.names)]
    ours = [name for name in found if name.startswith(("tests.", "."))]
    return sorted({name for name in ours if name.rsplit(".", 1)[-1].startswith("test_")})


def test_no_test_module_imports_another_test_module() -> None:
    """Shared helpers live in tests/support (or a conftest.py), never in a test module."""
    offenders = {
        str(path.relative_to(ROOT)): imported
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if (imported := _test_module_imports(path))
    }
    assert offenders == {}
