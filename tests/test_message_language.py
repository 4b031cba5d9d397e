"""One language per line: a refusal or message the CLI prints (and the API's detail) is English; Chinese
reaches a Chinese page through the catalogue's `error.explain.<code>`, never as a Chinese sentence glued
to its English twin on one line ("密码不能包含用户名 (the password must not contain …)").

The scan reads every module with `ast` and looks at the text of what is raised, printed or handed to
`fail`, and at the demo's step titles; the CLI runs below check the lines it really prints. A Chinese
term inside an English sentence is fine when it names something the user's file or the glossary spells
in Chinese: quoted, in brackets, or one of the column headers in `TERMS`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citycockpit.cli import app
from citycockpit.demo.build import STEPS

SRC = Path(__file__).resolve().parents[1] / "src" / "citycockpit"
CJK = re.compile(r"[\u3400-\u9fff\uff08\uff09\u3001\u3002\uff0c\uff1b\uff1a]")
SENTENCE = re.compile(r"\b[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,}){2,}\b")
QUOTED = re.compile(r"\([^()]*\)|（[^（）]*）|'[^']*'|\"[^\"]*\"|「[^」]*」|\{[^{}]*\}")
# Column headers of the spreadsheets people fill in, named in English sentences about those columns.
TERMS = (
    *("节点安排", "责任区域", "所在区域", "当前阶段", "签约编号", "任务内容", "牵头单位", "配合单位", "万元"),
    *("区域编码", "关键词", "分类编码", "承办单位", "满意", "基本满意", "不满意", "未回访"),
)
PRINTERS = {"fail", "print", "echo", "secho", "bad", "error"}


def mixes_languages(line: str) -> bool:
    """A line holding both a Chinese phrase and an English sentence, outside quotes, brackets and
    column headers."""
    bare = QUOTED.sub(" ", line)
    for term in sorted(TERMS, key=len, reverse=True):
        bare = bare.replace(term, " ")
    return bool(CJK.search(bare)) and bool(SENTENCE.search(bare))


def test_the_check_tells_a_bilingual_line_from_a_term_in_an_english_one() -> None:
    assert mixes_languages("PDF 文件已损坏 the PDF is damaged and cannot be read")
    assert mixes_languages("组织与区域 org and areas today")
    assert mixes_languages("请先修改初始密码 change your password first")
    assert not mixes_languages("unknown 所在区域 'x' (a town or street)")
    assert not mixes_languages("Only the lead department (牵头单位) reports on this goal")
    assert not mixes_languages("the PDF is damaged and cannot be read")
    assert not mixes_languages("密码不能包含用户名。")


def _texts(node: ast.AST) -> list[str]:
    """The literal text of an expression: string constants and f-strings' constant parts, joined."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)]
    if isinstance(node, ast.BinOp):
        return ["".join(_texts(node.left) + _texts(node.right))]
    return []


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _messages(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        calls: list[ast.Call] = []
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            calls.append(node.exc)
        elif isinstance(node, ast.Call) and _call_name(node) in PRINTERS:
            calls.append(node)
        for call in calls:
            for arg in [
                *call.args,
                *(k.value for k in call.keywords if k.arg in (None, "detail", "message")),
            ]:
                found += [(call.lineno, text) for text in _texts(arg)]
    return found


def test_no_message_in_the_code_glues_a_chinese_sentence_to_an_english_one() -> None:
    mixed = [
        f"{path.relative_to(SRC)}:{line}: {text}"
        for path in sorted(SRC.rglob("*.py"))
        for line, text in _messages(ast.parse(path.read_text(encoding="utf-8")))
        if mixes_languages(text)
    ]
    assert mixed == []


def test_the_demo_names_its_steps_in_one_language() -> None:
    assert [title for title, _step in STEPS if mixes_languages(title) or CJK.search(title)] == []


runner = CliRunner()


@pytest.mark.parametrize(
    "password",
    ["short1!", "Zhangsan-2024-pass"],
    ids=["too simple", "contains the user name"],
)
def test_a_refused_password_is_one_english_line(tmp_path: Path, password: str) -> None:
    db = tmp_path / "c.db"
    assert runner.invoke(app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    done = runner.invoke(
        app, ["user", "add", "zhangsan", "--role", "admin", "--password", password, "--db", str(db)]
    )
    lines = [line for line in done.output.splitlines() if line.strip()]
    assert done.exit_code == 1
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert not CJK.search(lines[0])


def test_a_chinese_page_explains_which_password_rule_was_broken() -> None:
    from citycockpit.web.i18n import error_text

    assert error_text("zh", "weak_password", "x", {"rule": "contains_username"}) == "密码不能包含用户名。"
    assert "至少 10 位" in error_text("zh", "weak_password", "x", {"rule": "too_simple", "min_length": 10})
    assert error_text("en", "weak_password", "the password must not contain the user name", {}) == (
        "the password must not contain the user name"
    )
