"""Importing a legacy incident ledger (`griddesk import incidents FILE`, issue 3 item 8).

A district migrating from an old system brings one row per case with the times
of its steps. Every row is checked before anything is written; all problems
are reported at once (`ImportFailed`, row and column each) and nothing is
written then. On success each case is inserted with what its times imply:

- status from the latest recorded step (作废 → voided, 结案 → closed, 挂账 → suspended
  over the step reached, …); a row handled without a dispatch is self-handled (自处理);
- deadlines from the dictionary rule and the work calendar with the engine's own
  helpers (`start_step`, `close_deadline`), unless 结案期限 is given; on-time flags
  of accept, dispatch, handle and check against them; close type normal or overdue;
- the department of a dispatched case is its class's default department (the old
  ledgers have no department column), the level the closing level or the rule's;
- one synthetic flow-log row per recorded step (actor "legacy-import", reason
  "历史台账导入"), so the flow log agrees with the status;
- the indicator rollups of the touched (day, town) slices are recomputed.

Known limits of the old format: one 派遣时间 (the latest round's: it is also taken
as the first dispatch), no verification time, no record of when a suspension
began (taken as the latest recorded step), of returns, escalations, extensions
or cards. Timestamps are naive local time.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
import sqlalchemy as sa
from shapely.geometry import shape
from sqlalchemy.orm import Session

from models.auth import Identity
from models.calendar_store import load_calendar
from models.enums import CaseSource, CaseStatus as S, CloseType, Level, Step, UserRole
from models.geo.codes import CodeError, parse_grid_code
from models.importers.common import (REASONS, CellError, Column, ImportFailed, ImportSummary, Problem, RowReader,
                                     check_columns, chunked, is_blank, row_number)
from models.lifecycle.engine import Ctx, close_deadline, start_step
from models.lifecycle.limits import ClassRule, step_limit
from models.policy_store import load_policy
from models.schema import Case, DictionaryVersion, FlowLog, Grid, MinorClass

__all__ = ["DATETIME_HEADERS", "INCIDENT_COLUMNS", "import_incidents", "parse_datetime"]

ACTOR = "legacy-import"
REASON = "历史台账导入"
IMPORTER = Identity(None, ACTOR, "历史台账导入", UserRole.ADMIN)

# reason codes of this importer (shared ones live in models.importers.common.REASONS)
_OWN_REASONS = {
    "duplicate_in_db": ("案件编号已存在于数据库", "case number already in the database"),
    "unknown_class": ("小类编码不在启用的字典中", "minor class not in the active dictionary"),
    "bad_coordinates": ("经纬度超出范围", "longitude/latitude out of range"),
    "outside_grids": ("坐标不在任何网格内", "the point lies in no grid of the district"),
    "unknown_source": ("未知来源", "unknown source"),
    "bad_flag": ("应填 是 或 否", "must be 是 or 否"),
    "negative": ("不能为负数", "must not be negative"),
    "out_of_order": ("时间早于前一环节", "time is before the previous step of the loop"),
    "missing_step": ("缺少前一环节的时间", "a previous step of the loop has no time"),
    "missing_close_level": ("已结案但未填结案层级", "closed without a closing level"),
    "level_without_close": ("未结案却填了结案层级", "a closing level on a case that is not closed"),
    "voided_and_closed": ("既作废又结案", "both voided and closed"),
    "voided_and_filed": ("作废的案件不应有立案及以后的时间", "a voided case cannot have been filed"),
    "bad_suspension": ("只有立案后未结案的案件可以挂账", "only a filed, unfinished case can be suspended"),
    "deadline_before_filing": ("结案期限早于立案时间", "closing deadline before filing"),
}
for _code, _text in _OWN_REASONS.items():
    REASONS.setdefault(_code, _text)

DT_FMT = "YYYY-MM-DD HH:MM[:SS], YYYY/MM/DD HH:MM 或 Excel 日期时间 / or an Excel date-time"
C_CODE = Column("案件编号", "code", max_length=24, fmt="文件内及库中唯一 / unique in the file and the database",
                example="AJ2019030200001")
C_CLASS = Column("小类编码", "code", width=4, fmt="4 位, 启用字典中的小类 / 4 digits, a class of the active dictionary",
                 example="1102")
C_SOURCE = Column("来源", "text", required=False, blank_ok=True,
                  fmt="网格员 / 12345热线 / 视频 / 群众 / 微信 (空: 历史导入)", example="12345热线")
C_DESC = Column("描述", "text", required=False, blank_ok=True, example="路边暴露垃圾")
C_LON = Column("经度", "number", fmt="WGS-84", example="121.36")
C_LAT = Column("纬度", "number", fmt="WGS-84", example="28.58")
C_GRID = Column("网格编码", "code", required=False, blank_ok=True,
                fmt="15 位 (旧 14 位); 空则按坐标定位 / blank: located from the point", example="331004001007006")
C_REPORTED = Column("上报时间", "text", fmt=DT_FMT, example="2019-03-02 09:00")
C_FILED = Column("立案时间", "text", required=False, blank_ok=True, fmt=DT_FMT)
C_DISPATCHED = Column("派遣时间", "text", required=False, blank_ok=True, fmt=DT_FMT)
C_HANDLED = Column("处置完成时间", "text", required=False, blank_ok=True, fmt=DT_FMT)
C_CHECKED = Column("核查时间", "text", required=False, blank_ok=True, fmt=DT_FMT)
C_CLOSED = Column("结案时间", "text", required=False, blank_ok=True, fmt=DT_FMT)
C_VOIDED = Column("作废时间", "text", required=False, blank_ok=True, fmt=DT_FMT)
C_REWORK = Column("返工次数", "int", required=False, blank_ok=True, fmt="≥ 0, 空为 0", example="0")
C_LEVEL = Column("结案层级", "text", required=False, blank_ok=True, fmt="网格 / 村社 / 镇街 / 区", example="村社")
C_DEADLINE = Column("结案期限", "text", required=False, blank_ok=True,
                    fmt=DT_FMT + "; 空则按规则和工作日历计算 / blank: from the rule and the calendar")
C_SUSPENDED = Column("挂账", "text", required=False, blank_ok=True, fmt="是 / 否 (空为否)", example="否")
INCIDENT_COLUMNS: tuple[Column, ...] = (C_CODE, C_CLASS, C_SOURCE, C_DESC, C_LON, C_LAT, C_GRID, C_REPORTED,
                                        C_FILED, C_DISPATCHED, C_HANDLED, C_CHECKED, C_CLOSED, C_VOIDED, C_REWORK,
                                        C_LEVEL, C_DEADLINE, C_SUSPENDED)
LOOP = (C_REPORTED, C_FILED, C_DISPATCHED, C_HANDLED, C_CHECKED, C_CLOSED)
DATETIME_HEADERS = frozenset(c.header for c in (*LOOP, C_VOIDED, C_DEADLINE))
"""Columns of date-times: a table reader reads them as text; `parse_datetime` reads the raw cell."""

LEVELS = {"网格": Level.GRID, "村社": Level.VILLAGE, "村": Level.VILLAGE, "社区": Level.VILLAGE,
          "村居": Level.VILLAGE, "镇街": Level.TOWN, "镇": Level.TOWN, "街道": Level.TOWN, "乡镇": Level.TOWN,
          "区": Level.DISTRICT, "区级": Level.DISTRICT, "县": Level.DISTRICT, "区县": Level.DISTRICT,
          **{lv.value: lv for lv in Level}}
SOURCES = {"网格员": CaseSource.GRID_WORKER, "网格员上报": CaseSource.GRID_WORKER, "巡查": CaseSource.GRID_WORKER,
           "巡查上报": CaseSource.GRID_WORKER, "平安通": CaseSource.GRID_WORKER,
           "12345": CaseSource.HOTLINE, "热线": CaseSource.HOTLINE, "12345热线": CaseSource.HOTLINE,
           "视频": CaseSource.CAMERA, "视频发现": CaseSource.CAMERA, "监控": CaseSource.CAMERA,
           "摄像头": CaseSource.CAMERA, "群众": CaseSource.PUBLIC, "群众举报": CaseSource.PUBLIC,
           "群众上报": CaseSource.PUBLIC, "公众": CaseSource.PUBLIC, "微信": CaseSource.WECHAT,
           "微信群": CaseSource.WECHAT, "历史导入": CaseSource.LEGACY, **{s.value: s for s in CaseSource}}
FLAGS = {"是": True, "否": False, "y": True, "n": False, "yes": True, "no": False, "1": True, "0": False,
         "true": True, "false": False}

_DT_TEXT = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\.\d+)?)?")
_DT_WORDS = str.maketrans({"年": "-", "月": "-", "日": " ", "时": ":", "分": ":", "秒": " "})
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def parse_datetime(value: Any) -> dt.datetime | None:
    """A cell as a naive local date-time; None when blank; CellError when unreadable.

    Accepts datetime/date values, Excel serial numbers (also as text) and text such
    as 2019-03-02 09:00, 2019/3/2 9:00:30, 2019年3月2日 9时00分 or a date alone (00:00).
    """
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value).replace("\u3000", " ").strip()
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError("wrong_type", "expected a date-time, got TRUE/FALSE")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise CellError("bad_date", f"{value} has a time zone; give local time")
        return value.replace(microsecond=0)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value):
        value = float(value)
    if isinstance(value, (int, float)):
        if not 1 <= value < 2958466:
            raise CellError("bad_date", f"{value} is not an Excel date")
        at = _EXCEL_EPOCH + dt.timedelta(days=float(value))
        return (at + dt.timedelta(microseconds=500_000)).replace(microsecond=0)  # to the nearest second
    if isinstance(value, str):
        m = _DT_TEXT.fullmatch(re.sub(r"\s+", " ", value.translate(_DT_WORDS)).strip().rstrip(":"))
        if m:
            y, mo, d, h, mi, sec = (int(x) if x else 0 for x in m.groups())
            try:
                return dt.datetime(y, mo, d, h, mi, sec)
            except ValueError:
                raise CellError("bad_date", value) from None
        raise CellError("bad_date", f"{value!r} ({DT_FMT})")
    raise CellError("wrong_type", f"expected a date-time, got {value!r}")


@dataclass
class _Row:
    where: int
    code: str | None = None
    mc: MinorClass | None = None
    source: CaseSource = CaseSource.LEGACY
    description: str = ""
    lon: float | None = None
    lat: float | None = None
    grid: Grid | None = None
    times: dict[str, dt.datetime | None] = field(default_factory=dict)
    rework: int = 0
    level: Level | None = None
    deadline: dt.datetime | None = None
    suspended: bool = False


def import_incidents(session: Session, rows: Iterable[Mapping[str, Any]], *, source_name: str,
                     now: dt.datetime | None = None) -> ImportSummary:
    """Insert the cases of a legacy ledger (rows keyed by the Chinese headers).

    Raises ImportFailed with every problem and writes nothing when any row is bad.
    Flushes but does not commit: the caller owns the transaction.
    """
    now = now or dt.datetime.now()
    records = list(rows)
    problems, absent = check_columns(records, INCIDENT_COLUMNS)
    if not records:
        problems.append(Problem(None, None, "no_rows"))
    classes = {mc.code: mc for mc in session.scalars(
        sa.select(MinorClass).join(DictionaryVersion, MinorClass.version_id == DictionaryVersion.id)
        .where(DictionaryVersion.active.is_(True)))}
    grids = _Grids(session)
    parsed = [_parse(rec, row_number(rec, i), problems, absent, classes, grids, now)
              for i, rec in enumerate(records)]
    _check_codes(session, parsed, problems)
    if problems:
        raise ImportFailed(problems)
    return _write(session, parsed, source_name)


# --- reading and checking -----------------------------------------------------------


class _Grids:
    """Every grid version, by code and by point (the version valid on the report date)."""

    def __init__(self, session: Session) -> None:
        self.rows = session.scalars(sa.select(Grid).order_by(Grid.valid_from, Grid.id)).all()
        self.by_code: dict[str, list[Grid]] = {}
        for g in self.rows:
            self.by_code.setdefault(g.code, []).append(g)
        self.geoms = [shape(json.loads(g.geometry)) for g in self.rows]
        self.tree = shapely.STRtree(self.geoms) if self.geoms else None

    @staticmethod
    def _valid(g: Grid, on: dt.date) -> bool:
        return g.valid_from <= on and (g.valid_to is None or on < g.valid_to)

    def by_point(self, lon: float, lat: float, on: dt.date) -> Grid | None:
        if self.tree is None:
            return None
        point = shapely.Point(lon, lat)
        for i in sorted(self.tree.query(point)):
            if self._valid(self.rows[i], on) and self.geoms[i].covers(point):
                return self.rows[i]
        return None

    def by_code_on(self, code: str, on: dt.date) -> Grid | None:
        versions = self.by_code.get(code, [])
        for g in versions:
            if self._valid(g, on):
                return g
        current = [g for g in versions if g.valid_to is None]
        return current[0] if current else (versions[-1] if versions else None)


def _parse(rec: Mapping[str, Any], where: int, problems: list[Problem], absent: set[str],
           classes: dict[str, MinorClass], grids: _Grids, now: dt.datetime) -> _Row:
    cells = RowReader(rec, where, problems, absent)
    r = _Row(where)
    r.code = cells.get(C_CODE)
    cls = cells.get(C_CLASS)
    if cls is not None:
        if not re.fullmatch(r"\d{4}", cls):
            cells.fail(C_CLASS.header, "bad_minor_code", cls)
        else:
            r.mc = classes.get(cls)
            if r.mc is None:
                cells.fail(C_CLASS.header, "unknown_class", cls)
    source = cells.get(C_SOURCE)
    if source is not None:
        key = source.replace(" ", "")
        r.source = SOURCES.get(key) or SOURCES.get(key.lower())  # type: ignore[assignment]
        if r.source is None:
            cells.fail(C_SOURCE.header, "unknown_source", source)
            r.source = CaseSource.LEGACY
    r.description = cells.get(C_DESC) or ""
    r.lon, r.lat = cells.get(C_LON), cells.get(C_LAT)
    for col in (*LOOP, C_VOIDED, C_DEADLINE):
        try:
            value = parse_datetime(rec.get(col.header))
        except CellError as exc:
            cells.fail(col.header, exc.reason, exc.detail)
            value = None
        if value is None and not col.blank_ok and col.header not in absent and col.header not in cells.bad:
            cells.fail(col.header, "blank")
        if value is not None and value > now and col is not C_DEADLINE:
            cells.fail(col.header, "future_date", f"{value:%Y-%m-%d %H:%M} > now")
            value = None
        r.times[col.header] = value
    rework = cells.get(C_REWORK)
    if rework is not None and rework < 0:
        cells.fail(C_REWORK.header, "negative", str(rework))
    r.rework = max(rework or 0, 0)
    level = cells.get(C_LEVEL)
    if level is not None:
        r.level = LEVELS.get(level.replace(" ", "")) or LEVELS.get(level.lower())
        if r.level is None:
            cells.fail(C_LEVEL.header, "unknown_level", level)
    r.deadline = r.times.pop(C_DEADLINE.header)
    flag = cells.get(C_SUSPENDED)
    if flag is not None:
        value = FLAGS.get(flag.replace(" ", "").lower())
        if value is None:
            cells.fail(C_SUSPENDED.header, "bad_flag", flag)
        r.suspended = bool(value)
    _check_place(r, rec, cells, grids)
    _check_loop(r, cells)
    return r


def _check_place(r: _Row, rec: Mapping[str, Any], cells: RowReader, grids: _Grids) -> None:
    if r.lon is not None and r.lat is not None and not (-180 <= r.lon <= 180 and -90 <= r.lat <= 90):
        cells.fail(C_LON.header, "bad_coordinates", f"{r.lon}, {r.lat}")
        r.lon = r.lat = None
    on = (r.times.get(C_REPORTED.header) or dt.datetime.now()).date()
    raw = cells.get(C_GRID) if C_GRID.header in rec else None
    if raw is not None:
        try:
            code = parse_grid_code(raw).code
        except CodeError as exc:
            cells.fail(C_GRID.header, "bad_grid_code", str(exc))
            return
        r.grid = grids.by_code_on(code, on)
        if r.grid is None:
            cells.fail(C_GRID.header, "unknown_grid", code)
        return
    if r.lon is not None and r.lat is not None:
        r.grid = grids.by_point(r.lon, r.lat, on)
        if r.grid is None:
            cells.fail(C_LON.header, "outside_grids", f"{r.lon:.6f}, {r.lat:.6f}")


def _check_loop(r: _Row, cells: RowReader) -> None:
    t = r.times
    has = {c.header: t.get(c.header) is not None for c in (*LOOP, C_VOIDED)}
    bad = cells.bad
    filed, dispatched, handled, checked, closed, voided = (has[c.header] for c in (
        C_FILED, C_DISPATCHED, C_HANDLED, C_CHECKED, C_CLOSED, C_VOIDED))
    # each recorded step needs the steps before it (a self-handled row has no dispatch)
    needs = {C_DISPATCHED: (C_FILED,), C_HANDLED: (C_FILED,), C_CHECKED: (C_HANDLED,),
             C_CLOSED: (C_CHECKED, C_HANDLED)}
    for col, before in needs.items():
        if has[col.header]:
            for b in before:
                if not has[b.header] and b.header not in bad:
                    cells.fail(col.header, "missing_step", f"{b.header} 为空 / is blank")
                    break
    # times in loop order (each against the latest earlier step that has a time)
    last: tuple[str, dt.datetime] | None = None
    for col in LOOP:
        value = t.get(col.header)
        if value is None:
            continue
        if last is not None and value < last[1]:
            cells.fail(col.header, "out_of_order", f"{value:%Y-%m-%d %H:%M} < {last[0]} {last[1]:%Y-%m-%d %H:%M}")
        last = (col.header, value)
    reported = t.get(C_REPORTED.header)
    if voided and reported is not None and t[C_VOIDED.header] < reported:
        cells.fail(C_VOIDED.header, "out_of_order", f"< {C_REPORTED.header}")
    if voided and closed:
        cells.fail(C_VOIDED.header, "voided_and_closed")
    elif voided and (filed or dispatched or handled or checked):
        cells.fail(C_VOIDED.header, "voided_and_filed")
    if closed and r.level is None and C_LEVEL.header not in bad:
        cells.fail(C_LEVEL.header, "missing_close_level")
    if r.level is not None and not closed:
        cells.fail(C_LEVEL.header, "level_without_close", r.level.value)
    if r.suspended and (closed or voided or not filed):
        cells.fail(C_SUSPENDED.header, "bad_suspension")
    if r.deadline is not None and t.get(C_FILED.header) is not None and r.deadline < t[C_FILED.header]:
        cells.fail(C_DEADLINE.header, "deadline_before_filing")


def _check_codes(session: Session, parsed: list[_Row], problems: list[Problem]) -> None:
    first: dict[str, int] = {}
    for r in parsed:
        if r.code is None:
            continue
        if r.code in first:
            problems.append(Problem(r.where, C_CODE.header, "duplicate_in_file", f"{r.code} (also row {first[r.code]})"))
        else:
            first[r.code] = r.where
    for part in chunked(sorted(first)):
        for code in session.scalars(sa.select(Case.code).where(Case.code.in_(part))):
            problems.append(Problem(first[code], C_CODE.header, "duplicate_in_db", code))


# --- deriving and writing ------------------------------------------------------------


def _write(session: Session, parsed: list[_Row], source_name: str) -> ImportSummary:
    from models.kpi.rollup import recompute

    policy = load_policy(session)
    calendar = load_calendar(session, policy)
    summary = ImportSummary()
    slices: set[tuple[dt.date, int]] = set()
    flow_rows = 0
    for part in chunked(parsed, 1000):
        cases, flows = [], []
        for r in part:
            case, entries = _case(r, policy, calendar, source_name)
            cases.append(case)
            flows.append(entries)
            slices.add((case.reported_at.date(), case.town_id))
            if case.filed_at is not None:
                slices.add((case.filed_at.date(), case.town_id))
        session.add_all(cases)
        session.flush()
        rows = [dict(case_id=case.id, **entry) for case, entries in zip(cases, flows) for entry in entries]
        if rows:
            session.execute(sa.insert(FlowLog), rows)
        flow_rows += len(rows)
        summary.inserted += len(cases)
    recompute(session, slices)
    session.flush()
    summary.created = {"flow_log": flow_rows, "indicator_slices": len(slices)}
    return summary


def _rule(mc: MinorClass) -> ClassRule:
    return ClassRule(mc.id, mc.code, mc.time_limit, mc.time_unit, mc.department_id, mc.level)


def _case(r: _Row, policy, calendar, source_name: str) -> tuple[Case, list[dict[str, Any]]]:
    assert r.mc is not None and r.grid is not None and r.code is not None
    t = r.times
    reported, filed, dispatched, handled, checked, closed, voided = (t.get(c.header) for c in (
        *LOOP, C_VOIDED))
    assert reported is not None
    rule = _rule(r.mc)
    ctx = Ctx(IMPORTER, reported, calendar, policy, rule)
    self_handled = handled is not None and dispatched is None
    last_step = max(x for x in (reported, filed, dispatched, handled, checked, closed, voided) if x is not None)
    case = Case(code=r.code, minor_class_id=r.mc.id, description=r.description, address="", source=r.source,
                reporter_name="", reporter_phone="", lon=r.lon, lat=r.lat, grid_id=r.grid.id,
                village_id=r.grid.village_id, town_id=r.grid.town_id, level=Level.GRID, status=S.REPORTED,
                self_handled=self_handled, auto_dispatched=False, is_demo=False, reported_at=reported,
                card_points=0.0, suspended_seconds=0, extension_count=0, rework_count=r.rework, return_count=0,
                appeal_pending=False, updated_at=last_step)
    value, unit = step_limit(Step.VERIFY, rule, policy)
    case.verify_deadline = calendar.add(reported, value, unit)
    start_step(case, Step.ACCEPT, reported, ctx)
    steps: list[tuple[str, dt.datetime, S]] = [("report", reported, S.REPORTED)]
    if voided is not None:
        case.voided_at, case.status = voided, S.VOIDED
        steps.append(("void", voided, S.VOIDED))
    if filed is not None:
        case.filed_at, case.status = filed, S.FILED
        case.accept_on_time = True if self_handled else filed <= case.accept_deadline
        case.close_deadline = r.deadline or close_deadline(filed, ctx)
        start_step(case, Step.DISPATCH, filed, ctx)
        steps.append(("file", filed, S.FILED))
    if dispatched is not None:
        case.dispatched_at = case.first_dispatched_at = dispatched
        case.dispatch_on_time = dispatched <= case.dispatch_deadline
        case.department_id = rule.department_id
        case.level = rule.level
        case.status = S.DISPATCHED
        start_step(case, Step.HANDLE, dispatched, ctx)
        steps.append(("dispatch", dispatched, S.DISPATCHED))
    if handled is not None:
        case.handled_at, case.status = handled, S.HANDLED
        if not self_handled:
            case.handle_on_time = handled <= case.handle_deadline
        start_step(case, Step.CHECK, handled, ctx)
        steps.append(("self_handle" if self_handled else "feedback", handled, S.HANDLED))
    if checked is not None:
        case.checked_at, case.status = checked, S.CHECKED
        if not self_handled:
            case.check_on_time = checked <= case.check_deadline
        case.step, case.step_started_at = Step.CLOSE, checked
        case.step_deadline = case.step_yellow_at = case.close_deadline
        steps.append(("check", checked, S.CHECKED))
    if closed is not None:
        case.closed_at, case.status = closed, S.CLOSED
        case.level = case.closed_level = r.level
        if self_handled:
            case.close_type = CloseType.SELF_HANDLED
        else:
            case.close_type = CloseType.OVERDUE if closed > case.close_deadline else CloseType.NORMAL
        steps.append(("close", closed, S.CLOSED))
    if case.status in (S.CLOSED, S.VOIDED):
        case.step = case.step_started_at = case.step_deadline = case.step_yellow_at = None
    if r.suspended:
        case.status_before_suspend, case.status = case.status, S.SUSPENDED
        case.suspended_at = last_step
        steps.append(("suspend", last_step, S.SUSPENDED))
    detail = json.dumps({"source": source_name, "row": r.where}, ensure_ascii=False, sort_keys=True)
    entries = []
    previous: S | None = None
    for action, at, to in steps:
        d = detail
        if action == "dispatch" and r.rework:
            d = json.dumps({"source": source_name, "row": r.where, "rework_count": r.rework}, ensure_ascii=False,
                           sort_keys=True)
        entries.append(dict(at=at, action=action, actor=ACTOR, role=UserRole.ADMIN.value,
                            from_status=previous.value if previous else None, to_status=to.value,
                            level=case.level.value, department_id=case.department_id if action == "dispatch" else None,
                            reason=REASON, detail=d))
        previous = to
    return case, entries
