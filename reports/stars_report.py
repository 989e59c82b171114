"""The quarterly star-rating workbook (星级评定 / 汇总 / 说明) and the yearly bonus workbook.

`write_stars_report` writes what `models.assessment.rate_workers` computed;
`stars_json` gives the same numbers as a JSON-able dict for `--json`.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from models.assessment.bonus import YearBonus
from models.assessment.stars import StarChange, StarRating, StarResult, StarSummary, round_half_up
from models.policy import Policy, StarPolicy
from reports.workbook import (
    TOTAL_FONT,
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

STARS_SHEET, SUMMARY_SHEET, BONUS_SHEET = "星级评定", "汇总", "年度考核奖"
CHANGE_LABELS = {StarChange.UP: "升", StarChange.DOWN: "降", StarChange.SAME: "持平", StarChange.NEW: "新评"}
PROBATION_NOTE = "试用期"
NO_STAR_NOTE = "未达星级"
STAR_NAMES = {5: "五星", 4: "四星", 3: "三星", 2: "二星", 1: "一星", 0: "未达星级"}
SHARE_PLACES = Decimal("0.0001")

STAR_COLUMNS = (
    Column("rank", "排名", "int", align="center"),
    Column("staff_no", "工号"),
    Column("name", "姓名"),
    Column("town", "镇街"),
    Column("grid_code", "网格编码"),
    Column("basic_info_rate", "基础信息录入率", "rate"),
    Column("dynamic_info_rate", "动态信息采集率", "rate"),
    Column("knowledge_rate", "应知应会知晓率", "rate"),
    Column("satisfaction_rate", "网格评价满意率", "rate"),
    Column("score", "综合得分", "score"),
    Column("earned_star", "达标星级", "int", align="center"),
    Column("previous_star", "上季星级", "int", align="center"),
    Column("star", "本季星级", "int", align="center"),
    Column("change", "变动", align="center"),
    Column("bonus_percent", "奖金比例", "percent"),
    Column("bonus", "季度考核奖(元)", "money"),
    Column("note", "备注"),
)

STAR_POLICY_LABELS = {
    "stars.probation_months": "试用期（月）",
    "stars.rate_weights": "四项比率权重",
    "stars.thresholds": "达标星级分数线（最低分, 星级）",
    "stars.quotas": "星级名额（星级, 占参评人数比例，向下取整）",
    "stars.bonus_percent": "奖金比例 0–5 星（%）",
    "stars.per_grid_yuan": "每格经费（元）",
    "stars.bonus_pool_share": "考核奖占比",
    "stars.quarters_per_year": "每年季度数",
}


def star_note(r: StarResult) -> str:
    if r.on_probation:
        return PROBATION_NOTE
    notes = []
    if r.lowered_by_quota:
        notes.append(f"名额已满，由{r.earned_star}星降为{r.star}星")
    if r.star == 0:
        notes.append(NO_STAR_NOTE)
    return "；".join(notes)


def star_row(r: StarResult) -> dict[str, Any]:
    """One row of 星级评定 as plain values (rates in percent points, 奖金比例 as a fraction)."""
    w = r.worker
    return {
        "rank": r.rank,
        "staff_no": w.staff_no,
        "name": w.name,
        "town": w.town,
        "grid_code": w.grid_code,
        "basic_info_rate": w.basic_info_rate,
        "dynamic_info_rate": w.dynamic_info_rate,
        "knowledge_rate": w.knowledge_rate,
        "satisfaction_rate": w.satisfaction_rate,
        "score": r.score,
        "earned_star": r.earned_star,
        "previous_star": w.previous_star,
        "star": r.star,
        "change": CHANGE_LABELS[r.change] if r.change else None,
        "bonus_percent": Decimal(r.bonus_percent) / 100 if r.bonus_percent is not None else None,
        "bonus": r.bonus,
        "note": star_note(r),
    }


def rules_text(p: StarPolicy) -> tuple[str, ...]:
    thresholds = "，".join(f"≥{m} 分 {s} 星" for m, s in sorted(p.thresholds, reverse=True))
    quotas = "，".join(f"{s} 星 ≤ floor({share} × N)" for s, share in p.quotas)
    return (
        f"1. 入职日期加 {p.probation_months} 个月不晚于季度最后一天者参评，其余列为试用期，无星级、无奖金。",
        "2. 综合得分 = "
        + " + ".join(
            f"{w} × {n}"
            for w, n in zip(p.rate_weights, ("基础信息录入率", "动态信息采集率", "应知应会知晓率", "网格评价满意率"))
        )
        + "，四舍五入保留 2 位小数。",
        f"3. 达标星级：{thresholds}，否则 0（未达星级）。",
        f"4. 名额（N = 参评人数）：{quotas}；"
        "按综合得分降序、上季星级降序（空白最低）、入职日期升序、工号升序依次评定，名额已满则逐级降星。",
        f"5. 季度考核奖 = {p.per_grid_yuan} × {p.bonus_pool_share} ÷ {p.quarters_per_year}"
        f" = {p.quarterly_bonus_base} 元 × 奖金比例"
        f"（0–5 星：{' / '.join(f'{x}%' for x in p.bonus_percent)}），四舍五入到分。",
        "6. 变动：升、降、持平；无上季星级者为新评。",
    )


def _meta(
    title: str, period: str, policy: Policy, source: str, generated_at: dt.datetime | None, rules: tuple[str, ...]
) -> ReportMeta:
    return ReportMeta(
        title,
        period,
        generated_at or now(),
        source,
        policy.name,
        policy_notes(policy.flat_items(), tuple(STAR_POLICY_LABELS), STAR_POLICY_LABELS),
        rules,
    )


def _share(count: int, rated: int) -> Decimal | None:
    return round_half_up(Decimal(count) / Decimal(rated), SHARE_PLACES) if rated else None


SUMMARY_COLUMNS = (
    Column("town", "镇街"),
    Column("rated", "参评人数", "int"),
    Column("probation", "试用期人数", "int"),
    *(
        c
        for star in range(5, -1, -1)
        for c in (
            Column(f"count_{star}", f"{STAR_NAMES[star]}人数", "int"),
            Column(f"share_{star}", f"{STAR_NAMES[star]}占比", "percent"),
        )
    ),
    Column("bonus_total", "季度考核奖合计(元)", "money"),
)


def _summary_row(s: StarSummary) -> list[Any]:
    row: list[Any] = [s.town if s.town is not None else "全区", s.rated, s.probation]
    for star in range(5, -1, -1):
        row += [s.counts[star], _share(s.counts[star], s.rated)]
    return row + [s.bonus_total]


def _quota_row(rating: StarRating, policy: StarPolicy) -> list[Any]:
    shares = dict(policy.quotas)
    counts = dict(rating.quotas)
    row: list[Any] = ["全区限额", None, None]
    for star in range(5, -1, -1):
        row += [counts.get(star), shares.get(star)]
    return row + [None]


def write_stars_report(
    path: str | os.PathLike[str],
    rating: StarRating,
    policy: Policy,
    *,
    source: str = "",
    generated_at: dt.datetime | None = None,
) -> Path:
    """Write 星级评定, 汇总 and 说明 to `path` (atomically)."""
    meta = _meta("网格员季度星级评定", rating.quarter.display, policy, source, generated_at, rules_text(policy.stars))
    wb = new_workbook()
    ws = wb.create_sheet(STARS_SHEET)
    rows = [[star_row(r)[c.key] for c in STAR_COLUMNS] for r in rating.rows]
    write_table(ws, STAR_COLUMNS, rows, meta)
    summary = wb.create_sheet(SUMMARY_SHEET)
    extra = [_summary_row(rating.district), _quota_row(rating, policy.stars)]
    last = write_table(summary, SUMMARY_COLUMNS, [_summary_row(t) for t in rating.towns], meta, extra_rows=extra)
    for row in summary.iter_rows(min_row=last - 1, max_row=last):
        for cell in row:
            cell.font = TOTAL_FONT
    add_notes_sheet(wb, meta)
    return save_workbook(wb, path)


def stars_json(rating: StarRating, policy: Policy) -> dict[str, Any]:
    """The numbers of the star workbook, computed in Python, for `--json`."""

    def summary(s: StarSummary) -> dict[str, Any]:
        return {
            "town": s.town,
            "rated": s.rated,
            "probation": s.probation,
            "counts": {str(star): s.counts[star] for star in range(6)},
            "shares": {str(star): _share(s.counts[star], s.rated) for star in range(6)},
            "bonus_total": s.bonus_total,
        }

    rows = []
    for r in rating.rows:
        row = star_row(r)
        row["change"] = r.change.value if r.change else None
        row["bonus_percent"] = r.bonus_percent
        row["on_probation"] = r.on_probation
        row["hire_date"] = r.worker.hire_date
        rows.append(row)
    return json_value(
        {
            "report": "stars",
            "quarter": rating.quarter.label,
            "policy": policy.name,
            "quarterly_bonus_base": policy.stars.quarterly_bonus_base,
            "quotas": {str(star): n for star, n in rating.quotas},
            "rows": rows,
            "towns": [summary(t) for t in rating.towns],
            "district": summary(rating.district),
        }
    )


# --- yearly bonus -----------------------------------------------------------
QUARTER_NAMES = ("一季度", "二季度", "三季度", "四季度")
BONUS_COLUMNS = (
    Column("staff_no", "工号"),
    Column("name", "姓名"),
    Column("town", "镇街"),
    *(
        c
        for i, q in enumerate(QUARTER_NAMES, start=1)
        for c in (
            Column(f"star_{i}", f"{q}星级", "int", align="center"),
            Column(f"bonus_{i}", f"{q}考核奖(元)", "money"),
        )
    ),
    Column("total", "年度考核奖合计(元)", "money"),
)


def write_bonus_report(
    path: str | os.PathLike[str],
    year: int,
    bonuses: list[YearBonus],
    policy: Policy,
    *,
    source: str = "",
    generated_at: dt.datetime | None = None,
) -> Path:
    """年度考核奖: each worker's four quarters; the totals are Excel formulas (SUM)."""
    rules = ("年度考核奖 = 各季度考核奖之和；试用期或未参评的季度为空。",)
    meta = _meta("网格员年度考核奖", f"{year}年", policy, source, generated_at, rules)
    wb = new_workbook()
    ws = wb.create_sheet(BONUS_SHEET)
    rows = []
    for r, b in enumerate(bonuses, start=2):
        row: list[Any] = [b.staff_no, b.name, b.town]
        for star, bonus in zip(b.stars, b.bonuses):
            row += [star, bonus]
        rows.append(row + [f"=SUM(E{r},G{r},I{r},K{r})"])
    last = len(bonuses) + 1
    total = ["合计", None, None] + [
        None if c.kind == "int" else f"=SUM({letter}2:{letter}{last})"
        for c, letter in zip(BONUS_COLUMNS[3:], "DEFGHIJKL")
    ]
    end = write_table(ws, BONUS_COLUMNS, rows, meta, extra_rows=[total])
    for cell in ws[end]:
        cell.font = TOTAL_FONT
    add_notes_sheet(wb, meta)
    return save_workbook(wb, path)


def bonus_json(year: int, bonuses: list[YearBonus], policy: Policy) -> dict[str, Any]:
    return json_value(
        {
            "report": "bonus",
            "year": year,
            "policy": policy.name,
            "rows": [
                {
                    "staff_no": b.staff_no,
                    "name": b.name,
                    "town": b.town,
                    "stars": list(b.stars),
                    "bonuses": list(b.bonuses),
                    "total": b.total,
                }
                for b in bonuses
            ],
            "quarter_totals": [sum((b.bonuses[i] or Decimal(0) for b in bonuses), Decimal(0)) for i in range(4)],
            "total": sum((b.total for b in bonuses), Decimal(0)),
        }
    )
