"""The KPI panel on the wall fits the dock it is given: no scroll bars, every tile inside, the charts that
do not fit at once on pages that rotate (every chart within one cycle) — and at 3840×2160 everything at
once as before. Rotating never rebuilds: the plot items, widgets and timers stay the same over a day of turns.

The panel sizes are the KPI dock's viewport in `griddesk gui --snapshot --layout wall` (main window:
the dashboard inside a QScrollArea in a dock): 1283×444 at 1920×1080 and 2569×898 at 3840×2160.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QScrollArea

from widgets.kpi.carousel import (
    MIN_HEIGHT_EM,
    MIN_WIDTH_EM,
    NATURAL,
    ROTATE_MS,
    Rotator,
    chart_pages,
    plan_wall,
)
from widgets.kpi.dashboard import KpiDashboard, fake_snapshot
from widgets.kpi.theme import OFFICE, TILE_FLOOR, WALL, TileFonts, tile_fonts
from widgets.kpi.tiles import fitted_tile_height

PANEL_1080 = (1283, 444)
PANEL_4K = (2569, 898)
ALL_CHARTS = {key for _, row in NATURAL for key, _ in row}


def _panel(qtbot, size, wall=True, rotate_ms=ROTATE_MS):
    """The dashboard as the main window holds it: in a resizable, frameless scroll area of a dock."""
    w = KpiDashboard(wall_mode=wall, today=dt.date(2026, 1, 15), rotate_ms=rotate_ms)
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(w)
    qtbot.addWidget(area)
    area.resize(*size)
    area.show()
    qtbot.waitExposed(area)
    w.set_data(fake_snapshot(1))
    w.flush()
    _settle()
    return area, w


def _settle():
    for _ in range(3):
        QCoreApplication.processEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _inside(widget, area) -> bool:
    top_left = widget.mapTo(area.viewport(), QPoint(0, 0))
    return area.viewport().rect().contains(QRect(top_left, widget.size()))


def _shown_charts(w, area) -> set[str]:
    return {k for k, c in w.charts.items() if c.isVisible() and _inside(c, area)}


def _assert_fits(area, w):
    assert not area.horizontalScrollBar().isVisible() and not area.verticalScrollBar().isVisible()
    assert w.size() == area.viewport().size()
    shown = [w.tiles.tile(k) for k in w.tiles.visible_keys()]
    assert shown and all(t.isVisible() for t in shown)
    for tile in shown:
        assert _inside(tile, area), tile.key
        for label in (tile._title, tile._value, tile._delta):  # every line inside its tile, its text in full width
            assert tile.rect().contains(label.geometry()), tile.key
            assert QFontMetrics(label.font()).horizontalAdvance(label.text()) <= label.width(), (tile.key, label.text())
    status = w.status  # the header's "scope · period · as of" line: shortened, never cut
    assert QFontMetrics(status.font()).horizontalAdvance(status.text()) <= status.width()
    charts = [c for c in w.charts.values() if c.isVisible()]
    assert charts and all(_inside(c, area) for c in charts)
    for c in charts:
        assert c.height() >= MIN_HEIGHT_EM * WALL.tick_px - 1, c.kind
        assert c.width() >= MIN_WIDTH_EM[next(k for k, v in w.charts.items() if v is c)] * WALL.tick_px - 1


@pytest.mark.parametrize("size", [PANEL_1080, (1269, 430), (1400, 520), (1920, 470)],
                         ids=["dock-1080", "dock-1080-scrollbars-old", "wider", "full-width"])
def test_a_1080_wall_panel_needs_no_scrolling_on_any_page(qtbot, size):
    area, w = _panel(qtbot, size)
    plan = w.plan()
    assert plan is not None and w.rotation.cycle() > 1  # too small for everything at once: pages
    assert plan.tile_fonts.title_px >= TILE_FLOOR.title_px and plan.tile_fonts.value_px >= TILE_FLOOR.value_px
    assert plan.tile_fonts.delta_px >= TILE_FLOOR.delta_px
    for _ in range(w.rotation.cycle() + 1):
        _settle()
        _assert_fits(area, w)
        w.rotation.step()


def test_every_tile_and_chart_is_on_screen_within_one_cycle(qtbot):
    area, w = _panel(qtbot, PANEL_1080)
    charts, tiles, dots = set(), set(), []
    for _ in range(w.rotation.cycle()):
        _settle()
        charts |= _shown_charts(w, area)
        tiles |= {k for k in w.tiles.visible_keys() if _inside(w.tiles.tile(k), area)}
        dots.append(w.page_dots.page())
        w.rotation.step()
    assert charts == ALL_CHARTS
    assert tiles == set(w.tiles.keys())
    n = w.rotation.cycle()
    assert dots == [(i, n) for i in range(n)] and w.page_dots.isVisible()
    _settle()
    assert w.page_dots.page() == (0, n)  # … and round again


def test_the_4k_panel_shows_everything_at_once_without_rotating(qtbot):
    area, w = _panel(qtbot, PANEL_4K)
    _assert_fits(area, w)
    assert w.carousel.pages() == (NATURAL,) and w.rotation.cycle() == 1
    assert not w.rotation.is_active() and not w.page_dots.isVisible()
    assert _shown_charts(w, area) == ALL_CHARTS
    assert set(w.tiles.visible_keys()) == set(w.tiles.keys())
    assert all(_inside(w.tiles.tile(k), area) for k in w.tiles.keys())
    assert w.plan().tile_fonts == tile_fonts(WALL, 1.0)  # the theme's full sizes
    # the designed arrangement: trends in one row, the breakdowns in the row under it
    row = {k: w.charts[k].mapTo(w, QPoint(0, 0)).y() for k in ALL_CHARTS}
    assert row["trend"] == row["backlog"] == row["steps"] < row["towns"] == row["departments"] == row["overdue"]
    w.rotation.step()
    _settle()
    assert _shown_charts(w, area) == ALL_CHARTS


def test_rotation_keeps_plot_items_widgets_and_timers_and_feeds_hidden_charts(qtbot):
    area, w = _panel(qtbot, PANEL_1080)
    items = {k: dict(c.plot_items()) for k, c in w.charts.items()}
    scene_items = {k: len(c.getPlotItem().items) for k, c in w.charts.items()}
    objects = len(w.findChildren(QObject))
    timers = len(w.findChildren(QTimer))
    renders = w.renders
    turns = 2000  # more than a day of 12 s turns on one dashboard refresh every 15 s … in miniature
    for i in range(turns):
        w.rotation.step()
        if i % 7 == 0:
            w.set_data(fake_snapshot(i + 2))
            w.flush()
        if i % 200 == 0:
            _settle()
    _settle()
    assert w.renders > renders
    assert len(w.findChildren(QObject)) == objects
    assert len(w.findChildren(QTimer)) == timers
    for k, c in w.charts.items():
        assert c.plot_items() == items[k] and all(c.plot_items()[n] is items[k][n] for n in items[k]), k
        assert len(c.getPlotItem().items) == scene_items[k], k
    # a chart off screen got the latest snapshot all the same
    snap = fake_snapshot(10_000)
    hidden = next(k for k in ("towns", "classes", "trend") if not w.charts[k].isVisible())
    w.set_data(snap)
    w.flush()
    assert not w.charts[hidden].isVisible()
    if hidden == "towns":
        assert w.charts["towns"].bar_values() == {r.code: r.score for r in snap.towns}
    elif hidden == "classes":
        assert w.charts["classes"].bar_values() == {c.code: float(c.count) for c in snap.classes}
    else:
        assert list(w.charts["trend"].plot_items()["reported"].getData()[1]) == list(snap.trend.reported)


def test_resizing_back_and_forth_lays_out_again_without_leaking(qtbot):
    area, w = _panel(qtbot, PANEL_1080)
    objects = len(w.findChildren(QObject))
    pages_1080 = w.carousel.pages()
    for _ in range(20):
        area.resize(*PANEL_4K)
        _settle()
        assert w.carousel.pages() == (NATURAL,)
        area.resize(*PANEL_1080)
        _settle()
        assert w.carousel.pages() == pages_1080
    _settle()
    assert len(w.findChildren(QObject)) == objects
    _assert_fits(area, w)


def test_the_timer_turns_pages_only_while_shown(qtbot):
    area, w = _panel(qtbot, PANEL_1080, rotate_ms=20)
    assert w.rotation.is_active() and w.rotation.interval() == 20
    first = w.carousel.page()
    qtbot.waitUntil(lambda: w.carousel.page() != first, timeout=2000)
    area.hide()
    assert not w.rotation.is_active()  # a hidden panel (another dock tab in front) does not turn
    area.show()
    assert w.rotation.is_active()
    area.resize(*PANEL_4K)
    _settle()
    assert not w.rotation.is_active()  # one page: nothing to turn
    area.resize(*PANEL_1080)
    _settle()
    assert w.rotation.is_active()


def test_drill_down_on_the_page_shown(qtbot):
    area, w = _panel(qtbot, PANEL_1080, rotate_ms=60_000)
    snap = w.snapshot()
    while "towns" not in w.carousel.keys_on_page():
        w.rotation.step()
    _settle()
    towns = w.charts["towns"]
    assert towns.isVisible() and _inside(towns, area)
    town = snap.towns[2]
    with qtbot.waitSignal(w.drillDown, timeout=2000) as sig:
        qtbot.mouseClick(towns.viewport(), Qt.MouseButton.LeftButton, pos=towns.bar_point(town.code))
    assert sig.args[0].town_ids == (town.id,)
    key = w.tiles.visible_keys()[0]
    qtbot.wait(300)
    before = w.rotation.remaining_ms()
    with qtbot.waitSignal(w.drillDown, timeout=2000):
        qtbot.mouseClick(w.tiles.tile(key), Qt.MouseButton.LeftButton)
    assert w.rotation.remaining_ms() > before  # a click holds the page for a whole turn from then


def test_office_mode_keeps_its_natural_size_and_scrolls(qtbot):
    area, w = _panel(qtbot, PANEL_1080, wall=False)
    assert w.plan() is None and w.carousel.pages() == (NATURAL,) and w.rotation.cycle() == 1
    assert not w.rotation.is_active() and not w.page_dots.isVisible()
    assert area.verticalScrollBar().isVisible()  # the office panel scrolls, as before
    tile = w.tiles.tile("reported")
    assert tile.fonts() == TileFonts(OFFICE.tile_title_px, OFFICE.tile_value_px, OFFICE.tile_delta_px)
    assert tile._value.font().pixelSize() == OFFICE.tile_value_px
    assert set(w.tiles.visible_keys()) == set(w.tiles.keys()) and all(c.isVisible() for c in w.charts.values())
    # wall and back: the office look returns whole
    w.set_wall_mode(True)
    _settle()
    assert w.plan() is not None and not area.verticalScrollBar().isVisible()
    w.set_wall_mode(False)
    _settle()
    assert w.plan() is None and w.carousel.pages() == (NATURAL,) and not w.rotation.is_active()
    assert tile._value.font().pixelSize() == OFFICE.tile_value_px and tile.maximumHeight() > 10_000
    assert set(w.tiles.visible_keys()) == set(w.tiles.keys()) and all(c.isVisible() for c in w.charts.values())
    assert area.verticalScrollBar().isVisible()


# --- the pure parts ---------------------------------------------------------------------------------------
def test_tile_fonts_shrink_to_the_floor_and_no_further():
    assert tile_fonts(WALL, 1.0) == TileFonts(WALL.tile_title_px, WALL.tile_value_px, WALL.tile_delta_px)
    assert tile_fonts(WALL, 0.0) == TILE_FLOOR
    half = tile_fonts(WALL, 0.8)
    assert TILE_FLOOR.value_px < half.value_px < WALL.tile_value_px and half.title_px >= TILE_FLOOR.title_px
    assert tile_fonts(OFFICE, 1.0).value_px == OFFICE.tile_value_px  # never larger than the theme's own
    assert fitted_tile_height(TileFonts(20, 40, 20)) == 8 + 24 + 44 + 24


def test_chart_pages():
    em = WALL.tick_px
    assert chart_pages(2553, 560, em) == (NATURAL,)
    assert chart_pages(1267, 100, em) is None  # not one row of legible charts
    pages = chart_pages(1267, 244, em)
    assert len(pages) > 1 and all(len(p) == 1 for p in pages)  # one row a page
    keys = [k for p in pages for _, row in p for k, _ in row]
    assert keys == [k for _, row in NATURAL for k, _ in row]  # each chart once, in the designed order
    for page in pages:
        for _, row in page:
            assert sum(MIN_WIDTH_EM[k] * em for k, _ in row) + 8 * (len(row) - 1) <= 1267
    two = chart_pages(1267, 2 * MIN_HEIGHT_EM * em + 8, em)
    assert len(two) < len(pages) and len(two[0]) == 2  # room for two rows: two rows a page


def test_plan_wall_prefers_all_tiles_then_larger_tiles():
    def height(fonts, rows):
        return rows * fitted_tile_height(fonts) + (rows - 1) * 8

    def plan(w, h, fit=lambda fonts, width: True):
        return plan_wall(w, h, WALL, tile_rows=2, tiles_fit=fit, tiles_height=height)

    full = tile_fonts(WALL, 1.0)
    charts = MIN_HEIGHT_EM * WALL.tick_px
    big = plan(2553, height(full, 2) + 8 + 2 * charts + 8)
    assert big.tile_rows == 2 and big.tile_fonts == full and big.pages == (NATURAL,)
    # all ten tiles, smaller, when that leaves a row of charts
    smaller = plan(2553, height(TILE_FLOOR, 2) + 8 + charts)
    assert smaller.tile_rows == 2 and smaller.tile_fonts.value_px < full.value_px
    # else five at a time, as large as fits
    rotating = plan(1267, 388)
    assert rotating.tile_rows == 1 and rotating.tile_fonts == full and len(rotating.pages) > 1
    # texts too wide at a size: a smaller one
    narrow = plan(1267, 388, fit=lambda fonts, width: fonts.title_px <= 22)
    assert narrow.tile_fonts.title_px == 22 and narrow.tile_fonts.value_px < full.value_px


class _Pages:
    def __init__(self, n):
        self.n, self.shown = n, []

    def page_count(self):
        return self.n

    def show_page(self, page):
        self.shown.append(page)


def test_rotator_shows_every_page_of_every_view():
    tiles, charts = _Pages(2), _Pages(3)
    r = Rotator([tiles, charts], 1000)
    r.reset()
    assert r.cycle() == 3
    seen = []
    for _ in range(6):
        r.step()
        seen.append((tiles.shown[-1], charts.shown[-1], r.position()))
    assert seen == [(1, 1, 1), (0, 2, 2), (1, 0, 0), (0, 1, 1), (1, 2, 2), (0, 0, 0)]
    assert set(charts.shown[:1 + r.cycle()]) == {0, 1, 2}  # reset, then one cycle: every chart page
    r.set_running(True)
    assert r.is_active()
    r.set_running(False)
    assert not r.is_active()
