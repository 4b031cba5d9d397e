"""Fixtures borrowed from the domains whose pages and panels these tests drive."""

from tests.events.conftest import categories  # noqa: F401  (the events domain's small category set)
from tests.projects.conftest import ledger  # noqa: F401  (the seven-project fixture)
