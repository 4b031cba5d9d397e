"""Which role holds which permission. The authorization matrix test walks every route against this."""

from __future__ import annotations

from citycockpit.auth.enums import Perm, Role

_EVERYONE = {Perm.ORG_READ, Perm.SCREEN_READ}

ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(set(Perm) - {Perm.PII_READ}),
    Role.LEADER: frozenset(_EVERYONE | {Perm.AUDIT_READ}),
    Role.SUPERVISOR: frozenset(_EVERYONE),
    Role.DISPATCHER: frozenset(_EVERYONE | {Perm.PII_READ}),
    Role.DEPARTMENT: frozenset(_EVERYONE),
    Role.TOWN: frozenset(_EVERYONE),
    Role.GRID_WORKER: frozenset(_EVERYONE),
    Role.API_CLIENT: frozenset(),  # a token holds exactly the scopes it was created with
}

# Permissions a machine token may be given.
TOKEN_GRANTABLE: frozenset[Perm] = frozenset(set(Perm) - {Perm.USERS_MANAGE, Perm.AUDIT_READ})


def perms_for(role: Role | str) -> frozenset[Perm]:
    return ROLE_PERMS[Role(role)]


# Events KPIs and rankings: everyone who steers or answers for the loop; grid workers see their queue only.
for _role in (Role.LEADER, Role.SUPERVISOR, Role.DISPATCHER, Role.DEPARTMENT, Role.TOWN):
    ROLE_PERMS[_role] = ROLE_PERMS[_role] | {Perm.EVENTS_KPI}
