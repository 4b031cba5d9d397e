"""Print the roles × permissions table of docs/domains/auth.md from auth/permissions.py, or rewrite it in
place with --write (the doc test compares the two)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from citycockpit.auth.enums import Perm, Role
from citycockpit.auth.permissions import ROLE_PERMS, TOKEN_GRANTABLE

DOC = Path(__file__).resolve().parents[1] / "docs" / "domains" / "auth.md"
ROLES = [r for r in Role if r is not Role.API_CLIENT]


def table() -> str:
    lines = [
        "| permission | " + " | ".join(r.value for r in ROLES) + " | api_client |",
        "| --- |" + " --- |" * (len(ROLES) + 1),
    ]
    for perm in Perm:
        cells = ["✓" if perm in ROLE_PERMS[r] else " " for r in ROLES]
        cells.append("scope" if perm in TOKEN_GRANTABLE else " ")
        lines.append(f"| `{perm.value}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    if "--write" in sys.argv:
        text = DOC.read_text(encoding="utf-8")
        new = re.sub(r"\| permission \| admin.*?\n(?=\n)", table(), text, count=1, flags=re.S)
        DOC.write_text(new, encoding="utf-8")
    else:
        sys.stdout.write(table())


if __name__ == "__main__":
    main()
