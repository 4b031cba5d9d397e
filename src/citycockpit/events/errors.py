"""Errors of the events domain; each has a stable `code` listed in docs/api.md."""

from __future__ import annotations

from citycockpit.core.errors import AppError, Conflict, Forbidden, NotFound, Unprocessable


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


class IdempotencyKeyReused(Conflict):
    """An idempotency key already names another reporter's event: keys are one client's own."""

    code = "idempotency_key_reused"


class PhotoRequired(Unprocessable):
    """The event's category requires a photo at this step (EventCategory.photo_steps)."""

    code = "event_photo_required"


class PhotoTooLarge(AppError):
    """A photo file is over `photos_max_bytes`."""

    status, code, title = 413, "photo_too_large", "Photo too large"


class PhotoTooManyPixels(AppError):
    """A photo has more pixels than `photos_max_pixels` (or trips Pillow's decompression-bomb guard)."""

    status, code, title = 413, "photo_too_many_pixels", "Photo has too many pixels"


class PhotoUnsupported(AppError):
    """Not a JPEG, PNG, WebP or HEIC image (whatever its name says), or a damaged one."""

    status, code, title = 415, "photo_unsupported_type", "Unsupported photo type"


class TooManyPhotos(Unprocessable):
    """More photos at one step than `photos_max_per_step`."""

    code = "photo_too_many"


class PhotoNotFound(NotFound):
    code = "photo_not_found"


class SurgeNotFound(NotFound):
    code = "surge_not_found"


class SurgeAlreadyAcknowledged(Conflict):
    """Someone acknowledged the surge alert already (the answer names who and when)."""

    code = "surge_already_acknowledged"
