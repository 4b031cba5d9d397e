"""The import layers (docs/development.md, "Layout"): every module under src/citycockpit is parsed with
`ast`, and every import of another citycockpit module counts, at module level or inside a function
(`if TYPE_CHECKING:` blocks too). The tests fail on an import cycle, on an import that runs upward in
`LAYERS`, and on a domain reaching into another domain's internals; the allowed exceptions are listed
below with their reasons, and an exception that is no longer needed fails too, so the lists only shrink.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "citycockpit"
DEVELOPMENT_DOC = Path(__file__).resolve().parents[1] / "docs" / "development.md"

# Bottom to top. A module may import its own layer and the layers below it, never a layer above. A module
# belongs to the longest entry that prefixes its dotted path (below `citycockpit.`), so `ops.backup`
# sits at the top while the rest of `ops` sits low.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation: settings and the database", ("config", "db", "replica")),
    ("core: shared helpers (errors, clock, actors, dialect, stamps, CLI plumbing)", ("core",)),
    ("ops runtime: job runner and records, metrics, logs", ("ops",)),
    ("platform domains: organisation, access, audit", ("org", "auth", "audit")),
    ("web UI kit: render, i18n, nav, tables, security headers, templates", ("web",)),
    (
        "domains, and the platform domains' pages (which use the UI kit)",
        ("report", "goals", "events", "projects", "indicators", "auth.pages", "org.pages", "audit.pages"),
    ),
    ("screen: the one cross-domain reader", ("screen",)),
    ("demo: the synthetic city, built through every domain", ("demo",)),
    (
        "entry points: app, CLI, worker, the model registry and migrations, backup",
        ("models", "migrate", "migrations", "ops.backup", "db_cli", "app", "cli", "worker", "__main__"),
    ),
)

# The domains whose internals other domains may not reach (rule c). The platform domains (org, auth,
# audit) are excluded on purpose: every domain uses their principal, scope, dependencies and audit
# record (DESIGN: "domains import core, org, auth, audit").
DOMAINS = frozenset({"report", "goals", "events", "projects", "indicators", "screen", "demo"})
# What a domain shows the others: its rules and reads (service, queries) and its shared vocabulary
# (models, enums, errors, schemas), at its top or in one of its sub-packages (events.intake.service).
PUBLIC = frozenset({"service", "queries", "models", "enums", "errors", "schemas"})
# Each domain's demo step (`<domain>/demo.py`) is written for the demo package and public to it only.
PUBLIC_TO_DEMO = frozenset({"demo"})

UPWARD_ALLOWED: dict[tuple[str, str], str] = {}

DEMO_DRIVES_EVENTS = (
    "the demo's events step runs what the events commands run after loading a city: import the shipped "
    "categories, roll up the generated year, train the classifier"
)
INTERNALS_ALLOWED: dict[tuple[str, str], str] = {
    ("demo.events_city", "events.categories"): DEMO_DRIVES_EVENTS,
    ("demo.events_city", "events.analytics.rollup"): DEMO_DRIVES_EVENTS,
    ("demo.events_city", "events.intake.classifier"): DEMO_DRIVES_EVENTS,
    ("demo.cli", "events.analytics.cli"): (
        "`events generate` (the demo's command, mounted in the events group) ends with the same rollup "
        "step, printed the same way, as `events rollup`"
    ),
    ("demo.generate", "events.storage.partitions"): (
        "the generator bulk-loads a past year straight into the events table (COPY); on partitioned "
        "PostgreSQL that year's months need their partitions first, and how a month gets one (rows already "
        "in the default partition moved out, under the partitions' lock) has one home, ensure_months"
    ),
    ("demo.bulk", "events.storage.partitions"): (
        "on partitioned PostgreSQL the bulk load copies the events' keys into event_keys itself, with the "
        "insert trigger off for its COPY; the key table's and the trigger's names have one home, partitions"
    ),
    ("screen.queries", "events.analytics.kpis"): (
        "kpis.py is the events analytics' query module (KPI counts over live rows and rollups), "
        "events' queries in all but name"
    ),
    ("goals.airforecast", "indicators.aqi"): (
        "the completeness rule of GB 3095-2012 Table 4 (324 valid days for an annual mean) has one home, "
        "indicators.aqi, a module of pure constants and functions; the air targets' pure forecast rules "
        "read it there rather than through a copy"
    ),
    ("screen.boards", "indicators.aqi"): (
        "the AQI grades of HJ 633-2012 (limits, names, colours) and the pollutant words have one home, "
        "indicators.aqi, a module of pure constants and functions; the boards colour and word their "
        "panels by it rather than by a copy"
    ),
    ("screen.queries", "goals.status"): (
        "时序进度 is a goals rule, a pure function of the day, whose one home is goals.status (year_progress); "
        "the screen calls the rule itself rather than a wrapper of it"
    ),
}


# --- the scan ------------------------------------------------------------------------------------


def module_names(package: Path) -> dict[str, Path]:
    """Dotted names (without the top package) of every module under `package`."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imports_of(name: str, path: Path, modules: Iterable[str], top: str) -> set[str]:
    """The modules of the package that `name` imports, anywhere in its body."""
    known = set(modules)
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def target(dotted: str) -> str | None:
        if dotted == top:
            return ""
        if not dotted.startswith(top + "."):
            return None
        inner = dotted[len(top) + 1 :]
        while inner and inner not in known:  # `from a.b import name`: name is not a module
            inner = inner.rpartition(".")[0]
        return inner or None

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {t for alias in node.names if (t := target(alias.name))}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                here = [top, *name.split(".")] if name else [top]
                base = here if is_package else here[:-1]
                base = base[: len(base) - (node.level - 1)]
                parent = ".".join(base + ([node.module] if node.module else []))
            else:
                parent = node.module or ""
            for alias in node.names:
                t = target(f"{parent}.{alias.name}") or target(parent)
                if t:
                    found.add(t)
    found.discard(name)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    modules = module_names(package)
    return {name: imports_of(name, path, modules, package.name) for name, path in modules.items() if name}


# --- the rules -----------------------------------------------------------------------------------


def layer_of(module: str, layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, (_, prefixes) in enumerate(layers):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (
                best is None or len(prefix) > best[0]
            ):
                best = (len(prefix), index)
    return None if best is None else best[1]


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
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
    return sorted(found)


def upward_imports(
    graph: Mapping[str, set[str]], layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS
) -> set[tuple[str, str]]:
    return {
        (a, b)
        for a, targets in graph.items()
        for b in targets
        if (la := layer_of(a, layers)) is not None and (lb := layer_of(b, layers)) is not None and lb > la
    }


def internal_reaches(graph: Mapping[str, set[str]]) -> set[tuple[str, str]]:
    found = set()
    for a, targets in graph.items():
        home = a.split(".")[0]
        if home not in DOMAINS:
            continue
        for b in targets:
            other, leaf = b.split(".")[0], b.rpartition(".")[2]
            if other == home or other not in DOMAINS or leaf in PUBLIC or b == other:
                continue
            if home == "demo" and leaf in PUBLIC_TO_DEMO:
                continue
            found.add((a, b))
    return found


# --- the tests -----------------------------------------------------------------------------------


def test_every_module_belongs_to_a_layer() -> None:
    assert [m for m in import_graph() if layer_of(m) is None] == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert cycles(import_graph()) == []


def test_no_import_runs_upward_in_the_layer_order() -> None:
    assert sorted(upward_imports(import_graph()) - UPWARD_ALLOWED.keys()) == []


def test_a_domain_reaches_another_only_through_its_service_queries_or_vocabulary() -> None:
    assert sorted(internal_reaches(import_graph()) - INTERNALS_ALLOWED.keys()) == []


def test_every_allowed_exception_is_still_needed() -> None:
    graph = import_graph()
    stale = (UPWARD_ALLOWED.keys() - upward_imports(graph)) | (
        INTERNALS_ALLOWED.keys() - internal_reaches(graph)
    )
    assert sorted(stale) == []


def test_the_development_doc_draws_every_layer_and_module_of_the_order() -> None:
    text = DEVELOPMENT_DOC.read_text(encoding="utf-8")
    diagram = text.split("## Layout", 1)[1].split("```")[1]
    rows = [line for line in diagram.splitlines() if line.strip() and not line.startswith(" " * 4)]
    assert len(rows) == len(LAYERS)
    missing = [
        prefix
        for _, prefixes in LAYERS
        for prefix in prefixes
        if not re.search(rf"(?<![\w/]){re.escape(prefix.replace('.', '/'))}(/|\.py)", diagram)
    ]
    assert missing == []


def test_the_scan_sees_function_level_relative_and_type_checking_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "city"
    (pkg / "low").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "low" / "__init__.py").write_text("")
    (pkg / "low" / "a.py").write_text("def f():\n    from city.high import b\n")
    (pkg / "low" / "c.py").write_text("from . import a\nfrom .a import f\n")
    (pkg / "high.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import city.low.c\nfrom city.low.a import f\n"
    )
    graph = import_graph(pkg)
    assert graph == {"low": set(), "low.a": {"high"}, "low.c": {"low.a"}, "high": {"low.c", "low.a"}}


def test_the_rules_catch_a_circle_an_upward_import_and_a_reach_into_internals(tmp_path: Path) -> None:
    graph = {
        "core.a": {"core.b"},
        "core.b": {"events.models"},
        "events.models": {"core.a"},
        "screen.queries": {"goals.status", "goals.service", "events.intake.service"},
        "demo.build": {"goals.demo"},
        "events.intake.service": {"goals.demo"},
    }
    assert cycles(graph) == [["core.a", "core.b", "events.models"]]
    assert upward_imports(graph) == {("core.b", "events.models")}
    assert internal_reaches(graph) == {
        ("screen.queries", "goals.status"),
        ("events.intake.service", "goals.demo"),
    }
