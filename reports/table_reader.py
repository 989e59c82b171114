"""Reading import tables: the first sheet of an .xlsx, or a CSV file.

Row 1 holds the Chinese headers; each later non-empty row becomes a `Record`
(a dict keyed by header, plus its sheet row number). Columns are declared as
data (`models.importers.common.Column`): which headers are required, the kind
of each cell. Every problem is collected — missing/unknown/duplicate headers,
an empty sheet, a file that is not a workbook, wrong extension, cells of the
wrong type — with row number and header; nothing raises for bad input.

Cells are converted to the column's kind (text, code, int, number, date); a
cell that fails conversion keeps its raw value in the record, so an importer
that re-checks it reports the same problem (callers merge with `merge_problems`).

CSV: comma-separated, UTF-8 with or without BOM. A file that is not UTF-8 is
decoded as GB18030 (a superset of GBK, what Excel on Chinese Windows writes for
"CSV (逗号分隔)"); `Table.encoding` says which was used. A wrong guess shows up
as unknown headers. UTF-16 files are refused with a clear problem.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.importers.common import CellError, Column, Problem, Record, convert_cell, is_blank

__all__ = ["Table", "merge_problems", "read_csv", "read_table", "read_xlsx"]

XLSX_EXTENSIONS = (".xlsx", ".xlsm")
CSV_EXTENSIONS = (".csv",)


@dataclass
class Table:
    rows: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)  # as found, in sheet order
    encoding: str | None = None  # CSV only

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def fatal(self) -> bool:
        """True when the file could not be read as a table at all (no usable rows)."""
        return any(p.where is None and p.column is None for p in self.problems)


def read_table(path: str | Path, columns: Sequence[Column]) -> Table:
    """Read `path` by its extension (.xlsx/.xlsm or .csv)."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext in XLSX_EXTENSIONS:
        return read_xlsx(path, columns)
    if ext in CSV_EXTENSIONS:
        return read_csv(path, columns)
    if ext == ".xls":
        return Table(problems=[Problem(None, None, "legacy_xls", path.name)])
    return Table(problems=[Problem(None, None, "bad_extension", f"{path.name} (use .xlsx or .csv)")])


def read_xlsx(path: str | Path, columns: Sequence[Column]) -> Table:
    """The first sheet of an .xlsx workbook (read-only, cached formula values)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    if not path.is_file():
        return Table(problems=[Problem(None, None, "file_not_found", str(path))])
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as exc:
        return Table(problems=[Problem(None, None, "not_workbook", f"{path.name}: {exc}")])
    try:
        if not wb.worksheets:
            return Table(problems=[Problem(None, None, "empty_sheet", path.name)])
        ws = wb.worksheets[0]
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # some writers store a wrong <dimension>; read every row
        try:
            raw = [list(r) for r in ws.iter_rows(values_only=True)]
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
            return Table(problems=[Problem(None, None, "not_workbook", f"{path.name}: {exc}")])
    finally:
        wb.close()
    return _build(raw, columns)


def read_csv(path: str | Path, columns: Sequence[Column]) -> Table:
    """A comma-separated file, UTF-8 (BOM optional) or GB18030/GBK."""
    path = Path(path)
    if not path.is_file():
        return Table(problems=[Problem(None, None, "file_not_found", str(path))])
    data = path.read_bytes()
    text, encoding, problem = _decode(data)
    if problem is not None:
        return Table(problems=[problem])
    try:
        raw: list[list[Any]] = [list(r) for r in csv.reader(io.StringIO(text, newline=""), strict=True)]
    except csv.Error as exc:
        return Table(problems=[Problem(None, None, "bad_csv", str(exc))], encoding=encoding)
    table = _build(raw, columns)
    table.encoding = encoding
    return table


def _decode(data: bytes) -> tuple[str, str | None, Problem | None]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "", None, Problem(None, None, "bad_encoding", "UTF-16; save as CSV UTF-8 (逗号分隔)")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig", None
        except UnicodeDecodeError as exc:
            return "", None, Problem(None, None, "bad_encoding", f"UTF-8 BOM but invalid UTF-8: {exc}")
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030", None
    except UnicodeDecodeError as exc:
        return "", None, Problem(None, None, "bad_encoding", f"neither UTF-8 nor GBK/GB18030: {exc}")


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).replace("\u3000", " ").replace("\xa0", " ").strip()
    return text.strip("*＊").strip()  # "*工号" marks a required column in many templates


def _build(raw: list[list[Any]], columns: Sequence[Column]) -> Table:
    table = Table()
    problems = table.problems
    # drop trailing empty rows; a sheet of blanks is empty
    while raw and all(is_blank(v) for v in raw[-1]):
        raw.pop()
    if not raw or all(is_blank(v) for v in raw[0]):
        problems.append(Problem(None, None, "empty_sheet"))
        return table
    by_header = {c.header: c for c in columns}
    width = max(len(r) for r in raw)
    header_row = [_header_text(v) for v in raw[0]] + [""] * (width - len(raw[0]))
    table.headers = [h for h in header_row if h]
    positions: dict[str, int] = {}
    for i, header in enumerate(header_row):
        if not header:
            if any(i < len(r) and not is_blank(r[i]) for r in raw[1:]):
                problems.append(Problem(1, None, "unnamed_column", f"column {_letter(i)}"))
            continue
        if header in positions:
            detail = f"columns {_letter(positions[header])} and {_letter(i)}"
            problems.append(Problem(1, header, "duplicate_header", detail))
        elif header not in by_header:
            problems.append(Problem(1, header, "unknown_header", f"column {_letter(i)}"))
        else:
            positions[header] = i
    for column in columns:
        if column.required and column.header not in positions:
            problems.append(Problem(1, column.header, "missing_header"))
    body = raw[1:]
    if not any(not all(is_blank(v) for v in r) for r in body):
        problems.append(Problem(None, None, "no_rows"))
        return table
    for offset, cells in enumerate(body):
        if all(is_blank(v) for v in cells):
            continue  # blank line in the middle: skipped
        row = offset + 2
        data: dict[str, Any] = {}
        for header, i in positions.items():
            column = by_header[header]
            value = cells[i] if i < len(cells) else None
            try:
                converted = convert_cell(value, column)
            except CellError as exc:
                problems.append(Problem(row, header, exc.reason, exc.detail))
                data[header] = value
                continue
            if converted is None and not column.blank_ok:
                problems.append(Problem(row, header, "blank"))
            data[header] = converted
        table.rows.append(Record(data, row))
    return table


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def merge_problems(first: Sequence[Problem], second: Sequence[Problem]) -> list[Problem]:
    """`first` plus those of `second` not about a cell already reported in `first`."""
    cells = {(p.where, p.column) for p in first if p.where is not None and p.column is not None}
    seen = set(first)
    out = list(first)
    for p in second:
        if (p.where, p.column) in cells or p in seen:
            continue
        seen.add(p)
        out.append(p)
    return sorted(out, key=Problem.sort_key)
