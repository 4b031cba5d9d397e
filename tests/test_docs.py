"""Docs are checked: every setting, command and error code is documented."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import typer.main

import citycockpit
from citycockpit.cli import app as cli_app
from citycockpit.config import Settings
from citycockpit.core.errors import AppError

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _all_subclasses(sub)
    return found


def _command_paths() -> list[str]:
    group = typer.main.get_command(cli_app)
    paths = []

    def walk(cmd, prefix: str) -> None:  # type: ignore[no-untyped-def]
        for name, sub in getattr(cmd, "commands", {}).items():
            path = f"{prefix} {name}"
            if getattr(sub, "commands", None):
                walk(sub, path)
            else:
                paths.append(path)

    walk(group, "citycockpit")
    return paths


def test_every_setting_is_in_the_configuration_doc() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"`{name}`" not in text]
    assert missing == []


def test_every_cli_command_is_in_the_cli_doc() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [path for path in _command_paths() if f"`{path}" not in text]
    assert missing == []


def test_every_error_code_is_in_the_api_doc() -> None:
    for module in pkgutil.walk_packages(citycockpit.__path__, "citycockpit."):
        if not module.name.startswith(("citycockpit.migrations", "citycockpit.__main__")):
            importlib.import_module(module.name)
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    codes = {cls.code for cls in _all_subclasses(AppError) | {AppError}}
    missing = sorted(code for code in codes if f"`{code}`" not in text)
    assert missing == []


def test_the_auth_doc_table_matches_the_role_permissions() -> None:
    import runpy

    script = runpy.run_path(str(DOCS.parent / "scripts" / "perm_table.py"))
    text = (DOCS / "domains" / "auth.md").read_text(encoding="utf-8")
    assert script["table"]() in text, "run `python scripts/perm_table.py --write`"
