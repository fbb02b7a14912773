"""The package import graph, read from the source with ast (module-level and function-level
imports alike; `if TYPE_CHECKING:` imports count too): arrows point down only.

- bot.domain imports nothing of ours outside bot.domain;
- bot.app and bot.services never import channels, the web console, the command line, the SQL
  storage implementation or the scheduler;
- bot.services never import the chat flows (bot.app), and what both stand on (the strings in
  bot.texts, the clock, Deps in bot.deps, the config, the catalog, the search and the report
  files in bot.reports) imports neither of them;
- bot.texts and bot.clock import nothing of ours;
- no cycle between bot's top-level packages (bot.app, bot.channels, bot.scheduler, ...)."""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(BOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every bot.* module this file imports (relative imports resolved)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # `from bot import x`
    return {m for m in found if m == "bot" or m.startswith("bot.")}


@functools.cache
def _read_graph() -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple((_module_name(path), frozenset(_imports(path))) for path in sorted(BOT.rglob("*.py")))


def _graph() -> dict[str, set[str]]:
    """The package's import graph, read once per run (each test gets its own copy)."""
    return {module: set(imports) for module, imports in _read_graph()}


def _top(module: str) -> str:
    """bot.app.exam -> bot.app; bot.cli_admin -> bot.cli_admin; bot -> bot."""
    return ".".join(module.split(".")[:2])


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _known(graph: dict[str, set[str]], module: str) -> bool:
    """An import names a module of ours (not the guess `bot.app.context.Turn` that `from bot.app.context import Turn` adds)."""
    return module in graph


def test_the_graph_is_read():
    graph = _graph()
    assert "bot.app.service" in graph and "bot.domain.models" in graph
    assert any(_within(m, "bot.domain") for m in graph["bot.app.exam"])  # sanity: imports are seen


def test_domain_imports_nothing_of_ours_outside_domain():
    graph = _graph()
    bad = sorted(f"{module} -> {target}" for module, targets in graph.items() if _within(module, "bot.domain")
                 for target in targets if _known(graph, target) and not _within(target, "bot.domain"))
    assert bad == []


FORBIDDEN_BELOW_APP = ("bot.channels", "bot.web", "bot.cli", "bot.storage.sql", "bot.scheduler")


def _forbidden(target: str) -> bool:
    return any(_within(target, p) for p in FORBIDDEN_BELOW_APP) or target.startswith("bot.cli_")


def test_app_and_services_stay_above_adapters_storage_and_scheduler():
    graph = _graph()
    bad = sorted(f"{module} -> {target}" for module, targets in graph.items()
                 if _within(module, "bot.app") or _within(module, "bot.services")
                 for target in targets if _known(graph, target) and _forbidden(target))
    assert bad == []


def test_services_never_import_the_chat_flows():
    graph = _graph()
    bad = sorted(f"{module} -> {target}" for module, targets in graph.items() if _within(module, "bot.services")
                 for target in targets if _known(graph, target) and _within(target, "bot.app"))
    assert bad == []


BELOW_APP_AND_SERVICES = ("bot.texts", "bot.clock", "bot.deps", "bot.config", "bot.catalog", "bot.search", "bot.reports")


def test_what_app_and_services_stand_on_imports_neither():
    graph = _graph()
    bad = sorted(f"{module} -> {target}" for module, targets in graph.items()
                 if any(_within(module, p) for p in BELOW_APP_AND_SERVICES)
                 for target in targets if _known(graph, target)
                 and (_within(target, "bot.app") or _within(target, "bot.services")))
    assert bad == []


def test_strings_and_clock_are_leaves():
    graph = _graph()
    assert graph["bot.texts"] == set()
    assert graph["bot.clock"] == set()


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one package (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_cycles():  # so that an empty answer below means something
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e", "a"}}
    assert _cycles(edges) == [{"a", "b", "c"}]


def test_no_cycle_between_top_level_packages():
    graph = _graph()
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph.items():
        for target in targets:
            if _known(graph, target) and _top(module) != _top(target) and _top(target) != "bot":
                edges[_top(module)].add(_top(target))
    assert _cycles(edges) == []
