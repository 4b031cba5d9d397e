"""Workbench pages for events (一网统管): per-role queues, an event's detail (timeline, location, SLA
clock, the actions the caller may take with a note), the report form for grid workers, and the
categories with their SLA limits. Everything goes through the events domain's service, intake, queries
and categories functions (org's queries name departments and areas), which check role, scope and state;
the page builds no SQL."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response

from citycockpit.auth import pii
from citycockpit.auth import queries as auth_queries
from citycockpit.auth.deps import require
from citycockpit.auth.enums import Perm, Role
from citycockpit.auth.principal import Principal
from citycockpit.core import coords as coords_home
from citycockpit.core.coords import CoordSystem
from citycockpit.core.errors import AppError
from citycockpit.core.tabular import MAX_IMPORT_BYTES, XLSX_MEDIA_TYPE, write_xlsx
from citycockpit.db import ReadSessionDep, SessionDep
from citycockpit.events import catalogue as catalogue_service
from citycockpit.events import categories as category_service
from citycockpit.events import photos as photo_service
from citycockpit.events import queries as event_queries
from citycockpit.events.enums import Action, AssistAction, EventState
from citycockpit.events.intake import history as history_import
from citycockpit.events.intake import service as intake
from citycockpit.events.intake.classifier import event_text
from citycockpit.events.schemas import reporter_of
from citycockpit.events.sla import WorkCalendar, minutes_left, stage_due
from citycockpit.events.surges import queries as surge_queries
from citycockpit.events.surges import service as surge_service
from citycockpit.events.workflow import assists as assist_service
from citycockpit.events.workflow import service as event_service
from citycockpit.events.workflow.transitions import STATE_LABELS, allowed_actions
from citycockpit.org import queries as org_queries
from citycockpit.web import i18n
from citycockpit.web.render import check_csrf, render
from citycockpit.web.tables import Column, table_page

router = APIRouter(prefix="/app/events", tags=["pages"], include_in_schema=False)

Reader = Annotated[Principal, require(Perm.EVENTS_READ)]
Worker = Annotated[Principal, require(Perm.EVENTS_WORK)]
Creator = Annotated[Principal, require(Perm.EVENTS_CREATE)]
SurgeAcknowledger = Annotated[Principal, require(Perm.EVENTS_SURGES)]
CsrfField = Annotated[str, Form()]
# A browser sends an empty part for a file field left empty, which arrives as "" rather than a file.
PhotoFiles = Annotated[list[UploadFile | str] | None, File()]
PAGE = 25


_t = i18n.request_text


def _state_label(request: Request, state: str) -> str:
    return _state_labels(request).get(state, state)


def _state_labels(request: Request) -> dict[str, str]:
    lang = i18n.request_language(request)
    return {
        s.value: i18n.domain_label(lang, f"events.state.{s.value}", label)
        for s, label in STATE_LABELS.items()
    }


def photo_store(request: Request) -> photo_service.PhotoStore:
    return photo_service.PhotoStore.for_settings(request.app.state.settings)


def read_uploads(request: Request, files: list[UploadFile | str] | None) -> list[photo_service.PreparedPhoto]:
    """A form's `photos` files checked (size, type, pixels, count) into photos ready to store; reads at
    most one byte past the size limit of each, so an oversized file is refused without reading it whole."""
    settings = request.app.state.settings
    limits = photo_service.PhotoLimits.from_settings(settings)
    raw = [(f.file.read(limits.max_bytes + 1), f.filename) for f in files or [] if not isinstance(f, str)]
    return photo_service.prepare_photos(raw, limits, zone=settings.zone)


@router.get("")
def list_events(
    request: Request,
    session: SessionDep,
    stale_ok: ReadSessionDep,
    principal: Reader,
    queue: str = "",
    category: Annotated[str, Query(max_length=16)] = "",
    state: str = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    sort: Annotated[str, Query(max_length=20)] = "",
    area: Annotated[str, Query(pattern=r"^(\d{6,15})?$")] = "",
    channel: Annotated[str, Query(pattern=r"^[a-z0-9_]{0,20}$")] = "",
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    closed_from: date | None = None,
    closed_to: date | None = None,
    overdue: bool = False,
    surge: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
) -> Response:
    queues = event_queries.ROLE_QUEUES.get(principal.role.value, [])
    if sort.lstrip("-") not in {*event_queries.EVENT_SORTS, event_queries.URGENCY}:
        sort = ""
    if queue and queue not in event_queries.QUEUES:
        queue = ""
    # a big-screen drill-down (period, area, channel, overdue) lands on exactly the set the panel counted
    drill = bool(area or channel or date_from or date_to or closed_from or closed_to or overdue or surge)
    surge_row = surge_queries.get_surge(session, surge, principal) if surge else None
    # The role's first queue when nothing is asked; the 全部 tab asks `queue=` (empty): every event.
    if "queue" not in request.query_params and not category and not state and not drill and queues:
        queue = queues[0]
    states = [state] if state in {s.value for s in EventState} else []
    now = request.app.state.clock.now()
    filters = event_queries.EventFilter(
        queue=queue or None,
        category=category or None,
        states=states,
        area=area or None,
        channel=channel or None,
        date_from=date_from,
        date_to=date_to,
        closed_from=closed_from,
        closed_to=closed_to,
        overdue_at=now if overdue else None,
        live_only=drill,
        surge_id=surge,
    )
    shown_filters = _filter_chips(request, session, filters, overdue=overdue)
    if surge_row is not None:
        shown_filters.insert(
            0,
            _t(request, "surges.filter", town=surge_row.town_name, category=surge_row.category_name),
        )
    if request.query_params.get("export") == "xlsx":
        items, _ = event_queries.list_events(
            stale_ok, principal, filters, offset=0, limit=5000, sort=sort or "-reported_at"
        )
        headers = ["编号", "标题", "状态", "类别", "来源", "上报时间", "处置时限"]
        rows = [
            [
                e.public_id,
                e.title,
                _state_label(request, e.state),
                e.category_code,
                e.channel,
                e.reported_at.isoformat(),
                e.handle_due_at.isoformat() if e.handle_due_at else None,
            ]
            for e in items
        ]
        return Response(
            write_xlsx({"events": (headers, rows)}),
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="events.xlsx"'},
        )
    if not sort and principal.role in URGENT_FIRST:
        sort = event_queries.URGENCY
    elif sort.lstrip("-") == event_queries.URGENCY:
        sort = event_queries.URGENCY
    items, total = event_queries.list_events(
        stale_ok, principal, filters, offset=offset, limit=PAGE, sort=sort or "-reported_at"
    )
    calendar = WorkCalendar.of_app(request.app.state)
    # a co-operating department's to-do is its own part: its clock and its lateness, not the lead's
    parts = assist_service.own_open_parts(
        session, [e.id for e in items if e.department_id != principal.department_id], principal.department_id
    )
    return render(
        request,
        "app/events.html",
        {
            "items": items,
            "total": total,
            "offset": offset,
            "limit": PAGE,
            "queue": queue,
            "queues": queues,
            "sort": sort,
            "sort_columns": [
                ("public_id", "events.col.id"),
                ("title", "events.col.title"),
                ("state", "events.col.state"),
                ("reported_at", "events.col.reported"),
                ("urgency", "events.col.left"),
            ],
            "clocks": {e.public_id: _clock(request, calendar, now, e, parts.get(e.id)) for e in items},
            "category": category,
            "filters": shown_filters,
            "state_labels": _state_labels(request),
            "can_create": principal.can(Perm.EVENTS_CREATE),
            "now": now,
            "surges": surge_queries.list_surges(session, principal, limit=10) if offset == 0 else [],
            "can_acknowledge": principal.can(Perm.EVENTS_SURGES),
        },
    )


@router.post("/surges/{alert_id}/acknowledge")
def acknowledge_surge(
    alert_id: Annotated[int, Path(ge=1, le=2_000_000_000)],
    request: Request,
    session: SessionDep,
    principal: SurgeAcknowledger,
    csrf_token: CsrfField = "",
) -> Response:
    """The surge card's 已知悉 button (events/surges/service.py `acknowledge_surge`); back to the list."""
    check_csrf(request, principal, csrf_token)
    surge_service.acknowledge_surge(session, alert_id, principal=principal, now=request.app.state.clock.now())
    session.commit()
    return RedirectResponse("/app/events", status_code=303)


# Roles whose list is a to-do list on the street: most urgent first unless they sort otherwise.
URGENT_FIRST = frozenset({Role.GRID_WORKER, Role.DEPARTMENT, Role.TOWN})


def _clock(
    request: Request, calendar: WorkCalendar, now: Any, event: Any, part: Any = None
) -> dict[str, Any] | None:
    """Time left on the event's current stage (events/sla.py), as a list shows it; for a co-operating
    department (`part`, its open part with a limit), time left on its own part."""
    if part is not None and part.due_at is not None:
        due, overdue, assist = part.due_at, part.is_overdue(now), True
    else:
        due, overdue, assist = stage_due(event), event.is_overdue(now), False
    if due is None:
        return None
    left = minutes_left(calendar, now, due, event.clock_kind)
    minutes = int(abs(left))
    days, rest = divmod(minutes, 1440)
    span = (
        _t(request, "time.days_hours", d=days, h=rest // 60)
        if days
        else _t(request, "time.hours_minutes", h=rest // 60, m=rest % 60)
    )
    key = "events.clock.over" if left < 0 else "events.clock.left"
    return {
        "text": _t(request, key, time=span),
        "over": left < 0,
        "soon": 0 <= left < 120,
        "due": due,
        "overdue": overdue,
        "assist": assist,
    }


def _filter_chips(
    request: Request, session: Any, filters: event_queries.EventFilter, *, overdue: bool
) -> list[str]:
    """The list's filters in words (类别 街面秩序, 上报日期 2024-09-01 至 2024-09-30 …), so a drill-down
    from the big screen shows what it counted."""
    chips = []
    if filters.category:
        try:
            name = category_service.get_category(session, filters.category).name
        except AppError:
            name = filters.category
        chips.append(_t(request, "events.filter.category", name=name))
    if filters.channel:
        chips.append(
            _t(request, "events.filter.channel", name=_t(request, "screen.channel." + filters.channel))
        )
    if filters.area:
        name = org_queries.area_name(session, filters.area) or filters.area
        chips.append(_t(request, "events.filter.area", name=name))
    for key, first, last in (
        ("reported", filters.date_from, filters.date_to),
        ("closed", filters.closed_from, filters.closed_to),
    ):
        if first or last:
            a, b = (first or last), (last or first)
            text = (
                str(a)
                if a == b
                else _t(request, "events.filter.range", a=str(first or "…"), b=str(last or "…"))
            )
            chips.append(_t(request, "events.filter." + key, dates=text))
    if overdue:
        chips.append(_t(request, "events.filter.overdue"))
    return chips


@router.get("/new")
def new_event(request: Request, session: SessionDep, principal: Creator) -> Response:
    return render(request, "app/event_new.html", _report_form(request, session, {}, {}))


def _report_form(
    request: Request, session: Any, form: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    """The report form's context: the categories to choose from, and the messages its script shows."""
    return {
        "categories": category_service.list_report_categories(session),
        "form": form,
        "errors": errors,
        "report_messages": i18n.client_messages(i18n.request_language(request), "report."),
    }


def _in_city(session: Any, lat: float, lon: float, coord_system: str) -> bool:
    """Whether a typed or located point lies in the city (its outline: org_queries.city_outline), taken
    in the coordinate system it was given in; True when the city has no shape to check against (a
    coordinate system the form does not know is refused on its own)."""
    outline = org_queries.city_outline(session)
    if outline is None:
        return True
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return False
    try:
        lat, lon = coords_home.to_wgs84(lat, lon, coord_system.strip() or None)
    except coords_home.UnknownCoordSystem:
        return True
    return outline.covers(lat, lon)


@router.post("/new")
def create_event(
    request: Request,
    session: SessionDep,
    principal: Creator,
    csrf_token: CsrfField = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    category_code: Annotated[str, Form(max_length=16)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    lat: Annotated[str, Form()] = "",
    lon: Annotated[str, Form()] = "",
    accuracy: Annotated[str, Form(max_length=20)] = "",
    coord_system: Annotated[str, Form(max_length=16)] = "",
    idempotency_key: Annotated[str, Form(max_length=64)] = "",
    photos: PhotoFiles = None,
) -> Response:
    """A grid worker (or the centre) reports an event with its photos; it is routed and registered by
    the rules. The form's idempotency key (made by the phone) makes a resent report answer with the
    event it created."""
    check_csrf(request, principal, csrf_token)
    form = {
        "description": description,
        "category_code": category_code,
        "address": address,
        "lat": lat,
        "lon": lon,
        "accuracy": accuracy,
        "coord_system": coord_system,
    }
    errors: dict[str, str] = {}
    if len(description.strip()) < 5:
        errors["description"] = _t(request, "events.form.describe")
    coords: list[float | None] = []
    for key, raw in (("lat", lat), ("lon", lon)):
        if not raw.strip():
            coords.append(None)
            continue
        try:
            coords.append(float(raw))
        except ValueError:
            errors[key] = _t(request, "form.not_number")
            coords.append(None)
    if (coords[0] is None) != (coords[1] is None):
        errors["lat"] = _t(request, "events.form.both_coords")
    elif (
        coords[0] is not None
        and coords[1] is not None
        and not _in_city(session, coords[0], coords[1], coord_system)
    ):
        errors["lat"] = _t(request, "events.form.out_of_city")
    accuracy_m = None
    if accuracy.strip() and coords[0] is not None:  # without a point an accuracy says nothing
        try:
            accuracy_m = float(accuracy)
        except ValueError:
            accuracy_m = -1.0
        if not intake.accuracy_in_range(accuracy_m):
            errors["lat"] = _t(request, "report.bad_accuracy")
    if coord_system.strip() not in ("", *(s.value for s in CoordSystem)):
        errors["lat"] = _t(request, "events.form.bad_coord_system")
    uploads: list[photo_service.PreparedPhoto] = []
    try:
        uploads = read_uploads(request, photos)
    except AppError as exc:
        errors["photos"] = i18n.request_error_text(request, exc)
    if not errors:
        channel = "patrol" if principal.role is Role.GRID_WORKER else "workbench"
        try:
            with session.begin_nested():  # a refused report undoes only itself
                event, _ = intake.report_with_photos(
                    session,
                    intake.EventInput(
                        description=description.strip(),
                        channel=channel,
                        category_code=category_code or None,
                        address=address.strip() or None,
                        lat=coords[0],
                        lon=coords[1],
                        location_accuracy_m=accuracy_m,
                        coord_system=coord_system.strip() or None,
                        grid_code=principal.area_code
                        if principal.area_code and len(principal.area_code) == 15 and coords[0] is None
                        else None,
                        idempotency_key=idempotency_key.strip() or None,
                    ),
                    uploads,
                    store=photo_store(request),
                    actor=principal,
                    now=request.app.state.clock.now(),
                    **intake.IntakeSettings.of_app(request.app.state).options(),
                )
        except AppError as exc:
            errors["photos" if exc.code == "event_photo_required" else "form"] = i18n.request_error_text(
                request, exc
            )
    if errors:
        return render(request, "app/event_new.html", _report_form(request, session, form, errors), status=422)
    session.commit()
    return RedirectResponse(f"/app/events/{event.public_id}?created=1", status_code=303)


def _detail(request: Request, session: Any, principal: Principal, ref: str, **extra: Any) -> Response:
    event = event_queries.get_event(session, ref, principal)
    reporter = pii.reveal(
        principal,
        session,
        reporter_of(event),
        object_type="event",
        object_id=event.public_id,
        now=request.app.state.clock.now(),
    )
    name, phone = reporter["reporter_name"], reporter["reporter_phone"]
    category = (
        category_service.find_category(session, event.category_code)  # None once the category is removed
        if event.category_code
        else None
    )
    onsite = category.requires_onsite_verification if category else True
    lead = not principal.is_department_scoped or event.department_id == principal.department_id
    actions = (
        allowed_actions(
            event.state,
            principal.role,
            onsite_required=onsite,
            pending_objection=bool(event.has_pending_objection),
            history=event.is_history,
        )
        if principal.can(Perm.EVENTS_WORK) and lead
        else []
    )
    assist_actions = (
        assist_service.assist_actions(session, event, principal) if principal.can(Perm.EVENTS_WORK) else []
    )
    parts = [
        (
            org_queries.find_department(session, a.department_id),
            a,
            a.is_overdue(request.app.state.clock.now()),
        )
        for a in assist_service.list_assists(session, event.id)
    ]
    repeat = event_queries.repeat_info(session, event)
    flag_m = request.app.state.settings.photos_flag_distance_m
    photo_checks = [
        photo_service.check_photo(event, p, flag_distance_m=flag_m)
        for p in photo_service.list_photos(session, event)
    ]
    department = org_queries.find_department(session, event.department_id) if event.department_id else None
    town = org_queries.area_name(session, event.town_code) if event.town_code else None
    grid = org_queries.area_name(session, event.grid_code) if event.grid_code else None
    now = request.app.state.clock.now()
    due = event.handle_due_at if event.is_being_handled else None
    sla = None
    if due is not None:
        minutes = int((due - now).total_seconds() // 60)
        sla = {
            "due": due,
            "overdue": event.is_overdue(now),
            "hours": abs(minutes) // 60,
            "minutes": abs(minutes) % 60,
        }
    departments = org_queries.department_choices(session, active_only=True)
    objections = event_queries.objections_of(session, event)
    names = {d.id: d.short_name or d.name for d in departments}
    suggestions = [
        {**s, "department_id": category_service.department_id_by_code(session, s.get("department_code"))}
        for s in event.suggestions
    ]
    for s in suggestions:
        s["department_name"] = names.get(s["department_id"]) if s["department_id"] else None
    timeline = event_queries.timeline(session, event)
    actors = i18n.actor_texts(
        request,
        auth_queries.actor_labels(
            session,
            [(tr.actor_id, tr.actor_name) for tr in timeline] + [(None, o.raised_by) for o in objections],
        ),
    )
    triage = None
    if Action.REGISTER in actions and Action.DISPATCH in allowed_actions(
        EventState.REGISTERED, principal.role, onsite_required=onsite
    ):  # the caller may finish triage: 立案 then 派遣
        triage = _triage(session, event, suggestions)
    return render(
        request,
        "app/event.html",
        {
            "routing_rule": catalogue_service.find_rule(session, event.routing_rule_id),
            "pending_objection": objections[-1] if event.has_pending_objection and objections else None,
            "suggestions": suggestions,
            "triage": triage,
            "event": event,
            "reporter": (name, phone),
            "category": category,
            "actions": [a.value for a in actions if a is not Action.MERGE] + assist_actions,
            "assists": parts,
            "repeat": repeat,
            "photos": {
                step: [c for c in photo_checks if c.photo.step == step] for step in photo_service.STEPS
            },
            "photo_steps_required": photo_service.required_photo_steps(category),
            "photo_actions": [a.value for a in photo_service.ACTION_STEPS],
            "photo_flag_m": flag_m,
            "timeline": timeline,
            "actors": actors,
            "department": department,
            "town": town,
            "grid": grid,
            "sla": sla,
            "departments": departments,
            "state_label": _state_label(request, event.state),
            "state_labels": _state_labels(request),
            "map": {
                "area": event.grid_code or event.town_code,
                "lat": event.lat,
                "lon": event.lon,
                "name": event.title,
            },
            **extra,
        },
    )


def _triage(session: Any, event: Any, suggestions: list[dict[str, Any]]) -> dict[str, Any]:
    """What the triage card offers: the categories to choose from (the current one and the model's
    suggestions) and the department the current category's rule gives."""
    choices = []
    seen = set()
    for code in [event.category_code, *(s["category_code"] for s in suggestions)]:
        category = category_service.find_category(session, code) if code and code not in seen else None
        if category is not None and category.level == "minor" and category.is_active:
            seen.add(code)
            choices.append(category)
    current = choices[0] if choices and choices[0].code == event.category_code else None
    department_id = event.department_id or (
        category_service.rule_department_id(
            session, current, text=_text_of(event), area_code=_place_of(event)
        )
        if current
        else None
    )
    return {"choices": choices, "selected": event.category_code, "department_id": department_id}


def _text_of(event: Any) -> str:
    return event_text(event.title, event.description)


def _place_of(event: Any) -> str | None:
    return event.grid_code or event.town_code


@router.get("/{ref}/categories")
def search_categories(
    ref: str,
    request: Request,
    session: SessionDep,
    principal: Worker,
    q: Annotated[str, Query(max_length=50)] = "",
) -> Response:
    """The triage picker's htmx search: minor categories by name, code or keyword."""
    event = event_queries.get_event(session, ref, principal)
    found = category_service.search_minor_categories(session, q)
    return render(
        request,
        "app/event_category_choices.html",
        {"event": event, "choices": found, "selected": None, "query": q.strip()},
    )


@router.get("/{ref}/department")
def rule_department(
    ref: str,
    request: Request,
    session: SessionDep,
    principal: Worker,
    category_code: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """The triage card's department field, prefilled with the chosen category's rule department."""
    event = event_queries.get_event(session, ref, principal)
    category = category_service.find_category(session, category_code) if category_code else None
    department_id = (
        category_service.rule_department_id(
            session, category, text=_text_of(event), area_code=_place_of(event)
        )
        if category
        else None
    )
    return render(
        request,
        "app/event_department_choice.html",
        {
            "departments": org_queries.department_choices(session, active_only=True),
            "department_id": department_id,
        },
    )


@router.post("/{ref}/triage")
def register_and_dispatch(
    ref: str,
    request: Request,
    session: SessionDep,
    principal: Worker,
    csrf_token: CsrfField = "",
    version: Annotated[int, Form(ge=0, le=1_000_000)] = 0,
    category_code: Annotated[str, Form(max_length=16)] = "",
    department_id: Annotated[str, Form(max_length=12)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """立案 and 派遣 in one step with the category (and department) a dispatcher chose."""
    check_csrf(request, principal, csrf_token)
    event = event_queries.get_event(session, ref, principal)
    try:
        with session.begin_nested():  # both steps or neither
            event_service.register_and_dispatch(
                session,
                event.id,
                version=version,
                category_code=category_code or None,
                department_id=int(department_id) if department_id.isdigit() else None,
                note=note.strip() or None,
                actor=principal,
                now=request.app.state.clock.now(),
            )
    except AppError as exc:
        response = _detail(
            request, session, principal, ref, action_error=i18n.request_error_text(request, exc)
        )
        response.status_code = exc.status
        return response
    session.commit()
    return RedirectResponse(f"/app/events/{event.public_id}?done=register_dispatch", status_code=303)


@router.get("/{ref}")
def event_detail(ref: str, request: Request, session: SessionDep, principal: Reader) -> Response:
    return _detail(request, session, principal, ref)


@router.get("/{ref}/photos/{photo_id}/{variant}")
def event_photo(
    ref: str, photo_id: int, variant: str, request: Request, session: SessionDep, principal: Reader
) -> Response:
    """One photo of an event the caller may see (another town's event: 404): `display` or `thumb`
    (metadata stripped), or `original` for roles that may read personal data."""
    event = event_queries.get_event(session, ref, principal)
    path, media = photo_service.photo_file(
        session, event, photo_id, variant, photo_store(request), original_allowed=principal.can(Perm.PII_READ)
    )
    return FileResponse(path, media_type=media, headers={"Cache-Control": "private, max-age=86400"})


@router.post("/{ref}/actions")
def take_action(
    ref: str,
    request: Request,
    session: SessionDep,
    principal: Worker,
    csrf_token: CsrfField = "",
    action: Annotated[str, Form()] = "",
    version: Annotated[int, Form(ge=0, le=1_000_000)] = 0,
    note: Annotated[str, Form(max_length=2000)] = "",
    department_id: Annotated[str, Form()] = "",
    satisfaction: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=32)] = "",
    assist_department_ids: Annotated[list[str] | None, Form()] = None,
    photos: PhotoFiles = None,
) -> Response:
    """One click on an action, with its note and photos; the domain's state machine decides whether it
    may happen (a co-operating department's own steps go to the joint-handling service)."""
    check_csrf(request, principal, csrf_token)
    event = event_queries.get_event(session, ref, principal)
    if action in {a.value for a in AssistAction}:
        return _assist_step(request, session, principal, ref, event.public_id, action, note)
    if action not in {a.value for a in Action}:
        return _detail(
            request, session, principal, ref, action_error=_t(request, "events.form.unknown_action")
        )
    body = event_service.ActionInput(
        version=version,
        note=note.strip() or None,
        department_id=int(department_id) if department_id.isdigit() else None,
        satisfaction=satisfaction or None,
        reason=reason or None,
        assist_department_ids=[int(d) for d in assist_department_ids or [] if d.isdigit()],
    )
    try:
        if action in {a.value for a in photo_service.ACTION_STEPS}:
            body.uploads = read_uploads(request, photos)
        with session.begin_nested():  # a refused action undoes only itself
            event_service.transition_event(
                session,
                event.id,
                action,
                body,
                actor=principal,
                now=request.app.state.clock.now(),
                objection_window_hours=request.app.state.settings.events_objection_window_hours,
                photo_store=photo_store(request),
            )
    except AppError as exc:
        response = _detail(
            request, session, principal, ref, action_error=i18n.request_error_text(request, exc)
        )
        response.status_code = exc.status
        return response
    session.commit()
    return RedirectResponse(f"/app/events/{event.public_id}?done={action}", status_code=303)


def _assist_step(
    request: Request, session: Any, principal: Principal, ref: str, public_id: str, action: str, note: str
) -> Response:
    now = request.app.state.clock.now()
    try:
        with session.begin_nested():
            if action == AssistAction.SIGN.value:
                assist_service.sign_assist(session, ref, actor=principal, now=now)
            else:
                assist_service.handle_assist(session, ref, note=note, actor=principal, now=now)
    except AppError as exc:
        response = _detail(
            request, session, principal, ref, action_error=i18n.request_error_text(request, exc)
        )
        response.status_code = exc.status
        return response
    session.commit()
    return RedirectResponse(f"/app/events/{public_id}?done={action}", status_code=303)


# --- administration: categories and their SLA limits ------------------------------------------------

admin_router = APIRouter(prefix="/app/admin/categories", tags=["pages"], include_in_schema=False)
CategoryAdmin = Annotated[Principal, require(Perm.EVENTS_ADMIN)]


def _categories_page(request: Request, session: Any, *, status: int = 200, **extra: Any) -> Response:
    columns = [
        Column("code", _t(request, "categories.col.code")),
        Column("name", _t(request, "categories.col.name")),
        Column(
            "kind", _t(request, "categories.col.kind"), show=lambda v: _t(request, f"categories.kind.{v}")
        ),
        Column("department", _t(request, "categories.col.department")),
        Column(
            "clock", _t(request, "categories.col.clock"), show=lambda v: _t(request, f"categories.clock.{v}")
        ),
        Column("sign", _t(request, "categories.col.sign")),
        Column("handle", _t(request, "categories.col.handle")),
        Column("verify", _t(request, "categories.col.verify")),
        Column("onsite", _t(request, "categories.col.onsite")),
        Column("photos", _t(request, "categories.col.photos")),
    ]

    def to_row(r: Any) -> dict[str, Any]:
        c = r[0]
        return {
            "code": c.code,
            "name": c.name,
            "kind": c.kind,
            "department": c.default_department_code,
            "clock": c.clock_kind if c.level == "minor" else None,
            "sign": c.sign_limit,
            "handle": c.handle_limit,
            "verify": c.verify_limit,
            "onsite": ("✓" if c.requires_onsite_verification else "") if c.level == "minor" else None,
            "photos": "、".join(
                _t(request, f"events.photo.step.{s}") for s in photo_service.required_photo_steps(c)
            )
            or None,
        }

    return table_page(
        request,
        session,
        category_service.categories_listing(),
        columns,
        to_row,
        template="app/admin_categories.html",
        filename="categories.xlsx",
        empty_text=_t(request, "categories.empty"),
        context=extra,
        status=status,
    )


@admin_router.get("")
def admin_categories(
    request: Request, session: SessionDep, principal: Annotated[Principal, require(Perm.EVENTS_READ)]
) -> Response:
    return _categories_page(request, session, can_import=principal.can(Perm.EVENTS_ADMIN))


@admin_router.post("/import")
def import_categories(
    request: Request,
    file: UploadFile,
    session: SessionDep,
    principal: CategoryAdmin,
    csrf_token: CsrfField = "",
) -> Response:
    """Import categories and SLA limits (the shipped format); all rows are checked, nothing half-stored."""
    check_csrf(request, principal, csrf_token)
    data = file.file.read(MAX_IMPORT_BYTES + 1)
    try:
        with session.begin_nested():  # a refused file stores nothing
            result = category_service.import_categories(
                session, data, file.filename or "upload", actor=principal, now=request.app.state.clock.now()
            )
    except AppError as exc:
        return _categories_page(
            request,
            session,
            status=exc.status,
            can_import=True,
            **i18n.request_import_error(request, exc),
        )
    session.commit()
    flash = _t(request, "categories.imported", created=result.created, updated=result.updated)
    return _categories_page(request, session, can_import=True, flash=flash)


# --- administration: the dispatch catalogue (派单目录) and objections per category ------------------

catalogue_router = APIRouter(prefix="/app/admin/catalogue", tags=["pages"], include_in_schema=False)
Publisher = Annotated[Principal, require(Perm.EVENTS_CATALOGUE)]


def _catalogue_page(
    request: Request,
    session: Any,
    principal: Principal,
    *,
    version: int | None = None,
    status: int = 200,
    **extra: Any,
) -> Response:
    number, rules = catalogue_service.named_rules(session, version)
    versions = catalogue_service.list_versions(session)
    response = render(
        request,
        "app/admin_catalogue.html",
        {
            "number": number,
            "rules": rules,
            "versions": versions,
            "actors": i18n.actor_texts(
                request, auth_queries.actor_labels(session, [(None, v.published_by) for v in versions])
            ),
            "objections": event_queries.objection_counts(session),
            "can_publish": principal.can(Perm.EVENTS_CATALOGUE),
            **extra,
        },
    )
    response.status_code = status
    return response


@catalogue_router.get("")
def admin_catalogue(
    request: Request,
    session: SessionDep,
    principal: Reader,
    version: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
) -> Response:
    """A version of the catalogue (the newest by default), every version, and objections per category."""
    return _catalogue_page(request, session, principal, version=version)


@catalogue_router.get("/export")
def export_catalogue(
    session: SessionDep,
    principal: Reader,
    version: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
) -> Response:
    data = catalogue_service.export_catalogue(session, "xlsx", number=version)
    name = f"dispatch-catalogue-v{version}.xlsx" if version is not None else "dispatch-catalogue.xlsx"
    return Response(
        data, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@catalogue_router.post("/import")
def import_catalogue(
    request: Request,
    file: UploadFile,
    session: SessionDep,
    principal: Publisher,
    csrf_token: CsrfField = "",
) -> Response:
    """Publish a new version from the uploaded spreadsheet; every row is checked, nothing half-stored."""
    check_csrf(request, principal, csrf_token)
    data = file.file.read(MAX_IMPORT_BYTES + 1)
    try:
        with session.begin_nested():  # a refused file stores nothing
            result = catalogue_service.import_catalogue(
                session, data, file.filename or "upload", actor=principal, now=request.app.state.clock.now()
            )
    except AppError as exc:
        return _catalogue_page(
            request,
            session,
            principal,
            status=exc.status,
            **i18n.request_import_error(request, exc),
        )
    session.commit()
    flash = _t(
        request,
        "catalogue.published",
        version=result.version,
        rules=result.rules,
        added=result.added,
        removed=result.removed,
    )
    return _catalogue_page(request, session, principal, flash=flash)


# --- administration: a city's 12345 history ---------------------------------------------------------

history_router = APIRouter(prefix="/app/admin/history", tags=["pages"], include_in_schema=False)
HistoryImporter = Annotated[Principal, require(Perm.EVENTS_HISTORY)]


@history_router.get("")
def history_page(request: Request, principal: HistoryImporter) -> Response:
    return render(request, "app/admin_history.html", {})


@history_router.post("/import")
def import_history(
    request: Request,
    file: UploadFile,
    session: SessionDep,
    principal: HistoryImporter,
    csrf_token: CsrfField = "",
    encoding: Annotated[str, Form()] = "utf-8",
) -> Response:
    """Import closed 12345 tickets as history; every row is checked, nothing is half-stored."""
    check_csrf(request, principal, csrf_token)
    if encoding not in ("utf-8", "gb18030"):
        encoding = "utf-8"
    data = file.file.read(MAX_IMPORT_BYTES + 1)
    try:
        result = history_import.import_history_file(
            session,
            data,
            file.filename or "upload",
            actor=principal,
            now=request.app.state.clock.now(),
            zone=request.app.state.settings.zone,
            encoding=encoding,
            repeat_window_days=intake.IntakeSettings.of_app(request.app.state).repeat_window_days,
        )
    except AppError as exc:  # the import's savepoint already took back every row
        return render(
            request,
            "app/admin_history.html",
            i18n.request_import_error(request, exc),
            status=exc.status,
        )
    session.commit()
    flash = _t(
        request, "history.imported", count=result.imported, first=result.first_day, last=result.last_day
    )
    return render(request, "app/admin_history.html", {"flash": flash})
