"""Personal data (reporters' names and phone numbers): stored as given, shown masked unless the caller
holds `pii:read`; every unmasked read is audited (`pii.read`, once per request): `reveal` and
`reveal_many` are the only way out, for the API, pages and any export that would carry them.

Masking rules (docs/domains/auth.md):
- names keep their first character and replace every other non-space character with `*`:
  张三 → 张*, 张三丰 → 张**, 欧阳娜娜 → 欧***; a one-character name becomes `*`.
- phone numbers keep separators and a `+86`/`0086` prefix, and mask digits by the number's shape:
  mobile (11 digits from 1) → 138****1234; landline with area code (0512-53531234, 01012345678) →
  area code kept, last 4 kept (0512-****1234); 6–8 digit local numbers → last 4 kept (****1234);
  short service numbers (≤ 5 digits: 110, 12345) are not personal and stay as they are; any other
  length keeps its first 3 and last 4 digits when it has at least 9, else only the last 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal

MASK = "*"
_PREFIX = re.compile(r"^\s*(\+86|0086)[\s-]*")
_SEPARATED_AREA = re.compile(r"^\s*(0\d{2,3})[\s-]")
# Two-digit-after-zero area codes: 010 Beijing, 02x the big cities; the rest are 4 digits (0512 …).
_THREE_DIGIT_AREA = re.compile(r"^0(10|2\d)")


def mask_name(name: str | None) -> str | None:
    """张三 → 张*; keeps the first character, masks the rest (spaces kept)."""
    if name is None:
        return None
    stripped = name.strip()
    if not stripped:
        return stripped
    if len(stripped) == 1:
        return MASK
    return stripped[0] + "".join(c if c.isspace() else MASK for c in stripped[1:])


def _reveal_positions(digits: str, area_len: int | None) -> set[int]:
    n = len(digits)
    if n <= 5:
        return set(range(n))
    last4 = set(range(n - 4, n))
    if n == 11 and digits[0] == "1":
        return set(range(3)) | last4
    if digits[0] == "0" and 10 <= n <= 12:
        if area_len is None:
            area_len = 3 if _THREE_DIGIT_AREA.match(digits) else 4
        return set(range(area_len)) | last4
    if 6 <= n <= 8:
        return last4
    if n >= 9:
        return set(range(3)) | last4
    return {n - 2, n - 1}


def mask_phone(phone: str | None) -> str | None:
    """13812341234 → 138****1234; 0512-53531234 → 0512-****1234; 12345 stays 12345."""
    if phone is None:
        return None
    value = phone.strip()
    prefix = ""
    match = _PREFIX.match(value)
    if match and len(re.sub(r"\D", "", value[match.end() :])) >= 6:
        prefix, value = value[: match.end()], value[match.end() :]
    digits = re.sub(r"\D", "", value)
    area = _SEPARATED_AREA.match(value)
    keep = _reveal_positions(digits, len(area.group(1)) if area else None)
    out, index = [], 0
    for char in value:
        if char.isdigit():
            out.append(char if index in keep else MASK)
            index += 1
        else:
            out.append(char)
    return prefix + "".join(out)


def _kind(field: str) -> str:
    lowered = field.lower()
    if lowered.endswith(("phone", "mobile", "tel", "telephone")):
        return "phone"
    return "name"


def mask(field: str, value: str | None) -> str | None:
    """Mask one value by its field name: `*phone`, `*mobile`, `*tel` are phones, anything else a name."""
    return mask_phone(value) if _kind(field) == "phone" else mask_name(value)


def can_read(principal: Principal) -> bool:
    return principal.can(Perm.PII_READ)


def masked(values: Mapping[str, str | None]) -> dict[str, str | None]:
    """`values` masked by their field names (`mask`): what a caller without `pii:read` sees."""
    return {field: mask(field, value) for field, value in values.items()}


def reveal(
    principal: Principal | None,
    session: Session,
    values: Mapping[str, str | None],
    *,
    object_type: str,
    object_id: object,
    now: datetime,
) -> dict[str, str | None]:
    """`values` as the caller may see them: unmasked with `pii:read`, masked otherwise (or with no
    caller). The one way personal data leaves the system unmasked: every unmasked read writes one
    `pii.read` audit entry naming the object and the fields read, committed before the data is
    returned (`audit.service.record_read`: a GET's own transaction stays read-only)."""
    return reveal_many(principal, session, [(object_id, values)], object_type=object_type, now=now)[0]


def reveal_many(
    principal: Principal | None,
    session: Session,
    rows: Iterable[tuple[object, Mapping[str, str | None]]],
    *,
    object_type: str,
    now: datetime,
) -> list[dict[str, str | None]]:
    """`reveal` for a list or a request that shows several objects: one `pii.read` entry for the
    request, naming every object whose data was shown (`object_id` when there is one)."""
    rows = list(rows)
    if principal is None or not can_read(principal):
        return [masked(values) for _, values in rows]
    ids = [str(object_id) for object_id, values in rows if any(values.values())]
    if ids:
        fields = sorted({f for _, values in rows for f, v in values.items() if v})
        audit.record_read(
            session,
            principal,
            "pii.read",
            object_type,
            ids[0] if len(ids) == 1 else None,
            at=now,
            ip=principal.ip,
            diff={"fields": fields} if len(ids) == 1 else {"ids": ids, "fields": fields},
        )
    return [dict(values) for _, values in rows]
