"""The named sets of states are what docs/domains/events.md's "Sets of states" table says they are, and
agree with the transition table: a set listed by hand somewhere else could not pass both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from citycockpit.auth.enums import Role
from citycockpit.events import enums
from citycockpit.events.enums import Action, EventState
from citycockpit.events.workflow.transitions import TRANSITIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "domains" / "events.md"
SETS = [
    "OPEN_STATES",
    "FINAL_STATES",
    "BEING_HANDLED",
    "WITH_DEPARTMENT",
    "AWAITING_DISPATCH",
    "SUPERVISABLE",
    "COMPLETED_STATES",
]


def _table() -> list[str]:
    """The lines of the first table under "## Sets of states"."""
    lines = DOC.read_text(encoding="utf-8").split("## Sets of states", 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return lines[start:end]


def _documented_sets() -> dict[str, set[str]]:
    """The "Sets of states" table: its header names the sets, each row a state and its ticks."""
    rows = _table()
    header = [cell.strip().strip("`") for cell in rows[0].strip("|").split("|")]
    sets: dict[str, set[str]] = {name: set() for name in header[1:]}
    for line in rows[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        state = re.match(r"`(\w+)`", cells[0])
        assert state is not None, line
        for name, tick in zip(header[1:], cells[1:], strict=True):
            if tick == "✓":
                sets[name].add(state.group(1))
    return sets


def test_the_documented_table_names_every_set_and_lists_every_state_once():
    states = [m.group(1) for line in _table()[2:] if (m := re.match(r"\| `(\w+)` ", line))]
    assert sorted(states) == sorted(s.value for s in EventState)
    assert sorted(_documented_sets()) == sorted(SETS)


@pytest.mark.parametrize("name", SETS)
def test_each_set_of_states_is_the_one_the_docs_table_defines(name):
    assert {s.value for s in getattr(enums, name)} == _documented_sets()[name]


def test_every_state_is_either_open_or_final():
    assert enums.OPEN_STATES | enums.FINAL_STATES == set(EventState)
    assert not enums.OPEN_STATES & enums.FINAL_STATES


def test_open_states_are_those_a_person_still_acts_on_beyond_the_callback():
    # Rating a closed event and reopening a rated one come after the loop finished.
    after_the_loop = {Action.RATE, Action.REOPEN}
    acted_on = {s for t in TRANSITIONS.values() if t.action not in after_the_loop for s in t.sources}
    assert acted_on == enums.OPEN_STATES


def test_events_being_handled_are_those_a_department_acts_on_and_its_queue_adds_set_aside_ones():
    department_acts_on = {s for t in TRANSITIONS.values() if Role.DEPARTMENT in t.roles for s in t.sources}
    assert department_acts_on == enums.BEING_HANDLED
    set_aside = TRANSITIONS[Action.SUSPEND].target
    assert enums.WITH_DEPARTMENT == department_acts_on | {set_aside}


def test_events_awaiting_dispatch_are_those_the_dispatch_action_starts_from():
    assert TRANSITIONS[Action.DISPATCH].sources == enums.AWAITING_DISPATCH
