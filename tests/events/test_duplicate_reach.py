"""The duplicate lookup skips a batch's candidates outside an event's reach before measuring the
distance: no point within the radius may lie outside that reach, or a duplicate would be missed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from citycockpit.core.coords import distance_m
from citycockpit.events.intake.duplicates import _reach_deg


@given(
    lat=st.floats(-85, 85),
    lon=st.floats(-179, 179),
    radius=st.sampled_from([1.0, 30.0, 50.0, 200.0, 2_000.0]),
    north=st.floats(-1.5, 1.5),
    east=st.floats(-1.5, 1.5),
)
def test_every_point_within_the_radius_lies_within_the_reach(lat, lon, radius, north, east):
    dlat, dlon = _reach_deg(lat, radius)
    other = (lat + north * dlat, lon + east * dlon)
    if distance_m(lat, lon, *other) <= radius:
        assert abs(north) <= 1 and abs(east) <= 1


def test_the_reach_is_tight_enough_to_skip_far_candidates():
    dlat, dlon = _reach_deg(31.45, 50.0)
    assert 0.00044 < dlat < 0.00046  # 50 m is 0.00045° of latitude
    assert 0.00052 < dlon < 0.00054  # and 0.00053° of longitude at Taicang's latitude
