"""What every GridDesk workbook shares (issue 7 "Every workbook").

Chinese headers in row 1, frozen and filtered; fitted column widths (CJK
characters count double); money `#,##0.00`, rates as percentages; landscape A4
fitted to the page width, row 1 repeated on every printed page, a header and a
footer with report name, period, generation time and page numbers; a 说明
sheet listing the policy values used. Large ledgers go through
`write_streaming`, which splits across sheets before Excel's row limit.
Outputs are written to a temporary file and renamed at the end, so a failure
never leaves a partial file behind.
"""

from __future__ import annotations

import contextlib
import dataclasses as dc
import datetime as dt
import math
import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

EXCEL_MAX_ROWS = 1_048_576
NOTES_SHEET = "说明"

FORMATS: dict[str, str] = {
    "text": "@",
    "int": "0",
    "money": "#,##0.00",
    "percent": "0.00%",  # value is a fraction, 0.955 -> 95.50%
    "rate": "0.00%",  # value is percent points, 95.5 -> written 0.955 -> 95.50%
    "score": "0.00",
    "coef": "0.0#",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}
NUMERIC_KINDS = {"int", "money", "percent", "rate", "score", "coef"}

HEADER_FONT = Font(name="Calibri", bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FONT = Font(name="Calibri", bold=True)
RED_FONT = Font(name="Calibri", color="C00000", bold=True)
_THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
MIN_WIDTH, MAX_WIDTH = 6.0, 50.0


class Cancelled(Exception):
    """The export was cancelled; no output file was written."""


@dc.dataclass(frozen=True)
class Column:
    """One column of a sheet: the dict key or attribute it shows, its Chinese header, its kind.

    `width` fixes the width (streaming sheets, where the values are not known in
    advance); `convert` maps a raw value (e.g. a status code) to what is written.
    """

    key: str
    header: str
    kind: str = "text"
    width: float | None = None
    convert: Callable[[Any], Any] | None = None
    align: str | None = None  # "center" for short codes, stars, ranks

    def __post_init__(self) -> None:
        if self.kind not in FORMATS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    def cell_value(self, value: Any) -> Any:
        if self.convert is not None:
            value = self.convert(value)
        if value is None or value == "":
            return None
        if self.kind == "rate":
            return Decimal(str(value)) / 100
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            raise ValueError("aware datetimes must be converted to local time before writing")
        return value


@dc.dataclass(frozen=True)
class ReportMeta:
    """What the header, footer and 说明 sheet say about a report."""

    title: str  # 报表名称, e.g. 网格员季度星级评定
    period: str  # e.g. 2026年第3季度
    generated_at: dt.datetime
    source: str = ""  # 数据来源: file names or 数据库
    policy_name: str = ""
    policy_items: tuple[tuple[str, str], ...] = ()  # (key, value), from Policy.flat_items()
    rules: tuple[str, ...] = ()  # one line of rule text each


# --- widths -------------------------------------------------------------
def text_width(text: str) -> int:
    """Display width in Excel character units: East Asian wide/full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


WIDE_WEIGHT = 2.2  # Chinese glyphs render a little wider than two digits in Calc and Excel


def fitted_width(text: str) -> int:
    """Column width that fits `text`: wide characters weigh WIDE_WEIGHT, the rest 1, rounded up."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in ("W", "F"))
    return math.ceil(wide * WIDE_WEIGHT + (len(text) - wide))


def shown_text(value: Any, kind: str) -> str:
    """Roughly what Excel shows for `value` in a column of `kind` (used for widths only)."""
    if value is None:
        return ""
    if isinstance(value, str):
        if value.startswith("="):  # a formula: room for a large result of its kind
            return {"money": "000,000,000.00", "int": "00000000"}.get(kind, "0000000000")
        return value
    if kind in ("money",):
        return f"{Decimal(str(value)):,.2f}"
    if kind in ("percent", "rate"):
        return f"{Decimal(str(value)) * 100:.2f}%"
    if kind == "score":
        return f"{Decimal(str(value)):.2f}"
    if isinstance(value, dt.datetime):
        return "2026-01-01 00:00:00"
    if isinstance(value, dt.date):
        return "2026-01-01"
    return str(value)


def fit_widths(ws: Worksheet, columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> None:
    widths = [fitted_width(c.header) + 3 for c in columns]  # + room for the filter button
    for row in rows:
        for i, (col, value) in enumerate(zip(columns, row)):
            widths[i] = max(widths[i], fitted_width(shown_text(value, col.kind)) + 2)
    for i, col in enumerate(columns):
        width = col.width if col.width is not None else widths[i]
        ws.column_dimensions[get_column_letter(i + 1)].width = max(MIN_WIDTH, min(MAX_WIDTH, width))


# --- ordinary (in-memory) sheets ---------------------------------------
def write_table(
    ws: Worksheet,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    meta: ReportMeta,
    *,
    extra_rows: Sequence[Sequence[Any]] = (),
) -> int:
    """Header in row 1, `rows` below it, then `extra_rows` (totals) outside the autofilter.

    Values are already in column order; strings starting with "=" are formulas.
    Returns the number of the last row written.
    """
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i, value=col.header)
        cell.font, cell.fill, cell.alignment, cell.border = HEADER_FONT, HEADER_FILL, CENTER, BORDER
    r = 1
    last_data = 1 + len(rows)
    for r, row in enumerate([*rows, *extra_rows], start=2):
        for i, (col, value) in enumerate(zip(columns, row), start=1):
            cell = ws.cell(row=r, column=i, value=col.cell_value(value))
            cell.border = BORDER
            if col.kind != "text":
                cell.number_format = FORMATS[col.kind]
            if r > last_data and isinstance(value, str) and not value.startswith("="):
                cell.alignment = Alignment(horizontal="left")  # a label of a total row, may overflow right
            elif col.align:
                cell.alignment = Alignment(horizontal=col.align)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(last_data, 2)}"
    # labels and notes of the total rows may overflow into their empty neighbours; numbers must fit
    fit_widths(
        ws,
        columns,
        [*rows, *([None if isinstance(v, str) and not v.startswith("=") else v for v in row] for row in extra_rows)],
    )
    finish_sheet(ws, meta)
    return r


def finish_sheet(ws: Any, meta: ReportMeta) -> None:
    """Frozen header row, landscape A4 fitted to width, row 1 repeated, header and footer."""
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.page_margins.left = ws.page_margins.right = 0.4
    set_header_footer(ws, meta)


def _escape(text: str) -> str:
    return text.replace("&", "&&")


def set_header_footer(ws: Any, meta: ReportMeta) -> None:
    ws.oddHeader.left.text = _escape(meta.period)
    ws.oddHeader.center.text = "&B" + _escape(meta.title) + "&B"
    ws.oddHeader.center.size = 12
    ws.oddHeader.right.text = "生成时间 " + meta.generated_at.strftime("%Y-%m-%d %H:%M")
    ws.oddFooter.left.text = _escape(meta.title) + "  " + _escape(meta.period)
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.right.text = "&A"


def notes_rows(meta: ReportMeta) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [
        ("报表", meta.title),
        ("期间", meta.period),
        ("生成时间", meta.generated_at.strftime("%Y-%m-%d %H:%M:%S")),
    ]
    if meta.source:
        rows.append(("数据来源", meta.source))
    if meta.policy_name:
        rows.append(("政策版本", meta.policy_name))
    rows.extend(("规则", line) for line in meta.rules)
    rows.extend((key, value) for key, value in meta.policy_items)
    return rows


NOTES_COLUMNS = (Column("item", "项目"), Column("value", "取值 / 说明"))
NOTES_VALUE_WIDTH = 100.0


def add_notes_sheet(wb: Workbook, meta: ReportMeta) -> Worksheet:
    """The 说明 sheet: report, period, time, source, rules, then every policy value used."""
    ws = wb.create_sheet(NOTES_SHEET)
    rows = notes_rows(meta)
    write_table(ws, NOTES_COLUMNS, rows, meta)
    width = NOTES_VALUE_WIDTH
    ws.column_dimensions["B"].width = width
    for r, (_item, value) in enumerate(rows, start=2):
        ws.cell(r, 1).alignment = Alignment(vertical="top")
        ws.cell(r, 2).alignment = Alignment(wrap_text=True, vertical="top")
        lines = max(1, math.ceil(text_width(value) / (width - 2)))
        if lines > 1:
            ws.row_dimensions[r].height = 15 * lines
    return ws


# --- atomic output ------------------------------------------------------
@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds."""
    target = Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"输出目录不存在：{target.parent}")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def save_workbook(wb: Workbook, path: str | os.PathLike[str]) -> Path:
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


def new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


# --- streaming ----------------------------------------------------------
@dc.dataclass(frozen=True)
class StreamResult:
    rows: int
    sheets: tuple[str, ...]


def sheet_names(base: str, count: int) -> list[str]:
    return [base if i == 0 else f"{base}({i + 1})" for i in range(count)]


def write_streaming(
    path: str | os.PathLike[str],
    columns: Sequence[Column],
    rows: Iterable[Mapping[str, Any]],
    meta: ReportMeta,
    *,
    sheet_title: str,
    max_rows: int = EXCEL_MAX_ROWS,
    total: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    progress_every: int = 1000,
) -> StreamResult:
    """Write dict rows in write-only mode, a new sheet (台账, 台账(2), ...) whenever `max_rows` is reached.

    `max_rows` counts the header row, like Excel's limit. `progress(done, total)`
    is called every `progress_every` rows and at the end; `cancel()` returning
    true stops the export, removes the temporary file and raises `Cancelled`.
    """
    if max_rows < 2:
        raise ValueError("max_rows must leave room for the header and one row")
    wb = Workbook(write_only=True)
    names: list[str] = []
    done = 0
    with atomic_path(path) as tmp, _discard_on_error(wb):
        ws = None
        in_sheet = 0
        for row in rows:
            if cancel is not None and cancel():
                raise Cancelled()
            if ws is None or in_sheet >= max_rows - 1:
                if ws is not None:
                    _close_stream_sheet(ws, columns, in_sheet)
                names.append(sheet_names(sheet_title, len(names) + 1)[-1])
                ws = _open_stream_sheet(wb, names[-1], columns, meta)
                in_sheet = 0
            ws.append([_stream_cell(ws, col, row.get(col.key)) for col in columns])
            in_sheet += 1
            done += 1
            if progress is not None and done % progress_every == 0:
                progress(done, total)
        if cancel is not None and cancel():
            raise Cancelled()
        if ws is None:  # no rows at all: still a sheet with its header
            names.append(sheet_title)
            ws = _open_stream_sheet(wb, sheet_title, columns, meta)
        _close_stream_sheet(ws, columns, in_sheet)
        notes = wb.create_sheet(NOTES_SHEET)
        notes.column_dimensions["A"].width = 28
        notes.column_dimensions["B"].width = 90
        finish_sheet(notes, meta)  # before the first row: write-only sheets write their properties first
        notes.append([_header_cell(notes, c.header) for c in NOTES_COLUMNS])
        note_rows = notes_rows(dc.replace(meta, rules=(*meta.rules, f"共 {done} 行，分 {len(names)} 个工作表")))
        for item, value in note_rows:
            notes.append([item, value])
        notes.auto_filter.ref = f"A1:B{len(note_rows) + 1}"
        wb.save(tmp)
    if progress is not None:
        progress(done, total)
    return StreamResult(done, tuple(names))


@contextlib.contextmanager
def _discard_on_error(wb: Workbook) -> Iterator[None]:
    """On failure, finish and delete the per-sheet temporary files of a write-only workbook."""
    try:
        yield
    except BaseException:
        for ws in wb._sheets:
            with contextlib.suppress(Exception):
                if not ws.closed:
                    ws.close()
            out = getattr(getattr(ws, "_writer", None), "out", None)
            if isinstance(out, str):
                with contextlib.suppress(OSError):
                    os.unlink(out)
        raise


def _header_cell(ws: Any, header: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=header)
    cell.font, cell.fill, cell.alignment, cell.border = HEADER_FONT, HEADER_FILL, CENTER, BORDER
    return cell


def _stream_cell(ws: Any, col: Column, raw: Any) -> Any:
    value = col.cell_value(raw)
    if value is None or col.kind == "text":
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = FORMATS[col.kind]
    return cell


def _open_stream_sheet(wb: Workbook, title: str, columns: Sequence[Column], meta: ReportMeta) -> Any:
    ws = wb.create_sheet(title)
    for i, col in enumerate(columns, start=1):
        width = col.width if col.width is not None else fitted_width(col.header) + 4
        ws.column_dimensions[get_column_letter(i)].width = max(MIN_WIDTH, min(MAX_WIDTH, width))
    finish_sheet(ws, meta)  # widths, panes and page properties must precede the rows
    ws.append([_header_cell(ws, c.header) for c in columns])
    return ws


def _close_stream_sheet(ws: Any, columns: Sequence[Column], rows: int) -> None:
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(rows + 1, 2)}"


# --- shared helpers for the report modules -------------------------------
def json_value(value: Any) -> Any:
    """A JSON-able form: Decimal -> int when whole, else float (exact for money and rates); dates -> ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value


def policy_notes(
    items: Iterable[tuple[str, str]], prefixes: Sequence[str], labels: Mapping[str, str]
) -> tuple[tuple[str, str], ...]:
    """The policy values whose key starts with one of `prefixes`, labelled in Chinese where known."""
    out = []
    for key, value in items:
        if any(key.startswith(p) for p in prefixes):
            label = labels.get(key)
            out.append((f"{label}（{key}）" if label else key, value))
    return tuple(out)


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
