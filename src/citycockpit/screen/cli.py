"""`citycockpit screen …`: kiosk links for wall displays, and generated area shapes."""

from __future__ import annotations

import typer
from rich.table import Table

from citycockpit.core.cliutil import CLI_ACTOR, console, engine_for, load_settings, one_line_errors
from citycockpit.core.clock import Clock
from citycockpit.db import session_scope
from citycockpit.screen import service

app = typer.Typer(help="The big screen: kiosk links and area shapes.", no_args_is_help=True)
kiosk = typer.Typer(help="Signed, revocable read-only links for wall displays.", no_args_is_help=True)
app.add_typer(kiosk, name="kiosk")

DB_OPTION = typer.Option(None, "--db", help="Database URL or SQLite file path.")


@kiosk.command("create")
@one_line_errors
def kiosk_create(
    name: str = typer.Option(..., "--name", help="Where the display hangs, e.g. 指挥中心大屏."),
    area: str | None = typer.Option(None, "--area", help="Limit the wall to this area's subtree."),
    base_url: str = typer.Option("http://127.0.0.1:8000", help="The server's public address."),
    db: str | None = DB_OPTION,
) -> None:
    """Create a kiosk link and print its URL (it grants screen:read only, until revoked)."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        created = service.create_kiosk_link(
            session,
            name=name,
            area_code=area,
            secret_key=settings.resolved_secret_key(),
            actor=CLI_ACTOR,
            now=clock.now(),
        )
    console.print(f"{base_url.rstrip('/')}{created.path}", soft_wrap=True, highlight=False)


@kiosk.command("list")
@one_line_errors
def kiosk_list(db: str | None = DB_OPTION) -> None:
    """List kiosk links."""
    settings = load_settings(db)
    with session_scope(engine_for(settings), read_only=True) as session:
        links = service.list_kiosk_links(session)
    table = Table("id", "name", "area", "state", "last used")
    for link in links:
        table.add_row(
            str(link.id),
            link.name,
            link.area_code or "—",
            "revoked" if link.is_revoked else "live",
            link.last_used_at.isoformat() if link.last_used_at else "—",
        )
    console.print(table)


@kiosk.command("revoke")
@one_line_errors
def kiosk_revoke(
    link_id: int = typer.Argument(..., help="The link's id."), db: str | None = DB_OPTION
) -> None:
    """Revoke a kiosk link: the wall's next request is refused."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        service.revoke_kiosk_link(session, link_id, actor=CLI_ACTOR, now=clock.now())
    console.print(f"kiosk link {link_id} revoked")


@app.command("shapes")
@one_line_errors
def shapes(
    root: str | None = typer.Option(None, "--root", help="City code (default: county_code)."),
    db: str | None = DB_OPTION,
) -> None:
    """Generate plausible (not official) polygons for towns and villages that have none."""
    settings = load_settings(db)
    clock = Clock(zone=settings.zone, today=settings.today)
    with session_scope(engine_for(settings)) as session:
        n = service.generate_area_shapes(
            session, actor=CLI_ACTOR, now=clock.now(), root_code=root or settings.county_code
        )
    console.print(f"{n} area(s) got a generated shape")
