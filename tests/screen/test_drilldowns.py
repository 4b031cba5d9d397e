"""Every drill-down from a screen panel lands on exactly the set the panel counted (same period, category,
channel, area, overdue), and the landing list says which filters it applies."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.screen.test_event_panels import loop  # noqa: F401  (three events of today, one overdue)


def _landing_total(client: TestClient, href: str, headers: dict[str, str]) -> tuple[int, str]:
    page = client.get(href, headers=headers)
    assert page.status_code == 200, href
    found = re.search(r'<span class="count">共 (\d+) 条</span>', page.text)
    assert found, href
    return int(found.group(1)), page.text


def _drilldowns(client: TestClient, headers: dict[str, str], area: str = "") -> list[tuple[str, int, str]]:
    """(what, the panel's count, its link) for every drill-down of the event panels."""
    query = f"?area={area}" if area else ""
    out: list[tuple[str, int, str]] = []
    breakdown: dict[str, Any] = client.get(f"/api/v1/screen/events/breakdown{query}", headers=headers).json()
    for c in breakdown["by_category"]:
        out.append((f"category {c['code']}", c["count"], c["href"]))
    for c in breakdown["by_channel"]:
        out.append((f"channel {c['channel']}", c["count"], c["href"]))
    counters = client.get(f"/api/v1/screen/events/counters{query}", headers=headers).json()
    for key, href in counters["hrefs"].items():
        scope, name = key.split(".")
        out.append((key, counters[scope][name], href))
    return out


def test_each_event_drill_down_lists_as_many_events_as_its_panel_counted(
    client: TestClient,
    loop: Any,  # noqa: F811
    leader: Any,
) -> None:
    links = _drilldowns(client, leader.headers)
    assert {what for what, _, _ in links} >= {
        "today.intake",
        "month.intake",
        "today.overdue",
        "channel hotline",
    }
    for what, count, href in links:
        total, _ = _landing_total(client, href, leader.headers)
        assert total == count, (what, href)


def test_a_drill_down_from_a_towns_screen_keeps_the_town(
    client: TestClient,
    loop: Any,  # noqa: F811
    leader: Any,
) -> None:
    links = _drilldowns(client, leader.headers, area="320585100")
    assert links and all("area=320585100" in href for _, _, href in links)
    for what, count, href in links:
        total, _ = _landing_total(client, href, leader.headers)
        assert total == count, (what, href)
    # the whole city's month is more than the town's: the area filter does narrow the list
    city_month = client.get("/api/v1/screen/events/counters", headers=leader.headers).json()["month"][
        "intake"
    ]
    town_month = next(c for w, c, _ in links if w == "month.intake")
    assert town_month < city_month


def test_the_landing_list_shows_the_filters_in_words(
    client: TestClient,
    loop: Any,  # noqa: F811
    leader: Any,
    clock: Any,
) -> None:
    breakdown = client.get("/api/v1/screen/events/breakdown?area=320585100", headers=leader.headers).json()
    href = breakdown["by_category"][0]["href"]
    _, page = _landing_total(client, href, leader.headers)
    shown = re.search(r"<p class=\"filters\" data-filters>(.*?)</p>", page, re.S)
    assert shown, "no filters shown"
    text = re.sub(r"<[^>]+>", " ", shown.group(1))
    first = clock.local_today().replace(day=1).isoformat()
    assert "类别：市容环境" in text and "区域：城厢镇" in text
    assert f"上报日期：{first} 至 {clock.local_today().isoformat()}" in text


def test_a_bad_date_in_a_drill_down_is_refused_with_a_message(client: TestClient, leader: Any) -> None:
    response = client.get("/app/events?from=2024-13-01", headers=leader.headers)
    assert response.status_code == 422
