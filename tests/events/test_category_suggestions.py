"""The report form's category suggestions as the worker types: the classifier's likeliest categories
for the text, for callers who may report; nothing without a model."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.events.test_triage import trained  # noqa: F401 - the trained model fixture

URL = "/api/v1/events/categories/suggestions"


def test_a_grid_worker_gets_the_likeliest_categories_for_what_it_typed(
    client: TestClient,
    trained,  # noqa: F811
    grid_worker,
) -> None:
    r = client.get(URL, params={"text": "路口水管爆裂一直冒水"}, headers=grid_worker.headers)
    assert r.status_code == 200, r.text
    found = r.json()
    assert found[0]["code"] == "E0401" and found[0]["name"] == "供水管道破裂"
    assert found[0]["score"] >= found[-1]["score"]


def test_without_a_model_there_are_no_suggestions(client: TestClient, categories, grid_worker) -> None:
    r = client.get(URL, params={"text": "路口水管爆裂一直冒水"}, headers=grid_worker.headers)
    assert (r.status_code, r.json()) == (200, [])


def test_a_caller_who_may_not_report_is_refused(client: TestClient, categories, dept_staff) -> None:
    r = client.get(URL, params={"text": "水管爆裂"}, headers=dept_staff.headers)
    assert r.status_code == 403
