"""The weekly bulletin (周通报) as one printable A4 page: indicators against last week, the daily
trend, per-step on-time rates, town and department rankings with grades, top classes and the
overdue distribution. Drawn in vector with QPainter on a QPdfWriter (needs a QGuiApplication,
e.g. offscreen), so it prints sharp; `render_bulletin_image` draws the same page into an image.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen

from models.kpi.trends import Bulletin
from reports.bulletin import TITLE, bulletin_rows, week_text
from reports.workbook import atomic_path
from widgets.kpi.theme import BUCKET_TEXT, OFFICE, font
from widgets.labels import step as step_text

PAGE_W, PAGE_H = 794.0, 1123.0  # the page is drawn on A4 at 96 units per inch
MARGIN = 36.0
INK, MUTED, RULE = QColor(OFFICE.text), QColor(OFFICE.muted), QColor("#c9d1dc")
PDF_INDICATORS = ("reported", "filed", "closed", "due_to_close", "closure_rate", "on_time_closure_rate",
                  "grassroots_resolution_rate", "rework_rate", "handle_on_time_rate", "mean_handle_hours",
                  "region_score", "duty_week_rate")


def write_bulletin_pdf(b: Bulletin, path: str | os.PathLike[str]) -> Path:
    """Write the one-page PDF to `path` (atomically: a temporary file renamed at the end)."""
    with atomic_path(path) as tmp:
        writer = QPdfWriter(str(tmp))
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                         QMarginsF(0, 0, 0, 0)))
        writer.setResolution(300)
        writer.setTitle(f"{b.district}{TITLE} {b.week}")
        writer.setCreator("GridDesk")
        painter = QPainter(writer)
        try:
            scale = writer.width() / PAGE_W
            painter.scale(scale, scale)
            paint_bulletin(painter, b)
        finally:
            painter.end()
    return Path(path)


def render_bulletin_image(b: Bulletin, width: int = 1240) -> QImage:
    """The same page as an image (previews, the README)."""
    height = round(width * PAGE_H / PAGE_W)
    img = QImage(width, height, QImage.Format.Format_RGB32)
    img.fill(QColor("white"))
    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.scale(width / PAGE_W, width / PAGE_W)
    paint_bulletin(painter, b)
    painter.end()
    return img


# --- the page ----------------------------------------------------------------------------------------------------
def paint_bulletin(p: QPainter, b: Bulletin) -> None:
    left, right = MARGIN, PAGE_W - MARGIN
    width = right - left
    _text(p, QRectF(left, 30, width, 30), f"{b.district}{TITLE}", 22, bold=True, align=Qt.AlignmentFlag.AlignCenter)
    score = b.kpi.get("region_score")
    grade = b.kpi.get("region_grade") or ""
    sub = (f"{week_text(b)}　统计时刻 {b.asof:%Y-%m-%d %H:%M}　区域综合指标值 "
           f"{'—' if score is None else f'{score:.2f}'} {grade}")
    _text(p, QRectF(left, 62, width, 18), sub, 10.5, colour=MUTED, align=Qt.AlignmentFlag.AlignCenter)
    _rule(p, left, right, 88)

    half = (width - 16) / 2
    _indicator_table(p, QRectF(left, 98, half, 292), b)
    rx = left + half + 16
    days = [f"{d.month}-{d.day}" for d in b.trend.days]
    _vbars(p, QRectF(rx, 98, half, 140), "每日上报与结案（本周立案中已结）", days,
           [("上报", list(b.trend.reported), QColor(OFFICE.reported)),
            ("已结案", list(b.trend.closed), QColor(OFFICE.closed))], percent=False)
    rates = [(s.rate or 0.0) * 100 for s in b.steps]
    _vbars(p, QRectF(rx, 248, half, 142), "各环节按时率（%）", [step_text(s.step) for s in b.steps],
           [("按时率", rates, QColor(OFFICE.accent))], percent=True,
           texts=[["—" if s.rate is None else f"{s.rate * 100:.1f}" for s in b.steps]])
    _rule(p, left, right, 400)

    towns = [(f"{r.rank or '—'}. {r.name}", r.score, r.grade) for r in b.towns]
    _ranking(p, QRectF(left, 408, half, 282), "镇街综合评价排名", towns)
    depts = [(f"{r.rank or '—'}. {r.name}", r.score, r.grade) for r in b.departments][:12]
    _ranking(p, QRectF(rx, 408, half, 282), "部门评价排名（前12）", depts)
    _rule(p, left, right, 698)

    classes = [(c.name, float(c.count), f"{c.count:,}") for c in b.classes]
    _hbars(p, QRectF(left, 706, half, 250), "高发类别 Top10（本周上报）", classes, QColor(OFFICE.bar))
    closed = list(b.overdue.closed)
    total = sum(closed) or 1
    _vbars(p, QRectF(rx, 706, half, 250), "本周立案已结案件超时倍数分布（%）", list(BUCKET_TEXT),
           [("已结案", [100 * n / total for n in closed], QColor(OFFICE.closed))], percent=True,
           texts=[[f"{n:,}" for n in closed]])
    _rule(p, left, right, 966)

    notes = (
        "口径：本周（周一至周日）立案的案件按统计时刻的状态计算；上报数按上报时间。结案率 = 结案数/应结案数，"
        "应结案数 = 已结案 + 结案期限已到未结（挂账除外）；按期结案率 = 期限内结案数/应结案数。",
        "区域综合指标值 = 监督举报率10% + 立案数分档20% + 结案率30% + 按期结案率40%，A≥90 B≥75 C≥60 D≥40；"
        "部门评价 = 结案率40% + 按时处置率40% + (1−返工率)20%。",
        "超时倍数 = 从立案到结案所用时间 / 结案时限（按该类案件时限单位和工作日历计），≤1倍即按期。"
        "上周同期 = 上周立案案件按早一周的同一时刻统计。",
    )
    y = 972.0
    for line in notes:
        r = _text(p, QRectF(left, y, width, 40), line, 8.2, colour=MUTED, wrap=True)
        y += r.height() + 3
    _text(p, QRectF(left, PAGE_H - 34, width, 14), f"GridDesk 生成于 {dt.datetime.now():%Y-%m-%d %H:%M}",
          8, colour=MUTED)
    _text(p, QRectF(left, PAGE_H - 34, width, 14), "第 1 页，共 1 页", 8, colour=MUTED,
          align=Qt.AlignmentFlag.AlignRight)


# --- drawing helpers ---------------------------------------------------------------------------------------------
def _text(p: QPainter, rect: QRectF, s: str, px: float, *, bold: bool = False, colour: QColor = INK,
          align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft, wrap: bool = False) -> QRectF:
    p.setFont(font(max(1, round(px)), bold))  # pixel sizes of the 96-per-inch page, scaled with the painter
    p.setPen(colour)
    flags = int(align | Qt.AlignmentFlag.AlignVCenter) if not wrap else int(align | Qt.TextFlag.TextWordWrap)
    bound = p.boundingRect(rect, flags, s)
    p.drawText(rect, flags, s)
    return bound


def _rule(p: QPainter, x0: float, x1: float, y: float) -> None:
    p.setPen(QPen(RULE, 0.8))
    p.drawLine(x0, y, x1, y)


def _title(p: QPainter, rect: QRectF, title: str) -> QRectF:
    _text(p, QRectF(rect.left(), rect.top(), rect.width(), 18), title, 12, bold=True)
    return QRectF(rect.left(), rect.top() + 22, rect.width(), rect.height() - 22)


def _fmt(kind: str, v: object) -> str:
    if v is None:
        return "—"
    if kind == "percent":
        return f"{float(v) * 100:.1f}%"
    if kind in ("score", "hours"):
        return f"{float(v):.2f}"
    if kind == "int":
        return f"{int(v):,}"
    return str(v)


def _change(kind: str, v: object) -> str:
    if v is None:
        return "—"
    if kind == "percent":
        return f"{float(v) * 100:+.1f}个百分点"
    if kind in ("score", "hours"):
        return f"{float(v):+.2f}"
    return f"{int(v):+,}"


def _indicator_table(p: QPainter, rect: QRectF, b: Bulletin) -> None:
    body = _title(p, rect, "主要指标")
    rows = [r for r in bulletin_rows(b)[0] if r.key in PDF_INDICATORS]
    rows.sort(key=lambda r: PDF_INDICATORS.index(r.key))
    cols = [0.40, 0.18, 0.18, 0.24]
    xs = [body.left()]
    for c in cols:
        xs.append(xs[-1] + c * body.width())
    row_h = min(20.0, (body.height() - 22) / max(len(rows), 1))
    y = body.top()
    header = ("指标", "本周", "上周同期", "变化")
    p.fillRect(QRectF(body.left(), y, body.width(), 20), QColor("#e8eef6"))
    for i, h in enumerate(header):
        _text(p, QRectF(xs[i] + 4, y, xs[i + 1] - xs[i] - 8, 20), h, 10, bold=True,
              align=Qt.AlignmentFlag.AlignLeft if i == 0 else Qt.AlignmentFlag.AlignRight)
    y += 22
    for n, r in enumerate(rows):
        if n % 2:
            p.fillRect(QRectF(body.left(), y, body.width(), row_h), QColor("#f5f7fa"))
        cells = (r.label, _fmt(r.kind, r.this_week), _fmt(r.kind, r.last_week), _change(r.kind, r.change))
        for i, c in enumerate(cells):
            _text(p, QRectF(xs[i] + 4, y, xs[i + 1] - xs[i] - 8, row_h), c, 9.5,
                  align=Qt.AlignmentFlag.AlignLeft if i == 0 else Qt.AlignmentFlag.AlignRight)
        y += row_h


def _hbars(p: QPainter, rect: QRectF, title: str, rows: Sequence[tuple[str, float, str]], colour: QColor,
           vmax: float | None = None, colours: Sequence[QColor] | None = None,
           tails: Sequence[tuple[str, QColor]] | None = None) -> None:
    body = _title(p, rect, title)
    if not rows:
        _text(p, body, "暂无数据", 10, colour=MUTED, align=Qt.AlignmentFlag.AlignCenter)
        return
    label_w = body.width() * 0.36
    value_w = 54.0
    bar_x = body.left() + label_w + 4
    bar_w = body.width() - label_w - value_w - 8
    top = vmax or max([v for _, v, _ in rows] + [1.0])
    h = min(22.0, body.height() / len(rows))
    for i, (label, value, text) in enumerate(rows):
        y = body.top() + i * h
        _text(p, QRectF(body.left(), y, label_w, h), label, min(10, h * 0.55), align=Qt.AlignmentFlag.AlignRight)
        p.fillRect(QRectF(bar_x, y + h * 0.18, max(bar_w * (value or 0) / top, 0.5), h * 0.64),
                   colours[i] if colours else colour)
        end = bar_x + bar_w * (value or 0) / top + 4
        _text(p, QRectF(end, y, value_w, h), text, min(9.5, h * 0.55))
        if tails:
            tail, c = tails[i]
            _text(p, QRectF(end + 30, y, 20, h), tail, min(10, h * 0.6), bold=True, colour=c)


def _ranking(p: QPainter, rect: QRectF, title: str, rows: Sequence[tuple[str, float | None, str | None]]) -> None:
    grades = OFFICE.grades
    colours = [QColor(grades.get(g or "", OFFICE.muted)) for _, _, g in rows]
    _hbars(p, rect, title, [(n, s or 0.0, "—" if s is None else f"{s:.1f}") for n, s, _ in rows],
           QColor(OFFICE.bar), vmax=100.0, colours=colours,
           tails=[(g or "", c) for (_, _, g), c in zip(rows, colours)])


def _vbars(p: QPainter, rect: QRectF, title: str, cats: Sequence[str],
           series: Sequence[tuple[str, Sequence[float], QColor]], *, percent: bool,
           texts: Sequence[Sequence[str]] | None = None) -> None:
    body = _title(p, rect, title)
    if len(series) > 1:  # legend right of the title
        x = rect.right()
        for name, _, c in reversed(series):
            w = 14 + 11 * len(name)
            x -= w
            p.fillRect(QRectF(x, rect.top() + 5, 9, 9), c)
            _text(p, QRectF(x + 12, rect.top(), w - 12, 18), name, 9, colour=MUTED)
    if not cats:
        _text(p, body, "暂无数据", 10, colour=MUTED, align=Qt.AlignmentFlag.AlignCenter)
        return
    axis_h = 16.0
    plot = QRectF(body.left() + 4, body.top() + 12, body.width() - 8, body.height() - axis_h - 12)
    top = 100.0 if percent else max([v for _, vals, _ in series for v in vals] + [1.0]) * 1.1
    p.setPen(QPen(RULE, 0.6))
    p.drawLine(plot.left(), plot.bottom(), plot.right(), plot.bottom())
    slot = plot.width() / len(cats)
    k = len(series)
    bw = slot * 0.7 / k
    for i, cat in enumerate(cats):
        x0 = plot.left() + i * slot + slot * 0.15
        for j, (_, vals, c) in enumerate(series):
            v = vals[i] if i < len(vals) else 0.0
            hh = plot.height() * (v or 0) / top
            bar = QRectF(x0 + j * bw, plot.bottom() - hh, bw * 0.92, hh)
            p.fillRect(bar, c)
            label = texts[j][i] if texts else f"{v:,.0f}"
            _text(p, QRectF(bar.left() - 10, bar.top() - 13, bar.width() + 20, 12), label, 7.5,
                  align=Qt.AlignmentFlag.AlignCenter)
        _text(p, QRectF(plot.left() + i * slot, plot.bottom() + 2, slot, axis_h - 2), cat, 8.5, colour=MUTED,
              align=Qt.AlignmentFlag.AlignCenter)


def fake_bulletin() -> Bulletin:
    """A CLEARLY FAKE bulletin for the demo ("假镇", "演示区")."""
    from types import MappingProxyType

    from models.kpi.trends import ClassBar, DailySeries, Duty, OverdueHistogram, RankRow, StepRate, iso_week

    period = iso_week("2026-W02")
    days = tuple(period.date_from + dt.timedelta(days=i) for i in range(7))
    kpi = {"reported": 812, "filed": 790, "voided": 22, "closed": 744, "due_to_close": 760, "closed_on_time": 720,
           "closure_rate": 0.9789, "on_time_closure_rate": 0.9474, "grassroots_resolution_rate": 0.9651,
           "rework_rate": 0.021, "handle_on_time_rate": 0.951, "mean_handle_hours": 21.4, "region_score": 93.12,
           "region_grade": "A"}
    prev = {k: (v * 0.98 if isinstance(v, float) else v - 7 if isinstance(v, int) else v) for k, v in kpi.items()}
    towns = tuple(RankRow("town", i, f"F{i}", f"假镇{i}（演示）", s, g, i, MappingProxyType({}))
                  for i, (s, g) in enumerate([(96.1, "A"), (91.0, "A"), (84.5, "B"), (77.0, "B"), (66.2, "C"),
                                              (48.0, "D"), (35.5, "E")], start=1))
    depts = tuple(RankRow("department", i, f"D{i}", f"假部门{i}", 99 - 3 * i, "A" if i < 4 else "B", i,
                          MappingProxyType({})) for i in range(1, 7))
    return Bulletin("2026-W02", period, dt.datetime(2026, 1, 12, 9, 0), "演示区（假数据）", MappingProxyType(kpi),
                    MappingProxyType(prev), towns, depts,
                    DailySeries(days, (130, 125, 140, 118, 122, 90, 87), (128, 120, 137, 115, 120, 88, 82),
                                (120, 117, 130, 110, 112, 80, 75), (200, 190, 185, 180, 178, 170, 160)),
                    tuple(ClassBar(f"9{i:03d}", f"假类别{i}", 120 // i) for i in range(1, 11)),
                    OverdueHistogram((150, 9, 4, 2, 1), (700, 25, 12, 6, 1)),
                    tuple(StepRate(s, r, 2) for s, r in zip(("verify", "accept", "dispatch", "handle", "check"),
                                                            (0.71, 0.98, 0.96, 0.95, 0.97))),
                    Duty(100, 60, 62, 80, 78))


def _demo() -> int:  # pragma: no cover - run by hand or by the demo test
    import argparse
    import tempfile

    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QPixmap
    from PySide6.QtWidgets import QApplication, QLabel, QScrollArea

    parser = argparse.ArgumentParser(description="Weekly bulletin PDF demo (FAKE data)")
    parser.add_argument("--quit-after", type=int, metavar="MS")
    parser.add_argument("-o", "--output", help="PDF file (default: a temporary file)")
    opts = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    b = fake_bulletin()
    out = opts.output or os.path.join(tempfile.mkdtemp(prefix="griddesk-bulletin-"), "bulletin_demo.pdf")
    write_bulletin_pdf(b, out)
    print("wrote", out)
    view = QScrollArea()
    label = QLabel()
    label.setPixmap(QPixmap.fromImage(render_bulletin_image(b, 900)))
    view.setWidget(label)
    view.setWindowTitle("周通报演示（假数据 / fake data）")
    view.resize(940, 1000)
    view.show()
    if opts.quit_after:
        QTimer.singleShot(opts.quit_after, app.quit)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(_demo())
