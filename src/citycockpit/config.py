"""Typed settings: environment variables (CITYCOCKPIT_*) win over citycockpit.toml, which wins over defaults."""

from __future__ import annotations

import re
import secrets
from datetime import date, time
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

_PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev"}
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class Settings(BaseSettings):
    """Everything an operator can set. `docs/configuration.md` lists each field (checked by a test)."""

    model_config = SettingsConfigDict(
        env_prefix="CITYCOCKPIT_",
        toml_file="citycockpit.toml",
        extra="forbid",
        secrets_dir=None,
    )

    env: Literal["dev", "prod"] = Field(
        "dev", description="`prod` refuses placeholder secrets and marks cookies Secure."
    )
    data_dir: Path = Field(
        Path("var"), description="Folder for the SQLite file, the generated secret key and uploads."
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL. Empty means `sqlite:///<data_dir>/citycockpit.db`. "
        "PostgreSQL: `postgresql+psycopg://user@host:5432/db`.",
    )
    database_url_file: Path | None = Field(
        None, description="Read the database URL from this file (for secrets managers)."
    )
    secret_key: str = Field(
        "",
        description="Key that signs sessions, CSRF tokens and kiosk links. Empty: generated on first "
        "run and stored in `<data_dir>/secret.key`.",
    )
    secret_key_file: Path | None = Field(None, description="Read the secret key from this file.")
    audit_key_file: Path | None = Field(
        None,
        description="File of the audit chain's HMAC keys, one `key_id:hexkey` per line, the last current "
        "(rotate by appending a line; keep the old ones). Keep it outside the database and its backups. "
        "Empty: `<data_dir>/audit.key`, generated on first use with a logged warning.",
    )
    audit_anchor_file: Path | None = Field(
        None,
        description="File that `citycockpit audit anchor` and the worker append the signed chain head to, "
        "and `audit verify` checks the chain against. Put it where database writers cannot reach "
        "(another host, an append-only mount). Empty: `<data_dir>/audit-anchors.jsonl`.",
    )
    audit_anchor_minutes: int = Field(
        60,
        ge=0,
        description="How often the worker anchors the audit chain's head (0: never; use "
        "`citycockpit audit anchor` from cron instead).",
    )
    time_zone: str = Field("Asia/Shanghai", description="Time zone in which dates are shown and days end.")
    office_hours: list[str] = Field(
        default_factory=lambda: ["08:30-12:00", "13:30-17:30"],
        description="Working-time windows on working days, as `HH:MM-HH:MM`; SLA clocks count inside them.",
    )
    today: date | None = Field(
        None,
        description="Simulated date for every time rule (the demo uses 2024-09-30). Empty: the real clock.",
    )
    city_name: str = Field("太仓市", description="City name shown on the big screen and in bulletins.")
    county_code: str = Field("320585", description="6-digit administrative code of the city or county.")
    sqlite_busy_timeout_ms: int = Field(
        10_000, ge=0, description="How long an SQLite writer waits for the lock before failing."
    )
    db_pool_size: int = Field(10, ge=1, description="Connections per process in the PostgreSQL pool.")
    database_replica_url: str = Field(
        "",
        description="SQLAlchemy URL of a PostgreSQL streaming replica (a hot standby of the primary) for "
        "reads that may be a few seconds stale: the big screen, KPIs, lists and exports. Empty: every "
        "read on the primary. Needs PostgreSQL as the primary too.",
    )
    database_replica_url_file: Path | None = Field(
        None, description="Read the replica's URL from this file (for secrets managers)."
    )
    replica_max_lag_seconds: float = Field(
        10.0,
        ge=0,
        description="Reads fall back to the primary while the replica is further behind than this many "
        "seconds (or down, or not a standby).",
    )
    replica_check_seconds: float = Field(
        2.0,
        gt=0,
        le=300,
        description="How long one measure of the replica's lag is trusted before it is measured again. "
        "After a write, the writer reads from the primary for this plus `replica_max_lag_seconds`.",
    )
    replica_connect_timeout_s: int = Field(
        2,
        ge=1,
        le=60,
        description="Give up connecting to the replica (and read from the primary) after this.",
    )
    screen_refresh_seconds: int = Field(
        30, ge=5, le=3600, description="How often each big-screen panel refetches its data, in seconds."
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="`json`: one JSON object per line with the request id (for log shippers)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Lowest level logged."
    )
    projects_lag_margin_pct: float = Field(
        10.0,
        ge=0,
        le=100,
        description="A key project lags when its annual-plan completion rate is more than this many "
        "percentage points below its time progress (时序进度).",
    )
    projects_signing_min_registered_wan_cny: float = Field(
        2000.0,
        ge=0,
        description="Investment attraction: a signing counts (签约项目数) when its registered capital is at "
        "least this many 万元 (the 2024 report's rule: 注册资金2000万元以上).",
    )
    projects_major_min_investment_wan_cny: float = Field(
        100_000.0,
        ge=0,
        description="A signing is major (重大项目) when its total investment is at least this many 万元 (10亿元) …",
    )
    projects_major_min_investment_wan_usd: float = Field(
        10_000.0,
        ge=0,
        description="… or, signed in USD, at least this many 万美元 (1亿美元).",
    )
    import_max_expanded_mb: int = Field(
        100,
        ge=1,
        description="An uploaded XLSX or DOCX (a zip) may expand to at most this many MB in all; checked from "
        "its directory before anything is read (413 file_too_large otherwise).",
    )
    import_max_compression_ratio: int = Field(
        100,
        ge=2,
        description="No part of an uploaded XLSX or DOCX above 1 MB may be compressed more than this many to "
        "one (a zip bomb); real spreadsheets and documents compress 3 to 30 to one.",
    )
    import_max_rows: int = Field(
        1_000_000,
        ge=1,
        description="An imported CSV or XLSX sheet may hold at most this many rows (413 file_too_large).",
    )
    report_max_text_chars: int = Field(
        2_000_000,
        ge=1000,
        description="A report file's text may run to at most this many characters (a work report has about "
        "30,000).",
    )
    report_max_pdf_pages: int = Field(
        2_000, ge=1, description="A report PDF may have at most this many pages."
    )
    login_max_failures: int = Field(
        5, ge=1, description="Wrong passwords in a row after which an account is locked."
    )
    login_lockout_minutes: int = Field(15, ge=1, description="How long a locked account stays locked.")
    session_idle_minutes: int = Field(
        30, ge=1, description="A web session ends after this many minutes without a request."
    )
    session_absolute_hours: int = Field(
        12, ge=1, description="A web session ends this many hours after sign-in, however active."
    )
    rate_limit_login_per_minute: int = Field(
        10,
        ge=1,
        description="Login attempts allowed per minute for one user name, and (twice as many) for one "
        "client address.",
    )
    rate_limit_public_per_minute: int = Field(
        300,
        ge=1,
        description="Requests per minute one client address may make to anonymous public endpoints.",
    )
    rate_limit_api_key_per_minute: int = Field(
        60_000,
        ge=1,
        description="Open311 POST requests per minute one API key may make (counted across server "
        "processes); requests without a valid key count against the address's anonymous limit.",
    )
    request_body_limit_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest request body (JSON, forms) a route without file uploads reads; a larger "
        "one is answered 413 before it is read (Content-Length, or counted while it streams).",
    )
    upload_body_limit_bytes: int = Field(
        33_554_432,
        ge=1024,
        description="Largest request body of a route taking a file (imports, report ingest, photos), "
        "multipart overhead included; only read once the caller is authenticated.",
    )
    intake_queue_limit: int = Field(
        20_000,
        ge=1,
        description="Open311 POSTs one server process holds unanswered (waiting for its intake writer or "
        "being written); beyond it new ones are answered 503 with Retry-After (back-pressure instead of "
        "unbounded memory and latency).",
    )
    intake_writer: Literal["process", "thread"] = Field(
        "process",
        description="Where a server process writes its Open311 POSTs (group commit): `process`, a writer "
        "process of its own that runs beside the event loop (the server uses a second core); `thread`, a "
        "thread of the server's process, which shares the interpreter lock with the event loop (for an "
        "in-memory database, or where a second process per server is not wanted).",
    )
    goals_ahead_margin: float = Field(
        0.05, ge=0, le=1, description="Goals: 超进度 when reported progress ≥ time progress + this share."
    )
    goals_behind_margin: float = Field(
        0.05, ge=0, le=1, description="Goals: 达进度 when reported progress ≥ time progress − this share."
    )
    goals_tolerance_pp: float = Field(
        0.5, ge=0, description="Goals: half-width of the 左右 (~) band for growth/share targets, in points."
    )
    goals_tolerance_ratio: float = Field(
        0.02, ge=0, description="Goals: half-width of the 左右 (~) band for level targets, as a share of X."
    )
    goals_amber_pp: float = Field(
        1.0, ge=0, description="Goals: a growth/share forecast missing by at most this many points is 预警."
    )
    goals_amber_ratio: float = Field(
        0.05, ge=0, description="Goals: a level forecast missing by at most this share of the target is 预警."
    )
    goals_band_overshoot_met: bool = Field(
        True, description="Goals: a forecast above a 左右 band counts as met (false: 预警 outside the band)."
    )
    goals_task_rules: list[str] = Field(
        default_factory=lambda: ["done", "overdue", "not_reported", "ahead", "on_track", "behind"],
        description="Goals: task status rules in order, first match wins; must end with `behind`.",
    )
    goals_indicator_rules: list[str] = Field(
        default_factory=lambda: ["no_data", "reached", "overdue", "met", "at_risk", "off_track"],
        description="Goals: indicator status rules in order, first match wins; must end with `off_track`.",
    )
    goals_rollup_default: Literal["average", "weighted", "worst"] = Field(
        "average", description="Goals: roll-up rule of a new task-area node (average, weighted or worst)."
    )
    events_triage_threshold: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Classifier confidence below which a new event without a category waits in the triage "
        "queue, for a model stored without its own auto-route threshold.",
    )
    events_autoroute_precision: float = Field(
        0.95,
        gt=0,
        le=1,
        description="Precision the classifier's auto-routed events must reach on held-out history; "
        "`events train` and the weekly retrain choose each model's auto-route threshold from it.",
    )
    events_retrain_weekly: bool = Field(
        True,
        description="The worker retrains the classifier once a week and keeps the new model only when "
        "its held-out figures are no worse.",
    )
    events_objection_window_hours: float = Field(
        2.0,
        gt=0,
        le=240,
        description="Working hours (office hours of the SLA calendar) after a dispatch within which the department may object to it (派单异议).",
    )
    events_assist_limit_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="A co-operating department's (配合单位) time limit for reporting its part to the lead, as a "
        "share of the category's handle limit, on the event's clock from when the part is assigned (never "
        "later than the lead's own deadline).",
    )
    events_repeat_window_days: float = Field(
        30.0,
        ge=0,
        description="Repeated requests (重复诉求): a request from the same phone number about the same minor "
        "category within this many days of an earlier one is linked to it and counted in 重复诉求率; 0 turns "
        "the linking off.",
    )
    events_ranking_min_volume: int = Field(
        30, ge=1, description="Cases due (应结案数) a department or town needs in a period to be ranked."
    )
    events_rollup_recent_days: int = Field(
        35, ge=1, description="Whole past days the worker's rollup job recomputes on each run."
    )
    events_partition_months_ahead: int = Field(
        3,
        ge=1,
        le=60,
        description="PostgreSQL: months after the current one whose events partitions the worker creates ahead.",
    )
    events_surge_window_hours: float = Field(
        2.0,
        gt=0,
        le=48,
        description="Surges (未诉先办): the window, in hours up to now, whose requests per minor category and "
        "town are compared with the same hours of the same weekday in past weeks.",
    )
    events_surge_baseline_weeks: int = Field(
        4,
        ge=1,
        le=52,
        description="Surges: how many past weeks' same window make the usual level (their mean).",
    )
    events_surge_ratio: float = Field(
        3.0, ge=1, description="Surges: a window needs at least this many times its usual level to be one."
    )
    events_surge_min_count: int = Field(
        10,
        ge=1,
        description="Surges: a window needs at least this many requests to be one, whatever the ratio.",
    )
    events_surge_max_p: float = Field(
        0.001,
        gt=0,
        lt=1,
        description="Surges: the window's count must be this improbable under a Poisson law whose mean is "
        "the usual level (P(X ≥ count) at most this).",
    )
    photos_max_bytes: int = Field(
        15_000_000,
        ge=10_000,
        description="Largest photo file accepted, in bytes (a bigger one is refused 413).",
    )
    photos_max_pixels: int = Field(
        50_000_000,
        ge=10_000,
        le=178_956_970,
        description="Most pixels (width × height) a photo may have; more is refused 413 before it is "
        "decoded. Pillow's own decompression-bomb guard stays on above this.",
    )
    photos_max_per_step: int = Field(
        6, ge=1, le=50, description="Most photos one step of an event (上报, 处置, 核查) may carry."
    )
    photos_display_px: int = Field(
        1600, ge=320, le=4096, description="Long edge, in pixels, of the display copy made of each photo."
    )
    photos_thumb_px: int = Field(
        320, ge=64, le=1024, description="Long edge, in pixels, of each photo's thumbnail."
    )
    photos_flag_distance_m: float = Field(
        500.0,
        gt=0,
        description="A handling or verification photo whose EXIF position is farther than this many "
        "metres from the event is flagged on the verify page (a warning, not a refusal).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("office_hours")
    @classmethod
    def _valid_hours(cls, value: list[str]) -> list[str]:
        previous_end = -1
        for window in value:
            match = _HOURS.match(window.strip())
            if not match:
                raise ValueError(f"office hours window {window!r} is not HH:MM-HH:MM")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if not (0 <= start < end <= 24 * 60) or start < previous_end:
                raise ValueError(f"office hours window {window!r} is empty, out of order or overlapping")
            previous_end = end
        if not value:
            raise ValueError("at least one office hours window is needed")
        return [w.strip() for w in value]

    @field_validator("county_code")
    @classmethod
    def _six_digits(cls, value: str) -> str:
        if not re.fullmatch(r"\d{6}", value):
            raise ValueError("county_code must be 6 digits (GB/T 2260)")
        return value

    @model_validator(mode="after")
    def _resolve_files(self) -> Settings:
        if self.database_url_file is not None:
            self.database_url = self.database_url_file.read_text(encoding="utf-8").strip()
        if self.secret_key_file is not None:
            self.secret_key = self.secret_key_file.read_text(encoding="utf-8").strip()
        if self.database_replica_url_file is not None:
            self.database_replica_url = self.database_replica_url_file.read_text(encoding="utf-8").strip()
        if self.database_replica_url:
            for name, url in (
                ("database_replica_url", self.database_replica_url),
                ("database_url", self.resolved_database_url()),
            ):
                if not url.startswith("postgresql"):
                    raise ValueError(
                        f"{name} must be a PostgreSQL URL when a read replica is set (a streaming "
                        "replica is PostgreSQL's)"
                    )
        if self.env == "prod" and self.secret_key.lower() in _PLACEHOLDER_SECRETS - {""}:
            raise ValueError("secret_key is a placeholder; set a real one in production")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def office_windows(self) -> list[tuple[time, time]]:
        out = []
        for window in self.office_hours:
            start, end = window.split("-")
            out.append((time.fromisoformat(start), time.fromisoformat(end) if end != "24:00" else time.max))
        return out

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'citycockpit.db').as_posix()}"

    def resolved_secret_key(self) -> str:
        """The configured key, or the one stored in the data folder (created on first use)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key, encoding="utf-8")
        path.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("citycockpit")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0+unknown"
