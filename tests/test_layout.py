"""The layout rules, read from the source with `ast` (nothing is imported): `web/` is the UI kit and sits
below the domains; pages belong to their domains, are imported only by the app, and build no SQL."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = "citycockpit"
ROOT = Path(__file__).resolve().parents[1] / "src" / PACKAGE

# What web/ may import besides itself and core: auth's vocabulary of the signed-in caller.
WEB_MAY_IMPORT = {
    f"{PACKAGE}.auth.principal": "the signed-in caller's type: render hands it to every page, check_csrf "
    "reads its session's CSRF token, the navigation asks it what it may use",
    f"{PACKAGE}.auth.enums": "the permission names (Perm) the navigation shows its entries by",
}

# Page modules that may still build SQL, each with why; remove an entry when its reason is gone.
SQL_IN_PAGES_ALLOWED: dict[str, str] = {}

SESSION_NAMES = {"session", "db"}
# The edge owns the transaction (commit, rollback, savepoints); reads and writes go through services.
SESSION_SQL_METHODS = {
    "execute",
    "scalars",
    "scalar",
    "get",
    "query",
    "add",
    "add_all",
    "delete",
    "merge",
    "flush",
}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def rel(self) -> str:
        return str(self.path.relative_to(ROOT.parent))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Module]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.relative_to(ROOT).parts:
            continue
        name = _module_name(path)
        found[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


def _is_package(name: str) -> bool:
    return (ROOT.parent / Path(*name.split(".")) / "__init__.py").exists()


def imports(module: Module) -> set[str]:
    """Every module of ours that `module` imports, anywhere in it (lazy imports in functions too)."""
    out: set[str] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                package = module.name.split(".")
                if not _is_package(module.name):
                    package = package[:-1]
                base = ".".join(
                    package[: len(package) - node.level + 1] + ([node.module] if node.module else [])
                )
            else:
                base = node.module or ""
            out.add(base)
            for alias in node.names:
                if f"{base}.{alias.name}" in modules():
                    out.add(f"{base}.{alias.name}")
    return {name for name in out if name == PACKAGE or name.startswith(PACKAGE + ".")}


def _is_pages_router(call: ast.Call) -> bool:
    func = call.func
    named = (isinstance(func, ast.Name) and func.id == "APIRouter") or (
        isinstance(func, ast.Attribute) and func.attr == "APIRouter"
    )
    if not named:
        return False
    for keyword in call.keywords:
        if keyword.arg == "tags" and isinstance(keyword.value, ast.List | ast.Tuple):
            if any(isinstance(e, ast.Constant) and e.value == "pages" for e in keyword.value.elts):
                return True
    return False


def page_modules() -> list[Module]:
    """Modules that serve workbench pages: they build an APIRouter tagged "pages"."""
    return [
        m
        for m in modules().values()
        if any(isinstance(n, ast.Call) and _is_pages_router(n) for n in ast.walk(m.tree))
    ]


def sql_in(module: Module) -> list[str]:
    """Where `module` builds or runs SQL itself: imports of SQLAlchemy, the dialect helpers or a domain's
    tables, and session calls other than commit, rollback and savepoints."""
    found = []
    for node in ast.walk(module.tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        for name in names:
            if name == "sqlalchemy" or name.startswith("sqlalchemy."):
                found.append(f"line {node.lineno}: imports {name}")
            elif name == f"{PACKAGE}.core.dialect" or name.endswith(".models") or name == f"{PACKAGE}.models":
                found.append(f"line {node.lineno}: imports {name}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in SESSION_NAMES
            and node.func.attr in SESSION_SQL_METHODS
        ):
            found.append(f"line {node.lineno}: {node.func.value.id}.{node.func.attr}(…)")
    return found


# --- web/ is the UI kit ------------------------------------------------------------------------------


def test_the_ui_kit_imports_no_domain() -> None:
    allowed_prefixes = (f"{PACKAGE}.web", f"{PACKAGE}.core")
    wrong = {
        m.rel: sorted(
            name
            for name in imports(m)
            if name not in WEB_MAY_IMPORT and not name.startswith(allowed_prefixes) and name != PACKAGE
        )
        for m in modules().values()
        if m.name.startswith(f"{PACKAGE}.web")
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def test_what_the_ui_kit_takes_from_auth_is_vocabulary_that_imports_nothing_else() -> None:
    """The allowed exceptions stay harmless only while they are leaves: importing them must not pull in
    auth's services, tables or another domain."""
    for name in WEB_MAY_IMPORT:
        assert imports(modules()[name]) <= set(WEB_MAY_IMPORT) | {PACKAGE, f"{PACKAGE}.auth"}, name


def test_the_layout_checks_see_an_import_of_a_domain() -> None:
    source = "from citycockpit.events import queries\nimport citycockpit.org.models\n"
    module = Module(f"{PACKAGE}.web.example", ROOT / "web" / "example.py", ast.parse(source))
    assert imports(module) >= {f"{PACKAGE}.events.queries", f"{PACKAGE}.org.models"}


# --- pages belong to their domains --------------------------------------------------------------------


def test_every_page_module_lives_in_a_domain() -> None:
    pages = sorted(m.name for m in page_modules())
    assert f"{PACKAGE}.auth.pages" in pages and f"{PACKAGE}.screen.home" in pages  # the finder works
    assert [name for name in pages if name.startswith((f"{PACKAGE}.web", f"{PACKAGE}.core"))] == []


def test_only_the_app_imports_a_page_module() -> None:
    pages = {m.name for m in page_modules()}
    importers = {
        m.rel: sorted(imports(m) & pages)
        for m in modules().values()
        if m.name != f"{PACKAGE}.app" and m.name not in pages
    }
    between_pages = {
        m.rel: sorted((imports(m) & pages) - {m.name}) for m in modules().values() if m.name in pages
    }
    assert {k: v for k, v in {**importers, **between_pages}.items() if v} == {}


@pytest.mark.parametrize("module", [m.name for m in page_modules()])
def test_a_page_module_builds_no_sql(module: str) -> None:
    if module in SQL_IN_PAGES_ALLOWED:
        pytest.skip(SQL_IN_PAGES_ALLOWED[module])
    assert sql_in(modules()[module]) == []


def test_every_allowed_exception_is_still_needed() -> None:
    """An exception whose reason is gone must be removed from the lists above."""
    for name in SQL_IN_PAGES_ALLOWED:
        assert name in modules() and sql_in(modules()[name]) != [], f"{name} builds no SQL any more"
    web_imports = set().union(
        *(imports(m) for m in modules().values() if m.name.startswith(f"{PACKAGE}.web"))
    )
    assert set(WEB_MAY_IMPORT) <= web_imports


def test_the_sql_check_sees_a_query_in_a_page() -> None:
    source = (
        "from sqlalchemy import select\n"
        "from citycockpit.org.models import Area\n"
        "def page(session):\n"
        "    return session.scalar(select(Area.name))\n"
    )
    module = Module(f"{PACKAGE}.example.pages", ROOT / "example" / "pages.py", ast.parse(source))
    assert len(sql_in(module)) == 3
