"""The import graph of ``apps/`` (imports inside functions count): no cycle of three or more
modules, and engagement's imports follow the flow of an event:
``api -> services -> transport -> {stream, access, keys}`` and ``tasks -> pipeline -> {stream, store}``.
"""

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Groups of mutually importing modules outside engagement (services that enqueue their own
# app's tasks, which call the services back). They are left
# for the structure issue: a group may shrink or vanish; none may grow or appear.
KNOWN_ELSEWHERE = [
    {
        "apps.accounts.facade",
        "apps.accounts.services",
        "apps.notifications.facade",
        "apps.notifications.services",
        "apps.notifications.services.delivery",
        "apps.notifications.services.events",
        "apps.notifications.services.fanout",
        "apps.notifications.services.webpush",
        "apps.notifications.tasks",
        "apps.videos.facade",
        "apps.videos.selectors",
    },
    {"apps.videos.processing", "apps.videos.services", "apps.videos.tasks", "apps.videos.uploads"},
]


def _modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "apps").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of apps/ it imports anywhere in its body (the most specific one:
    ``from apps.engagement import access`` is an edge to apps.engagement.access)."""
    modules = _modules()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules]
                targets = targets or [base]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges[name].add(target)
    return edges


def tangles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected groups of three or more modules (Tarjan; every cycle of three or
    more modules lies inside one)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            groups.append(group)

    for v in list(edges):
        if v not in index:
            visit(v)
    return [group for group in groups if len(group) >= 3]


def _imports(edges: dict[str, set[str]], module: str) -> set[str]:
    return {target for target in edges[module] if target.startswith("apps.engagement")}


def _under(names: Iterable[str], prefix: str) -> set[str]:
    return {name for name in names if name == prefix or name.startswith(prefix + ".")}


def test_the_detector_finds_a_cycle_of_three_and_ignores_a_pair():
    assert tangles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"e"}, "e": {"d"}}) == [{"a", "b", "c"}]


def test_the_graph_sees_imports_inside_functions():
    edges = import_graph()

    assert "apps.engagement.pipeline" in edges["apps.engagement.transport.inline_transport"]
    assert "apps.videos.facade" in edges["apps.engagement.pipeline"]  # imported inside process_events


def test_no_cycle_of_three_or_more_modules_in_apps():
    found = tangles(import_graph())

    engagement = [group for group in found if _under(group, "apps.engagement")]
    assert engagement == []
    unknown = [group for group in found if not any(group <= known for known in KNOWN_ELSEWHERE)]
    assert unknown == []


def test_engagement_imports_follow_the_flow_of_an_event():
    edges = import_graph()
    e = "apps.engagement"
    # The worker side and the stream never reach back into the request path.
    for module in [f"{e}.stream", f"{e}.pipeline", f"{e}.rules", f"{e}.protocol", f"{e}.redis_scripts"]:
        assert not _imports(edges, module) & (
            _under(edges, f"{e}.transport") | {f"{e}.services", f"{e}.selectors", f"{e}.api.views"}
        ), module
    assert not _imports(edges, f"{e}.stream") & {f"{e}.pipeline", f"{e}.tasks", f"{e}.deadletters"}
    # The transports see the stream, access, the keys and the scripts, never the services.
    for module in _under(edges, f"{e}.transport"):
        assert not _imports(edges, module) & {f"{e}.services", f"{e}.selectors", f"{e}.api.views"}, module
    # Only the stream and the scripts' registry hold a Redis stream command or a script.
    assert f"{e}.stream" in _imports(edges, f"{e}.pipeline")
    assert f"{e}.stream" in _imports(edges, f"{e}.transport.redis_transport")
    assert f"{e}.ingest" not in edges
