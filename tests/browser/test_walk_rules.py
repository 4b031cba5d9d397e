"""The page walk's rules catch what they are meant to catch (so a clean walk means something)."""

from __future__ import annotations

from tests.browser.walk import text_problems


def _kinds(text: str, lang: str = "zh") -> list[str]:
    return [p.split(" ", 1)[0] for p in text_problems(text, lang=lang, allowed={"cgj"})]


def test_the_walk_catches_english_debris_codes_reprs_and_nothing_words() -> None:
    assert _kinds("目标值 ~ 5 % growth") == ["latin"]
    assert "raw" in _kinds("操作 auth.login 对象 user 1")
    assert "repr" in _kinds("条目 <built-in method items of dict object at 0x7f3a>")
    assert "nothing-word" in _kinds("责任人 None")
    assert "nothing-word" in _kinds("Owner undefined", lang="en")
    assert "raw" in _kinds("Action event.dispatch", lang="en")


def test_the_walk_lets_codes_units_addresses_and_typed_names_pass() -> None:
    assert _kinds("事件 E240406BA84ECD532 · 小类 C0302 · 12345 热线 · App 上报") == []
    assert _kinds("PM2.5 年均浓度 30 μg/m³，投资 5 km 道路，导出 Excel / PDF") == []
    assert _kinds("接口地址 /api/v1/screen/map?area=320585 · 用户 cgj") == []
