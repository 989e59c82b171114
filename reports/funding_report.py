"""The yearly funding workbook (经费分配 / 说明): town tiers and allocations.

基础经费, 分配经费, the 合计 row and the 以奖代补结余 are Excel formulas so that
finance can audit them; `funding_json` gives the same numbers computed in Python.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from models.assessment.funding import FundingResult, tier_sizes
from models.policy import FundingPolicy, Policy
from reports.workbook import (
    RED_FONT,
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

FUNDING_SHEET = "经费分配"
TOTAL_LABEL, BALANCE_LABEL = "合计", "以奖代补结余"
TIER_NAMES = {1: "一档", 2: "二档", 3: "三档"}
# a negative balance shows as 超支 (without the minus sign), in red
BALANCE_FORMAT = '#,##0.00;[Red]"超支 "#,##0.00'

FUNDING_COLUMNS = (
    Column("rank", "排名", "int", align="center"),
    Column("code", "镇街编码"),
    Column("name", "镇街名称"),
    Column("grids", "网格数", "int"),
    Column("score", "考核得分", "score"),
    Column("tier", "档次", align="center"),
    Column("coefficient", "系数", "coef"),
    Column("base", "基础经费(元)", "money", width=18),
    Column("allocated", "分配经费(元)", "money", width=18),
)

FUNDING_POLICY_LABELS = {
    "funding.fund_yuan": "区级经费总额（元）",
    "funding.per_grid_yuan": "每格基础经费（元）",
    "funding.tier_coefficients": "一 / 二 / 三档系数",
    "funding.tier_share": "一档、三档各占镇街数比例（四舍五入）",
    "funding.score_on_time_closure": "考核得分权重：按期结案率",
    "funding.score_closure": "考核得分权重：结案率",
    "funding.score_worker_mean": "考核得分权重：网格员平均综合得分",
}


def rules_text(p: FundingPolicy, n: int) -> tuple[str, ...]:
    first, middle, last = tier_sizes(n, p)
    c1, c2, c3 = p.tier_coefficients
    return (
        "1. 镇街按考核得分降序、镇街编码升序排名。",
        f"2. 共 {n} 个镇街：前 {first} 个为一档（系数 {c1}），后 {last} 个为三档（系数 {c3}），"
        f"其余 {middle} 个为二档（系数 {c2}）。",
        f"3. 基础经费 = 网格数 × {p.per_grid_yuan} 元；分配经费 = 基础经费 × 系数，四舍五入到分（表中为公式）。",
        f"4. 以奖代补结余 = 经费总额 {p.fund_yuan} 元 − 分配经费合计；为负时显示为红色“超支”。",
        f"5. 无考核得分表时，考核得分 = {p.score_on_time_closure} × 按期结案率 + {p.score_closure} × 结案率"
        f" + {p.score_worker_mean} × 网格员平均综合得分（百分制，全年）。",
    )


def _number_literal(value: Any) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def write_funding_report(
    path: str | os.PathLike[str],
    year: int,
    result: FundingResult,
    policy: Policy,
    *,
    source: str = "",
    generated_at: dt.datetime | None = None,
) -> Path:
    """Write 经费分配 and 说明 to `path` (atomically)."""
    p = policy.funding
    meta = ReportMeta(
        "镇街网格经费分配",
        f"{year}年",
        generated_at or now(),
        source,
        policy.name,
        policy_notes(policy.flat_items(), ("funding.",), FUNDING_POLICY_LABELS),
        rules_text(p, len(result.rows)),
    )
    per_grid = _number_literal(result.per_grid_yuan)
    rows = []
    for r, a in enumerate(result.rows, start=2):
        rows.append(
            [
                a.rank,
                a.town.code,
                a.town.name,
                a.town.grids,
                a.town.score,
                TIER_NAMES[a.tier],
                a.coefficient,
                f"=ROUND(D{r}*{per_grid},2)",
                f"=ROUND(H{r}*G{r},2)",
            ]
        )
    last = len(rows) + 1
    total_row = last + 1
    totals = [TOTAL_LABEL, None, None, f"=SUM(D2:D{last})", None, None, None, f"=SUM(H2:H{last})", f"=SUM(I2:I{last})"]
    balance = [
        BALANCE_LABEL,
        None,
        f"经费总额 {result.fund_yuan:,.2f} 元 − 分配经费合计",
        None,
        None,
        None,
        None,
        None,
        f"={_number_literal(result.fund_yuan)}-I{total_row}",
    ]
    wb = new_workbook()
    ws = wb.create_sheet(FUNDING_SHEET)
    end = write_table(ws, FUNDING_COLUMNS, rows, meta, extra_rows=[totals, balance])
    for row in (total_row, end):
        for cell in ws[row]:
            cell.font = TOTAL_FONT
    ws.cell(end, 9).number_format = BALANCE_FORMAT
    if result.overspent:
        ws.cell(end, 1).font = RED_FONT
    ws.column_dimensions["C"].width = max(ws.column_dimensions["C"].width or 0, 12)
    add_notes_sheet(wb, meta)
    return save_workbook(wb, path)


def funding_json(year: int, result: FundingResult, policy: Policy) -> dict[str, Any]:
    """The numbers of the funding workbook, computed in Python, for `--json`."""
    return json_value(
        {
            "report": "funding",
            "year": year,
            "policy": policy.name,
            "fund": result.fund_yuan,
            "per_grid": result.per_grid_yuan,
            "towns": [
                {
                    "rank": a.rank,
                    "code": a.town.code,
                    "name": a.town.name,
                    "grids": a.town.grids,
                    "score": a.town.score,
                    "tier": a.tier,
                    "coefficient": a.coefficient,
                    "base": a.base_yuan,
                    "allocated": a.allocated_yuan,
                }
                for a in result.rows
            ],
            "total_grids": result.total_grids,
            "total_base": result.total_base,
            "total_allocated": result.total_allocated,
            "balance": result.balance,
            "overspent": result.overspent,
        }
    )
