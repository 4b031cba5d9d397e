from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    LEADER = "leader"
    SUPERVISOR = "supervisor"  # 督查室
    DISPATCHER = "dispatcher"  # 12345 / operations centre
    DEPARTMENT = "department"  # scoped to one department
    TOWN = "town"  # scoped to an area subtree
    GRID_WORKER = "grid_worker"  # scoped to an area subtree
    API_CLIENT = "api_client"  # machine access with explicit scopes


class Perm(StrEnum):
    """Permissions, `<domain>:<verb>`. Domains add theirs here and grant them in permissions.ROLE_PERMS."""

    ORG_READ = "org:read"
    ORG_WRITE = "org:write"
    USERS_MANAGE = "users:manage"
    USERS_READ = "users:read"
    AUDIT_READ = "audit:read"
    PII_READ = "pii:read"
    SCREEN_READ = "screen:read"
    METRICS_READ = "metrics:read"
    REPORT_READ = "report:read"
    REPORT_INGEST = "report:ingest"
    REPORT_REVIEW = "report:review"
    SCREEN_MANAGE = "screen:manage"  # kiosk links for wall displays
    PROJECTS_READ = "projects:read"
    PROJECTS_UPDATE = "projects:update"  # monthly progress and stage of the department's own projects
    PROJECTS_MANAGE = "projects:manage"  # the project office: create, import, annual plans, attraction
    GOALS_READ = "goals:read"
    GOALS_MANAGE = "goals:manage"
    GOALS_REPORT = "goals:report"
    ACTUALS_IMPORT = "actuals:import"
    EVENTS_READ = "events:read"
    EVENTS_CREATE = "events:create"
    EVENTS_WORK = "events:work"  # take workflow actions (the state machine checks role and scope)
    EVENTS_ADMIN = "events:admin"  # edit categories
    EVENTS_CATALOGUE = "events:catalogue"  # publish the dispatch catalogue (派单目录)
    EVENTS_KPI = "events:kpi"
    EVENTS_HISTORY = "events:history"  # import a city's closed 12345 tickets as history
    EVENTS_SURGES = "events:surges"  # acknowledge a surge alert (未诉先办)
    INDICATORS_READ = "indicators:read"
    INDICATORS_WRITE = "indicators:write"  # push or import values (a token: only the series granted it)
    INDICATORS_MANAGE = "indicators:manage"  # series, thresholds, stations, pulls, token grants
