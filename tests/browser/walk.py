"""The page walk: which pages a role can open (from the app's own routes and menu), and what a page may
not show (English debris on a Chinese page, raw codes, reprs, None/null/undefined).

The page set is not a hand-kept list: every GET page route without a path parameter that the role's
permissions allow is opened, and a route with a parameter (a detail page) is reached through the first
link to it found on a page already walked, so a new page is walked as soon as it is routed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

from citycockpit.auth.enums import Role
from citycockpit.auth.permissions import perms_for
from tests.auth.routes import all_routes

# Where pages live (web.render.PAGE_PREFIXES plus the account pages).
PAGE_PREFIXES = ("/app", "/screen", "/account")
# GET routes that are not pages a person opens: htmx fragments and the sign-out confirmation, which
# the walk must not use because it ends the walk's session, downloads and photo files.
NOT_PAGES = re.compile(
    r"^/app/events/\{ref\}/(categories|department)$|^/logout$|/export$"
    r"|/photos/\{photo_id\}/\{variant\}$"  # a photo file (an image, not a page)
)

# Latin words a Chinese page may carry: units, names of standards and products, what people type.
ALLOWED_LATIN = {
    # units
    "km",
    "m",
    "g",
    "mg",
    "kg",
    "t",
    "kWh",
    "MW",
    "GW",
    "ha",
    "h",
    "min",
    "s",
    "ms",
    # names that are written in Latin letters in Chinese text too
    "App",
    "Open311",
    "PDF",
    "Excel",
    "XLSX",
    "CSV",
    "API",
    "GDP",
    "CPI",
    "PM2.5",
    "AQI",
    "PPP",
    "5G",
    "AI",
    "IT",
    "EV",
    "ID",
    "OpenAPI",
    "JSON",
    "URL",
    "HTTP",
    "HTTPS",
    "GeoReport",
    "v2",
    "CityCockpit",
    "ECharts",
    "Prometheus",
    "GB",
    "MB",
    "KB",
    "HTML",
    "YAML",
    "GeoJSON",
    "Shapefile",
    "EPSG",
    "GBK",
    "UTF-8",
    "shp",
    "shx",
    "dbf",
    "prj",
    "xlsx",
    "IP",
    # the language switch names the other language in that language
    "English",
    "e.g",
}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[._'\-][A-Za-z0-9]+)*")
# A code: letters and digits with at least one digit (C0302, TC20240930-0001, 320585100A): typed or
# assigned codes, not words.
CODE_LIKE = re.compile(r"^(?=[A-Za-z0-9.\-]*\d)[A-Za-z0-9.\-]+$")
RAW_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:[._][a-z0-9]+)+\b")
REPR = re.compile(r"<[^<>]*\bobject at 0x[0-9a-f]+>|<built-in|<bound method|<function \w")
NOTHING = re.compile(r"\b(None|null|undefined|NaN)\b")


@dataclass(frozen=True)
class PageRoute:
    path: str
    pattern: re.Pattern[str]

    @property
    def has_parameter(self) -> bool:
        return "{" in self.path


def page_routes(app, role: str) -> list[PageRoute]:  # type: ignore[no-untyped-def]
    """The app's GET page routes that `role` may open (its permissions include every one declared)."""
    perms = perms_for(Role(role))
    out = []
    for info in all_routes(app):
        if (
            "GET" not in info.methods
            or not info.path.startswith(PAGE_PREFIXES)
            or NOT_PAGES.search(info.path)
        ):
            continue
        if info.kind == "require" and not info.perms <= perms:
            continue
        if info.kind == "public" and info.path.startswith("/screen/kiosk"):
            continue  # a kiosk link is walked by the kiosk, not by a signed-in role
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(info.path)) + "$")
        out.append(PageRoute(info.path, pattern))
    return out


def route_of(routes: list[PageRoute], url: str) -> PageRoute | None:
    path = urlparse(url).path
    for route in routes:
        if route.pattern.match(path):
            return route
    return None


@dataclass
class Findings:
    """What went wrong on one page, by kind."""

    url: str
    items: list[str] = field(default_factory=list)

    def add(self, kind: str, what: str) -> None:
        self.items.append(f"{kind}: {what}")


def text_problems(text: str, *, lang: str, allowed: set[str]) -> list[str]:
    """English debris (Chinese pages), raw codes, reprs and None/null/undefined in a page's text."""
    problems = []
    for match in REPR.finditer(text):
        problems.append(f"repr {text[max(0, match.start() - 20) : match.end() + 20]!r}")
    for match in NOTHING.finditer(text):
        problems.append(f"nothing-word {text[max(0, match.start() - 20) : match.end() + 20]!r}")
    for match in RAW_CODE.finditer(text):
        word = match.group(0)
        if word not in allowed and word not in ALLOWED_LATIN and not _is_address(text, match):
            problems.append(f"raw code {word!r} in {text[max(0, match.start() - 20) : match.end() + 20]!r}")
    if lang == "zh":
        for match in LATIN_WORD.finditer(text):
            word = match.group(0)
            if word in ALLOWED_LATIN or word in allowed or CODE_LIKE.match(word) or RAW_CODE.fullmatch(word):
                continue
            if _is_address(text, match):
                continue
            problems.append(f"latin {word!r} in {text[max(0, match.start() - 25) : match.end() + 25]!r}")
    return sorted(set(problems))


def _is_address(text: str, match: re.Match[str]) -> bool:
    """Part of a URL, path or e-mail address shown as such (an API address, a kiosk link)."""
    start, end = match.start(), match.end()
    while start > 0 and text[start - 1].isascii() and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and text[end].isascii() and not text[end].isspace():
        end += 1
    token = text[start:end]
    return token.startswith(("/", "http://", "https://")) or "@" in token


CJK = re.compile(r"[\u3400-\u9fff\uff08\uff09\uff0c\uff1a\u3001\u3002]+")


def chrome_problems(chrome: list[str], *, names: set[str]) -> list[str]:
    """Chinese in an English page's own words: headings, table heads, labels, buttons, menus, tabs,
    messages and status badges (data shown in them, a goal's title or the city's name in `names`, may
    be Chinese)."""
    found = set()
    for text in chrome:
        for name in names:
            text = text.replace(name, "")
        found |= {f"chinese {m.group(0)!r} in {text[:60]!r}" for m in CJK.finditer(text)}
    return sorted(found)
