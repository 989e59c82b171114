"""Shared pieces of the importers: problems, the failure, the summary, column
declarations and cell conversion.

A table row is any mapping keyed by the Chinese column header. Rows read from a
file are `Record`s, which also carry their sheet row number (header = row 1);
plain dicts count from row 2 in list order, as if a header stood on row 1.

Every problem has a stable `reason` code (the keys of `REASONS`) so that tests,
the CLI and a GUI dialog can tell problems apart; `detail` names the offending
value for people.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CellError",
    "Column",
    "ImportFailed",
    "ImportSummary",
    "Problem",
    "REASONS",
    "Record",
    "RowReader",
    "check_columns",
    "chunked",
    "convert_cell",
    "is_blank",
    "row_number",
]

# reason code -> (中文, English)
REASONS: dict[str, tuple[str, str]] = {
    # files and sheets
    "file_not_found": ("文件不存在", "file not found"),
    "bad_extension": ("不支持的文件类型", "unsupported file type"),
    "legacy_xls": ("不支持旧版 .xls, 请另存为 .xlsx", "old .xls workbooks are not supported, save as .xlsx"),
    "not_workbook": ("不是有效的 Excel 工作簿或文件已损坏", "not an Excel workbook, or the file is damaged"),
    "bad_encoding": ("文件编码无法识别", "cannot decode the file"),
    "bad_csv": ("CSV 格式错误", "malformed CSV"),
    "empty_sheet": ("工作表为空(第 1 行应为表头)", "the sheet is empty (row 1 must hold the headers)"),
    "no_rows": ("没有数据行", "no data rows"),
    "missing_header": ("缺少必需的列", "required column missing"),
    "unknown_header": ("未知的列", "unknown column"),
    "duplicate_header": ("列名重复", "column appears twice"),
    "unnamed_column": ("有数据但没有列名", "column has data but no header"),
    # cells
    "blank": ("必填项为空", "required cell is empty"),
    "wrong_type": ("单元格类型错误", "cell has the wrong type"),
    "bad_date": ("日期无效", "invalid date"),
    "cell_error": ("单元格含公式错误值", "cell holds a formula error"),
    "too_long": ("内容过长", "text too long"),
    "future_date": ("日期晚于今天", "date is in the future"),
    "not_positive": ("必须是正数", "must be a positive number"),
    "duplicate_in_file": ("文件内重复", "duplicate within the file"),
    # staff
    "unknown_role": ("未知角色", "unknown role"),
    "bad_grid_code": ("网格编码格式错误", "malformed grid code"),
    "unknown_grid": ("网格不存在(无现行版本)", "no current grid with this code"),
    "bad_phone": ("手机号应为 1 开头的 11 位数字", "mobile number must be 11 digits starting with 1"),
    "team_role_taken": ("该网格已有此角色(每格限一名网格长、一名指导员)",
                        "grid already has this role (one leader and one guide per grid)"),
    "left_before_hire": ("离职日期早于入职日期", "leaving date before hire date"),
    # dictionary
    "bad_major_code": ("大类编码应为 2 位数字", "major class code must be 2 digits"),
    "bad_minor_code": ("小类编码应为 4 位数字", "minor class code must be 4 digits"),
    "minor_outside_major": ("小类编码应以大类编码开头", "minor class code must start with its major code"),
    "major_name_conflict": ("同一大类编码有不同名称", "one major code with different names"),
    "major_kind_conflict": ("同一大类有不同类型", "one major class with different types"),
    "duplicate_minor_name": ("同一大类下小类名称重复", "minor class name repeated within its major class"),
    "unknown_kind": ("未知类型(部件/事件/全科)", "unknown type (部件/事件/全科)"),
    "unknown_unit": ("未知时限单位(紧急工作时/工作时/工作日/自然日)", "unknown time unit"),
    "unknown_level": ("未知处置层级(网格/村社/镇街/区)", "unknown handling level"),
    "unknown_department": ("责任部门不存在", "no such department"),
    "ambiguous_department": ("部门名称对应多个部门, 请填写部门编码", "department name is ambiguous, give its code"),
    # grids
    "invalid_feature": ("要素无效", "invalid feature"),
    "district_mismatch": ("区县编码与库中已有区县不同", "district code differs from the existing district"),
    "town_name_conflict": ("镇街名称与已有名称不一致", "town name differs from the existing/other name"),
    "village_name_conflict": ("村社名称与已有名称不一致", "village name differs from the existing/other name"),
    "missing_town_name": ("新镇街需要名称(town/镇街)", "a new town needs a name (town/镇街)"),
    "missing_village_name": ("新村社需要名称(village/村社)", "a new village needs a name (village/村社)"),
    "overlaps_existing": ("与库中现有网格重叠", "overlaps an existing current grid"),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import file.

    `where`: the sheet row number (header = 1, first data row = 2) for tables,
    the 0-based index into `features` for GeoJSON, None for the whole file.
    `column`: the header or property concerned, None for the whole row/feature.
    """

    where: int | None
    column: str | None
    reason: str
    detail: str = ""

    def message(self) -> str:
        zh, en = REASONS.get(self.reason, (self.reason, self.reason))
        text = f"{zh} / {en}"
        return f"{text}: {self.detail}" if self.detail else text

    def sort_key(self) -> tuple[int, int]:
        return (0, 0) if self.where is None else (1, self.where)


class ImportFailed(Exception):
    """The import was refused; `problems` lists every problem found (nothing was written)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(problems, key=Problem.sort_key)
        first = self.problems[0].message() if self.problems else "no problems"
        super().__init__(f"{len(self.problems)} problem(s); first: {first}")


@dataclass
class ImportSummary:
    """What an import did (or, on a dry run, would do)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    created: dict[str, int] = field(default_factory=dict)  # e.g. {"town": 2} for admin units made on the way
    dry_run: bool = False

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged


class Record(dict):
    """One table row keyed by header, remembering its sheet row number."""

    def __init__(self, data: Mapping[str, Any], row: int) -> None:
        super().__init__(data)
        self.row = row


def row_number(record: Mapping[str, Any], index: int) -> int:
    """The sheet row of `record`, the `index`-th data row (plain dicts: index + 2)."""
    row = getattr(record, "row", None)
    return row if isinstance(row, int) else index + 2


# --- columns and cells ------------------------------------------------------

KINDS = ("text", "code", "int", "number", "date")


@dataclass(frozen=True)
class Column:
    """One column of an import table, declared as data (README tables come from it too).

    kind: text | code (digits kept as text; a numeric cell is zero-padded to
    `width`) | int | number | date.  `required`: the header must be present;
    `blank_ok`: the cell may be empty.
    """

    header: str
    kind: str = "text"
    required: bool = True
    blank_ok: bool = False
    width: int | None = None
    max_length: int | None = None
    fmt: str = ""  # format, for people
    example: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


class CellError(ValueError):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


_EXCEL_ERRORS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!",
                           "#GETTING_DATA", "#SPILL!", "#CALC!"})
_DATE_TEXT = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
)
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 (after Excel's 1900 leap-year bug)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_text(value: str) -> str:
    # full-width blanks and non-breaking spaces are common in hand-typed sheets
    return value.replace("\u3000", " ").replace("\xa0", " ").strip()


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def convert_cell(value: Any, column: Column) -> Any:
    """`value` as the column's kind, or CellError. Blank cells give None (not checked here)."""
    if isinstance(value, str):
        value = _clean_text(value)
        if value.upper() in _EXCEL_ERRORS:
            raise CellError("cell_error", value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError("wrong_type", f"expected {column.kind}, got TRUE/FALSE")
    kind = column.kind
    if kind == "date":
        out: Any = _to_date(value)
    elif kind == "text":
        if isinstance(value, (dt.date, dt.datetime, dt.time)):
            raise CellError("wrong_type", f"expected text, got a date {value}")
        out = _number_text(value) if isinstance(value, (int, float)) else str(value)
    elif kind == "code":
        out = _to_code(value, column.width)
    elif kind == "int":
        out = _to_int(value)
    else:
        out = _to_number(value)
    if column.max_length is not None and isinstance(out, str) and len(out) > column.max_length:
        raise CellError("too_long", f"{len(out)} > {column.max_length} characters")
    return out


def _to_code(value: Any, width: int | None) -> str:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        raise CellError("wrong_type", f"expected a code, got a date {value}")
    if isinstance(value, float):
        if not value.is_integer() or not math.isfinite(value):
            raise CellError("wrong_type", f"expected a code, got the number {value}")
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        return text.zfill(width) if width and value >= 0 else text
    return unicodedata.normalize("NFKC", str(value)).strip()


def _to_int(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError("wrong_type", f"expected a whole number, got {value}")
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).replace(",", "").strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
    raise CellError("wrong_type", f"expected a whole number, got {value!r}")


def _to_number(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        out = float(value)
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).replace(",", "").strip()
        try:
            out = float(text)
        except ValueError:
            raise CellError("wrong_type", f"expected a number, got {value!r}") from None
    else:
        raise CellError("wrong_type", f"expected a number, got {value!r}")
    if not math.isfinite(out):
        raise CellError("wrong_type", f"expected a number, got {value!r}")
    return out


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        # an Excel serial day number whose cell lost its date format
        if 1 <= value < 2958466 and float(value).is_integer():
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise CellError("wrong_type", f"expected a date, got the number {value}")
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        for pattern in _DATE_TEXT:
            m = pattern.fullmatch(text)
            if m:
                try:
                    return dt.date(int(m[1]), int(m[2]), int(m[3]))
                except ValueError:
                    raise CellError("bad_date", text) from None
        raise CellError("bad_date", f"{text!r} (use YYYY-MM-DD or YYYY/MM/DD)")
    raise CellError("wrong_type", f"expected a date, got {value!r}")


class RowReader:
    """Reads the cells of one row by column, collecting problems instead of raising."""

    def __init__(self, record: Mapping[str, Any], where: int, problems: list[Problem],
                 absent: set[str] | frozenset[str] = frozenset()) -> None:
        self.record = record
        self.where = where
        self.problems = problems
        self.absent = absent  # columns missing from the whole file: reported once, not per row
        self.bad: set[str] = set()

    def get(self, column: Column) -> Any:
        """The converted cell; None when blank or bad (a problem is recorded)."""
        raw = self.record.get(column.header)
        try:
            value = convert_cell(raw, column)
        except CellError as exc:
            self.fail(column.header, exc.reason, exc.detail)
            return None
        if value is None and not column.blank_ok and column.header not in self.absent:
            self.fail(column.header, "blank")
        return value

    def fail(self, column: str | None, reason: str, detail: str = "") -> None:
        if column is not None:
            self.bad.add(column)
        self.problems.append(Problem(self.where, column, reason, detail))


def check_columns(records: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> tuple[list[Problem], set[str]]:
    """Header problems of rows given as mappings: unknown keys, and required columns
    no row has (returned as the set to skip, so each is reported once, not per row)."""
    known = {c.header for c in columns}
    present: set[str] = set()
    out: list[Problem] = []
    for record in records:
        for key in record:
            if key not in present:
                present.add(key)
                if key not in known:
                    out.append(Problem(1, key, "unknown_header"))
    missing = {c.header for c in columns if c.required and c.header not in present}
    out.extend(Problem(1, c.header, "missing_header") for c in columns if c.header in missing)
    return out, missing


def chunked(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
