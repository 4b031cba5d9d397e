"""Levels, life-cycle stages, industries and currencies of key projects (重点项目)."""

from enum import StrEnum


class ProjectLevel(StrEnum):
    """The three levels of key projects (三级重点项目)."""

    PROVINCIAL = "provincial"  # 省重大
    SUZHOU = "suzhou"  # 苏州重点
    CITY = "city"  # 市级重点

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]


LEVEL_LABELS = {
    ProjectLevel.PROVINCIAL: "省重大",
    ProjectLevel.SUZHOU: "苏州重点",
    ProjectLevel.CITY: "市级重点",
}


class ProjectStage(StrEnum):
    """The project life cycle (全生命周期), in order: 签约 → 注册 → 供地 → 审批 → 开工 → 在建 → 竣工 → 投产/运营."""

    SIGNED = "signed"
    REGISTERED = "registered"
    LAND = "land"
    APPROVED = "approved"
    STARTED = "started"
    CONSTRUCTION = "construction"
    COMPLETED = "completed"
    OPERATING = "operating"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]

    @property
    def rank(self) -> int:
        return STAGE_ORDER.index(self)


STAGE_ORDER = list(ProjectStage)
STAGE_LABELS = {
    ProjectStage.SIGNED: "签约",
    ProjectStage.REGISTERED: "注册",
    ProjectStage.LAND: "供地",
    ProjectStage.APPROVED: "审批",
    ProjectStage.STARTED: "开工",
    ProjectStage.CONSTRUCTION: "在建",
    ProjectStage.COMPLETED: "竣工",
    ProjectStage.OPERATING: "投产/运营",
}

# Industry categories (产业类别) of the project office's ledger; the first four are Taicang's
# 四大产业 named in the 2024 government work report.
INDUSTRIES = (
    "高端装备",
    "先进材料",
    "航空航天",
    "生物医药",
    "现代物贸",
    "汽车零部件",
    "新能源",
    "数字经济",
    "现代服务业",
    "城市建设",
    "交通基础设施",
    "社会民生",
    "生态环保",
    "农业农村",
    "文化旅游",
)

# ISO 4217 codes the ledger may name, with the Chinese names offices write instead.
CURRENCIES = {
    "CNY": "人民币",
    "USD": "美元",
    "EUR": "欧元",
    "JPY": "日元",
    "HKD": "港元",
    "GBP": "英镑",
    "CHF": "瑞士法郎",
    "KRW": "韩元",
    "SGD": "新加坡元",
}


def parse_level(text: str) -> ProjectLevel | None:
    text = text.strip()
    for level, label in LEVEL_LABELS.items():
        if text in (level.value, label, label + "项目"):
            return level
    aliases = {
        "省级重大": ProjectLevel.PROVINCIAL,
        "苏州市重点": ProjectLevel.SUZHOU,
        "市重点": ProjectLevel.CITY,
    }
    return aliases.get(text)


def parse_stage(text: str) -> ProjectStage | None:
    text = text.strip()
    for stage, label in STAGE_LABELS.items():
        if text in (stage.value, label):
            return stage
    return {"投产": ProjectStage.OPERATING, "运营": ProjectStage.OPERATING}.get(text)


def parse_currency(text: str) -> str | None:
    text = text.strip()
    if text.upper() in CURRENCIES:
        return text.upper()
    for code, name in CURRENCIES.items():
        if text == name:
            return code
    return None
