"""API tokens: created with explicit scopes, shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from citycockpit.audit import service as audit
from citycockpit.auth.enums import Perm, Role
from citycockpit.auth.models import ApiToken
from citycockpit.auth.permissions import TOKEN_GRANTABLE
from citycockpit.auth.principal import Principal
from citycockpit.auth.service import check_scope_exists
from citycockpit.core.actors import Actor
from citycockpit.core.errors import Forbidden, NotFound, Unprocessable
from citycockpit.db import SQLITE_NOWAIT, DriverStatement

log = logging.getLogger("citycockpit.auth")

TOKEN_PREFIX = "cc_"
TOUCH_EVERY = timedelta(minutes=1)  # how stale last_used_at may get: not one write per request


class TokenNotFound(NotFound):
    code = "token_not_found"


class InvalidScopes(Unprocessable):
    code = "invalid_scopes"


class ScopesNotHeld(Forbidden):
    code = "token_scopes_not_held"
    title = "Permissions not held"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create_token(
    session: Session,
    *,
    name: str,
    scopes: list[str],
    actor: Actor,
    now: datetime,
    expires_at: datetime | None = None,
    department_id: int | None = None,
    area_code: str | None = None,
) -> CreatedToken:
    """Create a machine token holding exactly `scopes`; the secret is returned once.

    A token carries only permissions its creator holds: a person (a request's Principal, or the user
    the CLI acts as) cannot hand a machine more than they may do themselves, so an admin, who lacks
    `pii:read`, cannot mint a token that reads reporters. A system actor (demo builder, tests) is not a
    person and is bound only by TOKEN_GRANTABLE."""
    bad = [s for s in scopes if s not in {p.value for p in TOKEN_GRANTABLE}]
    if bad:
        raise InvalidScopes(f"Unknown or not grantable scope(s): {', '.join(bad)}", scopes=bad)
    if isinstance(actor, Principal):
        missing = sorted({s for s in scopes if not actor.can(s)})
        if missing:
            raise ScopesNotHeld(
                f"A token may carry only permissions its creator holds; {actor.name} ({actor.role.value}) "
                f"does not hold: {', '.join(missing)}",
                scopes=missing,
            )
    if not name.strip():
        raise Unprocessable("A token needs a name")
    if expires_at is not None and expires_at <= now:
        raise Unprocessable("The expiry must be in the future")
    check_scope_exists(session, department_id, area_code)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip(),
        token_hash=hash_token(secret),
        prefix=secret[:10],
        scopes=" ".join(sorted(set(scopes))),
        department_id=department_id,
        area_code=area_code,
        created_at=now,
        created_by=actor.display_name,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        "token.create",
        "api_token",
        token.id,
        at=now,
        diff={"name": token.name, "scopes": token.scopes, "expires_at": expires_at},
    )
    return CreatedToken(token, secret)


def revoke_token(session: Session, token_id: int, *, actor: Actor, now: datetime) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise TokenNotFound(f"Token {token_id} does not exist")
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(session, actor, "token.revoke", "api_token", token.id, at=now, diff={"name": token.name})
    session.flush()
    return token


def list_tokens(session: Session, *, include_revoked: bool = True) -> list[ApiToken]:
    stmt = select(ApiToken).order_by(ApiToken.id)
    if not include_revoked:
        stmt = stmt.where(ApiToken.revoked_at.is_(None))
    return list(session.scalars(stmt).all())


def principal_for_token(
    session: Session, secret: str, *, now: datetime, touch: bool = True
) -> Principal | None:
    """The principal a presented token stands for, or None when unknown, revoked or expired. With
    `touch`, the token's last_used_at is brought up to `now` when older than TOUCH_EVERY (the caller
    commits; a fresh token costs no write)."""
    token = _active_tokens(session, [secret], now=now).get(secret)
    if token is None:
        return None
    principal = _principal(token)
    if touch and _touch_due(token.last_used_at, now):
        _touch_token(session, token.id, now=now)
    return principal


def _touch_due(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether a token's last_used_at is stale enough to write again (TOUCH_EVERY)."""
    return last_used_at is None or now - last_used_at >= TOUCH_EVERY


def _touch_token(session: Session, token_id: int, *, now: datetime) -> None:
    """Bring one token's last_used_at up to `now`, never failing the request that presented it.

    A reading session (every GET's on SQLite: a DEFERRED read transaction) must not write: its
    snapshot may be stale, and upgrading it to a writer fails with "database is locked" while other
    requests write. The touch then runs in a short write transaction of its own that takes the lock
    only if it is free at once (`sqlite_nowait`), and is skipped otherwise: the next request touches
    again (TOUCH_EVERY). Any other session touches in place; `keep_touch` commits it."""
    bind = session.get_bind()
    if isinstance(bind, Connection) or bind.get_execution_options().get("sqlite_begin") != "DEFERRED":
        touch_tokens(session, [token_id], now=now)
        return
    writer = bind.execution_options(sqlite_begin="IMMEDIATE", **{SQLITE_NOWAIT: True})
    try:
        with Session(bind=writer, expire_on_commit=False) as own:
            touch_tokens(own, [token_id], now=now)
            own.commit()
    except OperationalError:
        log.debug("token %s: last-used time not touched, the database is busy", token_id)


def principals_for_tokens(
    session: Session, secrets: Iterable[str], *, now: datetime
) -> dict[str, Principal | None]:
    """`principal_for_token` for several presented tokens in one query, touching none (the intake
    writer, for the keys of a batch; it touches those `touch_due_ids` names with `touch_tokens` when it
    stores the batch)."""
    wanted = list(dict.fromkeys(secrets))
    tokens = _active_tokens(session, wanted, now=now)
    found: dict[str, Principal | None] = dict.fromkeys(wanted)
    for secret, token in tokens.items():
        principal = found[secret] = _principal(token)
        principal.extra[_TOUCH_DUE] = _touch_due(token.last_used_at, now)
    return found


_TOUCH_DUE = "token_touch_due"  # Principal.extra key set by principals_for_tokens


def touch_due_ids(principals: Iterable[Principal | None]) -> list[int]:
    """The ids of the tokens among `principals_for_tokens`' principals whose last_used_at was stale when
    they were looked up: the ones `touch_tokens` must bring up to date (a batch whose key was used
    within the minute writes nothing)."""
    return sorted(
        {p.id for p in principals if p is not None and p.id is not None and p.extra.get(_TOUCH_DUE)}
    )


_TOKENS = cast(Table, ApiToken.__table__)
# Core columns, not ApiToken objects: the intake writer looks its batch's keys up on every batch, and
# loading, identity-mapping and tracking ORM objects cost several times the read (issue 24).
_TOKEN_COLUMNS = select(
    _TOKENS.c.id,
    _TOKENS.c.name,
    _TOKENS.c.scopes,
    _TOKENS.c.department_id,
    _TOKENS.c.area_code,
    _TOKENS.c.token_hash,
    _TOKENS.c.revoked_at,
    _TOKENS.c.expires_at,
    _TOKENS.c.last_used_at,
)


# Run through the driver, compiled once per dialect and number of keys (issue 24).
_TOKENS_BY_HASH = DriverStatement(
    _TOKEN_COLUMNS.where(_TOKENS.c.token_hash.in_(bindparam("hashes", expanding=True)))
)
_TokenRow = namedtuple("_TokenRow", [c.key for c in _TOKEN_COLUMNS.selected_columns])  # type: ignore[misc]


def _active_tokens(session: Session, secrets: list[str], *, now: datetime) -> dict[str, Any]:
    """The tokens the secrets stand for (rows of their columns), leaving out unknown, revoked and
    expired ones."""
    hashes = {hash_token(s): s for s in secrets if s.startswith(TOKEN_PREFIX)}
    if not hashes:
        return {}
    rows = [_TokenRow(*row) for row in _TOKENS_BY_HASH.execute(session, {"hashes": sorted(hashes)})]
    return {
        hashes[t.token_hash]: t
        for t in rows
        if t.revoked_at is None and (t.expires_at is None or t.expires_at > now)
    }


def _principal(token: Any) -> Principal:
    """The principal of a token (its row or its object)."""
    perms = frozenset(Perm(s) for s in token.scopes.split() if s in Perm._value2member_map_)
    return Principal(
        id=token.id,
        name=token.name,
        role=Role.API_CLIENT,
        perms=perms,
        kind="token",
        department_id=token.department_id,
        area_code=token.area_code,
    )


# Built once, as the lookup above: the intake writer touches its batch's keys on every batch.
_TOUCH = (
    update(_TOKENS)
    .where(
        _TOKENS.c.id.in_(bindparam("ids", expanding=True)),
        or_(_TOKENS.c.last_used_at.is_(None), _TOKENS.c.last_used_at <= bindparam("stale")),
    )
    .values(last_used_at=bindparam("now"))
)


def touch_tokens(session: Session, token_ids: list[int], *, now: datetime) -> None:
    """Bring the tokens' last_used_at up to `now` where older than TOUCH_EVERY, in one UPDATE that
    locks only the rows it changes (`principal_for_token` when its token is stale, the intake writer
    for the keys of a batch)."""
    if token_ids:  # Core, not the ORM's UPDATE: no session state to synchronise
        session.execute(_TOUCH, {"ids": token_ids, "stale": now - TOUCH_EVERY, "now": now})
