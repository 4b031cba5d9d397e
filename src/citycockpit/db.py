"""Engine and sessions. SQLite gets WAL, foreign keys, a busy timeout and explicit BEGIN; PostgreSQL a pool."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from citycockpit.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


log = logging.getLogger("citycockpit.db")

_GATE_KEY = "citycockpit_write_gate"
SQLITE_NOWAIT = "sqlite_nowait"  # execution option: see _configure_sqlite


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC instants on both engines (SQLite stores naive text; we restore the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = _as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def driver_processor(self, dialect: Any) -> Callable[[datetime | None], Any]:
        """`process_bind_param` and the driver type's own conversion in one call, for `RowsInsert`:
        SQLite stores the naive UTC instant as SQLAlchemy's DATETIME text ("2024-09-30 02:00:00.000000",
        its default storage format); PostgreSQL takes the aware instant. tests/test_rows_insert.py
        checks both against SQLAlchemy's own chain of the two conversions."""
        if dialect.name == "sqlite":
            # A batch's rows share instants (its `now`): the last one's text is kept, as one tuple so
            # that threads sharing the processor never pair an instant with another's text.
            last: list[tuple[datetime | None, str | None]] = [(None, None)]

            def to_text(value: datetime | None) -> str | None:
                if value is None:
                    return None
                seen, text = last[0]
                if seen is value:
                    return text
                text = _as_utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")
                last[0] = (value, text)
                return text

            return to_text
        if self.impl_instance.dialect_impl(dialect).bind_processor(dialect) is None:
            return lambda value: None if value is None else _as_utc(value)
        return self._cached_bind_processor(dialect) or (lambda value: value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given where an aware UTC instant is required")
    return value.astimezone(UTC)


def _url_of(engine_or_url: Engine | URL | str) -> URL:
    return engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)


def is_sqlite(engine_or_url: Engine | URL | str) -> bool:
    return _url_of(engine_or_url).get_backend_name() == "sqlite"


def is_sqlite_file(engine_or_url: Engine | URL | str) -> bool:
    """A SQLite database in a file (not in memory): one another connection or process can open."""
    return is_sqlite(engine_or_url) and _url_of(engine_or_url).database not in (None, "", ":memory:")


def make_engine(
    url: str,
    *,
    busy_timeout_ms: int = 10_000,
    pool_size: int = 10,
    echo: bool = False,
    connect_timeout_s: int | None = None,
) -> Engine:
    """Build the engine with the pragmas and transaction handling each backend needs. `connect_timeout_s`
    (PostgreSQL): give up connecting after so many seconds (a read replica that is away)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed, echo=echo, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
        )
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    return create_engine(
        parsed,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={} if connect_timeout_s is None else {"connect_timeout": connect_timeout_s},
    )


def build_engine(settings: Settings) -> Engine:
    """The engine the settings name (database URL, SQLite busy timeout, pool size): the app's and every
    command's."""
    return make_engine(
        settings.resolved_database_url(),
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
    )


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    # SQLAlchemy's documented pysqlite recipe: let us emit BEGIN ourselves, so SAVEPOINT works and
    # writers can take the lock up front (BEGIN IMMEDIATE) instead of failing on lock upgrade.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # SQLite has one writer at a time, and its busy handler is not fair: under steady load a waiting
    # writer can lose every race until its timeout. Writers of this process therefore queue on a lock
    # before BEGIN IMMEDIATE and leave it at COMMIT/ROLLBACK, so they take turns.
    gate = threading.Lock()
    timeout = busy_timeout_ms / 1000

    def _leave(info: dict[str, Any]) -> None:
        if info.pop(_GATE_KEY, False):
            gate.release()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        mode = options.get("sqlite_begin", "IMMEDIATE")
        # `sqlite_nowait`: a writer that would rather not write than wait (a token's last-used time):
        # it fails at once, "database is locked", when another writer holds the gate or the lock.
        nowait = bool(options.get(SQLITE_NOWAIT))
        if mode == "IMMEDIATE":
            if not (gate.acquire(blocking=False) if nowait else gate.acquire(timeout=timeout)):
                raise OperationalError(
                    "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
                )
            conn.info[_GATE_KEY] = True
        try:
            if nowait:
                conn.exec_driver_sql("PRAGMA busy_timeout=0")
            try:
                conn.exec_driver_sql(f"BEGIN {mode}")
            finally:
                if nowait:  # the lock is taken (or not) by BEGIN: later statements wait as usual
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        except BaseException:
            _leave(conn.info)
            raise

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Any) -> None:
        _leave(conn.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        _leave(conn.info)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(dbapi_connection: Any, connection_record: Any) -> None:
        _leave(connection_record.info)  # a connection returned mid-transaction must not keep the gate

    @event.listens_for(engine.pool, "invalidate")
    def _on_invalidate(dbapi_connection: Any, connection_record: Any, exception: Any) -> None:
        _leave(connection_record.info)


WAL_CHECKPOINT_EVERY_S = 0.5


class WalCheckpointer:
    """SQLite's WAL checkpoints on a thread of their own instead of inside a committing writer.

    By default the connection whose commit takes the write-ahead log past 1,000 pages copies the log
    back into the database file and syncs it, there and then: every few batches the intake writer's
    commit took tens of ms more (docs/performance.md, "Open311 intake, fifth round"). Here the
    engine's connections stop checkpointing (`wal_autocheckpoint=0`) and this thread runs a PASSIVE
    checkpoint every `every_s` on a connection of its own: it never waits for a writer or a reader and
    copies what they no longer need, while the writer goes on (SQLite lets go of the interpreter lock
    meanwhile). Connections of other processes keep SQLite's default. `runs` counts the checkpoints,
    `last` is SQLite's answer to the last one (busy, frames in the log, frames copied)."""

    def __init__(self, engine: Engine, every_s: float = WAL_CHECKPOINT_EVERY_S) -> None:
        self.engine, self.every_s = engine, every_s
        self.runs = 0
        self.last: tuple[int, int, int] | None = None
        self._stop = threading.Event()

        @event.listens_for(engine, "connect")
        def _no_auto_checkpoint(dbapi_connection: Any, connection_record: Any) -> None:
            dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

        engine.dispose()  # the connections already made are replaced by ones that do not checkpoint
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        connection = self.engine.raw_connection()
        try:
            while not self._stop.wait(self.every_s):
                try:
                    row = connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:  # the next run tries again
                    log.warning("WAL checkpoint failed: %s", exc)
                    continue
                self.last = (int(row[0]), int(row[1]), int(row[2]))
                self.runs += 1
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def checkpoint_in_background(engine: Engine) -> WalCheckpointer | None:
    """A `WalCheckpointer` for a SQLite file's engine (None for other databases, whose servers
    checkpoint by themselves)."""
    return WalCheckpointer(engine) if is_sqlite_file(engine) else None


# Where the Alembic scripts live (a package resource): `migrate` runs them, `schema_revisions` reads them.
MIGRATIONS = "citycockpit:migrations"


def schema_revisions(engine: Engine) -> tuple[str | None, str | None]:
    """The database's Alembic revision (None: no schema yet) and the newest revision this code has."""
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    with reader(engine).connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, ScriptDirectory.from_config(config).get_current_head()


def reader(engine: Engine) -> Engine:
    """The same engine, but SQLite transactions start DEFERRED: for read-only work that must not
    queue behind writers."""
    return engine.execution_options(sqlite_begin="DEFERRED")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def session_scope(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """One session for a command or job: commits when the block succeeds, rolls back otherwise.
    A read-only scope never commits; closing it ends its transaction and leaves loaded objects usable."""
    session = Session(bind=reader(engine) if read_only else engine, expire_on_commit=False)
    try:
        yield session
        if not read_only:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; the route commits. GET/HEAD requests read without taking the write lock."""
    engine: Engine = request.app.state.engine
    bind = reader(engine) if request.method in ("GET", "HEAD") else engine
    session = Session(bind=bind, expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def get_read_session(request: Request, session: SessionDep) -> Iterator[Session]:
    """The session for reads that may be a few seconds stale (the screen, KPIs, lists, exports): on the
    read replica when one is configured and `replica.ReadReplica.engine_for` picks it, otherwise the
    request's own session (the primary). Who the caller is, and anything written, stays on the primary."""
    replica = getattr(request.app.state, "replica", None)
    bind = replica.engine_for(request) if replica is not None else None
    if replica is None or bind is None:
        yield session
        return
    stale_ok = Session(bind=bind, expire_on_commit=False)
    try:
        stale_ok.connection()  # connect now: a replica gone since its last check means the primary, not a 500
    except OperationalError as exc:
        stale_ok.close()
        replica.mark_down(exc)
        yield session
        return
    try:
        yield stale_ok
    finally:
        stale_ok.rollback()
        stale_ok.close()


ReadSessionDep = Annotated[Session, Depends(get_read_session)]


class RowsInsert:
    """A table's multi-row `INSERT ... RETURNING`, run through the driver (`exec_driver_sql`) rather
    than SQLAlchemy's per-statement compile and per-row parameter building: the intake writer inserts
    every batch this way (issue 24). The values are converted by the columns' own bind processors
    (UTC instants, dates, booleans, JSON, as the ORM path stores them), and columns left out of the
    rows get their scalar Python defaults, so the stored rows are the same as `session.execute(insert(
    table), rows)` writes. The SQL text is built once per dialect, column set and row count."""

    # SQLite allows 32,766 bound values per statement (3.32+), PostgreSQL 65,535.
    MAX_PARAMS = 30_000
    MAX_ROWS = 1_000

    def __init__(self, table: Any, *, returning: tuple[str, ...] = ()) -> None:
        self.table = table
        self.returning = returning
        self._plans: dict[tuple[str, tuple[str, ...]], Any] = {}
        self._texts: dict[tuple[str, tuple[str, ...], int], str] = {}

    def _plan(
        self, dialect: Any, keys: tuple[str, ...]
    ) -> tuple[tuple[str, ...], list[Any], tuple[Any, ...]]:
        """Columns named (the rows' keys, then defaulted columns), their processors, the defaults."""
        plan = self._plans.get((dialect.name, keys))
        if plan is None:
            columns = self.table.c
            unknown = set(keys) - set(columns.keys())
            if unknown:
                raise ValueError(f"not columns of {self.table.name}: {sorted(unknown)}")
            defaulted = []
            for column in columns:
                if column.key in keys or column.default is None:
                    continue
                if not column.default.is_scalar:
                    raise ValueError(f"{self.table.name}.{column.key}: only scalar defaults are filled in")
                defaulted.append(column)
            names = keys + tuple(c.key for c in defaulted)
            processors = [_bind_processor(columns[name].type, dialect) for name in names]
            fixed = []
            for column, process in zip(defaulted, processors[len(keys) :], strict=True):
                fixed.append(column.default.arg if process is None else process(column.default.arg))
            plan = self._plans[(dialect.name, keys)] = (names, processors[: len(keys)], tuple(fixed))
        return plan

    def _text(self, dialect: Any, names: tuple[str, ...], count: int) -> str:
        text = self._texts.get((dialect.name, names, count))
        if text is None:
            preparer = dialect.identifier_preparer
            mark = "?" if dialect.paramstyle == "qmark" else "%s"
            one = "(" + ", ".join([mark] * len(names)) + ")"
            text = (
                f"INSERT INTO {preparer.format_table(self.table)} "
                f"({', '.join(preparer.quote(self.table.c[n].name) for n in names)}) "
                f"VALUES {', '.join([one] * count)}"
            )
            if self.returning:
                text += (
                    f" RETURNING {', '.join(preparer.quote(self.table.c[n].name) for n in self.returning)}"
                )
            self._texts[(dialect.name, names, count)] = text
        return text

    def execute(self, session: Session, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Insert the rows (all with the same keys) in the session's transaction; the returned columns
        of every row, in no particular order (none without `returning`)."""
        if not rows:
            return []
        if session.autoflush:  # as `session.execute` does
            session.flush()
        conn = session.connection()
        dialect = conn.dialect
        keys = tuple(rows[0])
        names, processors, fixed = self._plan(dialect, keys)
        convert = [(i, p) for i, p in enumerate(processors) if p is not None]
        per_statement = max(1, min(self.MAX_ROWS, self.MAX_PARAMS // len(names)))
        out: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params: list[Any] = []
            for row in chunk:
                values = [row[k] for k in keys]
                for i, process in convert:
                    values[i] = process(values[i])
                params += values
                params += fixed
            result = conn.exec_driver_sql(self._text(dialect, names, len(chunk)), tuple(params))
            if self.returning:
                out += result.all()
        return out


def _bind_processor(column_type: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """The conversion SQLAlchemy applies to a column's values before the driver sees them: the type's
    own fused one where it has it (`UTCDateTime.driver_processor`), else SQLAlchemy's chain."""
    fused = getattr(column_type, "driver_processor", None)
    return fused(dialect) if fused is not None else column_type._cached_bind_processor(dialect)


class DriverStatement:
    """A fixed Core statement compiled once per dialect and run through the driver (`exec_driver_sql`),
    for the intake writer's per-batch statements (issue 24): SQLAlchemy's per-execution work (cache
    lookup, parameter building, result metadata) cost more than running them. The SQL text is the
    Core statement's own compilation, so the statement stays the one home of its SQL; parameters go
    through their bind processors and returned columns through their result processors, so values
    are written and read back exactly as `session.execute(statement, params)` does
    (tests/test_rows_insert.py compares the two on both engines). An `expanding` bind (an IN list
    given at execution) is written out once per dialect and list length."""

    MAX_PLANS = 512  # texts kept per statement (one per dialect and IN-list lengths)

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: dict[Any, Any] = {}
        self._plans: dict[Any, Any] = {}

    def _compile(self, dialect: Any) -> Any:
        """The compiled statement, the binds a caller must give and, of those, the IN lists."""
        found = self._compiled.get(dialect)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            if compiled.escaped_bind_names:
                raise ValueError("bind names that need escaping are not supported")
            required = frozenset(name for bind, name in compiled.bind_names.items() if bind.required)
            lists = tuple(
                sorted(name for bind, name in compiled.bind_names.items() if bind.required and bind.expanding)
            )
            found = self._compiled[dialect] = (compiled, required, lists)
        return found

    def _plan(self, dialect: Any, compiled: Any, key: Any, lengths: dict[str, int], required: Any) -> Any:
        plan = self._plans.get(key)
        if plan is None:
            # placeholders of the right lengths: the text depends on how many values a list has, not on them
            given = {name: [None] * lengths[name] if name in lengths else None for name in required}
            state = compiled.construct_expanded_state(given)
            expansion = {name: tuple(state.parameter_expansion[name]) for name in lengths}
            defaults = {n: v for n, v in state.parameters.items() if n not in required}
            processors = {n: p for n, p in state.processors.items() if p is not None}  # IN lists'
            for bind, name in compiled.bind_names.items():
                process = bind.type._cached_bind_processor(dialect)
                if process is not None and name in state.parameters:
                    processors[name] = process
            order = tuple(state.positiontup or ()) if compiled.positional else None
            types = tuple(entry.type for entry in compiled._result_columns)
            names = tuple(state.parameters)
            plan = [state.statement, order, names, defaults, expansion, processors, types, None]
            if len(self._plans) >= self.MAX_PLANS:
                self._plans.clear()
            self._plans[key] = plan
        return plan

    def execute(self, session: Session, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run the statement in the session's transaction, pending ORM changes flushed first as
        `session.execute` does (autoflush); its result rows (none without any)."""
        if session.autoflush:
            session.flush()  # returns at once when nothing is pending
        conn = session.connection()
        dialect = conn.dialect
        compiled, required, lists = self._compile(dialect)
        params = params or {}
        if required and not required <= params.keys():
            raise ValueError(f"values are required for {sorted(required - params.keys())}")
        lengths = {name: len(params[name]) for name in lists}
        key = (dialect, *lengths.values())
        plan = self._plan(dialect, compiled, key, lengths, required)
        sql, order, names, defaults, expansion, processors, types, results = plan
        values = {**defaults, **params}
        for name, expanded in expansion.items():
            values.update(zip(expanded, params[name], strict=True))
        for name, process in processors.items():
            values[name] = process(values[name])
        if order is not None:
            result = conn.exec_driver_sql(sql, tuple([values[n] for n in order]))
        else:
            result = conn.exec_driver_sql(sql, {n: values[n] for n in names})
        if not result.returns_rows:
            return []
        if results is None:  # the driver's type codes pick some result processors (PostgreSQL floats)
            codes = [column[1] for column in result.cursor.description]
            processors_out = [
                t._cached_result_processor(dialect, c) for t, c in zip(types, codes, strict=True)
            ]
            results = plan[7] = tuple(processors_out) if any(processors_out) else ()
        rows = result.fetchall()
        if not results:
            return [tuple(row) for row in rows]
        return [tuple(v if p is None else p(v) for v, p in zip(row, results, strict=True)) for row in rows]


def driver_marks(dialect: Any) -> tuple[str, Callable[[str], str]]:
    """For SQL text run through the driver (`run_driver_sql`): the driver's positional bind mark, and
    what a literal written into the text needs (quotes doubled; `%` doubled too for the format-style
    drivers, psycopg's)."""
    if dialect.paramstyle == "qmark":
        return "?", lambda literal: literal.replace("'", "''")
    return "%s", lambda literal: literal.replace("'", "''").replace("%", "%%")


def run_driver_sql(
    session: Session,
    sql: str,
    params: tuple[Any, ...],
    *,
    bind_types: tuple[Any, ...],
    result_types: tuple[Any, ...],
) -> list[tuple[Any, ...]]:
    """Run SQL text built for one execution (literals in it, marks from `driver_marks`) through the
    driver: no statement object to build and compile each time (issue 24). `params` are converted by
    `bind_types`' bind processors and the rows' columns by `result_types`' result processors, as
    `session.execute(text(...).bindparams(...).columns(...))` converts them. Pending ORM changes are
    flushed first (autoflush)."""
    if session.autoflush:
        session.flush()
    conn = session.connection()
    dialect = conn.dialect
    values = []
    for value, column_type in zip(params, bind_types, strict=True):
        process = column_type._cached_bind_processor(dialect)
        values.append(value if process is None else process(value))
    result = conn.exec_driver_sql(sql, tuple(values))
    codes = [column[1] for column in result.cursor.description]
    processors = [t._cached_result_processor(dialect, c) for t, c in zip(result_types, codes, strict=True)]
    rows = result.fetchall()
    if not any(processors):
        return [tuple(row) for row in rows]
    return [tuple(v if p is None else p(v) for v, p in zip(row, processors, strict=True)) for row in rows]
