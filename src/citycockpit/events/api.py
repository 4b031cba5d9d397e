"""`/api/v1/events`: intake, queues and lists, one event with its timeline, and workflow actions."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from pydantic import BaseModel, ValidationError

from citycockpit.auth import pii
from citycockpit.auth.deps import client_ip, require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.core import tabular
from citycockpit.core.coords import CoordSystem, to_wgs84
from citycockpit.db import ReadSessionDep, SessionDep
from citycockpit.events import catalogue, photos, queries
from citycockpit.events import categories as cats
from citycockpit.events.enums import EventState
from citycockpit.events.intake import classifier, duplicates, grids, history, hotline
from citycockpit.events.intake import service as intake
from citycockpit.events.schemas import (
    ActionIn,
    AssistIn,
    CatalogueImportSummary,
    CatalogueRead,
    EventCreate,
    EventDetail,
    EventPage,
    EventRead,
    HistoryImportSummary,
    ImportSummary,
    ObjectionCountRead,
    PhotoRead,
    RegisterDispatchIn,
    event_read,
    photo_read,
    repeat_link,
    reporter_of,
    transition_read,
)
from citycockpit.events.sla import WorkCalendar
from citycockpit.events.workflow import assists, service
from citycockpit.events.workflow.transitions import allowed_actions
from citycockpit.org import queries as org_queries

router = APIRouter(prefix="/api/v1/events", tags=["events"])

Reader = Annotated[Principal, require(Perm.EVENTS_READ)]
Creator = Annotated[Principal, require(Perm.EVENTS_CREATE)]
Worker = Annotated[Principal, require(Perm.EVENTS_WORK)]
Admin = Annotated[Principal, require(Perm.EVENTS_ADMIN)]
CoordSystemParam = Annotated[
    CoordSystem | None,
    Query(description="The system of the file's 纬度/经度 where a row's 坐标系 cell is empty; default wgs84"),
]


def calendar_of(request: Request) -> WorkCalendar:
    return WorkCalendar.of_app(request.app.state)


def objection_window_hours(request: Request) -> float:
    return float(request.app.state.settings.events_objection_window_hours)


def intake_options(request: Request) -> dict[str, Any]:
    """Intake's settings for this app (calendar, triage threshold, repeat window): the same for every
    route that reports events, the workbench form's included (`intake.IntakeSettings`)."""
    return intake.IntakeSettings.of_app(request.app.state).options()


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its `$defs` written in place (an OpenAPI request body has no $defs)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(dict(defs[ref.rsplit("/", 1)[1]]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


def _json_or_multipart(model: type[BaseModel], what: str) -> dict[str, Any]:
    """The OpenAPI request body of a route that takes `model` as JSON, or as multipart/form-data with
    that JSON in the field `data` and photo files in `photos`."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _inline(model.model_json_schema())},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "data": {"type": "string", "description": f"{what} as JSON"},
                            "photos": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        },
                        "required": ["data"],
                    }
                },
            },
        }
    }


class Upload:
    """A request body as a model plus the photo files that came with it (multipart only)."""

    def __init__(self, model: type[BaseModel]) -> None:
        self.model = model

    async def __call__(self, request: Request) -> tuple[Any, list[tuple[bytes, str | None]]]:
        limit = request.app.state.settings.photos_max_bytes
        files: list[tuple[bytes, str | None]] = []
        try:
            if request.headers.get("content-type", "").startswith("multipart/form-data"):
                form = await request.form()
                raw = form.get("data")
                if not isinstance(raw, str):
                    raise RequestValidationError(
                        [
                            {
                                "type": "missing",
                                "loc": ("body", "data"),
                                "msg": "the JSON field `data` is required",
                            }
                        ]
                    )
                body = self.model.model_validate_json(raw)
                for item in form.getlist("photos"):
                    if not isinstance(item, str):
                        files.append((await item.read(limit + 1), item.filename))
            else:
                body = self.model.model_validate(await request.json())
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            ) from exc
        except ValueError as exc:  # not JSON at all
            raise RequestValidationError(
                [{"type": "json_invalid", "loc": ("body",), "msg": "the body is not valid JSON"}]
            ) from exc
        return body, files


def _uploads(request: Request, files: list[tuple[bytes, str | None]]) -> list[photos.PreparedPhoto]:
    settings = request.app.state.settings
    return photos.prepare_photos(files, photos.PhotoLimits.from_settings(settings), zone=settings.zone)


def _store(request: Request) -> photos.PhotoStore:
    return photos.PhotoStore.for_settings(request.app.state.settings)


@router.post(
    "",
    response_model=EventRead,
    status_code=201,
    openapi_extra=_json_or_multipart(EventCreate, "the event (EventCreate)"),
)
def create_event(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Creator,  # before the body: a caller without the right is refused before it is read
    upload: Annotated[tuple[EventCreate, list[tuple[bytes, str | None]]], Depends(Upload(EventCreate))],
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=64,
            description="A key you make for this report (a UUID): a repeated send with it answers 200 "
            "with the event already created instead of creating a second one.",
        ),
    ] = None,
) -> Any:
    """Report (上报) an event; the grid, department and duplicates are worked out on the way in. Send
    JSON, or multipart/form-data with the JSON in `data` and photos in `photos` (a category that
    requires a photo at report refuses the event without one)."""
    body, files = upload
    event, created = intake.report_with_photos(
        session,
        intake.EventInput(**body.model_dump(), idempotency_key=idempotency_key or None),
        _uploads(request, files),
        store=_store(request),
        actor=principal,
        now=request.app.state.clock.now(),
        **intake_options(request),
        ip=client_ip(request),
    )
    session.commit()
    if not created:
        response.status_code = 200
    body = _read_events(request, session, principal, [event])[0]
    session.commit()  # a pii.read entry the answer wrote
    return body


@router.get("", response_model=EventPage)
def list_events(
    request: Request,
    session: SessionDep,
    stale_ok: ReadSessionDep,
    principal: Reader,
    state: Annotated[str | None, Query(description="State or comma-separated states")] = None,
    queue: Annotated[str | None, Query(description=", ".join(queries.QUEUES))] = None,
    category: Annotated[str | None, Query(description="Minor (E0102) or major (E01) category code")] = None,
    department_id: int | None = None,
    area: Annotated[str | None, Query(description="Area code: the subtree of events to list")] = None,
    channel: str | None = None,
    date_from: Annotated[
        date | None, Query(alias="from", description="Reported on or after (local date)")
    ] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="Reported on or before (local date)")
    ] = None,
    surge: Annotated[int | None, Query(ge=1, description="The events behind this surge alert")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Events in the caller's scope, filtered, newest first."""
    filters = queries.EventFilter(
        states=[s.strip() for s in (state or "").split(",") if s.strip()],
        queue=queue,
        category=category,
        department_id=department_id,
        area=area,
        channel=channel,
        date_from=date_from,
        date_to=date_to,
        surge_id=surge,
    )
    items, total = queries.list_events(stale_ok, principal, filters, offset=offset, limit=limit)
    return {  # read on the replica (if any); an unmasked read is audited on the primary
        "items": _read_events(request, session, principal, items),
        "total": total,
        "offset": offset,
        "limit": limit,
    }


@router.get("/locate")
def locate_point(
    session: SessionDep,
    principal: Creator,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    coord_system: Annotated[
        CoordSystem, Query(description="The system lat/lon are in, as at intake; default wgs84")
    ] = CoordSystem.WGS84,
) -> dict[str, Any]:
    """The grid a point lies in, as intake will find it (events/intake/grids.py, after the same
    conversion to WGS84): `{grid_code, grid_name, town_name, method, in_scope}` (`in_scope`: the caller
    may report there); nulls without grids."""
    found = grids.locate_grid(session, *to_wgs84(lat, lon, coord_system))
    if found is None:
        return {"grid_code": None, "grid_name": None, "town_name": None, "method": None, "in_scope": False}
    code, method = found
    scope = principal.area_code if principal.is_area_scoped else None
    return {
        "grid_code": code,
        "grid_name": org_queries.area_name(session, code),
        "town_name": org_queries.area_name(session, code[:9]),
        "method": method.value,
        "in_scope": not scope or code.startswith(scope),
    }


@router.get("/categories/suggestions")
def suggest_categories(
    session: SessionDep,
    principal: Creator,
    text: Annotated[str, Query(max_length=4000, description="What the reporter has typed so far")] = "",
) -> list[dict[str, Any]]:
    """The classifier's likeliest categories for a text (the report form's suggestions as the worker
    types), best first: `{code, name, score}`; [] without a trained model."""
    return [
        {"code": c.code, "name": c.name, "score": round(score, 3)}
        for c, score in classifier.suggest_categories(session, text)
    ]


@router.get("/categories")
def list_categories(session: SessionDep, principal: Reader, kind: str | None = None) -> list[dict[str, Any]]:
    """The category trees with each minor category's department, clock, limits and duplicate rule."""
    return [
        {
            "code": c.code,
            "name": c.name,
            "kind": c.kind,
            "level": c.level,
            "parent_code": c.parent_code,
            "department": c.default_department_code,
            "clock_kind": c.clock_kind,
            "sign_limit": c.sign_limit,
            "handle_limit": c.handle_limit,
            "verify_limit": c.verify_limit,
            "onsite_verification": c.requires_onsite_verification,
            "duplicate_radius_m": c.duplicate_radius_m,
            "duplicate_window_h": c.duplicate_window_h,
        }
        for c in cats.list_categories(session, kind=kind)
    ]


@router.post("/categories/import", response_model=ImportSummary)
def import_categories(request: Request, file: UploadFile, session: SessionDep, principal: Admin) -> Any:
    """Replace category settings from a YAML/CSV/XLSX file; one bad row stores nothing."""
    data = file.file.read(tabular.MAX_IMPORT_BYTES + 1)
    result = cats.import_categories(
        session,
        data,
        file.filename or "upload",
        actor=principal,
        now=request.app.state.clock.now(),
        ip=client_ip(request),
    )
    session.commit()
    return {"created": result.created, "updated": result.updated}


@router.post("/import", response_model=ImportSummary)
def import_hotline(
    request: Request,
    file: UploadFile,
    session: SessionDep,
    principal: Creator,
    encoding: str = "utf-8",
    coord_system: CoordSystemParam = None,
) -> Any:
    """Import a 12345 hotline CSV/XLSX export; one bad row stores nothing and every bad row is named."""
    data = file.file.read(tabular.MAX_IMPORT_BYTES + 1)
    created = hotline.import_hotline_file(
        session,
        data,
        file.filename or "upload",
        actor=principal,
        now=request.app.state.clock.now(),
        **intake_options(request),
        encoding=encoding,
        ip=client_ip(request),
        coord_system=coord_system,
    )
    session.commit()
    return {"created": created, "updated": 0}


# ---- the dispatch catalogue (派单目录) and objections (派单异议) ------------------------------------

Publisher = Annotated[Principal, require(Perm.EVENTS_CATALOGUE)]


def _rule_read(rule: catalogue.CatalogueRule | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {
        "id": rule.id,
        "version": rule.version,
        "position": rule.position,
        "category_code": rule.category_code,
        "department_code": rule.department_code,
        "area_code": rule.area_code,
        "keywords": list(rule.keywords),
    }


@router.get("/catalogue", response_model=CatalogueRead)
def get_catalogue(
    session: SessionDep,
    principal: Reader,
    version: Annotated[int | None, Query(ge=0, description="Version number; newest when omitted")] = None,
) -> Any:
    """A version of the dispatch catalogue (派单目录) with its rows (version 0: the categories' own
    default departments), and every published version."""
    number, rules = catalogue.version_rules(session, version)
    return {
        "version": number,
        "rules": [_rule_read(r) for r in rules],
        "versions": [
            {
                "version": v.number,
                "published_at": v.published_at,
                "published_by": v.published_by,
                "source": v.source,
                "rule_count": v.rule_count,
            }
            for v in catalogue.list_versions(session)
        ],
    }


@router.get("/catalogue/export")
def export_catalogue(
    session: SessionDep,
    principal: Reader,
    version: Annotated[int | None, Query(ge=0, description="Version number; newest when omitted")] = None,
) -> Response:
    """The catalogue as the XLSX `catalogue/import` reads."""
    data = catalogue.export_catalogue(session, "xlsx", number=version)
    return Response(
        data,
        media_type=tabular.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="dispatch-catalogue.xlsx"'},
    )


@router.post("/catalogue/import", response_model=CatalogueImportSummary)
def import_catalogue(
    request: Request, file: UploadFile, session: SessionDep, principal: Publisher, encoding: str = "utf-8"
) -> Any:
    """Publish a new catalogue version from an XLSX/CSV file; one bad row stores nothing and every bad
    row is named."""
    data = file.file.read(tabular.MAX_IMPORT_BYTES + 1)
    result = catalogue.import_catalogue(
        session,
        data,
        file.filename or "upload",
        actor=principal,
        now=request.app.state.clock.now(),
        encoding=encoding,
        ip=client_ip(request),
    )
    session.commit()
    return {
        "version": result.version,
        "rules": result.rules,
        "added": result.added,
        "removed": result.removed,
    }


@router.post("/history/import", response_model=HistoryImportSummary)
def import_history(
    request: Request,
    file: UploadFile,
    session: SessionDep,
    principal: Annotated[Principal, require(Perm.EVENTS_HISTORY)],
    encoding: str = "utf-8",
    coord_system: CoordSystemParam = None,
) -> Any:
    """Import a city's closed 12345 tickets as history (CSV/XLSX); all or nothing, every bad row named."""
    data = file.file.read(tabular.MAX_IMPORT_BYTES + 1)
    result = history.import_history_file(
        session,
        data,
        file.filename or "upload",
        actor=principal,
        now=request.app.state.clock.now(),
        zone=request.app.state.settings.zone,
        encoding=encoding,
        repeat_window_days=intake.IntakeSettings.of_app(request.app.state).repeat_window_days,
        ip=client_ip(request),
        coord_system=coord_system,
    )
    session.commit()
    return asdict(result)


@router.get("/objections/by-category", response_model=list[ObjectionCountRead])
def objection_counts(
    request: Request,
    session: SessionDep,
    principal: Reader,
    date_from: Annotated[
        date | None, Query(alias="from", description="Raised on or after (local date)")
    ] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Raised on or before (local date)")] = None,
) -> Any:
    """Departments' objections to dispatches (派单异议) per minor category, most first: accepted ones
    point at catalogue rows that send a category to the wrong department."""
    zone = calendar_of(request).zone
    since = datetime.combine(date_from, time(0), zone) if date_from else None
    until = datetime.combine(date_to + timedelta(days=1), time(0), zone) if date_to else None
    return [c.__dict__ for c in queries.objection_counts(session, since=since, until=until)]


def _read_events(
    request: Request, session: Any, principal: Principal, events: list[Any]
) -> list[dict[str, Any]]:
    """The events as the caller may see them: reporters through `auth.pii.reveal_many`, so an
    unmasked read is audited once for the request."""
    reporters = pii.reveal_many(
        principal,
        session,
        [(e.public_id, reporter_of(e)) for e in events],
        object_type="event",
        now=request.app.state.clock.now(),
    )
    return [event_read(e, r) for e, r in zip(events, reporters, strict=True)]


def _detail(request: Request, session: Any, event: Any, principal: Principal) -> dict[str, Any]:
    now = request.app.state.clock.now()
    category = service._category(session, event)
    onsite = bool(category.requires_onsite_verification) if category else True
    body = _read_events(request, session, principal, [event])[0]
    body["timeline"] = [transition_read(t) for t in queries.timeline(session, event)]
    body["duplicates"] = [
        {
            "event_id": p.event_id,
            "original_id": p.original_id,
            "distance_m": p.distance_m,
            "hours_apart": p.hours_apart,
            "status": p.status,
        }
        for p in duplicates.proposals_for(session, event.id)
    ]
    body["routing_catalogue"] = _rule_read(catalogue.find_rule(session, event.routing_rule_id))
    body["objections"] = [
        {
            "id": o.id,
            "department_id": o.department_id,
            "reason": o.reason,
            "status": o.status,
            "raised_at": o.raised_at,
            "raised_by": o.raised_by,
            "decided_at": o.decided_at,
            "decided_by": o.decided_by,
            "decision_note": o.decision_note,
            "new_department_id": o.new_department_id,
        }
        for o in queries.objections_of(session, event)
    ]
    lead = not principal.is_department_scoped or event.department_id == principal.department_id
    body["allowed_actions"] = (
        [
            a.value
            for a in allowed_actions(
                EventState(event.state),
                principal.role,
                onsite_required=onsite,
                pending_objection=bool(event.has_pending_objection),
                history=event.is_history,
            )
        ]
        if lead
        else []
    )
    body["assists"] = [
        {
            "department_id": a.department_id,
            "state": a.state,
            "assigned_at": a.assigned_at,
            "due_at": a.due_at,
            "is_overdue": a.is_overdue(now),
            "signed_at": a.signed_at,
            "signed_by": a.signed_by,
            "handled_at": a.handled_at,
            "handled_by": a.handled_by,
            "note": a.note,
        }
        for a in assists.list_assists(session, event.id)
    ]
    body["assist_actions"] = assists.assist_actions(session, event, principal)
    repeat = queries.repeat_info(session, event)
    body["repeat"] = (
        {
            "seq": repeat.seq,
            "earlier": repeat_link(repeat.earlier) if repeat.earlier else None,
            "later": [repeat_link(e) for e in repeat.later],
        }
        if repeat.earlier or repeat.later
        else None
    )
    return body


@router.get("/{event_ref}", response_model=EventDetail)
def get_event(request: Request, event_ref: str, session: SessionDep, principal: Reader) -> Any:
    """One event (by id or public id) with its timeline, duplicate proposals and the caller's actions."""
    event = queries.get_event(session, event_ref, principal)
    return _detail(request, session, event, principal)  # a pii.read entry commits on its own


@router.post("/{event_ref}/assist/sign", response_model=EventDetail)
def sign_assist(request: Request, event_ref: str, session: SessionDep, principal: Worker) -> Any:
    """A co-operating department (配合单位) signs for its part of a jointly handled event."""
    event = assists.sign_assist(
        session, event_ref, actor=principal, now=request.app.state.clock.now(), ip=client_ip(request)
    )
    session.commit()
    body = _detail(request, session, event, principal)
    session.commit()  # a pii.read entry the answer wrote
    return body


@router.post("/{event_ref}/assist/handle", response_model=EventDetail)
def handle_assist(
    request: Request, event_ref: str, body: AssistIn, session: SessionDep, principal: Worker
) -> Any:
    """A co-operating department reports its part (反馈) to the lead, with a note of what it did; the
    lead's 处置完毕 waits for every co-operating part."""
    event = assists.handle_assist(
        session,
        event_ref,
        note=body.note,
        actor=principal,
        now=request.app.state.clock.now(),
        ip=client_ip(request),
    )
    session.commit()
    body = _detail(request, session, event, principal)
    session.commit()  # a pii.read entry the answer wrote
    return body


@router.post("/{event_ref}/register-dispatch", response_model=EventDetail)
def register_and_dispatch(
    request: Request, event_ref: str, body: RegisterDispatchIn, session: SessionDep, principal: Worker
) -> Any:
    """Finish triage in one step: register (立案) with the chosen category, then dispatch (派遣) to the
    chosen department or the category's rule department; both steps or neither, each audited."""
    event = service.register_and_dispatch(
        session,
        event_ref,
        version=body.version,
        category_code=body.category_code,
        department_id=body.department_id,
        note=(body.note or "").strip() or None,
        actor=principal,
        now=request.app.state.clock.now(),
        calendar=calendar_of(request),
        ip=client_ip(request),
    )
    session.commit()
    body = _detail(request, session, event, principal)
    session.commit()  # a pii.read entry the answer wrote
    return body


@router.get("/{event_ref}/photos", response_model=list[PhotoRead])
def list_photos(event_ref: str, request: Request, session: SessionDep, principal: Reader) -> Any:
    """The event's photos (report, handle, verify), each with where and when it was taken relative to
    the event and its flags; the files are at each photo's `display_url` and `thumb_url`."""
    event = queries.get_event(session, event_ref, principal)
    flag_m = request.app.state.settings.photos_flag_distance_m
    return [
        photo_read(event, photos.check_photo(event, p, flag_distance_m=flag_m))
        for p in photos.list_photos(session, event)
    ]


@router.get(
    "/{event_ref}/photos/{photo_id}/{variant}",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def get_photo_file(
    event_ref: str, photo_id: int, variant: str, request: Request, session: SessionDep, principal: Reader
) -> Any:
    """A photo's file: `display` or `thumb` (JPEG, orientation applied, metadata stripped), or the
    `original` as uploaded for callers holding pii:read. Outside the caller's scope: 404."""
    event = queries.get_event(session, event_ref, principal)
    path, media = photos.photo_file(
        session, event, photo_id, variant, _store(request), original_allowed=principal.can(Perm.PII_READ)
    )
    return FileResponse(path, media_type=media, headers={"Cache-Control": "private, max-age=86400"})


@router.post(
    "/{event_ref}/{action}",
    response_model=EventDetail,
    openapi_extra=_json_or_multipart(ActionIn, "the action (ActionIn)"),
)
def transition_event(
    request: Request,
    event_ref: str,
    action: str,
    session: SessionDep,
    principal: Worker,  # before the body: a caller without the right is refused before it is read
    upload: Annotated[tuple[ActionIn, list[tuple[bytes, str | None]]], Depends(Upload(ActionIn))],
) -> Any:
    """Take a workflow action (register, dispatch, sign, handle, verify, close, rate …) on the version
    you saw; a stale version is refused with 409 version_conflict. Handle, verify and rework take
    photos: send multipart/form-data with the JSON in `data` and the files in `photos`."""
    body, files = upload
    event = service.transition_event(
        session,
        event_ref,
        action,
        service.ActionInput(**body.model_dump(), uploads=_uploads(request, files)),
        actor=principal,
        now=request.app.state.clock.now(),
        calendar=calendar_of(request),
        objection_window_hours=objection_window_hours(request),
        ip=client_ip(request),
        photo_store=_store(request),
    )
    session.commit()
    body = _detail(request, session, event, principal)
    session.commit()  # a pii.read entry the answer wrote
    return body
