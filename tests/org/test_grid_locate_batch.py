"""Locating a batch of points at once (the intake writer's batches) answers exactly as one by one:
the lowest code among covering polygons, borders included, else the nearest grid."""

from __future__ import annotations

import random

from shapely.geometry import box

from citycockpit.org import geometry


def _lattice() -> geometry.GridLocator:
    """6 × 6 grid cells sharing their borders, every fifth one known only by its centroid."""
    grids = []
    for row in range(6):
        for col in range(6):
            lat, lon = 31.40 + row * 0.01, 121.10 + col * 0.01
            code = f"32058510100{row}{col}"
            if (row + col) % 5 == 0:
                grids.append(geometry.GridShape(code, lat + 0.005, lon + 0.005, None))
            else:
                grids.append(geometry.GridShape(code, None, None, box(lon, lat, lon + 0.01, lat + 0.01)))
    return geometry.GridLocator(grids)


def test_a_batch_of_points_is_located_as_each_point_alone():
    locator = _lattice()
    rng = random.Random(24)
    points = [(rng.uniform(31.38, 31.48), rng.uniform(121.08, 121.18)) for _ in range(500)]
    points += [(31.40 + r * 0.01, 121.10 + c * 0.01) for r in range(7) for c in range(7)]  # on borders
    alone = [geometry.locate(locator, lat, lon) for lat, lon in points]
    assert geometry.locate_many(locator, points) == alone
    assert {covered for _, covered in filter(None, alone)} == {True, False}  # both ways were exercised


def test_a_point_on_a_shared_border_goes_to_the_lowest_code_in_a_batch_too():
    locator = _lattice()
    corner = (31.42, 121.12)  # the corner of four cells
    found = geometry.locate_many(locator, [corner, (31.455, 121.155)])
    assert found[0] == ("3205851010011", True)  # cell (1, 1) of the four that share the corner
    assert found[0] == geometry.locate(locator, *corner)


def test_an_empty_batch_or_an_empty_tree_locates_nothing():
    assert geometry.locate_many(_lattice(), []) == []
    assert geometry.locate_many(geometry.GridLocator([]), [(31.4, 121.1)]) == [None]
