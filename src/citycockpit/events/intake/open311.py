"""Open311 GeoReport v2 under `/open311/v2`: discovery, services, service definitions, requests (GET and
POST), one request, and tokens, each in `.xml` (required by the spec) and `.json`.

Spec facts followed here: XML with an UTF-8 declaration and no namespace; JSON lists are arrays (POST
and single-request answers too); errors are a list of {code, description} with 400/403/404; `api_key`
only on POST (403 when bad); dates are ISO 8601 with a zone; the query window is at most 90 days
(default: the last 90) and at most 1000 records, paged with `page`/`page_size`; `extensions=true` adds
our finer states and the grid code. Hotline cases are private and never listed here."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citycockpit.auth.deps import PUBLIC, PUBLIC_SELF_LIMITED, client_ip
from citycockpit.core.errors import AppError
from citycockpit.core.ids import random_hex
from citycockpit.core.text import xml_safe
from citycockpit.db import ReadSessionDep, SessionDep
from citycockpit.events import categories as cats
from citycockpit.events.enums import (
    FINAL_STATES,
    REQUEST_TYPE_LABELS,
    Channel,
    EventState,
    RejectReason,
    state_values,
)
from citycockpit.events.intake import service as intake
from citycockpit.events.intake.writer import writer_of
from citycockpit.events.models import Event, EventCategory, EventPhoto, EventTransition
from citycockpit.events.photos import PhotoStore
from citycockpit.events.workflow.transitions import STATE_LABELS
from citycockpit.org.models import Department
from citycockpit.web.bodylimit import declared_within_limit, header_value
from citycockpit.web.security import (
    body_has_nul,
    read_whole_body,
    refuse_nul,
    url_has_nul,
    with_security_headers,
)

log = logging.getLogger("citycockpit.open311")

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_DAYS = 90
MAX_RECORDS = 1000
MIME = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
ITEM_TAGS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "photos": "photo",
}
EXTENDED_STATUS = {
    EventState.REPORTED: "open",
    EventState.REGISTERED: "investigating",
    EventState.DISPATCHED: "action_scheduled",
    EventState.SIGNED: "in_progress",
    EventState.RETURNED: "internal_referral",
    EventState.SUSPENDED: "planned",
    EventState.HANDLED: "in_progress",
    EventState.VERIFIED: "fixed",
    EventState.CLOSED: "fixed",
    EventState.RATED: "fixed",
    EventState.MERGED: "duplicate",
    EventState.REJECTED: "no_further_action",
}


class Open311Error(Exception):
    def __init__(self, status: int, *errors: str) -> None:
        super().__init__(errors[0] if errors else "")
        self.status = status
        self.errors = list(errors)


# ---- rendering -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """An XML element's text: what XML 1.0 cannot hold is left out (`core.text.xml_safe`), so the
    document parses whatever is stored."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else xml_safe(str(value))


def _build(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element: ET.Element, tag: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _build(element, key, child)
    elif isinstance(value, list):
        for item in value:
            _build(element, ITEM_TAGS.get(tag, "item"), item)
    else:
        element.text = _text(value)


def render(fmt: str, root: str, value: Any, status: int = 200) -> Response:
    if fmt == "json":
        import json

        body = json.dumps(value, ensure_ascii=False, default=str)
        return Response(body.encode("utf-8"), status_code=status, media_type=MIME["json"])
    element = ET.Element(root)
    _fill(element, root, value)
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        element, encoding="utf-8", xml_declaration=False
    )
    return Response(body, status_code=status, media_type=MIME["xml"])


def _format(fmt: str) -> str:
    if fmt not in MIME:
        raise Open311Error(404, f"Unknown format .{fmt}; use .xml or .json")
    return fmt


def _check_jurisdiction(request: Request, value: str | None) -> None:
    if value in (None, ""):
        return
    settings = request.app.state.settings
    if value not in {settings.county_code, settings.city_name, request.url.hostname}:
        raise Open311Error(
            404, f"Unknown jurisdiction_id {value}; this endpoint serves {settings.county_code}"
        )


def _run(fmt: str, root: str, work: Any) -> Response:
    """Render what `work` answers in the route's format; its errors go to `Open311Route`'s handler."""
    fmt = _format(fmt)
    status, value = work()
    return render(fmt, root, value, status)


def _as_open311(exc: AppError) -> Open311Error:
    """Open311 knows 400, 403 and 404; throttling (429), too large a body (413) and overload (503)
    keep their status."""
    if exc.status in (413, 429, 503):
        status = exc.status
    else:
        status = 404 if exc.status == 404 else 403 if exc.status in (401, 403) else 400
    problems = exc.extra.get("errors")
    texts = [str(p) for p in problems] if isinstance(problems, list) and problems else [exc.detail]
    return Open311Error(status, *texts)


def error_response(fmt: str, exc: Exception) -> Response:
    """Every error of an Open311 route as the spec's error list (`<errors><error>…` or a JSON array of
    {code, description}), in the route's format, whatever raised it: our own refusals, a dependency's
    (the public rate limit's 429), FastAPI's parameter validation, a value the database or the
    calendar cannot hold. Docs/api.md promises this shape for every Open311 answer; problem+json
    never leaves these routes. Anything else is logged and answered as a 500 in the same shape."""
    headers: dict[str, str] = {}
    if isinstance(exc, Open311Error):
        error = exc
    elif isinstance(exc, AppError):
        error = _as_open311(exc)
        if exc.status in (429, 503):
            headers["Retry-After"] = str(exc.extra.get("retry_after", 5))
    elif isinstance(exc, RequestValidationError):
        error = Open311Error(400, *(f"{_field(e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors()))
    elif isinstance(exc, StarletteHTTPException):
        status = exc.status_code if exc.status_code in (400, 403, 404, 405, 413, 429) else 400
        error = Open311Error(status, exc.detail if isinstance(exc.detail, str) else "invalid request")
        headers.update(exc.headers or {})
    elif isinstance(exc, OverflowError | DataError):
        error = Open311Error(400, "a value in the request is out of range")
    else:
        log.exception("unhandled error on an Open311 route")
        error = Open311Error(500, "an unexpected error happened; it has been logged")
    items = [{"code": error.status, "description": text} for text in error.errors]
    response = render(fmt if fmt in MIME else "xml", "errors", items, error.status)
    response.headers.update(headers)
    return response


def refusal_response(scope: Scope, status: int, detail: str) -> Response:
    """The app's middlewares' refusals (413, a NUL character, 401 before an upload) on an Open311 path,
    as its error list in the format the path names."""
    fmt = "json" if scope.get("path", "").endswith(".json") else "xml"
    return error_response(fmt, Open311Error(status, detail))


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "request"


class Open311Route(APIRoute):
    """The one error handler of the Open311 router: whatever a route or its dependencies raise is
    answered by `error_response` in the format the path names (`.json` or `.xml`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # every error: Open311 clients read only the error list
                return error_response(str(request.path_params.get("fmt", "xml")), exc)

        return answer


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)


def _iso(value: datetime | None, zone: Any) -> str | None:
    return value.astimezone(zone).isoformat(timespec="seconds") if value else None


def _parse_date(name: str, raw: str) -> datetime:
    """An ISO 8601 instant with a zone, in UTC; one that UTC cannot hold (year 1 east of Greenwich,
    year 9999 west of it) is refused like any other bad date."""
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{name} {raw!r} is not an ISO 8601 date and time") from exc
    if value.tzinfo is None:
        raise Open311Error(400, f"{name} {raw!r} needs a time zone (Z or ±HH:MM)")
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise Open311Error(400, f"{name} {raw!r} is outside the calendar") from exc


# ---- discovery and services ----------------------------------------------------------------------


@router.get("/discovery.{fmt}", dependencies=[PUBLIC])
def discovery(request: Request, fmt: str) -> Response:
    """Service discovery: where the endpoint is and which formats it speaks."""

    def work() -> tuple[int, Any]:
        base = str(request.base_url).rstrip("/") + "/open311/v2"
        changeset = "2024-01-01T00:00:00Z"
        return 200, {
            "changeset": changeset,
            "contact": f"{request.app.state.settings.city_name} 城市运行管理中心",
            "key_service": "API keys are API tokens with the events:create scope, issued by the administrator",
            "max_requests": MAX_RECORDS,
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base,
                    "changeset": changeset,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        }

    return _run(fmt, "discovery", work)


def _service(category: EventCategory, majors: dict[str, str]) -> dict[str, Any]:
    group = majors.get(category.parent_code or "", "")
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{group} / {category.name}",
        "metadata": True,
        "type": "realtime",
        "keywords": category.keywords or "",
        "group": group,
    }


@router.get("/services.{fmt}", dependencies=[PUBLIC])
def list_services(
    request: Request, fmt: str, session: ReadSessionDep, jurisdiction_id: str | None = None
) -> Response:
    """The minor categories (小类) as service types, grouped by their major class (大类)."""

    def work() -> tuple[int, Any]:
        _check_jurisdiction(request, jurisdiction_id)

        def body(session: Session) -> Any:
            every = cats.list_categories(session)
            majors = {c.code: c.name for c in every if c.level == "major"}
            return [_service(c, majors) for c in every if c.level == "minor"]

        return 200, body(session)

    return _run(fmt, "services", work)


@router.get("/services/{service_code}.{fmt}", dependencies=[PUBLIC])
def get_service_definition(
    request: Request, service_code: str, fmt: str, session: SessionDep, jurisdiction_id: str | None = None
) -> Response:
    """The extra fields of a service: the hotline request type (诉求类型)."""

    def work() -> tuple[int, Any]:
        _check_jurisdiction(request, jurisdiction_id)

        def body(session: Session) -> Any:
            category = session.scalars(
                select(EventCategory).where(
                    EventCategory.code == service_code, EventCategory.level == "minor"
                )
            ).first()
            if category is None:
                raise Open311Error(404, f"Unknown service_code {service_code}")
            return {
                "service_code": category.code,
                "attributes": [
                    {
                        "variable": True,
                        "code": "request_type",
                        "datatype": "singlevaluelist",
                        "required": False,
                        "datatype_description": "诉求类型",
                        "order": 1,
                        "description": "诉求类型 (request type)",
                        "values": [
                            {"key": t.value, "name": label} for t, label in REQUEST_TYPE_LABELS.items()
                        ],
                    }
                ],
            }

        return 200, body(session)

    return _run(fmt, "service_definition", work)


# ---- requests ------------------------------------------------------------------------------------


def _float(form: Any, name: str) -> float | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise Open311Error(400, f"{name} {raw!r} is not a number") from exc


_FORM_FIELDS = (
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "coord_system",  # our extension: wgs84 (default), gcj02, bd09, cgcs2000 (docs/api.md)
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
)


_FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            media: {
                "schema": {
                    "type": "object",
                    "properties": {
                        name: {"type": "string"} for name in (*_FORM_FIELDS, "attribute[request_type]")
                    },
                    "required": ["api_key", "service_code"],
                }
            }
            for media in ("application/x-www-form-urlencoded", "multipart/form-data")
        },
    }
}


async def _read_form(request: Request) -> dict[str, str]:
    """The POSTed fields (first value of each), parsed here rather than as seventeen Form parameters:
    FastAPI's per-field dependency machinery cost more than the rest of the request."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        data = await request.form()
        return {k: v for k, v in data.multi_items()[::-1] if isinstance(v, str)}
    if not content_type.startswith("application/x-www-form-urlencoded"):
        raise Open311Error(
            400, "send the request as application/x-www-form-urlencoded (or multipart/form-data)"
        )
    try:
        pairs = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError as exc:
        raise Open311Error(400, "the request body is not UTF-8") from exc
    return dict(reversed(pairs))


@router.post("/requests.{fmt}", dependencies=[PUBLIC_SELF_LIMITED], openapi_extra=_FORM_BODY)
async def create_request(request: Request, fmt: str) -> Response:
    """Submit a service request (form fields as in GeoReport v2); needs `api_key` (an API token holding
    events:create). Requests are written in batches by the intake writer (group commit); the answer
    comes after the commit."""
    return await submit_request(request, fmt)


async def submit_request(request: Request, fmt: str) -> Response:
    """The POST itself, shared by the route above and `IntakeFastPath`."""
    try:
        fmt = _format(fmt)
        form = await _read_form(request)
        _check_jurisdiction(request, form.get("jurisdiction_id"))
        key, data = _request_input(form)
        accepted = await writer_of(request.app).submit(key, data, client_ip(request))
    except Exception as exc:  # the fast path answers outside the router: the same one handler
        return error_response(fmt, exc)
    notice = f"已受理，编号 {accepted.public_id}；将按{accepted.category_name}时限办理"
    body = [{"service_request_id": accepted.public_id, "service_notice": notice, "account_id": None}]
    return render(fmt, "service_requests", body, 201)


_POST_PATH = re.compile(r"/open311/v2/requests\.([^/]+)")


class IntakeFastPath:
    """ASGI middleware answering `POST /open311/v2/requests.{fmt}` without FastAPI's router: route
    matching, dependency solving and the exception middlewares cost twice what the request itself does,
    and this is the one route machine clients hit hundreds of times a second.

    It sits inside observation (request id, metrics, access log) and the replica's write cookie, and
    outside the other middlewares, whose layers cost a tenth of a request: it applies their rules itself
    by calling their one home — the NUL refusal (`url_has_nul`, `body_has_nul`, `refuse_nul`) and the
    security headers (`with_security_headers`) — and takes only a form body whose declared length is
    within the body limits (`declared_within_limit`). Anything else (multipart, no or a large
    Content-Length) goes through the whole stack to the route, which stays registered for the API docs.
    The htmx sign-in redirect has nothing to do here: an Open311 answer never redirects."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # the route's template labels the metrics, as when the router matched it
        self._route = next(r for r in router.routes if getattr(r, "endpoint", None) is create_request)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            match = _POST_PATH.fullmatch(_route_path(scope))
            if match is not None and _takes(scope):
                await self._answer(scope, receive, send, match.group(1))
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, fmt: str) -> None:
        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(message.get("headers", []))
            await send(message)

        scope["route"] = self._route
        if url_has_nul(scope):
            await refuse_nul(scope, receive, secured)
            return
        body, replay = await read_whole_body(receive)
        if body_has_nul(body):
            await refuse_nul(scope, receive, secured)
            return
        response = await submit_request(Request(scope, replay, secured), fmt)
        await response(scope, replay, secured)


def _takes(scope: Scope) -> bool:
    """A urlencoded form whose declared length is within the body limits (the fast path's requests)."""
    content_type = header_value(scope, b"content-type").lower()
    return content_type.startswith(b"application/x-www-form-urlencoded") and declared_within_limit(
        scope, scope["app"].state.settings
    )


def _route_path(scope: Scope) -> str:
    """The path below the app's mount point (`root_path`), as the router matches it."""
    path, root = scope["path"], scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] == "/":
        return path[len(root) :]
    return path


# Intake's fields as a GeoReport v2 client names them, so a refusal names the field it sent.
OPEN311_NAMES = {
    "reporter_name": "first_name with last_name",
    "reporter_phone": "phone",
    "reporter_email": "email",
    "address": "address_string (or address_id)",
    "media_url": "media_url",
}


def _request_input(form: dict[str, Any]) -> tuple[str, intake.EventInput]:
    """The request as an intake input, refused (400, every problem listed) unless it passes the
    checks that need no database: Open311's own (a service code, numbers, a location) and intake's
    `check_fields`, each run here and only here. The key and the service code are checked by the
    writer."""
    key = (form.get("api_key") or "").strip()
    code = (form.get("service_code") or "").strip()
    lat, lon = _float(form, "lat"), _float(form, "long")
    address = (form.get("address_string") or "").strip() or None
    address_id = (form.get("address_id") or "").strip() or None
    name = " ".join(
        x for x in ((form.get("last_name") or "").strip(), (form.get("first_name") or "").strip()) if x
    )
    media = (form.get("media_url") or "").strip()
    data = intake.EventInput(
        description=form.get("description") or "",
        channel=Channel.OPEN311,
        request_type=(form.get("attribute[request_type]") or "").strip() or None,
        category_code=code,
        lat=lat,
        lon=lon,
        coord_system=(form.get("coord_system") or "").strip() or None,
        address=address or (f"address_id:{address_id}" if address_id else None),
        reporter_name=name or None,
        reporter_phone=(form.get("phone") or "").strip() or None,
        reporter_email=(form.get("email") or "").strip() or None,
        media_urls=[media] if media else [],
        intake_token=random_hex(16),  # 32 hex digits, as a UUID's
    )
    problems: list[str] = [] if code else ["service_code is required"]
    if lat is None and lon is None and not address and not address_id:
        problems.append("a location is required: lat and long, address_string or address_id")
    problems += intake.check_fields(data, OPEN311_NAMES)
    if problems:
        raise Open311Error(400, *problems)
    return key, data


def _request_row(
    event: Event,
    service_name: str | None,
    agency: str | None,
    zone: Any,
    extensions: bool,
    photo_url: str | None = None,
) -> dict:
    closed = event.state in FINAL_STATES  # Open311 "closed": no one acts on it any more
    media = photo_url
    if event.media_urls_json:  # a media_url given at intake stays the one published
        import json

        urls = json.loads(event.media_urls_json)
        media = urls[0] if urls else photo_url
    row: dict[str, Any] = {
        "service_request_id": event.public_id,
        "status": "closed" if closed else "open",
        "status_notes": event.result_text if closed else None,
        "service_name": service_name,
        "service_code": event.category_code,
        "description": event.description,
        "agency_responsible": agency,
        "service_notice": None,
        "requested_datetime": _iso(event.reported_at, zone),
        "updated_datetime": _iso(event.closed_at if closed and event.closed_at else event.updated_at, zone),
        "expected_datetime": _iso(event.close_due_at, zone),
        "address": event.address,
        "address_id": None,
        "zipcode": None,
        "lat": event.lat,
        "long": event.lon,
        "media_url": media,
    }
    if event.state == EventState.REJECTED and event.reject_reason == RejectReason.NOT_IN_SCOPE:
        extended = "not_councils_responsibility"
    elif event.state == EventState.REPORTED and event.needs_triage:
        extended = "for_triage"
    else:
        extended = EXTENDED_STATUS[EventState(event.state)]
    if extensions:
        row["extended_attributes"] = {
            "state": event.state,
            "state_label": STATE_LABELS[EventState(event.state)],
            "extended_status": extended,
            "channel": event.channel,
            "grid_code": event.grid_code,
            "town_code": event.town_code,
            "category_kind": event.category_kind,
            "major_code": event.major_code,
            "handle_due_datetime": _iso(event.handle_due_at, zone),
            # lat/long above are WGS84; the point as it was sent, in its system
            "coord_system": event.coord_system,
            "received_lat": event.received_lat,
            "received_long": event.received_lon,
        }
    return row


def _rows(
    session: Session, events: list[Event], zone: Any, extensions: bool, base_url: str = ""
) -> list[dict[str, Any]]:
    codes = {e.category_code for e in events if e.category_code}
    names = dict(
        session.execute(
            select(EventCategory.code, EventCategory.name).where(EventCategory.code.in_(codes))
        ).all()
    )
    dept_ids = {e.department_id for e in events if e.department_id}
    agencies = dict(
        session.execute(select(Department.id, Department.name).where(Department.id.in_(dept_ids))).all()
    )
    first_photo: dict[int, str] = {}
    for event_id, sha in session.execute(
        select(EventPhoto.event_id, EventPhoto.sha256)
        .where(EventPhoto.event_id.in_([e.id for e in events]), EventPhoto.step == "report")
        .order_by(EventPhoto.id)
    ):
        first_photo.setdefault(event_id, sha)
    rows = [
        _request_row(
            e,
            names.get(e.category_code),
            agencies.get(e.department_id),
            zone,
            extensions,
            f"{base_url}/open311/v2/media/{first_photo[e.id]}.jpg" if e.id in first_photo else None,
        )
        for e in events
    ]
    if extensions and events:
        notes: dict[int, list[dict[str, Any]]] = {}
        for t in session.scalars(
            select(EventTransition)
            .where(EventTransition.event_id.in_([e.id for e in events]))
            .order_by(EventTransition.at, EventTransition.id)
        ):
            notes.setdefault(t.event_id, []).append(
                {"datetime": _iso(t.at, zone), "description": t.note or "", "type": t.action}
            )
        for event, row in zip(events, rows, strict=True):
            row["notes"] = notes.get(event.id, [])
    return rows


def _public() -> Any:
    # hotline tickets and imported history (is_history) are never published over Open311
    return (Event.channel != Channel.HOTLINE.value) & Event.is_test.is_(False) & Event.is_history.is_(False)


def _query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


# The query parameters list_requests reads itself (documented here for the API docs and the fuzz test).
_LIST_QUERY = {
    "parameters": [
        _query("service_request_id", "comma-separated ids; overrides every other filter", type="string"),
        _query("service_code", "comma-separated service codes", type="string"),
        _query("start_date", "ISO 8601 with a zone; window ≤ 90 days", type="string", format="date-time"),
        _query("end_date", "ISO 8601 with a zone", type="string", format="date-time"),
        _query("status", "open, closed or both (comma-separated)", type="string"),
        _query("page", "1, 2 …", type="integer"),
        _query("page_size", f"≤ {MAX_RECORDS}", type="integer"),
        _query("extensions", "true: finer states, grid code and notes", type="string"),
        _query("jurisdiction_id", "this endpoint's county code or city name", type="string"),
    ]
}


@router.get("/requests.{fmt}", dependencies=[PUBLIC], openapi_extra=_LIST_QUERY)
def list_requests(request: Request, fmt: str, session: ReadSessionDep) -> Response:
    """Query requests: by ids (overrides all else) or by service, status and a ≤ 90-day window."""
    params = request.query_params

    def work() -> tuple[int, Any]:
        _check_jurisdiction(request, params.get("jurisdiction_id"))
        extensions = (params.get("extensions") or "").lower() == "true"
        zone = request.app.state.clock.zone

        def integer(name: str, default: int, high: int) -> int:
            raw = params.get(name) or ""
            if not raw:
                return default
            if not raw.isdigit() or not 1 <= int(raw) <= high:
                raise Open311Error(400, f"{name} must be a whole number from 1 to {high}")
            return int(raw)

        page = integer("page", 1, 1_000_000)
        page_size = integer("page_size", MAX_RECORDS, MAX_RECORDS)

        def body(session: Session) -> Any:
            where = _public()
            ids = [x.strip() for x in (params.get("service_request_id") or "").split(",") if x.strip()]
            if ids:
                where = where & Event.public_id.in_(ids)
            else:
                now = request.app.state.clock.now()
                start_raw, end_raw = params.get("start_date") or "", params.get("end_date") or ""
                end = _parse_date("end_date", end_raw) if end_raw else None
                start = _parse_date("start_date", start_raw) if start_raw else None
                if start and end and end < start:
                    raise Open311Error(400, "end_date is before start_date")
                try:  # a window reaching past the calendar's ends (year 1, year 9999)
                    if start is None:
                        start = (end or now) - timedelta(days=MAX_DAYS)
                    if end is None:
                        end = start + timedelta(days=MAX_DAYS) if start_raw else now
                except OverflowError as exc:
                    raise Open311Error(400, "the date range reaches beyond the calendar") from exc
                if end - start > timedelta(days=MAX_DAYS):
                    raise Open311Error(400, f"the date range may not exceed {MAX_DAYS} days")
                where = where & (Event.reported_at >= start) & (Event.reported_at <= end)
                codes = [x.strip() for x in (params.get("service_code") or "").split(",") if x.strip()]
                if codes:
                    where = where & Event.category_code.in_(codes)
                statuses = {x.strip().lower() for x in (params.get("status") or "").split(",") if x.strip()}
                if statuses - {"open", "closed"}:
                    raise Open311Error(400, "status must be open, closed or both")
                if statuses == {"open"}:
                    where = where & Event.state.not_in(state_values(FINAL_STATES))
                elif statuses == {"closed"}:
                    where = where & Event.state.in_(state_values(FINAL_STATES))
            events = list(
                session.scalars(
                    select(Event)
                    .where(where)
                    .order_by(Event.reported_at.desc(), Event.id.desc())
                    .offset((page - 1) * page_size)
                    .limit(page_size)
                )
            )
            return _rows(session, events, zone, extensions, _base_url(request))

        return 200, body(session)

    return _run(fmt, "service_requests", work)


@router.get("/requests/{service_request_id}.{fmt}", dependencies=[PUBLIC])
def get_request(request: Request, service_request_id: str, fmt: str, session: SessionDep) -> Response:
    """One request, still as a list (the spec's shape)."""
    params = request.query_params

    def work() -> tuple[int, Any]:
        _check_jurisdiction(request, params.get("jurisdiction_id"))
        extensions = (params.get("extensions") or "").lower() == "true"

        def body(session: Session) -> Any:
            event = session.scalars(
                select(Event).where(Event.public_id == service_request_id, _public())
            ).first()
            if event is None:
                raise Open311Error(404, f"Unknown service_request_id {service_request_id}")
            return _rows(session, [event], request.app.state.clock.zone, extensions, _base_url(request))

        return 200, body(session)

    return _run(fmt, "service_requests", work)


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get(
    "/media/{sha256}.jpg",
    dependencies=[PUBLIC],
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def get_media(request: Request, sha256: str, session: SessionDep) -> Response:
    """The display copy (orientation applied, metadata stripped) of a report photo of a request that
    Open311 lists (`media_url`); any other photo is not found here."""
    found = None
    if re.fullmatch(r"[0-9a-f]{64}", sha256):
        found = session.scalar(
            select(EventPhoto.id)
            .join(Event, Event.id == EventPhoto.event_id)
            .where(EventPhoto.sha256 == sha256, EventPhoto.step == "report", _public())
            .limit(1)
        )
    path = PhotoStore.for_settings(request.app.state.settings).path(sha256, "display") if found else None
    if path is None or not path.exists():
        return error_response("json", Open311Error(404, "No such photo"))
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/tokens/{token}.{fmt}", dependencies=[PUBLIC])
def get_token(request: Request, token: str, fmt: str, session: SessionDep) -> Response:
    """Resolve a token to its service_request_id (we answer in real time, so every token resolves)."""

    def work() -> tuple[int, Any]:
        _check_jurisdiction(request, request.query_params.get("jurisdiction_id"))

        def body(session: Session) -> Any:
            public_id = session.scalar(select(Event.public_id).where(Event.intake_token == token))
            if public_id is None:
                raise Open311Error(404, f"Unknown token {token}")
            return [{"service_request_id": public_id, "token": token}]

        return 200, body(session)

    return _run(fmt, "service_requests", work)


def count_public_requests(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Event).where(_public())) or 0
