from enum import StrEnum


class DepartmentKind(StrEnum):
    """Kinds of government units (委办局 / 镇 / 街道 / 国企 …)."""

    BUREAU = "委办局"
    TOWN = "镇"
    STREET = "街道"
    ZONE = "功能区"
    STATE_OWNED = "国企"
    CENTER = "中心"
    OTHER = "其他"


class AreaLevel(StrEnum):
    """Levels of the area tree; a code's length is fixed by its level (6/9/12/15 digits)."""

    CITY = "city"
    TOWN = "town"
    VILLAGE = "village"
    GRID = "grid"


AREA_CODE_LENGTH = {AreaLevel.CITY: 6, AreaLevel.TOWN: 9, AreaLevel.VILLAGE: 12, AreaLevel.GRID: 15}
PARENT_LEVEL = {
    AreaLevel.TOWN: AreaLevel.CITY,
    AreaLevel.VILLAGE: AreaLevel.TOWN,
    AreaLevel.GRID: AreaLevel.VILLAGE,
}
