"""Open311 GeoReport v2: every method in XML and JSON, with its errors."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from citycockpit.events.intake.writer import writer_of
from tests.events.conftest import GRID_A, report

BASE = "/open311/v2"


def _xml(r):  # type: ignore[no-untyped-def]
    assert r.headers["content-type"].startswith("text/xml")
    assert r.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(r.content)


def _post(client, key, fmt="json", **fields):  # type: ignore[no-untyped-def]
    form = {
        "api_key": key,
        "service_code": "E0102",
        "lat": GRID_A[0],
        "long": GRID_A[1],
        "description": "路口有垃圾",
    }
    form.update(fields)
    return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in form.items() if v is not None})


def test_discovery_names_the_endpoint_in_json_and_xml(client):
    body = client.get(f"{BASE}/discovery.json").json()
    assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    root = _xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert root.find("endpoints/endpoint/specification").text == "http://wiki.open311.org/GeoReport_v2"


def test_services_list_minor_categories_grouped_by_major_class(client, categories):
    services = client.get(f"{BASE}/services.json").json()
    by_code = {s["service_code"]: s for s in services}
    assert (by_code["E0102"]["service_name"], by_code["E0102"]["group"], by_code["E0102"]["type"]) == (
        "暴露垃圾",
        "市容环境",
        "realtime",
    )
    root = _xml(client.get(f"{BASE}/services.xml"))
    assert "E0102" in [s.find("service_code").text for s in root.findall("service")]


def test_a_service_definition_offers_the_request_types(client, categories):
    body = client.get(f"{BASE}/services/E0102.json").json()
    assert [v["key"] for v in body["attributes"][0]["values"]][:2] == ["consult", "help"]
    root = _xml(client.get(f"{BASE}/services/E0102.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/code").text == "request_type"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_is_a_404_error_list(client, categories, fmt):
    r = client.get(f"{BASE}/services/X9999.{fmt}")
    assert r.status_code == 404
    if fmt == "json":
        assert r.json()[0]["code"] == 404
    else:
        assert _xml(r).find("error/code").text == "404"


def test_posting_a_request_in_json_returns_its_id_in_an_array(live_intake):
    r = _post(live_intake.client, live_intake.api_key)
    assert r.status_code == 201, r.text
    body = r.json()
    assert isinstance(body, list) and body[0]["service_request_id"].startswith("E240930")


def test_posting_a_request_in_xml_returns_its_id(live_intake):
    r = _post(live_intake.client, live_intake.api_key, fmt="xml")
    assert r.status_code == 201
    assert _xml(r).find("request/service_request_id").text.startswith("E")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_posting_without_a_valid_api_key_is_403(live_intake, fmt):
    read_only_key = live_intake.new_key("reader", ["events:read"])
    for key in ("", "cc_wrong", read_only_key):
        r = _post(live_intake.client, key, fmt=fmt)
        assert r.status_code == 403, key


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_posting_without_a_location_or_service_is_400_and_unknown_service_404(live_intake, fmt):
    client, api_key = live_intake.client, live_intake.api_key
    assert _post(client, api_key, fmt=fmt, lat=None, long=None).status_code == 400
    assert _post(client, api_key, fmt=fmt, service_code="").status_code == 400
    assert _post(client, api_key, fmt=fmt, service_code="Z0000").status_code == 404
    assert _post(client, api_key, fmt=fmt, description="长" * 4001).status_code == 400


def test_a_request_with_bad_fields_is_refused_with_every_problem_before_it_is_queued(live_intake):
    r = _post(
        live_intake.client,
        live_intake.api_key,
        long=None,
        description="长" * 4001,
        **{"attribute[request_type]": "praise"},
    )
    assert r.status_code == 400
    assert [e["description"] for e in r.json()] == [
        "the description is longer than 4000 characters",
        "request_type 'praise' is not one of consult, help, complaint, report, suggestion",
        "lat and lon must be given together",
    ]
    assert writer_of(live_intake.app).requests == 0  # refused without the writer


def test_a_posted_request_can_be_read_back_one_and_many_in_both_formats(live_intake):
    client, api_key = live_intake.client, live_intake.api_key
    rid = _post(client, api_key).json()[0]["service_request_id"]
    one = client.get(f"{BASE}/requests/{rid}.json").json()
    assert (len(one), one[0]["status"], one[0]["service_code"]) == (1, "open", "E0102")
    assert _xml(client.get(f"{BASE}/requests/{rid}.xml")).find("request/service_request_id").text == rid
    many = client.get(f"{BASE}/requests.json").json()
    assert rid in [r["service_request_id"] for r in many]
    root = _xml(client.get(f"{BASE}/requests.xml?service_request_id={rid}"))
    assert [r.find("service_request_id").text for r in root.findall("request")] == [rid]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_request_is_404(client, categories, fmt):
    assert client.get(f"{BASE}/requests/E000000NOPE.{fmt}").status_code == 404


def test_extensions_expose_the_finer_state_and_the_grid(live_intake):
    client, api_key = live_intake.client, live_intake.api_key
    rid = _post(client, api_key).json()[0]["service_request_id"]
    row = client.get(f"{BASE}/requests/{rid}.json?extensions=true").json()[0]
    assert (row["extended_attributes"]["state"], row["extended_attributes"]["grid_code"]) == (
        "reported",
        "320585100001001",
    )
    assert row["notes"][0]["type"] == "report"
    assert "extended_attributes" not in client.get(f"{BASE}/requests/{rid}.json").json()[0]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_query_over_more_than_90_days_or_with_a_bad_date_is_400(client, categories, fmt):
    r = client.get(f"{BASE}/requests.{fmt}?start_date=2024-01-01T00:00:00Z&end_date=2024-06-01T00:00:00Z")
    assert r.status_code == 400
    assert client.get(f"{BASE}/requests.{fmt}?start_date=2024-01-01").status_code == 400
    assert client.get(f"{BASE}/requests.{fmt}?page_size=1001").status_code == 400


def test_queries_filter_by_status_and_page(client, db, clock, categories, dispatcher):
    for _ in range(3):
        report(db, dispatcher.principal, clock.now())
    first = client.get(f"{BASE}/requests.json?status=open&page_size=2&page=1").json()
    second = client.get(f"{BASE}/requests.json?status=open&page_size=2&page=2").json()
    closed = client.get(f"{BASE}/requests.json?status=closed").json()
    assert (len(first), len(second), len(closed)) == (2, 1, 0)


def test_hotline_cases_are_never_listed_publicly(client, db, clock, categories, dispatcher):
    private = report(db, dispatcher.principal, clock.now(), channel="hotline")
    assert client.get(f"{BASE}/requests/{private.public_id}.json").status_code == 404


def test_a_token_resolves_to_its_request_id_in_both_formats(live_intake):
    from sqlalchemy import select

    from citycockpit.events.models import Event

    client = live_intake.client
    rid = _post(client, live_intake.api_key).json()[0]["service_request_id"]
    with live_intake.session() as s:
        token = s.scalar(select(Event.intake_token).where(Event.public_id == rid))
    assert client.get(f"{BASE}/tokens/{token}.json").json() == [{"service_request_id": rid, "token": token}]
    assert _xml(client.get(f"{BASE}/tokens/{token}.xml")).find("request/service_request_id").text == rid
    assert client.get(f"{BASE}/tokens/nope.json").status_code == 404
    assert client.get(f"{BASE}/tokens/nope.xml").status_code == 404


def test_an_unknown_jurisdiction_is_404(client, categories):
    assert client.get(f"{BASE}/services.json?jurisdiction_id=sfgov.org").status_code == 404
    assert client.get(f"{BASE}/services.json?jurisdiction_id=320585").status_code == 200


def test_an_unknown_format_is_a_404_error_list_in_xml(client, categories):
    r = client.get(f"{BASE}/services.html")
    assert (r.status_code, _xml(r).find("error/code").text) == (404, "404")
