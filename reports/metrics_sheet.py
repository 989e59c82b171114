"""Read the towns' metrics workbooks and the funding scores workbook (issue 7).

Header in row 1 of the first sheet. Every problem is collected with its file,
row and column, so a clerk can fix them all at once: `read_*` returns the good
rows plus the problems (for the GUI's import preview); `load_*` raises
`SheetError` listing all problems if there is any (for the CLI).
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from models.assessment.stars import WorkerMetrics

METRICS_HEADERS = (
    "工号",
    "姓名",
    "镇街",
    "网格编码",
    "入职日期",
    "基础信息录入率",
    "动态信息采集率",
    "应知应会知晓率",
    "网格评价满意率",
    "上季星级",
)
RATE_HEADERS = METRICS_HEADERS[5:9]
SCORES_HEADERS = ("镇街编码", "镇街名称", "网格数", "考核得分")
SCORES_OPTIONAL = frozenset({"网格数"})
MAX_LISTED = 10  # problems spelled out in SheetError's one-line message


@dc.dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file; `row` is the sheet row (1 = header), `column` a letter."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    header: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column is not None:
            where.append(f"{self.column}列" + (f"（{self.header}）" if self.header else ""))
        return " ".join(where) + "：" + self.message


class SheetError(Exception):
    """An input workbook cannot be used; `problems` lists everything found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        shown = "；".join(str(p) for p in self.problems[:MAX_LISTED])
        more = len(self.problems) - MAX_LISTED
        super().__init__(shown + (f"；另有 {more} 处问题未列出" if more > 0 else ""))


class _Bad(Exception):
    """A cell value that cannot be used; the message is Chinese and user-facing."""


@dc.dataclass(frozen=True)
class MetricsImport:
    rows: tuple[WorkerMetrics, ...]  # good rows of all files, first occurrence of each 工号
    problems: tuple[Problem, ...]  # bad rows, duplicates and unreadable files; those rows are left out
    files: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dc.dataclass(frozen=True)
class ScoreRow:
    """One row of the funding scores file; `grids` None = take it from the database."""

    code: str
    name: str
    grids: int | None
    score: Decimal


@dc.dataclass(frozen=True)
class ScoresImport:
    rows: tuple[ScoreRow, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


# --- cell parsers -------------------------------------------------------
def _header_text(value: Any) -> str:
    text = re.sub(r"\s+", "", str(value)) if value is not None else ""
    return re.sub(r"[(（]%[)）]$", "", text)


def parse_text(value: Any, fmt: str = "General") -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _Bad("不能为空")
    if isinstance(value, bool):
        raise _Bad(f"应为文字，实为 {value}")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        raise _Bad("应为文字，实为日期")
    return str(value).strip()


def parse_number(value: Any, fmt: str = "General") -> Decimal:
    """A number; a percentage-formatted cell (0.955 shown as 95.5%) or text "95.5%" gives percent points."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _Bad("不能为空")
    if isinstance(value, (bool, dt.date, dt.datetime, dt.time)):
        raise _Bad(f"不是数字：{value}")
    if isinstance(value, (int, float)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in (fmt or ""):
            number *= 100
    else:
        text = str(value).strip().replace(",", "").replace("，", "")
        try:
            number = Decimal(text[:-1].strip() if text.endswith(("%", "％")) else text)
        except InvalidOperation:
            raise _Bad(f"不是数字：「{value}」") from None
    if not number.is_finite():
        raise _Bad(f"不是数字：「{value}」")
    return number


def parse_rate(value: Any, fmt: str = "General") -> Decimal:
    number = parse_number(value, fmt)
    if not Decimal(0) <= number <= Decimal(100):
        raise _Bad(f"应在 0–100 之间（或 0%–100%），实为 {number.normalize():f}")
    return number


def parse_date(value: Any, fmt: str = "General") -> dt.date:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _Bad("不能为空")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, int) and 19000101 <= value <= 21001231:
            return _parse_date_text(str(value), value)
        if 1 <= value < 80000:  # a date serial in a cell without a date format
            return from_excel(value).date()
        raise _Bad(f"不是日期：{value}")
    if isinstance(value, str):
        return _parse_date_text(value.strip(), value)
    raise _Bad(f"不是日期：{value}")


def _parse_date_text(text: str, raw: Any) -> dt.date:
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise _Bad(f"不是有效日期：「{raw}」（应如 2026-01-15）")


def parse_star(value: Any, fmt: str = "General") -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = parse_number(value, "General")
    except _Bad:
        raise _Bad(f"星级应为 0–5 的整数或留空，实为「{value}」") from None
    if number != number.to_integral_value() or not 0 <= number <= 5:
        raise _Bad(f"星级应为 0–5 的整数或留空，实为「{value}」")
    return int(number)


def parse_count(value: Any, fmt: str = "General") -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = parse_number(value, fmt)
    if number != number.to_integral_value() or number < 0:
        raise _Bad(f"应为非负整数，实为 {number.normalize():f}")
    return int(number)


def parse_score(value: Any, fmt: str = "General") -> Decimal:
    number = parse_number(value, fmt)
    if not Decimal(0) <= number <= Decimal(100):
        raise _Bad(f"考核得分应在 0–100 之间，实为 {number.normalize():f}")
    return number


METRICS_PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "工号": parse_text,
    "姓名": parse_text,
    "镇街": parse_text,
    "网格编码": parse_text,
    "入职日期": parse_date,
    **{h: parse_rate for h in RATE_HEADERS},
    "上季星级": parse_star,
}
SCORES_PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "镇街编码": parse_text,
    "镇街名称": parse_text,
    "网格数": parse_count,
    "考核得分": parse_score,
}


# --- sheets -------------------------------------------------------------
def _read_sheet(
    path: Path, headers: Sequence[str], optional: frozenset[str], parsers: dict[str, Callable[[Any, str], Any]]
) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    """(row number, {header: parsed value}) for every good row of the first sheet, and the problems.

    Each good row also holds, under the key `_columns`, the column letter of each header.
    """
    name = path.name
    if not path.exists():
        return [], [Problem(name, "文件不存在")]
    if path.is_dir():
        return [], [Problem(name, "是一个文件夹，不是 Excel 工作簿")]
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a zip, not xlsx, old .xls, broken XML ...
        hint = "（旧版 .xls 请先另存为 .xlsx）" if path.suffix.lower() == ".xls" else ""
        return [], [Problem(name, f"不是有效的 Excel 工作簿（.xlsx），或文件已损坏{hint}（{type(exc).__name__}）")]
    try:
        return _read_rows(name, wb, headers, optional, parsers)
    except Exception as exc:  # corrupt sheet XML found while streaming the rows
        return [], [Problem(name, f"工作簿已损坏，无法读取：{type(exc).__name__}: {exc}")]
    finally:
        wb.close()


def _read_rows(
    name: str, wb: Any, headers: Sequence[str], optional: frozenset[str], parsers: dict[str, Callable[[Any, str], Any]]
) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    if not wb.worksheets:
        return [], [Problem(name, "没有工作表")]
    ws = wb.worksheets[0]
    rows = ws.iter_rows()
    header_cells = next(rows, None)
    found = [_header_text(c.value) for c in header_cells] if header_cells else []
    if not any(found):
        return [], [Problem(name, f"工作表「{ws.title}」为空：第1行应为表头", row=1)]
    problems: list[Problem] = []
    where: dict[str, int] = {}
    for i, text in enumerate(found):
        if text in headers:
            if text in where:
                problems.append(
                    Problem(
                        name,
                        f"表头「{text}」重复（已在 {get_column_letter(where[text] + 1)} 列）",
                        1,
                        get_column_letter(i + 1),
                    )
                )
            else:
                where[text] = i
    for pos, header in enumerate(headers):
        if header in where or header in optional:
            continue
        actual = found[pos] if pos < len(found) else ""
        if actual and actual not in headers:
            msg = f"表头应为「{header}」，实为「{actual}」"
        else:
            msg = f"缺少列「{header}」"
        problems.append(Problem(name, msg, 1, get_column_letter(pos + 1)))
    if problems:
        return [], problems

    good: list[tuple[int, dict[str, Any]]] = []
    letters = {header: get_column_letter(col + 1) for header, col in where.items()}
    data_rows = 0
    for r, cells in enumerate(rows, start=2):
        if all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in cells):
            continue
        data_rows += 1
        values: dict[str, Any] = {}
        bad = False
        for header, col in where.items():
            cell = cells[col] if col < len(cells) else None
            raw = getattr(cell, "value", None)
            fmt = getattr(cell, "number_format", "General") or "General"
            try:
                values[header] = parsers[header](raw, fmt)
            except _Bad as exc:
                bad = True
                problems.append(Problem(name, str(exc), r, get_column_letter(col + 1), header))
        if not bad:
            values["_columns"] = letters
            good.append((r, values))
    if data_rows == 0:
        problems.append(Problem(name, f"工作表「{ws.title}」没有数据行（表头下方为空）", row=2))
    return good, problems


def read_metrics_files(paths: Iterable[str | Path]) -> MetricsImport:
    """Merge the metrics sheets of several towns; a 工号 seen before (in any file) is a problem."""
    rows: list[WorkerMetrics] = []
    problems: list[Problem] = []
    seen: dict[str, tuple[str, int]] = {}
    files = []
    for p in paths:
        path = Path(p)
        files.append(path.name)
        good, bad = _read_sheet(path, METRICS_HEADERS, frozenset(), METRICS_PARSERS)
        problems.extend(bad)
        for r, v in good:
            staff_no = v["工号"]
            if staff_no in seen:
                first_file, first_row = seen[staff_no]
                problems.append(
                    Problem(
                        path.name,
                        f"工号 {staff_no} 重复，已在 {first_file} 第{first_row}行出现",
                        r,
                        v["_columns"]["工号"],
                        "工号",
                    )
                )
                continue
            seen[staff_no] = (path.name, r)
            rows.append(
                WorkerMetrics(
                    staff_no,
                    v["姓名"],
                    v["镇街"],
                    v["网格编码"],
                    v["入职日期"],
                    basic_info_rate=v["基础信息录入率"],
                    dynamic_info_rate=v["动态信息采集率"],
                    knowledge_rate=v["应知应会知晓率"],
                    satisfaction_rate=v["网格评价满意率"],
                    previous_star=v["上季星级"],
                )
            )
    return MetricsImport(tuple(rows), tuple(problems), tuple(files))


def load_metrics(paths: Iterable[str | Path]) -> list[WorkerMetrics]:
    """All rows of the metrics files, or `SheetError` listing every problem."""
    result = read_metrics_files(paths)
    if result.problems:
        raise SheetError(result.problems)
    return list(result.rows)


def read_scores_file(path: str | Path) -> ScoresImport:
    path = Path(path)
    good, problems = _read_sheet(path, SCORES_HEADERS, SCORES_OPTIONAL, SCORES_PARSERS)
    rows: list[ScoreRow] = []
    seen: dict[str, int] = {}
    for r, v in good:
        code = v["镇街编码"]
        if code in seen:
            problems.append(
                Problem(
                    path.name,
                    f"镇街编码 {code} 重复，已在第{seen[code]}行出现",
                    r,
                    v["_columns"]["镇街编码"],
                    "镇街编码",
                )
            )
            continue
        seen[code] = r
        rows.append(ScoreRow(code, v["镇街名称"], v.get("网格数"), v["考核得分"]))
    return ScoresImport(tuple(rows), tuple(problems))


def load_scores(path: str | Path) -> list[ScoreRow]:
    result = read_scores_file(path)
    if result.problems:
        raise SheetError(result.problems)
    return list(result.rows)
