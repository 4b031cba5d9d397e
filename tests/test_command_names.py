"""Every `citycockpit <command> [<subcommand>] [--option …]` named anywhere a user reads one exists: in
README.md, docs/ (guides, deployment units), the page templates, the i18n catalogues and the strings of
the Python code (messages, help texts, docstrings). Each mention is resolved through the real command
tree (`typer.main.get_command`); in a code span or a code block, the options written after the command
must be options of that command."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import typer.main

from citycockpit.cli import app

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "citycockpit"

# `citycockpit` as a command (`python -m citycockpit …` too), not as a path (/etc/citycockpit), a system
# user or database owner (-u citycockpit, -O citycockpit), a module or file (citycockpit.db,
# citycockpit:migrations, from citycockpit import …) or the package in prose (a citycockpit module).
MENTION = re.compile(
    r"(?<![\w/.\-])(?<!-u )(?<!-O )(?<!from )citycockpit"
    r"(?=[ \t]+[a-z\-])(?![ \t]+(?:module|modules|package)\b)((?:[ \t]+[a-z\-][a-z0-9\-]*)+)"
)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
OPTION = re.compile(r"(?<![\w\-])(--[a-z][a-z0-9\-]*)")


def _sources() -> Iterator[tuple[str, str]]:
    """(where, text) for every place a user meets a command name."""
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*"))]
    files += sorted((PACKAGE / "web" / "templates").rglob("*.html"))
    files += sorted((PACKAGE / "web" / "i18n").glob("*.yaml"))
    for path in files:
        if path.is_file():
            yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "citycockpit" in node.value:
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node.value


def _code_spans(text: str) -> Iterator[str]:
    """Inline code spans, and the lines of fenced code blocks (each line a command)."""
    in_block = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            in_block = not in_block
            continue
        if in_block:
            yield line.split(" #")[0]
        else:
            yield from CODE_SPAN.findall(line)


TREE = typer.main.get_command(app)


def _resolve(words: list[str]):  # type: ignore[no-untyped-def]
    """The command the words name (a group or a leaf) and the words left after it; None when the first
    word below a group names no command."""
    command = TREE
    rest = list(words)
    while rest and getattr(command, "commands", None) is not None and hasattr(command, "commands"):
        sub = command.commands.get(rest[0])
        if sub is None:
            return None, rest
        command, rest = sub, rest[1:]
        if not getattr(command, "commands", None):
            break
    return command, rest


def _options(command) -> set[str]:  # type: ignore[no-untyped-def]
    names = {"--help"}
    for param in command.params:
        names |= set(param.opts) | set(getattr(param, "secondary_opts", []))
    return names


def _check_span(span: str) -> list[str]:
    """The options written after each command in a code span that the command does not have."""
    problems = []
    for match in MENTION.finditer(span):
        words = span[match.start(1) :].split()
        command, rest = (TREE, words) if words[0].startswith("--") else _resolve(words)
        if command is None or (getattr(command, "commands", None) and not words[0].startswith("--")):
            continue  # an unknown command is reported once, below; a group's options are its commands'
        tail = " ".join(rest)
        known = _options(command)
        problems += [
            f"{option} is not an option of it" for option in OPTION.findall(tail) if option not in known
        ]
    return problems


def _problems() -> list[str]:
    problems = []
    for where, text in _sources():
        for match in MENTION.finditer(text):
            words = match.group(1).split()
            if words[0].startswith("--"):
                continue
            command, rest = _resolve(words)
            if command is None:
                problems.append(f"{where}: `citycockpit {' '.join(words)}`: no command {rest[0]!r}")
        for span in _code_spans(text) if not where.endswith(".py") else []:
            problems += [f"{where}: `{span.strip()}`: {problem}" for problem in _check_span(span)]
    return sorted(set(problems))


def test_every_command_named_in_docs_pages_and_messages_exists() -> None:
    assert _problems() == []


def test_the_check_finds_a_wrong_command_and_a_wrong_option() -> None:
    assert _resolve(["tokens", "create"])[0] is None
    assert _resolve(["users", "create"])[0] is None
    command, rest = _resolve(["token", "create", "--name", "x"])
    assert command is not None and command.name == "create" and rest == ["--name", "x"]
    assert _check_span("citycockpit token create --name x --scope events:read") == [
        "--scope is not an option of it"
    ]
    assert _check_span("citycockpit goals bulletin --period 2024-06 --out b.html --preview [--db URL]") == []
    assert _check_span("citycockpit --version") == []


def test_no_page_text_carries_markdown_backticks() -> None:
    """Pages show catalogue texts as they are, so a backtick would be printed, not set as code: only a
    message every template shows through the `codes` filter (web.render.code_spans) may carry them."""
    templates = "\n".join(
        p.read_text(encoding="utf-8") for p in (PACKAGE / "web" / "templates").rglob("*.html")
    )
    as_code = set(re.findall(r"t\('([^']+)'\)\|codes", templates))
    for path in sorted((PACKAGE / "web" / "i18n").glob("*.yaml")):
        quoted = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if "`" in line and line.split(":", 1)[0].strip('"') not in as_code
        ]
        assert quoted == [], path.name
        shown = [key for key in as_code if f"t('{key}')" in templates.replace(f"t('{key}')|codes", "")]
        assert shown == [], f"shown without the codes filter somewhere: {shown}"
