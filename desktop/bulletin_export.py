"""The weekly bulletin's files (周通报), written the same way by `griddesk report bulletin` and by the
reports panel: the Excel workbook (reports/bulletin.py) and the one-page PDF with the charts
(widgets/kpi/bulletin_pdf.py, drawn by Qt).

Both files go to hidden temporary files beside their targets first and are renamed onto the
targets only once both are written, so a failure or a cancel leaves neither behind, and an
existing file of the same name untouched. In the panel this runs on a worker thread (QPainter on
a QPdfWriter may be used off the GUI thread); the CLI starts an offscreen QApplication first.
"""

from __future__ import annotations

import dataclasses as dc
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.kpi.trends import Bulletin
from models.policy import Policy
from reports.bulletin import write_bulletin_workbook

WORKBOOK, PDF = "workbook", "pdf"  # the steps reported to `progress` (fraction, step)
_APP: Any = None  # the offscreen application of a CLI process, kept alive while it runs


@dc.dataclass(frozen=True)
class BulletinFiles:
    workbook: Path
    pdf: Path | None


def pdf_path_for(workbook: str | os.PathLike[str]) -> Path:
    """The PDF the panel writes beside `workbook`: the same name ending in .pdf."""
    return Path(workbook).with_suffix(".pdf")


def ensure_qt_app() -> None:
    """Start an offscreen Qt application when none runs (the CLI); the PDF is drawn by Qt.

    A QApplication, not a bare QGuiApplication: the CLI also runs in-process (scripts, tests), and
    a process whose application cannot hold widgets aborts at the first widget made after it.
    Call on the main thread, before any worker draws."""
    global _APP
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    if QCoreApplication.instance() is None:
        _APP = QApplication(["griddesk-bulletin", "-platform", "offscreen"])


def write_bulletin_files(bulletin: Bulletin, workbook: str | os.PathLike[str], pdf: str | os.PathLike[str] | None,
                         policy: Policy | None, source: str, *,
                         progress: Callable[[float, str], None] | None = None,
                         check: Callable[[], None] | None = None) -> BulletinFiles:
    """Write the workbook and (unless `pdf` is None) the PDF of `bulletin`, both or neither.

    `progress(fraction, step)` is told each step (`WORKBOOK`, `PDF`); `check()` is called between the steps
    and before the files are renamed into place — it raises to stop (a cancel), and then no file is left.
    A missing output directory raises FileNotFoundError, the two targets being the same file ValueError.
    """
    targets = [Path(workbook)] + ([Path(pdf)] if pdf is not None else [])
    for target in targets:
        if not target.parent.is_dir():
            raise FileNotFoundError(f"输出目录不存在：{target.parent}")
        if target.is_dir():
            raise IsADirectoryError(f"输出路径是一个文件夹：{target}")
    if len(targets) == 2 and targets[0].resolve() == targets[1].resolve():
        raise ValueError(f"Excel 与 PDF 不能是同一个文件：{targets[0]}")
    tag = uuid.uuid4().hex[:8]
    temps = [t.with_name(f".{t.name}.{tag}.part") for t in targets]
    tell = progress or (lambda fraction, step: None)
    stop = check or (lambda: None)
    try:
        tell(0.1, WORKBOOK)
        write_bulletin_workbook(bulletin, temps[0], policy, source)
        stop()
        if pdf is not None:
            tell(0.5, PDF)
            from widgets.kpi.bulletin_pdf import write_bulletin_pdf

            write_bulletin_pdf(bulletin, temps[1])
            stop()
        for tmp, target in zip(temps, targets):
            if target.exists():  # keep the permissions of the file replaced
                os.chmod(tmp, target.stat().st_mode & 0o777)
        for tmp, target in zip(temps, targets):
            os.replace(tmp, target)
        tell(1.0, "")
        return BulletinFiles(targets[0], targets[1] if pdf is not None else None)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)


__all__ = ["PDF", "WORKBOOK", "BulletinFiles", "ensure_qt_app", "pdf_path_for", "write_bulletin_files"]
