"""`KpiDashboard`: the indicator panel of the command centre — tiles, trends, rankings, breakdowns.

It takes one frozen `DashboardSnapshot` (models/kpi/trends.py `dashboard_snapshot`) per refresh and
never touches the database: when the user picks another scope, period or trend length it emits
`selectionChanged(scope, period, trend_days)` and the shell computes the next snapshot (on a worker)
and calls `set_data`. Redraws are throttled to one per `throttle_ms` (100 ms): snapshots arriving
faster replace the pending one. A click on a tile or bar emits `drillDown(QueueFilter)` for the queue
and the map. `set_wall_mode(True)` gives the dark, large-font video-wall look; False the light office one.

On the wall nobody scrolls: the dashboard fits the panel it is given (widgets/kpi/carousel.py). When the
tiles and charts do not all fit legibly (a 1920×1080 wall) their pages rotate every `rotate_ms`, with a
page indicator in the header; every chart still gets each snapshot, shown or not. The office look keeps
its natural size and scrolls in the main window's dock.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence

from PySide6.QtCore import QDate, QElapsedTimer, QEvent, QSignalBlocker, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from models.kpi.scope import KpiScope
from models.kpi.trends import (
    PERIOD_KINDS,
    SCOPE_KINDS,
    TREND_DAYS,
    DashboardSnapshot,
    Period,
    ScopeOption,
    case_ids_for,
    drill_truncated,
    period_of,
)
from widgets.kpi.carousel import GAP, NATURAL, ROTATE_MS, ChartCarousel, PageDots, Rotator, WallPlan, plan_wall
from widgets.kpi.charts import BacklogChart, ClassChart, OverdueChart, RankingChart, StepChart, TrendChart
from widgets.kpi.theme import CHART, OFFICE, PERIOD, SCOPE_KIND, WALL, Theme, font, t
from widgets.kpi.tiles import TileBoard


class _StatusLine(QLabel):
    """The header's "scope · period · as of" line; narrower than its text (a wall's panel), it keeps both
    ends and drops the middle ("…"), instead of being cut mid-character."""

    def __init__(self) -> None:
        super().__init__("")
        self._full = ""

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def sizeHint(self) -> QSize:
        return QSize(QFontMetrics(self.font()).horizontalAdvance(self._full) + 2, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._elide()

    def _elide(self) -> None:
        self.setText(QFontMetrics(self.font()).elidedText(self._full, Qt.TextElideMode.ElideMiddle, self.width()))


class KpiDashboard(QWidget):
    """Period and scope pickers, the tiles and the charts of one snapshot."""

    drillDown = Signal(object)  # models.queue.QueueFilter
    drillNotice = Signal(str)  # said with a drill-down that shows only part of its cases
    selectionChanged = Signal(object, object, int)  # KpiScope, Period, trend days
    bulletinRequested = Signal(str)  # ISO week ("2026-W47") of the period shown

    def __init__(self, scopes: Sequence[ScopeOption] = (), *, wall_mode: bool = False,
                 today: dt.date | None = None, throttle_ms: int = 100, rotate_ms: int = ROTATE_MS,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kpiDashboard")
        self._options = list(scopes) or [ScopeOption("district", None, t(SCOPE_KIND, "district"))]
        self._today = today
        self._wall = wall_mode
        self._theme: Theme = WALL if wall_mode else OFFICE
        self._snapshot: DashboardSnapshot | None = None
        self._pending: DashboardSnapshot | None = None
        self._throttle_ms = throttle_ms
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._render_pending)
        self.renders = 0  # how many snapshots were drawn (the throttle's effect is visible here)

        self._build_header()
        self.tiles = TileBoard(theme=self._theme)
        self.tiles.tileClicked.connect(self._on_tile_clicked)
        self.charts = {
            "trend": TrendChart(self._theme), "backlog": BacklogChart(self._theme), "steps": StepChart(self._theme),
            "towns": RankingChart("town", self._theme), "departments": RankingChart("department", self._theme),
            "classes": ClassChart(self._theme), "overdue": OverdueChart(self._theme),
        }
        for chart in self.charts.values():
            chart.barClicked.connect(self._on_bar_clicked)
        self.carousel = ChartCarousel(self.charts, GAP)
        self.rotation = Rotator([self.tiles, self.carousel], rotate_ms, self)
        self.rotation.turned.connect(self.page_dots.set_page)
        self._plan: WallPlan | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.setSpacing(GAP)
        lay.addLayout(self._header)
        lay.addWidget(self.tiles, 3)
        lay.addWidget(self.carousel, 9)  # its page: the trends (4) over the breakdowns (5)
        self._fill_entities()
        self._apply_theme()

    # --- the header -----------------------------------------------------------------------------------
    def _build_header(self) -> None:
        self._title = QLabel(t(CHART, "title"))
        self.scope_kind = QComboBox()
        for kind in SCOPE_KINDS:
            if kind == "district" or any(o.kind == kind for o in self._options):
                self.scope_kind.addItem(t(SCOPE_KIND, kind), kind)
        self.scope_entity = QComboBox()
        self.scope_entity.setEditable(True)
        self.scope_entity.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.scope_entity.setMinimumContentsLength(12)
        completer = self.scope_entity.completer()
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.period_kind = QComboBox()
        for kind in PERIOD_KINDS:
            self.period_kind.addItem(t(PERIOD, kind), kind)
        today = self._today or dt.date.today()
        self.date_from = QDateEdit(QDate(today.year, today.month, 1))
        self.date_to = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setVisible(False)
            edit.dateChanged.connect(self._on_selection_changed)
        self.trend_days = QComboBox()
        for n in TREND_DAYS:
            self.trend_days.addItem(t(CHART, "trend_days", n), n)
        self.status = _StatusLine()
        self.status.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.page_dots = PageDots()
        self.bulletin = QPushButton(t(CHART, "bulletin"))
        self.bulletin.clicked.connect(self._on_bulletin_clicked)
        self.scope_kind.currentIndexChanged.connect(self._on_scope_kind_changed)
        self.scope_entity.activated.connect(self._on_selection_changed)
        self.period_kind.currentIndexChanged.connect(self._on_period_kind_changed)
        self.trend_days.currentIndexChanged.connect(self._on_selection_changed)
        h = QHBoxLayout()
        for w in (self._title, self.scope_kind, self.scope_entity, self.period_kind, self.date_from, self.date_to,
                  self.trend_days):
            h.addWidget(w)
        h.addWidget(self.status, 1)
        h.addWidget(self.page_dots)
        h.addWidget(self.bulletin)
        self._header = h

    def set_scope_options(self, scopes: Sequence[ScopeOption]) -> None:
        """Replace the scope picker's choices (e.g. after a log-in as another user)."""
        scope, period, days = self.selection()
        self._options = list(scopes) or [ScopeOption("district", None, t(SCOPE_KIND, "district"))]
        with QSignalBlocker(self.scope_kind):
            self.scope_kind.clear()
            for kind in SCOPE_KINDS:
                if kind == "district" or any(o.kind == kind for o in self._options):
                    self.scope_kind.addItem(t(SCOPE_KIND, kind), kind)
        self.set_selection(scope, period, days)

    def _fill_entities(self) -> None:
        kind = self.scope_kind.currentData()
        with QSignalBlocker(self.scope_entity):
            self.scope_entity.clear()
            for o in self._options:
                if o.kind == kind and kind != "district":
                    self.scope_entity.addItem(f"{o.name}  {o.code}", o.code)
        self.scope_entity.setVisible(kind != "district")

    # --- what is chosen ---------------------------------------------------------------------------------
    def selection(self) -> tuple[KpiScope, Period, int]:
        kind = self.scope_kind.currentData() or "district"
        code = self.scope_entity.currentData() if kind != "district" else None
        scope = KpiScope(kind, code) if kind == "district" or code else KpiScope()
        today = self._today or dt.date.today()
        pkind = self.period_kind.currentData() or "today"
        if pkind == "custom":
            a, b = self.date_from.date().toPython(), self.date_to.date().toPython()
            period = Period("custom", min(a, b), max(a, b) + dt.timedelta(days=1))  # the "to" day included
        else:
            period = period_of(pkind, today)
        return scope, period, int(self.trend_days.currentData() or TREND_DAYS[0])

    def set_selection(self, scope: KpiScope, period: Period, trend_days: int = TREND_DAYS[0]) -> None:
        """Show `scope`, `period` and `trend_days` in the pickers without emitting `selectionChanged`."""
        with QSignalBlocker(self.scope_kind), QSignalBlocker(self.period_kind), QSignalBlocker(self.trend_days), \
                QSignalBlocker(self.date_from), QSignalBlocker(self.date_to):
            self.scope_kind.setCurrentIndex(max(0, self.scope_kind.findData(scope.kind)))
            self._fill_entities()
            if scope.code:
                self.scope_entity.setCurrentIndex(max(0, self.scope_entity.findData(scope.code)))
            self.period_kind.setCurrentIndex(max(0, self.period_kind.findData(period.kind)))
            custom = period.kind == "custom"
            self.date_from.setDate(QDate(period.date_from))
            self.date_to.setDate(QDate(period.date_to - dt.timedelta(days=1)))
            self.date_from.setVisible(custom)
            self.date_to.setVisible(custom)
            idx = self.trend_days.findData(trend_days)
            if idx >= 0:
                self.trend_days.setCurrentIndex(idx)

    def _on_scope_kind_changed(self) -> None:
        self._fill_entities()
        self._on_selection_changed()

    def _on_period_kind_changed(self) -> None:
        custom = self.period_kind.currentData() == "custom"
        self.date_from.setVisible(custom)
        self.date_to.setVisible(custom)
        self._on_selection_changed()

    def _on_selection_changed(self, *_args) -> None:
        self.selectionChanged.emit(*self.selection())

    def _on_bulletin_clicked(self) -> None:
        _, period, _ = self.selection()
        monday = period.date_from - dt.timedelta(days=period.date_from.weekday())
        year, week, _ = monday.isocalendar()
        self.bulletinRequested.emit(f"{year}-W{week:02d}")

    # --- data ------------------------------------------------------------------------------------------
    def set_data(self, snapshot: DashboardSnapshot) -> None:
        """Show `snapshot` — now, or when the throttle interval since the last redraw has passed."""
        self._pending = snapshot
        if self._timer.isActive():
            return
        if not self._clock.isValid() or self._clock.elapsed() >= self._throttle_ms:
            self._render_pending()
        else:
            self._timer.start(self._throttle_ms - self._clock.elapsed())

    def flush(self) -> None:
        """Draw a pending snapshot at once (tests, screenshots)."""
        if self._pending is not None:
            self._timer.stop()
            self._render_pending()

    def snapshot(self) -> DashboardSnapshot | None:
        """The snapshot on screen."""
        return self._snapshot

    def _render_pending(self) -> None:
        snap, self._pending = self._pending, None
        if snap is None:
            return
        self._snapshot = snap
        self._render(snap)
        self.renders += 1
        self._clock.start()

    def _render(self, snap: DashboardSnapshot) -> None:
        titles = [self.tiles.tile(k).title_text() for k in self.tiles.keys()]
        self.tiles.set_tiles(snap.tiles, snap.period.kind)
        if titles != [self.tiles.tile(k).title_text() for k in self.tiles.keys()]:
            self._fit()  # another period: other titles, maybe another tile size
        self.charts["trend"].set_series(snap.trend)
        self.charts["backlog"].set_series(snap.trend)
        self.charts["steps"].set_steps(snap.steps)
        self.charts["towns"].set_rows(snap.towns)
        self.charts["departments"].set_rows(snap.departments)
        cp = snap.class_period
        self.charts["classes"].set_classes(snap.classes, t(PERIOD, cp.kind) if cp.kind != "custom" else cp.label())
        self.charts["overdue"].set_histogram(snap.overdue)
        when = snap.now.strftime("%Y-%m-%d %H:%M:%S")
        self.status.set_full_text(f"{snap.scope_name} · {t(PERIOD, snap.period.kind)} {snap.period.label()} · "
                                 f"{t(CHART, 'asof', when)}")
        current = self.selection()
        if (current[0], current[1]) != (snap.scope, snap.period) or current[2] != len(snap.trend.days):
            self.set_selection(snap.scope, snap.period, len(snap.trend.days))

    # --- drill-down ----------------------------------------------------------------------------------
    def _on_tile_clicked(self, key: str) -> None:
        self.rotation.hold()
        self._drill(("tile", key))

    def _on_bar_clicked(self, kind: str, key: str) -> None:
        self.rotation.hold()
        self._drill((kind, key))

    def _drill(self, target: tuple[str, str]) -> None:
        if self._snapshot is None:
            return
        flt = case_ids_for(target, self._snapshot)
        if flt is not None:
            self.drillDown.emit(flt)
            if drill_truncated(target, self._snapshot):
                self.drillNotice.emit(self.tr("案件过多, 只列出最新的 %1 件").replace("%1", f"{len(flt.case_ids):,}"))

    # --- looks -------------------------------------------------------------------------------------------
    def wall_mode(self) -> bool:
        return self._wall

    def set_wall_mode(self, on: bool) -> None:
        """Dark and large for the video wall (readable from 5 m), or the light office look."""
        self._wall = on
        self._theme = WALL if on else OFFICE
        self._apply_theme()

    # --- fitting the wall's panel ----------------------------------------------------------------------
    def plan(self) -> WallPlan | None:
        """How the tiles and charts share the wall's panel now (None: the office look, natural size)."""
        return self._plan

    def _fit(self) -> None:
        """On the wall: size the tiles and page the charts for the panel, so that nothing needs scrolling.
        Only a shown dashboard is fitted (it has its real size then); the office look is left as designed."""
        if not self._wall:
            if self._plan is not None:
                self._plan = None
                self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
                self.status.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
                self.tiles.set_fit(None)
                self.carousel.set_pages((NATURAL,))
                self.layout().setStretchFactor(self.tiles, 3)
                self.rotation.reset()
            self.rotation.set_running(False)
            return
        # a scroll area gives an Ignored widget the viewport's size, whatever its children would like
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        if not self.isVisible():
            return
        m = self.layout().contentsMargins()
        width = self.width() - m.left() - m.right()
        height = self.height() - m.top() - m.bottom() - self._header.sizeHint().height() - GAP
        plan = plan_wall(width, height, self._theme, tile_rows=self.tiles.rows(), tiles_fit=self.tiles.fits,
                         tiles_height=self.tiles.fitted_height)
        if plan != self._plan:
            self._plan = plan
            self.tiles.set_fit(plan.tile_fonts, plan.tile_rows)
            self.carousel.set_pages(plan.pages)
            self.layout().setStretchFactor(self.tiles, 0)
            self.rotation.reset()
        self.rotation.set_running(True)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.rotation.set_running(False)  # a hidden panel (e.g. another dock tab in front) does not turn

    def theme(self) -> Theme:
        return self._theme

    def _apply_theme(self) -> None:
        th = self._theme
        self.setStyleSheet(
            f"#kpiDashboard {{ background: {th.background}; }}"
            f"#kpiDashboard QLabel {{ color: {th.text}; }}"
            f"#kpiDashboard QComboBox, #kpiDashboard QDateEdit, #kpiDashboard QPushButton {{ color: {th.text};"
            f" background: {th.panel}; border: 1px solid {th.border}; padding: 2px 8px; }}")
        self.setAutoFillBackground(True)
        for w in (self.scope_kind, self.scope_entity, self.period_kind, self.date_from, self.date_to,
                  self.trend_days, self.bulletin):
            w.setFont(font(th.control_px))
        self._title.setFont(font(th.chart_title_px + 4, bold=True))
        self.status.setFont(font(th.control_px))
        self.status.setStyleSheet(f"color: {th.muted};")
        self.page_dots.set_colours(th.accent, th.border, max(8, th.control_px * 3 // 4))
        self.tiles.apply_theme(th)
        for chart in self.charts.values():
            chart.apply_theme(th)
        self._fit()


def fake_snapshot(step: int = 0, now: dt.datetime | None = None) -> DashboardSnapshot:
    """A CLEARLY FAKE snapshot for demos and widget tests without a database ("假镇", "演示")."""
    import random
    from types import MappingProxyType

    from models.kpi.trends import ClassBar, DailySeries, Duty, OverdueHistogram, RankRow, ScopeIds, StepRate, Tile

    rng = random.Random(step)
    now = now or dt.datetime(2026, 1, 15, 10, 0) + dt.timedelta(seconds=step)
    days = tuple(now.date() - dt.timedelta(days=29 - i) for i in range(30))
    reported = tuple(rng.randint(90, 160) for _ in days)
    closed = tuple(int(r * rng.uniform(0.8, 0.95)) for r in reported)
    backlog = tuple(rng.randint(150, 220) for _ in days)
    period = period_of("today", now.date())
    kpi = {"reported": reported[-1], "filed": closed[-1] + 5, "closed": closed[-1], "closure_rate": 0.91,
           "on_time_closure_rate": 0.87, "grassroots_resolution_rate": 0.95}
    tiles = (
        Tile("reported", reported[-1], reported[-2], "count", 0, "yesterday"),
        Tile("filed", kpi["filed"], reported[-2] - 3, "count", 0, "yesterday"),
        Tile("closed", closed[-1], closed[-2], "count", +1, "yesterday"),
        Tile("open_now", backlog[-1], backlog[-2], "count", -1, "24h"),
        Tile("red_now", rng.randint(5, 30), 12, "count", -1, "24h"),
        Tile("closure_rate", round(rng.uniform(0.85, 0.99), 4), 0.91, "rate", +1, "yesterday"),
        Tile("on_time_closure_rate", round(rng.uniform(0.8, 0.95), 4), 0.87, "rate", +1, "yesterday"),
        Tile("grassroots_resolution_rate", 0.955, 0.95, "rate", +1, "yesterday"),
        Tile("duty_today", 0.62, 0.64, "rate", +1, "yesterday", (62, 100)),
        Tile("duty_week", 0.81, 0.8, "rate", +1, "yesterday", (81, 100)),
    )
    grades = "AABBCCDE"
    towns = tuple(RankRow("town", i, f"FAKE{i:02d}", f"假镇{i}（演示）", s, grades[min(7, int((100 - s) / 8))], i,
                          MappingProxyType({}))
                  for i, s in enumerate(sorted((round(rng.uniform(35, 98), 2) for _ in range(8)), reverse=True), 1))
    depts = tuple(RankRow("department", i, f"FD{i:02d}", f"假部门{i}（演示）", s, "A" if s >= 90 else "B", i,
                          MappingProxyType({}))
                  for i, s in enumerate(sorted((round(rng.uniform(75, 99), 2) for _ in range(6)), reverse=True), 1))
    classes = tuple(ClassBar(f"9{i:03d}", f"假类别{i}", 200 // i + rng.randint(0, 9)) for i in range(1, 11))
    return DashboardSnapshot(
        scope=KpiScope(), scope_name="演示区（假数据）", scope_ids=ScopeIds(), period=period,
        previous_period=period.previous(), now=now, live=True, kpi=MappingProxyType(kpi),
        previous_kpi=MappingProxyType({}), tiles=tiles,
        trend=DailySeries(days, reported, reported, closed, backlog), towns=towns, departments=depts,
        class_period=period_of("week", now.date()), classes=classes,
        overdue=OverdueHistogram((160, 12, 6, 3, 2), (900, 40, 18, 7, 2)),
        steps=tuple(StepRate(s, round(rng.uniform(0.7, 1.0), 4), rng.randint(0, 30))
                    for s in ("verify", "accept", "dispatch", "handle", "check")),
        duty=Duty(100, 62, 64, 81, 80), drill=MappingProxyType({}))


def _demo() -> int:  # pragma: no cover - run by hand or by the demo test
    import argparse

    from PySide6.QtWidgets import QApplication

    parser = argparse.ArgumentParser(description="KPI dashboard demo (FAKE data, refreshed every second)")
    parser.add_argument("--quit-after", type=int, metavar="MS")
    parser.add_argument("--office", action="store_true", help="the light office look instead of the wall")
    opts = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    w = KpiDashboard(wall_mode=not opts.office, today=dt.date(2026, 1, 15))
    w.setWindowTitle("综合评价大屏演示（假数据 / fake data）")
    w.drillDown.connect(lambda f: print("drillDown", f))
    w.selectionChanged.connect(lambda *a: print("selectionChanged", *a))
    tick = [0]

    def refresh() -> None:
        tick[0] += 1
        w.set_data(fake_snapshot(tick[0]))

    refresh()
    timer = QTimer(w)
    timer.timeout.connect(refresh)
    timer.start(1000)
    w.resize(1920, 1080)
    w.show()
    if opts.quit_after:
        QTimer.singleShot(opts.quit_after, app.quit)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(_demo())
