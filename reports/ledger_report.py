"""The case ledger workbook (案件台账): one row per case with its step times, light and card.

Rows are plain dicts keyed by `LEDGER_COLUMNS[i].key`, so the database side can
stream them in; codes (status, light, card) are translated here. Written in
streaming mode, split across sheets before Excel's row limit.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from models.policy import Policy
from reports.workbook import EXCEL_MAX_ROWS, Column, ReportMeta, StreamResult, json_value, now, write_streaming

LEDGER_SHEET = "案件台账"

STATUS_LABELS = {
    "reported": "上报",
    "verified": "已核实",
    "filed": "已立案",
    "dispatched": "已派遣",
    "handled": "已处置",
    "checked": "已核查",
    "closed": "已结案",
    "voided": "已作废",
    "suspended": "挂账",
}
LIGHT_LABELS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "none": ""}
CARD_LABELS = {"none": "", "normal": "普通督办", "yellow": "黄牌", "red": "红牌"}


def _label(labels: Mapping[str, str]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        code = getattr(value, "value", value)  # StrEnum or plain code
        return labels.get(str(code), str(code))

    return convert


STEP_TIMES = (
    ("reported_at", "上报时间"),
    ("verified_at", "核实时间"),
    ("filed_at", "立案时间"),
    ("dispatched_at", "派遣时间"),
    ("handled_at", "处置时间"),
    ("checked_at", "核查时间"),
    ("closed_at", "结案时间"),
)

LEDGER_COLUMNS = (
    Column("code", "案件编号", width=20),
    Column("class_name", "案件类别", width=22),
    Column("town", "镇街", width=14),
    Column("grid_code", "网格编码", width=18),
    Column("status", "状态", width=10, convert=_label(STATUS_LABELS)),
    *(Column(key, header, "datetime", width=20) for key, header in STEP_TIMES),
    Column("light", "灯色", width=8, convert=_label(LIGHT_LABELS)),
    Column("card", "督办", width=10, convert=_label(CARD_LABELS)),
)
LEDGER_KEYS = tuple(c.key for c in LEDGER_COLUMNS)


def local_rows(rows: Iterable[Mapping[str, Any]], timezone: str) -> Iterator[dict[str, Any]]:
    """Aware datetimes -> naive local time of `timezone` (Excel has no time zones)."""
    zone = ZoneInfo(timezone)
    for row in rows:
        out = dict(row)
        for key, _header in STEP_TIMES:
            value = out.get(key)
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                out[key] = value.astimezone(zone).replace(tzinfo=None)
        yield out


def ledger_period(date_from: dt.date, date_to: dt.date, town: str | None = None) -> str:
    text = f"{date_from.isoformat()} 至 {date_to.isoformat()}"
    return text + (f"（{town}）" if town else "")


def write_ledger_report(
    path: str | os.PathLike[str],
    rows: Iterable[Mapping[str, Any]],
    policy: Policy,
    *,
    date_from: dt.date,
    date_to: dt.date,
    town: str | None = None,
    total: int | None = None,
    source: str = "数据库",
    generated_at: dt.datetime | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    max_rows: int = EXCEL_MAX_ROWS,
) -> StreamResult:
    """Stream the ledger to `path` (atomically); a cancelled export raises `Cancelled` and leaves no file."""
    rules = ("每行一个案件；时间为当地时间（" + policy.timezone + "）；灯色为导出时的计时灯，督办为最高督办级别。",)
    meta = ReportMeta(
        "案件台账",
        ledger_period(date_from, date_to, town),
        generated_at or now(),
        source,
        policy.name,
        (("timezone", policy.timezone),),
        rules,
    )
    return write_streaming(
        path,
        LEDGER_COLUMNS,
        local_rows(rows, policy.timezone),
        meta,
        sheet_title=LEDGER_SHEET,
        max_rows=max_rows,
        total=total,
        progress=progress,
        cancel=cancel,
    )


class LedgerCounter:
    """Wraps the row iterable and counts what went through, for `ledger_json` (one pass over the rows)."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self._rows = rows
        self.total = 0
        self.status: Counter[str] = Counter()
        self.light: Counter[str] = Counter()
        self.card: Counter[str] = Counter()

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        for row in self._rows:
            self.total += 1
            for counter, key in ((self.status, "status"), (self.light, "light"), (self.card, "card")):
                value = row.get(key)
                counter[str(getattr(value, "value", value)) if value is not None else "none"] += 1
            yield row


def ledger_json(
    counter: LedgerCounter, date_from: dt.date, date_to: dt.date, town: str | None, sheets: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Counts of the exported ledger (rows, by status, light and card), for `--json`."""
    return json_value(
        {
            "report": "ledger",
            "from": date_from,
            "to": date_to,
            "town": town,
            "rows": counter.total,
            "status": dict(sorted(counter.status.items())),
            "light": dict(sorted(counter.light.items())),
            "card": dict(sorted(counter.card.items())),
            "sheets": list(sheets),
        }
    )
