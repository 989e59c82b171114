"""Looks and texts of the KPI panels: the dark wall theme, the light office theme, the CJK font,
and the display texts and number formats (pure functions, tested without a widget)."""

from __future__ import annotations

import dataclasses as dc
import functools
from collections.abc import Mapping

from models.kpi.trends import Tile
from widgets.labels import text

# --- texts (zh, en) ----------------------------------------------------------------------------------
TILE: Mapping[str, tuple[str, str]] = {
    "reported": ("上报数", "Reported"),
    "filed": ("立案数", "Filed"),
    "closed": ("结案数", "Closed"),
    "open_now": ("在办案件", "Open now"),
    "red_now": ("红灯案件", "Red now"),
    "closure_rate": ("结案率", "Closure rate"),
    "on_time_closure_rate": ("按期结案率", "On-time closure"),
    "grassroots_resolution_rate": ("基层化解率", "Grassroots resolution"),
    "duty_today": ("今日巡查达标", "Patrol duty today"),
    "duty_week": ("近7日巡查达标", "Patrol duty, 7 days"),
}
COMPARE: Mapping[str, tuple[str, str]] = {
    "yesterday": ("较昨日同时", "vs yesterday"),
    "last_week": ("较上周同期", "vs last week"),
    "last_month": ("较上月同期", "vs last month"),
    "last_quarter": ("较上季同期", "vs last quarter"),
    "last_year": ("较去年同期", "vs last year"),
    "previous": ("较上期", "vs previous"),
    "24h": ("较24小时前", "vs 24 h ago"),
}
PERIOD: Mapping[str, tuple[str, str]] = {
    "today": ("今日", "Today"), "week": ("本周", "This week"), "month": ("本月", "This month"),
    "quarter": ("本季", "This quarter"), "year": ("本年", "This year"), "custom": ("自定义", "Custom"),
}
SCOPE_KIND: Mapping[str, tuple[str, str]] = {
    "district": ("全区", "District"), "town": ("镇街", "Town"), "village": ("村社", "Village"),
    "grid": ("网格", "Grid"), "department": ("部门", "Department"),
}
CHART: Mapping[str, tuple[str, str]] = {
    "trend": ("每日上报与结案（近{}天）", "Reported and closed per day ({} days)"),
    "reported": ("上报", "reported"),
    "closed": ("其中已结案", "of which closed"),
    "backlog": ("在办案件存量（每日末）", "Open backlog (end of day)"),
    "towns": ("镇街综合评价排名", "Towns by score"),
    "departments": ("部门评价排名", "Departments by score"),
    "classes": ("高发类别 Top{}（{}）", "Top {} classes ({})"),
    "overdue": ("超时倍数分布", "Overdue multiple"),
    "overdue_open": ("在办", "open"),
    "overdue_closed": ("已结案", "closed"),
    "steps": ("各环节按时率", "On-time rate per step"),
    "no_data": ("暂无数据", "no data"),
    "title": ("综合评价", "Indicators"),
    "asof": ("数据截至 {}", "as of {}"),
    "trend_days": ("近{}天", "{} days"),
    "bulletin": ("周通报…", "Weekly bulletin…"),
    "truncated": ("仅列出最近 {} 件", "only the newest {} cases listed"),
    "scope": ("范围", "Scope"),
    "period": ("期间", "Period"),
    "pp": ("{}个百分点", "{} pp"),
    "flat": ("持平", "no change"),
    "of": ("{}/{}人", "{}/{} workers"),
}
BUCKET_TEXT = ("≤1倍", "1–1.5倍", "1.5–2倍", "2–3倍", ">3倍")


def t(table: Mapping[str, tuple[str, str]], key: str, *args: object) -> str:
    s = text(table, key)
    return s.format(*args) if args else s


# --- numbers ------------------------------------------------------------------------------------------
def format_value(value: float | None, kind: str) -> str:
    """A tile's number: counts with thousands separators, rates as percentages with one decimal."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    return f"{int(value):,}"


def format_delta(tile: Tile) -> tuple[str, str]:
    """The change line of a tile and its tone: "good", "bad", "neutral" or "none"."""
    d = tile.delta
    if d is None:
        return "—", "none"
    if d == 0:
        return t(CHART, "flat"), "none"
    arrow = "▲" if d > 0 else "▼"
    if tile.kind == "rate":
        amount = t(CHART, "pp", f"{abs(d) * 100:.1f}")
    else:
        amount = f"{abs(int(d)):,}"
    tone = "neutral" if tile.better == 0 else ("good" if (d > 0) == (tile.better > 0) else "bad")
    return f"{arrow} {amount}", tone


# --- themes -------------------------------------------------------------------------------------------
@dc.dataclass(frozen=True)
class Theme:
    name: str
    background: str
    panel: str
    border: str
    text: str
    muted: str
    grid: str
    accent: str
    reported: str
    closed: str
    backlog: str
    bar: str
    good: str
    bad: str
    neutral: str
    grades: Mapping[str, str]
    tile_value_px: int
    tile_title_px: int
    tile_delta_px: int
    tick_px: int
    chart_title_px: int
    control_px: int

    def tone(self, tone: str) -> str:
        return {"good": self.good, "bad": self.bad, "neutral": self.neutral}.get(tone, self.muted)


_GRADES_DARK = {"A": "#35d07f", "B": "#8bd346", "C": "#f5b942", "D": "#ff8c42", "E": "#ff5a5a"}
_GRADES_LIGHT = {"A": "#1a9850", "B": "#66a61e", "C": "#d4a017", "D": "#e6550d", "E": "#d73027"}

WALL = Theme("wall", background="#0a1222", panel="#111d33", border="#22365a", text="#eef3fb", muted="#8fa4c2",
             grid="#22365a", accent="#4aa3ff", reported="#4aa3ff", closed="#35d07f", backlog="#f5b942",
             bar="#4aa3ff", good="#35d07f", bad="#ff5a5a", neutral="#f5b942", grades=_GRADES_DARK,
             tile_value_px=60, tile_title_px=24, tile_delta_px=22, tick_px=17, chart_title_px=22, control_px=18)
OFFICE = Theme("office", background="#f3f5f8", panel="#ffffff", border="#d5dbe3", text="#1f2d3d", muted="#667788",
               grid="#e3e7ed", accent="#1f6fd1", reported="#1f6fd1", closed="#1a9850", backlog="#d4a017",
               bar="#1f6fd1", good="#1a9850", bad="#d73027", neutral="#b8860b", grades=_GRADES_LIGHT,
               tile_value_px=32, tile_title_px=14, tile_delta_px=13, tick_px=11, chart_title_px=14, control_px=13)


# --- fitting the tiles into a wall's panel ----------------------------------------------------------
@dc.dataclass(frozen=True)
class TileFonts:
    """Pixel sizes of a tile's three lines."""

    title_px: int
    value_px: int
    delta_px: int


# The smallest tile type on the wall, read from 5 m. A 1920×1080 wall is one large screen (86–98",
# 1.0–1.2 m tall: about 1.1 mm a pixel). Text stays readable at 16 arc minutes and more (ISO 9241-303,
# ANSI/HFES 100; Chinese characters need the upper end): 23 mm at 5 m, 20 px. The big number is the
# message of a tile and keeps twice that. The wall's queue uses the same 20–22 px floor.
TILE_FLOOR = TileFonts(title_px=20, value_px=40, delta_px=20)
TILE_SCALES = (1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6)  # tried largest first; sizes stop at TILE_FLOOR


def tile_fonts(theme: Theme, scale: float = 1.0) -> TileFonts:
    """The theme's tile sizes times `scale`, none below `TILE_FLOOR` (nor above the theme's own size)."""
    def px(size: int, floor: int) -> int:
        return min(size, max(floor, round(size * scale)))

    return TileFonts(px(theme.tile_title_px, TILE_FLOOR.title_px), px(theme.tile_value_px, TILE_FLOOR.value_px),
                     px(theme.tile_delta_px, TILE_FLOOR.delta_px))


_CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
                 "SimHei", "Noto Sans SC")


@functools.lru_cache(maxsize=1)
def cjk_family() -> str:
    """The first installed font family that has Simplified Chinese glyphs (needs a QGuiApplication)."""
    from PySide6.QtGui import QFontDatabase

    families = QFontDatabase.families()
    for name in _CJK_FAMILIES:
        if name in families:
            return name
    for name in families:
        if QFontDatabase.WritingSystem.SimplifiedChinese in QFontDatabase.writingSystems(name):
            return name
    return ""


def font(px: int, bold: bool = False):
    from PySide6.QtGui import QFont

    f = QFont(cjk_family()) if cjk_family() else QFont()
    f.setPixelSize(px)
    f.setBold(bold)
    return f
