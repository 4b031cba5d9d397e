"""Which role holds which permission. The authorization matrix test walks every route against this."""

from __future__ import annotations

from citycockpit.auth.enums import Perm, Role

_REPORT_REVIEW = {Perm.REPORT_READ, Perm.REPORT_INGEST, Perm.REPORT_REVIEW}
_EVERYONE = {Perm.ORG_READ, Perm.SCREEN_READ, Perm.USERS_READ}

_GOALS_SUPERVISE = {Perm.GOALS_READ, Perm.GOALS_MANAGE, Perm.ACTUALS_IMPORT}
_GOALS_DEPARTMENT = {Perm.GOALS_READ, Perm.GOALS_REPORT}

ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(set(Perm) - {Perm.PII_READ}),
    Role.LEADER: frozenset(_EVERYONE | {Perm.AUDIT_READ, Perm.REPORT_READ, Perm.GOALS_READ}),
    Role.SUPERVISOR: frozenset(_EVERYONE | _REPORT_REVIEW | _GOALS_SUPERVISE),
    Role.DISPATCHER: frozenset(_EVERYONE | {Perm.PII_READ}),
    Role.DEPARTMENT: frozenset(_EVERYONE | {Perm.REPORT_READ} | _GOALS_DEPARTMENT),
    Role.TOWN: frozenset(_EVERYONE),
    Role.GRID_WORKER: frozenset(_EVERYONE),
    Role.API_CLIENT: frozenset(),  # a token holds exactly the scopes it was created with
}

# Permissions a machine token may be given.
TOKEN_GRANTABLE: frozenset[Perm] = frozenset(set(Perm) - {Perm.USERS_MANAGE, Perm.AUDIT_READ})


# Key projects: leaders, supervisors and the operations centre read all; a department reads and updates
# its own; a town reads the projects in its area; the project office (admin, supervisor) manages.
_PROJECT_GRANTS: dict[Role, set[Perm]] = {
    Role.LEADER: {Perm.PROJECTS_READ},
    Role.SUPERVISOR: {Perm.PROJECTS_READ, Perm.PROJECTS_UPDATE, Perm.PROJECTS_MANAGE},
    Role.DISPATCHER: {Perm.PROJECTS_READ},
    Role.DEPARTMENT: {Perm.PROJECTS_READ, Perm.PROJECTS_UPDATE},
    Role.TOWN: {Perm.PROJECTS_READ},
}
for _role, _perms in _PROJECT_GRANTS.items():
    ROLE_PERMS[_role] = ROLE_PERMS[_role] | _perms


def perms_for(role: Role | str) -> frozenset[Perm]:
    return ROLE_PERMS[Role(role)]


# Events (一网统管): the workflow table (events/workflow/transitions.py) decides which role may take which action.
_EVENTS_GRANTS: dict[Role, set[Perm]] = {
    Role.LEADER: {Perm.EVENTS_READ},
    Role.SUPERVISOR: {Perm.EVENTS_READ},
    # the centre (12345 / 指挥中心) keeps its dispatch catalogue and loads its own history; admin holds every
    # permission anyway
    Role.DISPATCHER: {
        Perm.EVENTS_READ,
        Perm.EVENTS_CREATE,
        Perm.EVENTS_WORK,
        Perm.EVENTS_CATALOGUE,
        Perm.EVENTS_HISTORY,
        Perm.EVENTS_SURGES,
    },
    Role.DEPARTMENT: {Perm.EVENTS_READ, Perm.EVENTS_WORK},
    Role.TOWN: {Perm.EVENTS_READ, Perm.EVENTS_CREATE, Perm.EVENTS_WORK},
    Role.GRID_WORKER: {Perm.EVENTS_READ, Perm.EVENTS_CREATE, Perm.EVENTS_WORK},
}
for _role, _perms in _EVENTS_GRANTS.items():
    ROLE_PERMS[_role] = ROLE_PERMS[_role] | _perms

# Events KPIs and rankings: everyone who steers or answers for the loop; grid workers see their queue only.
for _role in (Role.LEADER, Role.SUPERVISOR, Role.DISPATCHER, Role.DEPARTMENT, Role.TOWN):
    ROLE_PERMS[_role] = ROLE_PERMS[_role] | {Perm.EVENTS_KPI}

# Indicator feeds: those who steer read the series and their alerts; supervisors also load files.
_INDICATOR_GRANTS: dict[Role, set[Perm]] = {
    Role.LEADER: {Perm.INDICATORS_READ},
    Role.SUPERVISOR: {Perm.INDICATORS_READ, Perm.INDICATORS_WRITE},
    Role.DISPATCHER: {Perm.INDICATORS_READ},
    Role.DEPARTMENT: {Perm.INDICATORS_READ},
    Role.TOWN: {Perm.INDICATORS_READ},
}
for _role, _perms in _INDICATOR_GRANTS.items():
    ROLE_PERMS[_role] = ROLE_PERMS[_role] | _perms
