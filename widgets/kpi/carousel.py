"""Fitting the KPI dashboard into whatever panel the video wall gives it — no scroll bars, nobody scrolls a wall.

`plan_wall` (pure) decides, for the panel's size, how large the tiles are, whether all ten show at once
or five at a time, and which charts share a page: at 3840×2160 everything shows at once as designed; at
1920×1080 the pages rotate, which is how command-centre walls show more than fits. `ChartCarousel` holds
the charts (made once, by the dashboard) on those pages; `Rotator` turns the tile and chart pages together
every `ROTATE_MS` with one timer made once; `PageDots` is the small indicator of the page shown.

Rotating only hides and shows: no chart, plot item or timer is created or dropped, and every chart keeps
getting its data while hidden, so a page turns up with the latest numbers and nothing is rebuilt.
"""

from __future__ import annotations

import dataclasses as dc
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from PySide6.QtCore import QObject, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from widgets.kpi.theme import TILE_SCALES, Theme, TileFonts, tile_fonts

ROTATE_MS = 12_000  # each page of the wall is shown this long (command-centre walls turn every 10–15 s)

Row = tuple[tuple[str, int], ...]  # (chart key, stretch) from left to right
Page = tuple[tuple[int, Row], ...]  # (row stretch, row) from top to bottom

# the charts as designed: the trends over the breakdowns
NATURAL: Page = ((4, (("trend", 5), ("backlog", 3), ("steps", 3))),
                 (5, (("towns", 1), ("departments", 1), ("classes", 1), ("overdue", 1))))
# the least a chart needs to stay legible, in ems of the theme's tick font (17 px on the wall): seven
# date labels side by side under a trend, five "100.0%" labels over the step bars, the ranking names
# ("1. 区综合行政执法局") with bar and grade, ten bucket bars with their counts; and in height, a
# dozen ranking rows of 17 px one above the other under the chart's title
MIN_WIDTH_EM: Mapping[str, int] = {"trend": 28, "backlog": 26, "steps": 22, "towns": 20, "departments": 20,
                                   "classes": 20, "overdue": 24}
MIN_HEIGHT_EM = 14
GAP = 8  # between rows and charts


@dc.dataclass(frozen=True)
class WallPlan:
    tile_fonts: TileFonts
    tile_rows: int  # rows of tiles on screen at once (all of them, or one at a time)
    tile_height: int  # the board's height
    pages: tuple[Page, ...]  # the chart pages; one page: no rotation


def _fits(row: Row, width: int, em: int, gap: int) -> bool:
    room = width - gap * (len(row) - 1)
    total = sum(s for _, s in row)
    return all(room * s / total >= MIN_WIDTH_EM[key] * em for key, s in row)


def _pack(keys: Sequence[str], width: int, em: int, gap: int) -> list[Row]:
    """The charts in order, as many side by side as fit at their least widths; each then gets a share of
    the row in proportion to its least width."""
    rows: list[list[str]] = []
    used = 0
    for key in keys:
        need = MIN_WIDTH_EM[key] * em
        if rows and used + gap + need <= width:
            rows[-1].append(key)
            used += gap + need
        else:
            rows.append([key])
            used = need
    return [tuple((key, MIN_WIDTH_EM[key]) for key in row) for row in rows]


def chart_pages(width: int, height: int, em: int, gap: int = GAP,
                natural: Page = NATURAL) -> tuple[Page, ...] | None:
    """The chart pages for an area `width` × `height` (pure); None when not even one row of charts fits.

    Everything at once, as designed, when the designed rows fit; otherwise the charts, in their order, fill
    rows of as many as fit at their least widths, and the rows fill pages of as many rows as fit.
    """
    min_h = MIN_HEIGHT_EM * em
    if height < min_h:
        return None
    rows_fit = (height + gap) // (min_h + gap)
    if rows_fit >= len(natural) and all(_fits(row, width, em, gap) for _, row in natural):
        return (natural,)
    rows = _pack([key for _, row in natural for key, _ in row], width, em, gap)
    return tuple(tuple((1, r) for r in rows[i:i + rows_fit]) for i in range(0, len(rows), rows_fit))


def plan_wall(width: int, height: int, theme: Theme, *, tile_rows: int,
              tiles_fit: Callable[[TileFonts, int], bool], tiles_height: Callable[[TileFonts, int], int],
              gap: int = GAP) -> WallPlan:
    """How the tiles and charts share an area `width` × `height` (pure but for the two measures given).

    In order of preference: all tile rows at the largest size that fits (down to `TILE_FLOOR`) with at
    least one row of charts under them; else one row of tiles at a time, as large as fits; the tiles'
    texts must fit their columns, unless no size does (a very narrow panel: they are then shortened).
    """
    scales = [s for i, s in enumerate(TILE_SCALES)
              if i == 0 or tile_fonts(theme, s) != tile_fonts(theme, TILE_SCALES[i - 1])]
    for need_width in (True, False):
        for rows in range(tile_rows, 0, -1):
            for scale in scales:
                fonts = tile_fonts(theme, scale)
                if need_width and not tiles_fit(fonts, width):
                    continue
                board = tiles_height(fonts, rows)
                pages = chart_pages(width, height - board - gap, theme.tick_px, gap)
                if pages is not None:
                    return WallPlan(fonts, rows, board, pages)
    # a panel too small for anything legible: the smallest tiles, one chart a page, clipped
    fonts = tile_fonts(theme, 0.0)
    return WallPlan(fonts, 1, tiles_height(fonts, 1),
                    tuple(((1, ((key, 1),)),) for _, row in NATURAL for key, _ in row))


class Paged(Protocol):
    def page_count(self) -> int: ...

    def show_page(self, page: int) -> None: ...


class ChartCarousel(QStackedWidget):
    """The charts on pages, one page on screen. `set_pages` lays them out again only when the pages change
    (a resize across a threshold); turning pages (`show_page`) just raises another page."""

    def __init__(self, charts: Mapping[str, QWidget], gap: int = GAP, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._charts = dict(charts)
        self._gap = gap
        self._pages: tuple[Page, ...] = ()
        self.set_pages((NATURAL,))

    def pages(self) -> tuple[Page, ...]:
        return self._pages

    def set_pages(self, pages: Sequence[Page]) -> None:
        pages = tuple(pages)
        if pages == self._pages:
            return
        current = self.currentIndex()
        for chart in self._charts.values():  # out of the old pages before those go
            chart.setParent(self)
        while self.count():
            old = self.widget(0)
            self.removeWidget(old)
            old.deleteLater()
        for page in pages:
            holder = QWidget()
            col = QVBoxLayout(holder)
            col.setContentsMargins(0, 0, 0, 0)
            col.setSpacing(self._gap)
            for stretch, row in page:
                line = QHBoxLayout()
                line.setSpacing(self._gap)
                for key, s in row:
                    line.addWidget(self._charts[key], s)
                    self._charts[key].show()
                col.addLayout(line, stretch)
            self.addWidget(holder)
        self._pages = pages
        self.show_page(max(current, 0))

    def page_count(self) -> int:
        return max(1, self.count())

    def page(self) -> int:
        return max(0, self.currentIndex())

    def show_page(self, page: int) -> None:
        if self.count():
            self.setCurrentIndex(page % self.count())

    def keys_on_page(self, page: int | None = None) -> list[str]:
        p = self._pages[self.page() if page is None else page]
        return [key for _, row in p for key, _ in row]


class Rotator(QObject):
    """Turns several paged views together: step k shows page k mod n of a view of n pages. One timer,
    made once, runs only while there is more than one page and `running` is on (the panel is shown)."""

    turned = Signal(int, int)  # step within the cycle, steps in the cycle

    def __init__(self, views: Sequence[Paged], interval_ms: int = ROTATE_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._views = list(views)
        self._step = 0
        self._running = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # a held page gets its whole turn (no 5 % slack)
        self._timer.timeout.connect(self.step)

    def cycle(self) -> int:
        """Steps until every page of every view has been shown."""
        return max(v.page_count() for v in self._views)

    def position(self) -> int:
        return self._step % self.cycle()

    def interval(self) -> int:
        return self._timer.interval()

    def is_active(self) -> bool:
        return self._timer.isActive()

    def remaining_ms(self) -> int:
        """Until the next turn (-1: not turning)."""
        return self._timer.remainingTime()

    def step(self) -> None:
        self._step = (self._step + 1) % self._period()
        self._show()

    def reset(self) -> None:
        """Pages changed: start again at the first one."""
        self._step = 0
        self._show()

    def hold(self) -> None:
        """Keep the page shown for a whole interval from now (someone just clicked it)."""
        if self._timer.isActive():
            self._timer.start()

    def set_running(self, on: bool) -> None:
        self._running = on
        self._update_timer()

    def _period(self) -> int:  # the views realign after lcm steps; the count stays small either way
        n = 1
        for v in self._views:
            a, b = n, v.page_count()
            while b:
                a, b = b, a % b
            n = n * v.page_count() // a
        return n

    def _show(self) -> None:
        for v in self._views:
            v.show_page(self._step % v.page_count())
        self._update_timer()
        self.turned.emit(self.position(), self.cycle())

    def _update_timer(self) -> None:
        if self._running and self.cycle() > 1:
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()


class PageDots(QWidget):
    """● ○ ○: which page of the rotation is on screen (hidden with a single page)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._count, self._current = 1, 0
        self._on, self._off = QColor("#4aa3ff"), QColor("#22365a")
        self._dot = 14
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setVisible(False)

    def set_colours(self, on: str, off: str, dot_px: int) -> None:
        self._on, self._off, self._dot = QColor(on), QColor(off), dot_px
        self.updateGeometry()
        self.update()

    def set_page(self, current: int, count: int) -> None:
        changed = count != self._count
        self._current, self._count = current, count
        if changed:
            self.updateGeometry()
        self.setVisible(count > 1)
        self.update()

    def page(self) -> tuple[int, int]:
        return self._current, self._count

    def sizeHint(self) -> QSize:
        return QSize(self._count * self._dot + (self._count - 1) * self._dot // 2 + 2, self._dot + 2)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        y = (self.height() - self._dot) / 2
        for i in range(self._count):
            p.setBrush(self._on if i == self._current else self._off)
            p.drawEllipse(QRectF(1 + i * self._dot * 1.5, y, self._dot, self._dot))
        p.end()


def _demo() -> int:  # pragma: no cover - run by hand or by the demo test
    """The dashboard (FAKE data) in a 1920×1080 wall's KPI panel, turning pages every 2 s."""
    import argparse
    import datetime as dt

    from PySide6.QtWidgets import QApplication, QScrollArea

    from widgets.kpi.dashboard import KpiDashboard, fake_snapshot

    parser = argparse.ArgumentParser(description="KPI wall carousel demo (FAKE data)")
    parser.add_argument("--quit-after", type=int, metavar="MS")
    parser.add_argument("--size", default="1283x486", help="the panel's size (default: a 1920x1080 wall's)")
    opts = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    w = KpiDashboard(wall_mode=True, today=dt.date(2026, 1, 15), rotate_ms=2000)
    w.set_data(fake_snapshot(1))
    area = QScrollArea()  # as the main window's dock holds it
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(w)
    area.setWindowTitle("综合评价 · 大屏轮播演示（假数据 / fake data）")
    area.resize(*(int(v) for v in opts.size.lower().split("x")))
    area.show()
    if opts.quit_after:
        QTimer.singleShot(opts.quit_after, app.quit)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(_demo())
