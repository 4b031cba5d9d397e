"""Errors of the events domain; each has a stable `code` listed in docs/api.md."""

from __future__ import annotations

from citycockpit.core.errors import Conflict, Forbidden, NotFound, Unprocessable


class EventNotFound(NotFound):
    code = "event_not_found"


class CategoryNotFound(NotFound):
    code = "category_not_found"


class TransitionNotAllowed(Conflict):
    """The action does not apply to the event's current state."""

    code = "event_transition_not_allowed"


class ActionForbidden(Forbidden):
    """The caller's role may not take this action."""

    code = "event_action_forbidden"


class NoteRequired(Unprocessable):
    code = "event_note_required"


class InvalidEventInput(Unprocessable):
    code = "event_invalid"


class ExternalIdTaken(Conflict):
    """An event from the same channel already carries this source-system id (the idempotency key)."""

    code = "event_external_id_taken"


class StaleVersion(Conflict):
    """The client acted on an older version of the event than the one stored."""

    code = "version_conflict"


class ObjectionTooLate(Conflict):
    """A department objected to a dispatch after the objection window (working hours) had passed."""

    code = "event_objection_too_late"


class AssistsOpen(Conflict):
    """The lead department reports the result of a jointly handled event only after every co-operating
    department has reported its part."""

    code = "event_assists_open"
