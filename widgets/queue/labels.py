"""Display strings of the incident queue, in Simplified Chinese (default) and English.

Models return codes and enums; this module turns them into text. Pure functions,
no Qt, tested without showing a widget.
"""

from __future__ import annotations

import datetime as dt

from models.enums import Card, CaseSource, CaseStatus, Level, Light, Step
from models.queue import RUNNING, QueueRow
from widgets import labels as L

LANGS = ("zh", "en")

# column ids, in display order
COLUMNS = ("code", "class", "place", "level", "department", "status", "deadline", "light", "card")

HEADERS = {
    "zh": {"code": "编号", "class": "类别", "place": "网格/镇街", "level": "层级", "department": "部门",
           "status": "状态", "deadline": "当前步骤时限", "light": "灯", "card": "督办"},
    "en": {"code": "Code", "class": "Class", "place": "Grid / town", "level": "Level", "department": "Department",
           "status": "Status", "deadline": "Step deadline", "light": "Light", "card": "Card"},
}

def _from_shared(table: L.Table, enum: type, blank: tuple = ()) -> dict[str, dict]:
    """The queue's {lang: {member: text}} view of a shared label table (widgets/labels.py), so the
    queue, the case detail and the dialogs name every code the same way; `blank` members show empty."""
    return {lang: {m: ("" if m in blank else table[m.value][i]) for m in enum} for i, lang in enumerate(LANGS)}


STATUS = _from_shared(L.STATUS, CaseStatus)
LEVEL = _from_shared(L.LEVEL, Level)
SOURCE = _from_shared(L.SOURCE, CaseSource)
LIGHT = _from_shared(L.LIGHT, Light)
CARD = _from_shared(L.CARD, Card, blank=(Card.NONE,))  # a card cell without a card stays empty
STEP = _from_shared(L.STEP, Step)

UI = {
    "zh": {"status": "状态", "light": "灯", "town": "镇街", "class": "类别", "source": "来源",
           "search": "搜索编号、描述、网格…", "all_towns": "全部镇街", "all_classes": "全部类别",
           "all_sources": "全部来源", "count": "共 {total:,} 件 · 已加载 {loaded:,}",
           "new_red": "新红灯案件 {code}", "open_statuses": "在办", "statuses_n": "状态 ({n})",
           "all_statuses": "全部状态", "fake": "演示数据 (假数据)"},
    "en": {"status": "Status", "light": "Light", "town": "Town", "class": "Class", "source": "Source",
           "search": "Search code, description, grid…", "all_towns": "All towns", "all_classes": "All classes",
           "all_sources": "All sources", "count": "{total:,} cases · {loaded:,} loaded",
           "new_red": "New red case {code}", "open_statuses": "Open", "statuses_n": "Status ({n})",
           "all_statuses": "All statuses", "fake": "Demo (FAKE data)"},
}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}: {lang!r}")
    return lang


def hms(seconds: int, lang: str = "zh") -> str:
    """`1:23:45`; past a day `2天 3:04:05` / `2d 3:04:05`."""
    days, rest = divmod(max(0, int(seconds)), 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    clock = f"{h}:{m:02d}:{s:02d}"
    if not days:
        return clock
    return f"{days}天 {clock}" if lang == "zh" else f"{days}d {clock}"


def format_countdown(status: CaseStatus, deadline: dt.datetime | None, now: dt.datetime, lang: str = "zh") -> str:
    """The running step's deadline as a countdown: `剩 1:23:45` or `超时 0:12:00`."""
    if status is CaseStatus.SUSPENDED:
        return "挂账暂停" if lang == "zh" else "suspended"
    if status not in RUNNING or deadline is None:
        return "—"
    if now <= deadline:
        left = hms(int((deadline - now).total_seconds()), lang)
        return f"剩 {left}" if lang == "zh" else f"{left} left"
    over = hms(int((now - deadline).total_seconds()), lang)
    return f"超时 {over}" if lang == "zh" else f"overdue {over}"


def column_text(row: QueueRow, column: str, now: dt.datetime, lang: str = "zh") -> str:
    """What a cell shows."""
    if column == "code":
        return row.code
    if column == "class":
        return row.class_name
    if column == "place":
        return f"{row.grid_name} / {row.town_name}"
    if column == "level":
        return LEVEL[lang][row.level]
    if column == "department":
        return row.department
    if column == "status":
        return STATUS[lang][row.status]
    if column == "deadline":
        return format_countdown(row.status, row.step_deadline, now, lang)
    if column == "light":
        return LIGHT[lang][row.light_at(now)]
    if column == "card":
        return CARD[lang][row.card]
    raise KeyError(column)


def tooltip(row: QueueRow, lang: str = "zh") -> str:
    step = STEP[lang][row.step] if row.step else "—"
    deadline = f"{row.step_deadline:%Y-%m-%d %H:%M}" if row.step_deadline else "—"
    if lang == "zh":
        return (f"{row.code}  {row.class_code} {row.class_name}\n来源: {SOURCE[lang][row.source]}  "
                f"上报: {row.reported_at:%Y-%m-%d %H:%M}\n当前步骤: {step}  时限: {deadline}\n{row.description}")
    return (f"{row.code}  {row.class_code} {row.class_name}\nSource: {SOURCE[lang][row.source]}  "
            f"reported {row.reported_at:%Y-%m-%d %H:%M}\nStep: {step}  deadline {deadline}\n{row.description}")


def count_text(total: int, loaded: int, lang: str = "zh") -> str:
    return UI[lang]["count"].format(total=total, loaded=loaded)
