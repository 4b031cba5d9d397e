"""Who acts: the shape every audited write names (a user, a request's principal, or a system actor)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Actor(Protocol):
    @property
    def id(self) -> int | None: ...

    @property
    def display_name(self) -> str: ...


@dataclass(frozen=True)
class SystemActor:
    """An actor that is not a user: the CLI operator, the demo builder, the worker."""

    name: str
    id: int | None = None

    @property
    def display_name(self) -> str:
        return self.name
