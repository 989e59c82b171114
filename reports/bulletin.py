"""The weekly bulletin workbook (周通报): 主要指标, 镇街排名, 部门排名 and 说明.

`bulletin_rows()` turns a `models.kpi.trends.Bulletin` into plain rows; `write_bulletin()` writes
plain rows with the shared workbook formatting (reports/workbook.py); `bulletin_json()` gives the
same numbers for `--json`. The one-page PDF with the charts is drawn by widgets/kpi/bulletin_pdf.py.
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from models.kpi.trends import Bulletin, RankRow
from models.policy import Policy
from reports.workbook import (
    Column,
    ReportMeta,
    add_notes_sheet,
    json_value,
    new_workbook,
    now,
    policy_notes,
    save_workbook,
    write_table,
)

TITLE = "网格化服务管理周通报"
KPI_SHEET, TOWN_SHEET, DEPT_SHEET = "主要指标", "镇街排名", "部门排名"

# (key, label, kind): kind "int" | "percent" (a fraction) | "score" | "hours" | "text"
INDICATORS: tuple[tuple[str, str, str], ...] = (
    ("reported", "上报数", "int"),
    ("filed", "立案数", "int"),
    ("voided", "作废数", "int"),
    ("closed", "结案数", "int"),
    ("due_to_close", "应结案数", "int"),
    ("closed_on_time", "按期结案数", "int"),
    ("closure_rate", "结案率", "percent"),
    ("on_time_closure_rate", "按期结案率", "percent"),
    ("grassroots_resolution_rate", "基层化解率", "percent"),
    ("rework_rate", "返工率", "percent"),
    ("accept_on_time_rate", "按时受理率", "percent"),
    ("dispatch_on_time_rate", "按时派遣率", "percent"),
    ("handle_on_time_rate", "按时处置率", "percent"),
    ("verify_on_time_rate", "按时核实率", "percent"),
    ("check_on_time_rate", "按时核查率", "percent"),
    ("auto_dispatch_rate", "自动派遣率", "percent"),
    ("mean_handle_hours", "平均处置时长(时)", "hours"),
    ("p90_handle_hours", "90%处置时长(时)", "hours"),
    ("region_score", "区域综合指标值", "score"),
    ("region_grade", "区域等级", "text"),
    ("duty_week_rate", "专职网格员巡查达标率(周)", "percent"),
)
_FORMATS = {"int": ("0", "+0;-0;0"), "percent": ("0.00%", "+0.00%;-0.00%;0.00%"), "score": ("0.00", "+0.00;-0.00;0.00"),
            "hours": ("0.00", "+0.00;-0.00;0.00"), "text": ("@", "@")}

KPI_COLUMNS = (
    Column("label", "指标"),
    Column("this_week", "本周", "score", width=14),
    Column("last_week", "上周同期", "score", width=14),
    Column("change", "变化", "score", width=14),
)
TOWN_COLUMNS = (
    Column("rank", "排名", "int", align="center"),
    Column("code", "镇街编码"),
    Column("name", "镇街"),
    Column("reported", "上报数", "int"),
    Column("filed", "立案数", "int"),
    Column("closed", "结案数", "int"),
    Column("due_to_close", "应结案数", "int"),
    Column("closure_rate", "结案率", "percent"),
    Column("on_time_closure_rate", "按期结案率", "percent"),
    Column("grassroots_resolution_rate", "基层化解率", "percent"),
    Column("rework_rate", "返工率", "percent"),
    Column("score", "综合指标值", "score"),
    Column("grade", "等级", align="center"),
)
DEPT_COLUMNS = (
    Column("rank", "排名", "int", align="center"),
    Column("code", "部门编码"),
    Column("name", "部门"),
    Column("filed", "立案数", "int"),
    Column("closed", "结案数", "int"),
    Column("due_to_close", "应结案数", "int"),
    Column("closure_rate", "结案率", "percent"),
    Column("handle_on_time_rate", "按时处置率", "percent"),
    Column("rework_rate", "返工率", "percent"),
    Column("score", "部门评价得分", "score"),
    Column("grade", "等级", align="center"),
)
SCORE_POLICY_LABELS = {
    "scores.report_rate": "监督举报率权重",
    "scores.filed_band": "立案数分档权重",
    "scores.closure_rate": "结案率权重",
    "scores.on_time_closure_rate": "按期结案率权重",
    "scores.filed_bands": "立案数分档（每格每月上限, 得分）",
    "scores.grades": "等级线（等级, 最低分）",
    "scores.dept_closure_rate": "部门：结案率权重",
    "scores.dept_on_time_handle_rate": "部门：按时处置率权重",
    "scores.dept_no_rework": "部门：(1−返工率)权重",
    "stars.min_field_days_per_week": "每周最少在岗巡查天数",
    "stars.min_patrols_per_day": "每天最少巡查次数",
    "stars.min_patrol_hours": "每次巡查最少时长(时)",
}
RULES = (
    "统计口径：本周立案的案件（上报数、作废数按上报时间），按统计时刻的状态计算（DOMAIN §5）。",
    "应结案数 = 已结案 + 未结案且结案期限已到（挂账除外）；结案率 = 结案数 / 应结案数；"
    "按期结案率 = 期限内结案数 / 应结案数。",
    "上周同期 = 上周立案的案件，按早一周的同一时刻统计。",
    "镇街综合指标值 = 监督举报率 10% + 立案数分档 20% + 结案率 30% + 按期结案率 40%；"
    "等级 A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40（以政策为准）。",
    "部门评价得分 = 结案率 40% + 按时处置率 40% + (1 − 返工率) 20%。",
)


def duty_rule(policy: Policy | None) -> str:
    sp = (policy or Policy()).stars
    return (f"巡查达标：一天至少 {sp.min_patrols_per_day} 次、每次至少 {sp.min_patrol_hours:g} 小时的巡查为达标日；"
            f"本周最后 7 天至少 {sp.min_field_days_per_week} 个达标日的专职网格员为达标。")


@dc.dataclass(frozen=True)
class IndicatorRow:
    key: str
    label: str
    kind: str
    this_week: Any
    last_week: Any

    @property
    def change(self) -> Any:
        if self.kind == "text" or self.this_week is None or self.last_week is None:
            return None
        d = self.this_week - self.last_week
        return d if self.kind == "int" else round(d, 4)


def week_text(b: Bulletin) -> str:
    last = b.period.date_to - dt.timedelta(days=1)
    year, week, _ = b.period.date_from.isocalendar()
    return f"{year}年第{week}周（{b.period.date_from:%Y-%m-%d} 至 {last:%Y-%m-%d}）"


def _rank_row(r: RankRow) -> dict[str, Any]:
    return {"rank": r.rank, "code": r.code, "name": r.name, "score": r.score, "grade": r.grade,
            **{k: r.kpi.get(k) for k in ("reported", "filed", "closed", "due_to_close", "closure_rate",
                                         "on_time_closure_rate", "grassroots_resolution_rate", "rework_rate",
                                         "handle_on_time_rate")}}


def bulletin_rows(b: Bulletin) -> tuple[list[IndicatorRow], list[dict[str, Any]], list[dict[str, Any]]]:
    """The bulletin as plain rows: indicators (this week against the same moment last week), towns, departments."""
    duty_now = None if not b.duty.workers else round(b.duty.met_week / b.duty.workers, 4)
    duty_before = None if not b.duty.workers else round(b.duty.met_last_week / b.duty.workers, 4)
    rows = []
    for key, label, kind in INDICATORS:
        if key == "duty_week_rate":
            rows.append(IndicatorRow(key, label, kind, duty_now, duty_before))
        else:
            rows.append(IndicatorRow(key, label, kind, b.kpi.get(key), b.previous_kpi.get(key)))
    return rows, [_rank_row(r) for r in b.towns], [_rank_row(r) for r in b.departments]


def bulletin_meta(b: Bulletin, policy: Policy | None = None, source: str = "数据库",
                  generated_at: dt.datetime | None = None) -> ReportMeta:
    items = policy_notes(policy.flat_items(), ("scores.", "stars.min_"), SCORE_POLICY_LABELS) if policy else ()
    return ReportMeta(f"{b.district}{TITLE}", week_text(b), generated_at or now(), source,
                      policy.name if policy else "", items,
                      (*RULES, duty_rule(policy), f"统计时刻：{b.asof:%Y-%m-%d %H:%M:%S}"))


def write_bulletin(path: str | os.PathLike[str], meta: ReportMeta, indicators: Sequence[IndicatorRow],
                   towns: Sequence[Mapping[str, Any]], departments: Sequence[Mapping[str, Any]]) -> Path:
    """Write 主要指标, 镇街排名, 部门排名 and 说明 to `path` (atomically)."""
    wb = new_workbook()
    ws = wb.create_sheet(KPI_SHEET)
    write_table(ws, KPI_COLUMNS, [(r.label, r.this_week, r.last_week, r.change) for r in indicators], meta)
    for i, r in enumerate(indicators, start=2):  # each indicator in its own number format
        plain, signed = _FORMATS[r.kind]
        for col, fmt in ((2, plain), (3, plain), (4, signed)):
            ws.cell(i, col).number_format = fmt
    ws.column_dimensions["A"].width = 30
    for sheet, columns, rows in ((TOWN_SHEET, TOWN_COLUMNS, towns), (DEPT_SHEET, DEPT_COLUMNS, departments)):
        ws = wb.create_sheet(sheet)
        write_table(ws, columns, [[row.get(c.key) for c in columns] for row in rows], meta)
    add_notes_sheet(wb, meta)
    return save_workbook(wb, path)


def write_bulletin_workbook(b: Bulletin, path: str | os.PathLike[str], policy: Policy | None = None,
                            source: str = "数据库") -> Path:
    indicators, towns, departments = bulletin_rows(b)
    return write_bulletin(path, bulletin_meta(b, policy, source), indicators, towns, departments)


def bulletin_json(b: Bulletin) -> dict[str, Any]:
    """The numbers of the bulletin for `--json`."""
    indicators, towns, departments = bulletin_rows(b)
    return json_value({
        "report": "bulletin", "week": b.week, "from": b.period.date_from, "to": b.period.date_to, "asof": b.asof,
        "district": b.district,
        "indicators": {r.key: {"this_week": r.this_week, "last_week": r.last_week, "change": r.change}
                       for r in indicators},
        "towns": towns, "departments": departments,
    })


__all__ = ["DEPT_SHEET", "KPI_SHEET", "TITLE", "TOWN_SHEET", "IndicatorRow", "bulletin_json", "bulletin_meta",
           "bulletin_rows", "week_text", "write_bulletin", "write_bulletin_workbook"]
