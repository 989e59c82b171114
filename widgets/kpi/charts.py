"""pyqtgraph charts of the KPI dashboard: daily trend, backlog, rankings with grades, top classes,
overdue-multiple distribution and per-step on-time rates.

Each chart creates its plot items once and updates them with `setData` / `setOpts` on every refresh
(pyqtgraph `examples/scrollingPlots.py`): no clear(), no re-adding, so a live wall does not flicker.
A click on a bar emits `barClicked(kind, key)`; the dashboard turns it into a queue filter.
Chinese titles and tick labels need a CJK font, set on the axis items and the title label.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QWidget

from models.kpi.trends import BUCKETS, ClassBar, DailySeries, OverdueHistogram, RankRow, StepRate
from widgets.kpi.theme import BUCKET_TEXT, CHART, OFFICE, WALL, Theme, font, t
from widgets.labels import step as step_text


class KpiChart(pg.PlotWidget):
    """A themed plot without mouse pan/zoom (a wall is not for dragging) that reports bar clicks."""

    barClicked = Signal(str, str)
    bottom_ticks = True

    def __init__(self, kind: str, theme: Theme = OFFICE, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, background=theme.panel)
        self.kind = kind
        self._theme = theme
        self._title = ""
        pi = self.getPlotItem()
        pi.setMenuEnabled(False)
        pi.hideButtons()
        pi.getViewBox().setMouseEnabled(False, False)
        pi.getViewBox().setDefaultPadding(0.02)
        self.setMinimumSize(160, 120)
        self.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self._texts: list[pg.TextItem] = []

    # --- looks -------------------------------------------------------------------------------------
    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.setBackground(theme.panel)
        for name in ("left", "bottom"):
            axis = self.getAxis(name)
            axis.setPen(pg.mkPen(theme.grid))
            axis.setTextPen(pg.mkPen(theme.muted))
            axis.setTickFont(font(theme.tick_px))
            axis.label.setFont(font(theme.tick_px))
        # room for the tick labels in the theme's font (the bottom axis does not grow by itself)
        self.getAxis("bottom").setHeight(int(theme.tick_px * 1.5) + 10 if self.bottom_ticks else 4)
        self.set_title(self._title)
        self._restyle()

    def _restyle(self) -> None:
        """Colours of the plot items (subclasses)."""

    def set_title(self, html: str) -> None:
        self._title = html
        pi = self.getPlotItem()
        pi.setTitle(html, color=self._theme.text, size=f"{self._theme.chart_title_px}px")
        pi.titleLabel.item.setFont(font(self._theme.chart_title_px, bold=True))

    def title_text(self) -> str:
        return self.getPlotItem().titleLabel.item.toPlainText()

    def legend_html(self, *pairs: tuple[str, str]) -> str:
        return "&nbsp;&nbsp;".join(f"<span style='color:{c}'>■</span>&nbsp;{name}" for name, c in pairs)

    def _text(self, i: int, anchor: tuple[float, float]) -> pg.TextItem:
        """The i-th value label, created the first time it is needed and reused afterwards."""
        while len(self._texts) <= i:
            item = pg.TextItem(anchor=anchor)
            self.addItem(item)
            self._texts.append(item)
        item = self._texts[i]
        item.setFont(font(self._theme.tick_px))
        item.setVisible(True)
        return item

    def _hide_texts_from(self, n: int) -> None:
        for item in self._texts[n:]:
            item.setVisible(False)

    def value_labels(self) -> list[str]:
        return [item.textItem.toPlainText() for item in self._texts if item.isVisible()]

    # --- clicks ------------------------------------------------------------------------------------
    def _on_scene_clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        pos = ev.scenePos()
        if not self.getPlotItem().sceneBoundingRect().contains(pos):
            return
        p = self.getPlotItem().getViewBox().mapSceneToView(pos)
        key = self.hit(p.x(), p.y())
        if isinstance(key, tuple):
            self.barClicked.emit(*key)
        elif key is not None:
            self.barClicked.emit(self.kind, key)

    def hit(self, x: float, y: float) -> str | tuple[str, str] | None:
        return None

    def view_to_widget(self, x: float, y: float):
        """Widget coordinates of the view point (x, y) — for tests that click a bar."""
        scene = self.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
        return self.mapFromScene(scene)


class TrendChart(KpiChart):
    """Daily reported against closed (of the day's filed cases), one line each."""

    def __init__(self, theme: Theme = OFFICE, parent: QWidget | None = None) -> None:
        super().__init__("trend", theme, parent)
        self.reported_curve = self.plot([], [])
        self.closed_curve = self.plot([], [])  # not `closed`: GraphicsView uses that name
        self.showGrid(y=True, alpha=0.25)
        self._days = 30
        self.apply_theme(theme)

    def _restyle(self) -> None:
        th = self._theme
        width = 4 if th is WALL else 2
        self.reported_curve.setPen(pg.mkPen(th.reported, width=width))
        self.closed_curve.setPen(pg.mkPen(th.closed, width=width))
        self._retitle()

    def _retitle(self) -> None:
        self.set_title(f"{t(CHART, 'trend', self._days)}&nbsp;&nbsp;&nbsp;"
                       + self.legend_html((t(CHART, "reported"), self._theme.reported),
                                          (t(CHART, "closed"), self._theme.closed)))

    def set_series(self, series: DailySeries) -> None:
        n = len(series.days)
        x = np.arange(n, dtype=float)
        self.reported_curve.setData(x, np.asarray(series.reported, dtype=float))
        self.closed_curve.setData(x, np.asarray(series.closed, dtype=float))
        self.getAxis("bottom").setTicks([_date_ticks(series.days)])
        self.setXRange(-0.5, max(n + 0.3, 0.5), padding=0)  # room for the last (today's) date label
        top = max([*series.reported, *series.closed, 1])
        self.setYRange(0, top * 1.1, padding=0)
        if n != self._days:
            self._days = n
            self._retitle()

    def plot_items(self) -> dict[str, pg.PlotDataItem]:
        return {"reported": self.reported_curve, "closed": self.closed_curve}


class BacklogChart(KpiChart):
    """Open cases at the end of each day."""

    def __init__(self, theme: Theme = OFFICE, parent: QWidget | None = None) -> None:
        super().__init__("backlog", theme, parent)
        self.curve = self.plot([], [], fillLevel=0)
        self.showGrid(y=True, alpha=0.25)
        self.apply_theme(theme)

    def _restyle(self) -> None:
        th = self._theme
        self.curve.setPen(pg.mkPen(th.backlog, width=4 if th is WALL else 2))
        colour = pg.mkColor(th.backlog)
        colour.setAlpha(60)
        self.curve.setBrush(pg.mkBrush(colour))
        self.set_title(t(CHART, "backlog"))

    def set_series(self, series: DailySeries) -> None:
        n = len(series.days)
        self.curve.setData(np.arange(n, dtype=float), np.asarray(series.backlog, dtype=float))
        self.getAxis("bottom").setTicks([_date_ticks(series.days)])
        self.setXRange(-0.5, max(n + 0.3, 0.5), padding=0)
        self.setYRange(0, max([*series.backlog, 1]) * 1.1, padding=0)

    def plot_items(self) -> dict[str, pg.PlotDataItem]:
        return {"backlog": self.curve}


def _date_ticks(days: Sequence) -> list[tuple[float, str]]:
    n = len(days)
    if not n:
        return []
    step = max(1, round(n / 7))
    idx = list(range(n - 1, -1, -step))[::-1]  # always label the last day (today)
    return [(float(i), f"{days[i].month}-{days[i].day}") for i in idx]


@dataclass(frozen=True)
class _Bar:
    key: str
    label: str
    value: float
    text: str  # html of the value label
    colour: str


class HBarChart(KpiChart):
    """Horizontal bars, first row on top, a value label right of each bar; click → (kind, key)."""

    bottom_ticks = False

    def __init__(self, kind: str, theme: Theme = OFFICE, x_max: float | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(kind, theme, parent)
        self.x_max = x_max
        self.bars = pg.BarGraphItem(x0=np.zeros(0), y=np.zeros(0), height=0.62, width=np.zeros(0), brushes=[])
        self.addItem(self.bars)
        self.getAxis("bottom").setStyle(showValues=False)
        self._rows: list[_Bar] = []
        self._top = 1.0
        self.getPlotItem().getViewBox().sigResized.connect(self._fit_x)
        self.apply_theme(theme)

    def set_bars(self, rows: Sequence[_Bar]) -> None:
        self._rows = list(rows)
        n = len(rows)
        ys = np.arange(n - 1, -1, -1, dtype=float)
        widths = np.asarray([r.value for r in rows], dtype=float)
        # pyqtgraph 0.14 fails on empty per-bar pen lists: an empty chart gets one (unused) pen and brush
        self.bars.setOpts(x0=np.zeros(n), y=ys, height=0.62, width=widths,
                          brushes=[pg.mkBrush(r.colour) for r in rows] if n else None,
                          pens=[pg.mkPen(None)] * n if n else None,
                          pen=pg.mkPen(None), brush=pg.mkBrush(0, 0, 0, 0))
        top = self.x_max if self.x_max is not None else max([*widths, 1.0])
        for i, (r, y) in enumerate(zip(rows, ys)):
            item = self._text(i, (0, 0.5))
            item.setHtml(r.text)
            item.setPos(r.value + top * 0.01, y)
        self._hide_texts_from(n)
        self.getAxis("left").setTicks([[(float(y), r.label) for r, y in zip(rows, ys)]])
        self._top = top
        self._fit_x()
        self.setYRange(-0.6, max(n - 0.4, 0.4), padding=0)

    def _fit_x(self, *_args) -> None:
        """Room right of the longest bar for its value and grade label, however narrow the chart is."""
        width = self.getPlotItem().getViewBox().width()
        label = max((item.textItem.boundingRect().width() for item in self._texts if item.isVisible()), default=0)
        share = min(0.6, (label + 4) / width) if width > 0 else 0.0
        self.setXRange(0, self._top * max(1.3, 1.01 / (1 - share)), padding=0)

    def hit(self, x: float, y: float) -> str | None:
        n = len(self._rows)
        i = round(y)
        if 0 <= i < n and abs(y - i) <= 0.45:
            return self._rows[n - 1 - i].key
        return None

    def bar_values(self) -> dict[str, float]:
        return {r.key: r.value for r in self._rows}

    def bar_labels(self) -> list[str]:
        return [r.label for r in self._rows]

    def bar_point(self, key: str):
        """Widget point in the middle of the bar of `key`."""
        n = len(self._rows)
        i = next(i for i, r in enumerate(self._rows) if r.key == key)
        top = self.x_max if self.x_max is not None else max([r.value for r in self._rows] + [1.0])
        return self.view_to_widget(max(self._rows[i].value / 2, top * 0.02), n - 1 - i)

    def plot_items(self) -> dict[str, pg.GraphicsObject]:
        return {"bars": self.bars}


class RankingChart(HBarChart):
    """Towns or departments by score (0–100), best on top, with the A–E grade letter."""

    def __init__(self, kind: str, theme: Theme = OFFICE, parent: QWidget | None = None) -> None:
        self._ranking: Sequence[RankRow] = ()
        super().__init__(kind, theme, 100.0, parent)

    def _restyle(self) -> None:
        self.set_title(t(CHART, "towns" if self.kind == "town" else "departments"))
        if self._ranking:
            self.set_rows(self._ranking)

    def set_rows(self, rows: Sequence[RankRow]) -> None:
        self._ranking = rows
        th = self._theme
        bars = []
        for r in rows:
            colour = th.grades.get(r.grade or "", th.muted)
            score = "—" if r.score is None else f"{r.score:.1f}"
            grade = r.grade or ""
            label = f"{r.rank}. {_short(r.name)}" if r.rank else _short(r.name)
            bars.append(_Bar(r.code, label, r.score or 0.0,
                             f"<span style='color:{th.text}'>{score}</span>&nbsp;"
                             f"<b style='color:{colour}'>{grade}</b>", colour))
        self.set_bars(bars)

    def grades(self) -> dict[str, str | None]:
        return {r.code: r.grade for r in self._ranking}


class ClassChart(HBarChart):
    """The most reported classes of the period."""

    def __init__(self, theme: Theme = OFFICE, parent: QWidget | None = None) -> None:
        self._classes: Sequence[ClassBar] = ()
        self._period = ""
        super().__init__("class", theme, None, parent)

    def _restyle(self) -> None:
        self.set_title(t(CHART, "classes", 10, self._period))
        if self._classes:
            self.set_classes(self._classes, self._period)

    def set_classes(self, classes: Sequence[ClassBar], period_text: str) -> None:
        self._classes = classes
        if period_text != self._period:
            self._period = period_text
            self.set_title(t(CHART, "classes", 10, period_text))
        th = self._theme
        self.set_bars([_Bar(c.code, c.name, float(c.count), f"<span style='color:{th.text}'>{c.count:,}</span>",
                            th.bar) for c in classes])


class VBarChart(KpiChart):
    """Vertical bars at x = 0..n-1 in one or more series side by side."""

    def __init__(self, kind: str, series: Sequence[str], theme: Theme = OFFICE,
                 parent: QWidget | None = None) -> None:
        super().__init__(kind, theme, parent)
        self.series = list(series)
        self.bars = {name: pg.BarGraphItem(x=np.zeros(0), height=np.zeros(0), width=0.3, y0=0, brushes=[])
                     for name in series}
        for item in self.bars.values():
            self.addItem(item)
        self.showGrid(y=True, alpha=0.25)
        self._keys: list[str] = []
        self._values: dict[str, list[float]] = {}

    def _offsets(self) -> tuple[float, list[float]]:
        k = len(self.series)
        width = 0.7 / k
        return width, [(-0.35 + width * (j + 0.5)) for j in range(k)]

    def set_values(self, keys: Sequence[str], labels: Sequence[str], values: dict[str, Sequence[float]],
                   texts: dict[str, Sequence[str]], colours: dict[str, str], y_max: float) -> None:
        self._keys = list(keys)
        self._values = {name: list(v) for name, v in values.items()}
        n = len(keys)
        width, offsets = self._offsets()
        i_text = 0
        for (name, item), off in zip(self.bars.items(), offsets):
            heights = np.asarray(values[name], dtype=float)
            item.setOpts(x=np.arange(n, dtype=float) + off, height=heights, width=width * 0.92, y0=0,
                         brushes=[pg.mkBrush(colours[name])] * n, pens=[pg.mkPen(None)] * n)
            for i in range(n):
                label = self._text(i_text, (0.5, 1.0))
                label.setText(texts[name][i], color=self._theme.text)
                label.setPos(i + off, heights[i])
                i_text += 1
        self._hide_texts_from(i_text)
        self.getAxis("bottom").setTicks([[(float(i), lbl) for i, lbl in enumerate(labels)]])
        self.setXRange(-0.5, max(n - 0.5, 0.5), padding=0)
        self.setYRange(0, y_max * 1.18, padding=0)

    def hit(self, x: float, y: float) -> tuple[str, str] | None:
        i = round(x)
        if not 0 <= i < len(self._keys):
            return None
        width, offsets = self._offsets()
        for name, off in zip(self.series, offsets):
            if abs(x - (i + off)) <= width / 2:
                return self._series_kind(name), self._keys[i]
        return None

    def _series_kind(self, name: str) -> str:
        return self.kind

    def bar_point(self, key: str, series: str | None = None):
        i = self._keys.index(key)
        j = self.series.index(series or self.series[0])
        _, offsets = self._offsets()
        return self.view_to_widget(i + offsets[j], max(self._values[self.series[j]][i] / 2, 0.5))

    def bar_values(self, series: str | None = None) -> dict[str, float]:
        return dict(zip(self._keys, self._values.get(series or self.series[0], [])))

    def plot_items(self) -> dict[str, pg.GraphicsObject]:
        return dict(self.bars)


class OverdueChart(VBarChart):
    """Share of open cases and of the period's closed cases per overdue-multiple bucket (counts on top)."""

    def __init__(self, theme: Theme = OFFICE, parent: QWidget | None = None) -> None:
        self._hist: OverdueHistogram | None = None
        super().__init__("overdue", ["open", "closed"], theme, parent)
        self.getAxis("left").setLabel("%")
        self.apply_theme(theme)

    def _series_kind(self, name: str) -> str:
        return f"overdue_{name}"

    def _restyle(self) -> None:
        th = self._theme
        self.set_title(t(CHART, "overdue") + "&nbsp;&nbsp;&nbsp;" + self.legend_html(
            (t(CHART, "overdue_open"), th.backlog), (t(CHART, "overdue_closed"), th.closed)))
        if self._hist is not None:
            self.set_histogram(self._hist)

    def set_histogram(self, hist: OverdueHistogram) -> None:
        self._hist = hist
        shares = {name: _shares(getattr(hist, name)) for name in ("open", "closed")}
        texts = {name: [f"{n:,}" for n in getattr(hist, name)] for name in ("open", "closed")}
        self.set_values([str(i) for i in range(len(BUCKETS))], BUCKET_TEXT, shares, texts,
                        {"open": self._theme.backlog, "closed": self._theme.closed},
                        max([*shares["open"], *shares["closed"], 1.0]))

    def counts(self) -> OverdueHistogram | None:
        return self._hist


def _shares(counts: Sequence[int]) -> list[float]:
    total = sum(counts)
    return [100.0 * c / total if total else 0.0 for c in counts]


class StepChart(VBarChart):
    """On-time rate (%) of each step of the loop."""

    def __init__(self, theme: Theme = OFFICE, parent: QWidget | None = None) -> None:
        self._steps: Sequence[StepRate] = ()
        super().__init__("step", ["rate"], theme, parent)
        self.getAxis("left").setLabel("%")
        self.apply_theme(theme)

    def _restyle(self) -> None:
        self.set_title(t(CHART, "steps"))
        if self._steps:
            self.set_steps(self._steps)

    def set_steps(self, steps: Sequence[StepRate]) -> None:
        self._steps = steps
        th = self._theme
        rates = [0.0 if s.rate is None else s.rate * 100 for s in steps]
        texts = ["—" if s.rate is None else f"{s.rate * 100:.1f}%" for s in steps]
        self.set_values([s.step for s in steps], [step_text(s.step) for s in steps], {"rate": rates},
                        {"rate": texts}, {"rate": th.accent}, 100.0)
        # a step below 90 % is shown in the warning colour, below 80 % in the alarm colour
        colours = [th.bad if s.rate is not None and s.rate < 0.8 else th.neutral if s.rate is not None
                   and s.rate < 0.9 else th.accent for s in steps]
        self.bars["rate"].setOpts(brushes=[pg.mkBrush(c) for c in colours])


def _short(name: str, limit: int = 9) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"


def _demo() -> int:  # pragma: no cover - run by hand or by the demo test
    import argparse
    import datetime as dt

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QGridLayout

    parser = argparse.ArgumentParser(description="KPI charts demo (FAKE data)")
    parser.add_argument("--quit-after", type=int, metavar="MS")
    parser.add_argument("--office", action="store_true")
    opts = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme = OFFICE if opts.office else WALL
    rng = np.random.default_rng(7)
    days = tuple(dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(30))
    rep = tuple(int(v) for v in rng.integers(80, 160, 30))
    series = DailySeries(days, rep, rep, tuple(int(v * 0.9) for v in rep),
                         tuple(int(v) for v in rng.integers(150, 220, 30)))
    fake_towns = [RankRow("town", i, f"T{i}", f"假镇{i}（演示）", s, g, i, {}) for i, (s, g) in
                  enumerate([(95.2, "A"), (88.1, "B"), (72.5, "C"), (55.0, "D"), (31.0, "E")], start=1)]
    w = QWidget()
    w.setWindowTitle("KPI 图表演示（假数据 / fake data）")
    w.setStyleSheet(f"background: {theme.background};")
    grid = QGridLayout(w)
    charts = [TrendChart(theme), BacklogChart(theme), RankingChart("town", theme), ClassChart(theme),
              OverdueChart(theme), StepChart(theme)]
    charts[0].set_series(series)
    charts[1].set_series(series)
    charts[2].set_rows(fake_towns)
    charts[3].set_classes([ClassBar(f"{i:04d}", f"假类别{i}", int(100 / i)) for i in range(1, 8)], "本周")
    charts[4].set_histogram(OverdueHistogram((50, 8, 4, 2, 1), (900, 40, 20, 8, 2)))
    charts[5].set_steps([StepRate(s, r, 3) for s, r in zip(("verify", "accept", "dispatch", "handle", "check"),
                                                           (0.72, 0.98, 0.95, 0.86, None))])
    for i, c in enumerate(charts):
        c.barClicked.connect(lambda kind, key: print("barClicked", kind, key))
        grid.addWidget(c, i // 3, i % 3)
    w.resize(1600, 800)
    w.show()
    if opts.quit_after:
        QTimer.singleShot(opts.quit_after, app.quit)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(_demo())
