"""The indicators domain's errors, each with a stable code (listed in docs/api.md)."""

from __future__ import annotations

from citycockpit.core.errors import Conflict, Forbidden, NotFound, Unprocessable


class FeedNotFound(NotFound):
    code = "indicator_feed_not_found"


class FeedNotGranted(Forbidden):
    code = "indicator_feed_not_granted"
    title = "Series not granted to this token"


class InvalidFeed(Unprocessable):
    code = "invalid_indicator_feed"


class FeedCodeTaken(Conflict):
    code = "indicator_feed_code_taken"


class InvalidTheme(Unprocessable):
    code = "invalid_indicator_theme"


class ThemeNotFound(NotFound):
    code = "indicator_theme_not_found"
