"""Plain tables for the reports panel's preview (issue 7 "In the GUI"). No Qt.

Each report becomes one `PreviewSheet` per workbook sheet, with the workbook's
own `Column`s, so the preview shows the same columns, in the same order, as
the file the user exports. Values are the numbers the writers put in the cells
(computed in Python where the workbook has a formula); `format_cell` turns
them into what Excel shows with the column's number format.

Also here: which reports and star-data sources a role is offered, and the
star results a town officer may see (their town's rows of a stored rating).
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from models.assessment.bonus import YearBonus
from models.assessment.funding import FundingResult
from models.assessment.stars import (
    MAX_STAR,
    Quarter,
    StarRating,
    StarResult,
    StarSummary,
    WorkerMetrics,
    quota_counts,
    staff_no_key,
)
from models.enums import UserRole
from models.policy import StarPolicy
from reports.funding_report import BALANCE_LABEL, FUNDING_COLUMNS, FUNDING_SHEET, TIER_NAMES, TOTAL_LABEL
from reports.ledger_report import LEDGER_COLUMNS, LEDGER_SHEET, local_rows
from reports.metrics_sheet import METRICS_HEADERS, Problem
from reports.stars_report import (
    BONUS_COLUMNS,
    BONUS_SHEET,
    STAR_COLUMNS,
    STARS_SHEET,
    SUMMARY_COLUMNS,
    SUMMARY_SHEET,
    _quota_row,  # the 汇总 sheet's rows, shared with the writer so preview and file agree
    _summary_row,
    star_row,
)
from reports.workbook import NUMERIC_KINDS, Column

# --- reports offered per role -----------------------------------------------------------------
STARS, BONUS, FUNDING, LEDGER, BULLETIN = "stars", "bonus", "funding", "ledger", "bulletin"
REPORT_KINDS = (STARS, BONUS, FUNDING, LEDGER, BULLETIN)
DATABASE, FILES, STORED = "database", "files", "stored"  # where a report's numbers come from

_REPORTS_BY_ROLE: Mapping[UserRole, tuple[str, ...]] = {
    UserRole.ADMIN: REPORT_KINDS,
    UserRole.FINANCE: REPORT_KINDS,
    # the star results, the ledger and the weekly bulletin of their own town (scoped in the data layer)
    UserRole.TOWN_OFFICER: (STARS, LEDGER, BULLETIN),
    UserRole.SHIFT_LEADER: (LEDGER, BULLETIN),
}


def reports_for(role: UserRole, *, bulletin: bool = True) -> tuple[str, ...]:
    """The reports a role may open, in menu order; `bulletin=False` when the bulletin is not installed."""
    return tuple(k for k in _REPORTS_BY_ROLE.get(role, ()) if bulletin or k != BULLETIN)


def sources_for(role: UserRole, kind: str) -> tuple[str, ...]:
    """Data sources of `kind` for `role`, the default first.

    A town officer's default star source is the stored rating of their town; they
    may still import their metrics sheet to check it, but a rating (database or
    file) is refused, since quotas are district-wide.
    """
    if kind == STARS:
        return (STORED, DATABASE, FILES) if role is UserRole.TOWN_OFFICER else (DATABASE, FILES, STORED)
    if kind == FUNDING:
        return (DATABASE, FILES)
    return (DATABASE,)


# --- the sheet ----------------------------------------------------------------------------------
@dc.dataclass(frozen=True)
class PreviewSheet:
    """One sheet of a report as the preview shows it.

    `rows` are in column order; the last `footer_rows` of them are totals.
    `total_rows` is the row count of the whole report when only the first rows
    are held (the ledger). `cell_kinds` overrides the column kind of single
    cells ((row, column) -> kind), e.g. the indicators of the bulletin, each in
    its own format, or the fund balance ("balance": negative shows as 超支).
    """

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    footer_rows: int = 0
    total_rows: int | None = None
    cell_kinds: Mapping[tuple[int, int], str] = dc.field(default_factory=dict)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def truncated(self) -> bool:
        return self.total_rows is not None and self.total_rows > len(self.rows)

    def value(self, row: int, col: int) -> Any:
        return self.rows[row][col]

    def kind(self, row: int, col: int) -> str:
        return self.cell_kinds.get((row, col), self.columns[col].kind)

    def text(self, row: int, col: int) -> str:
        return format_cell(self.rows[row][col], self.kind(row, col), self.columns[col].convert)

    def numeric(self, row: int, col: int) -> bool:
        return _base_kind(self.kind(row, col)) in NUMERIC_KINDS | {"hours"}

    def alert(self, row: int, col: int) -> bool:
        """A cell to show in red: a negative fund balance (超支)."""
        value = self.rows[row][col]
        return self.kind(row, col) == "balance" and value is not None and value < 0

    def is_footer(self, row: int) -> bool:
        return row >= len(self.rows) - self.footer_rows

    def as_dicts(self) -> list[dict[str, Any]]:
        """The body rows (no totals) keyed by column key, for comparing with `--json`."""
        body = self.rows[: len(self.rows) - self.footer_rows]
        return [{c.key: v for c, v in zip(self.columns, row)} for row in body]


def _base_kind(kind: str) -> str:
    kind = kind.removeprefix("signed_")
    return {"balance": "money", "hours": "score"}.get(kind, kind)


def _round(number: Decimal, places: int) -> Decimal:
    """Half away from zero, as Excel shows numbers (Python's own formatting rounds half to even)."""
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_cell(value: Any, kind: str = "text", convert: Callable[[Any], Any] | None = None) -> str:
    """What Excel shows for `value` in a cell of `kind` (the number formats of reports.workbook).

    Extra kinds of the preview: "balance" (money; negative as 超支 without the sign),
    "hours" (two decimals) and "signed_<kind>" (a change, with its sign).
    """
    if convert is not None:
        value = convert(value)
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) or kind == "text":
        return str(value)
    signed = kind.startswith("signed_")
    base = _base_kind(kind)
    number = Decimal(str(value))
    if kind == "balance" and number < 0:
        return f"超支 {-number:,.2f}"
    if base == "money":
        text = f"{_round(number, 2):,.2f}"
    elif base == "percent":  # a fraction: 0.955 -> 95.50%
        text = f"{_round(number * 100, 2):.2f}%"
    elif base == "rate":  # percent points: 95.5 -> 95.50%
        text = f"{_round(number, 2):.2f}%"
    elif base == "score":
        text = f"{_round(number, 2):.2f}"
    elif base == "coef":  # 0.0#
        text = f"{_round(number, 2):.2f}"
        if text.endswith("0"):
            text = text[:-1]
    elif base == "int":
        text = f"{_round(number, 0):.0f}"
    else:
        text = str(value)
    if signed and number > 0:
        text = "+" + text
    return text


def _rows(columns: Sequence[Column], records: Iterable[Mapping[str, Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(r.get(c.key) for c in columns) for r in records)


# --- stars and bonus --------------------------------------------------------------------------------
def star_sheets(rating: StarRating, policy: StarPolicy) -> tuple[PreviewSheet, PreviewSheet]:
    """星级评定 (every worker, rated ones in ranking order, then probation) and 汇总 (towns, 全区, 限额)."""
    stars = PreviewSheet(STARS_SHEET, STAR_COLUMNS, _rows(STAR_COLUMNS, (star_row(r) for r in rating.rows)))
    summary = [_summary_row(t) for t in rating.towns]
    summary += [_summary_row(rating.district), _quota_row(rating, policy)]
    return stars, PreviewSheet(SUMMARY_SHEET, SUMMARY_COLUMNS, tuple(map(tuple, summary)), footer_rows=2)


def bonus_sheet(bonuses: Sequence[YearBonus]) -> PreviewSheet:
    """年度考核奖: each worker's four quarters and total, then the 合计 row (the workbook's SUM formulas)."""
    rows: list[tuple[Any, ...]] = []
    for b in bonuses:
        row: list[Any] = [b.staff_no, b.name, b.town]
        for star, bonus in zip(b.stars, b.bonuses):
            row += [star, bonus]
        rows.append((*row, b.total))
    total: list[Any] = ["合计", None, None]
    for i in range(4):
        total += [None, sum((b.bonuses[i] or Decimal(0) for b in bonuses), Decimal(0))]
    rows.append((*total, sum((b.total for b in bonuses), Decimal(0))))
    return PreviewSheet(BONUS_SHEET, BONUS_COLUMNS, tuple(rows), footer_rows=1)


def _summary(town: str | None, rows: Sequence[StarResult]) -> StarSummary:
    counts = [0] * (MAX_STAR + 1)
    total = Decimal(0)
    for r in rows:
        if r.star is not None:
            counts[r.star] += 1
            total += r.bonus or Decimal(0)
    rated = sum(1 for r in rows if not r.on_probation)
    return StarSummary(town, rated, len(rows) - rated, tuple(counts), total)  # type: ignore[arg-type]


def stored_rating(
    quarter: Quarter, results: Iterable[StarResult], policy: StarPolicy, *, town_view: str | None = None
) -> StarRating:
    """A stored quarter as a `StarRating`: rated rows by their district rank, then probation rows by 工号.

    For the whole district the quotas are recounted from the rated workers. For a
    town officer (`town_view` = the town's name) it holds only that town: no
    district quotas (the town cannot see the other towns' workers) and the town's
    own summary in the place of the district's.
    """
    results = list(results)
    rated = sorted((r for r in results if not r.on_probation),
                   key=lambda r: (r.rank or 0, staff_no_key(r.worker.staff_no)))
    probation = sorted((r for r in results if r.on_probation), key=lambda r: staff_no_key(r.worker.staff_no))
    rows = tuple(rated + probation)
    if town_view is not None:
        return StarRating(quarter, rows, (), (), _summary(town_view, rows))
    towns = tuple(_summary(t, [r for r in rows if r.worker.town == t]) for t in sorted({r.worker.town for r in rows}))
    quotas = tuple(sorted(quota_counts(len(rated), policy).items(), reverse=True))
    return StarRating(quarter, rows, quotas, towns, _summary(None, rows))


# --- funding ---------------------------------------------------------------------------------------------
def funding_sheet(result: FundingResult) -> PreviewSheet:
    """经费分配 with the 合计 and 以奖代补结余 rows; the workbook's formulas computed in Python."""
    rows: list[tuple[Any, ...]] = [
        (a.rank, a.town.code, a.town.name, a.town.grids, a.town.score, TIER_NAMES[a.tier], a.coefficient,
         a.base_yuan, a.allocated_yuan)
        for a in result.rows
    ]
    rows.append((TOTAL_LABEL, None, None, result.total_grids, None, None, None, result.total_base,
                 result.total_allocated))
    rows.append((BALANCE_LABEL, None, f"经费总额 {result.fund_yuan:,.2f} 元 − 分配经费合计", None, None, None, None,
                 None, result.balance))
    return PreviewSheet(FUNDING_SHEET, FUNDING_COLUMNS, tuple(rows), footer_rows=2,
                        cell_kinds={(len(rows) - 1, len(FUNDING_COLUMNS) - 1): "balance"})


# --- ledger ------------------------------------------------------------------------------------------------
def ledger_sheet(rows: Iterable[Mapping[str, Any]], total: int, timezone: str) -> PreviewSheet:
    """The first rows of 案件台账 (codes kept raw; the columns translate them when shown)."""
    return PreviewSheet(LEDGER_SHEET, LEDGER_COLUMNS, _rows(LEDGER_COLUMNS, local_rows(rows, timezone)),
                        total_rows=total)


# --- weekly bulletin -----------------------------------------------------------------------------------
def bulletin_sheets(bulletin: Any) -> tuple[PreviewSheet, ...]:
    """主要指标 (each indicator in its own format), 镇街排名, 部门排名 of a `models.kpi.trends.Bulletin`."""
    from reports.bulletin import (
        DEPT_COLUMNS,
        DEPT_SHEET,
        KPI_COLUMNS,
        KPI_SHEET,
        TOWN_COLUMNS,
        TOWN_SHEET,
        bulletin_rows,
    )

    indicators, towns, departments = bulletin_rows(bulletin)
    kinds: dict[tuple[int, int], str] = {}
    for i, r in enumerate(indicators):
        kinds[(i, 1)] = kinds[(i, 2)] = r.kind
        kinds[(i, 3)] = r.kind if r.kind == "text" else f"signed_{r.kind}"
    kpi = PreviewSheet(KPI_SHEET, KPI_COLUMNS,
                       tuple((r.label, r.this_week, r.last_week, r.change) for r in indicators), cell_kinds=kinds)
    return (kpi, PreviewSheet(TOWN_SHEET, TOWN_COLUMNS, _rows(TOWN_COLUMNS, towns)),
            PreviewSheet(DEPT_SHEET, DEPT_COLUMNS, _rows(DEPT_COLUMNS, departments)))


# --- imported input files --------------------------------------------------------------------------------
_METRICS_KINDS = {"入职日期": "date", "上季星级": "int"}
METRICS_COLUMNS = tuple(
    Column(h, h, "rate" if h.endswith("率") else _METRICS_KINDS.get(h, "text")) for h in METRICS_HEADERS
)
PROBLEM_COLUMNS = (
    Column("file", "文件"),
    Column("row", "行", "int"),
    Column("column", "列"),
    Column("message", "原因"),
)


def metrics_sheet(rows: Iterable[WorkerMetrics]) -> PreviewSheet:
    """The good rows of the imported metrics sheets, with the sheets' own headers."""
    out = tuple(
        (w.staff_no, w.name, w.town, w.grid_code, w.hire_date, *w.rates, w.previous_star) for w in rows
    )
    return PreviewSheet("有效行", METRICS_COLUMNS, out)


SCORE_COLUMNS = (
    Column("code", "镇街编码"),
    Column("name", "镇街名称"),
    Column("grids", "网格数", "int"),
    Column("score", "考核得分", "score"),
)


def scores_sheet(rows: Iterable[Any]) -> PreviewSheet:
    """The good rows of an imported scores sheet (`reports.metrics_sheet.ScoreRow`; 网格数 blank = from the database)."""
    return PreviewSheet("有效行", SCORE_COLUMNS, tuple((r.code, r.name, r.grids, r.score) for r in rows))


def problem_column(p: Problem) -> str:
    if p.column is None:
        return ""
    return f"{p.column}（{p.header}）" if p.header else p.column


def problems_sheet(problems: Iterable[Problem]) -> PreviewSheet:
    """One row per problem, by file (in import order) and row: file, row, column (letter and header), reason."""
    problems = list(problems)
    order: dict[str, int] = {}
    for p in problems:
        order.setdefault(p.file, len(order))
    problems.sort(key=lambda p: (order[p.file], p.row or 0))
    return PreviewSheet("问题", PROBLEM_COLUMNS,
                        tuple((p.file, p.row, problem_column(p), p.message) for p in problems))


__all__ = [
    "BONUS", "BULLETIN", "DATABASE", "FILES", "FUNDING", "LEDGER", "METRICS_COLUMNS", "PROBLEM_COLUMNS",
    "REPORT_KINDS", "SCORE_COLUMNS", "STARS", "STORED", "PreviewSheet", "bonus_sheet", "bulletin_sheets", "format_cell",
    "funding_sheet", "ledger_sheet", "metrics_sheet", "problem_column", "problems_sheet", "reports_for",
    "scores_sheet", "sources_for", "star_sheets", "stored_rating",
]
