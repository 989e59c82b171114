"""The KPI dashboard shows what `griddesk kpi --json` prints, drills down on clicks, and refreshes
its existing plot items (throttled)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy.orm import Session

from desktop.cli import main as cli_main
from models.auth import SYSTEM
from models.enums import CaseStatus, Light
from models.kpi import trends
from models.kpi.scope import KpiScope
from models.queue import QueueFilter, QueueQuery
from tests.factories import dept_id, make_db, town_id
from tests.models.test_kpi_trends import WEEK, build_scenario
from widgets.kpi.dashboard import KpiDashboard, fake_snapshot
from widgets.kpi.theme import OFFICE, WALL, format_delta, format_value

ROOT = Path(__file__).resolve().parents[2]
ASOF = dt.datetime(2026, 11, 23, 12, 0)  # the Monday after the scenario's week
PERIOD_TILES = ("reported", "filed", "closed", "closure_rate", "on_time_closure_rate", "grassroots_resolution_rate")


def kpi_json(url: str, *args: str) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli_main(["--db", url, "kpi", *args, "--json"]) == 0
    return json.loads(out.getvalue())


def _dates(p: trends.Period) -> list[str]:
    return ["--from", p.date_from.isoformat(), "--to", p.date_to.isoformat()]


@pytest.fixture
def world(db_url):
    engine = make_db(db_url)
    ids = build_scenario(engine)
    yield db_url, engine, ids
    engine.dispose()


@pytest.fixture
def dashboard(qtbot):
    w = KpiDashboard(wall_mode=True, today=dt.date(2026, 11, 23))
    qtbot.addWidget(w)
    w.resize(1920, 1080)
    w.show()
    return w


def _show(w: KpiDashboard, snap) -> None:
    w.set_data(snap)
    w.flush()


SCOPES = [((), KpiScope()), (("--town", "331004002"), KpiScope("town", "331004002")),
          (("--department", "D01"), KpiScope("department", "D01"))]


@pytest.mark.parametrize("args,scope", SCOPES, ids=["district", "town", "department"])
def test_tiles_and_charts_show_the_numbers_of_kpi_json(world, dashboard, args, scope):
    url, engine, _ = world
    with Session(engine) as s:
        snap = trends.dashboard_snapshot(s, SYSTEM, scope, WEEK, ASOF)
        s.commit()
    _show(dashboard, snap)
    asof = ["--asof", ASOF.isoformat()]
    k = kpi_json(url, *_dates(WEEK), *args, *asof)
    prev = WEEK.previous()
    kp = kpi_json(url, *_dates(prev), *args, "--asof", (ASOF - dt.timedelta(days=7)).isoformat())
    tiles = dashboard.tiles
    for key in PERIOD_TILES:
        tile = snap.tile(key)
        kind = "rate" if key.endswith("_rate") else "count"
        assert tiles.tile(key).value_text() == format_value(k[key], kind), key
        expected = trends.Tile(key, k[key], kp[key], kind, tile.better, tile.compare)
        assert tiles.tile(key).delta_text().endswith(format_delta(expected)[0]), key
    # per-step on-time rates
    steps = dashboard.charts["steps"]
    assert steps.bar_values() == {s: (k[f"{s}_on_time_rate"] or 0) * 100
                                  for s in ("verify", "accept", "dispatch", "handle", "check")}
    labels = steps.value_labels()
    for s in ("verify", "accept", "dispatch", "handle", "check"):
        rate = k[f"{s}_on_time_rate"]
        assert ("—" if rate is None else f"{rate * 100:.1f}%") in labels
    # overdue distribution of the closed cohort: all closed cases, the first bucket on time
    hist = dashboard.charts["overdue"].counts()
    assert sum(hist.closed) == k["closed"] and hist.closed[0] == k["closed_on_time"]
    # class breakdown: the period's reports by class
    assert sum(dashboard.charts["classes"].bar_values().values()) == k["reported"]
    # daily trend: each day as `kpi` of that one day
    trend = dashboard.charts["trend"].plot_items()
    xs, rep = trend["reported"].getData()
    _, clo = trend["closed"].getData()
    days = list(snap.trend.days)
    for d in (dt.date(2026, 11, 16), dt.date(2026, 11, 17), dt.date(2026, 11, 19)):
        kd = kpi_json(url, "--from", d.isoformat(), "--to", (d + dt.timedelta(days=1)).isoformat(), *args, *asof)
        i = days.index(d)
        assert (rep[i], clo[i]) == (kd["reported"], kd["closed"]), d
    # the backlog ends with the open cases now
    _, backlog = dashboard.charts["backlog"].plot_items()["backlog"].getData()
    assert backlog[-1] == snap.tile("open_now").value
    assert dashboard.tiles.tile("open_now").value_text() == format_value(backlog[-1], "count")
    if scope.kind == "district":
        # rankings: every town's and department's score and grade as `kpi --town/--department`
        towns = dashboard.charts["towns"]
        for code, score in towns.bar_values().items():
            kt = kpi_json(url, *_dates(WEEK), "--town", code, *asof)
            assert score == (kt["region_score"] or 0) and towns.grades()[code] == kt["region_grade"]
        depts = dashboard.charts["departments"]
        assert set(depts.bar_values()) == {"D01", "D02"}
        for code, score in depts.bar_values().items():
            kd = kpi_json(url, *_dates(WEEK), "--department", code, *asof)
            assert score == (kd["department_score"] or 0) and depts.grades()[code] == kd["department_grade"]


def test_live_tiles_equal_kpi_json_now(world, dashboard):
    url, engine, _ = world
    with Session(engine) as s:
        snap = trends.dashboard_snapshot(s, SYSTEM, KpiScope("town", "331004001"), WEEK)
        s.commit()
    assert snap.live
    _show(dashboard, snap)
    k = kpi_json(url, *_dates(WEEK), "--town", "331004001")
    for key in PERIOD_TILES:
        kind = "rate" if key.endswith("_rate") else "count"
        assert dashboard.tiles.tile(key).value_text() == format_value(k[key], kind), key
    assert dashboard.tiles.tile("red_now").value_text() == "1"  # F
    assert dashboard.tiles.tile("open_now").value_text() == "2"  # F, H


def _click_tile(qtbot, w, key):
    with qtbot.waitSignal(w.drillDown, timeout=2000) as sig:
        qtbot.mouseClick(w.tiles.tile(key), Qt.MouseButton.LeftButton)
    return sig.args[0]


def _click_bar(qtbot, w, chart, *key):
    c = w.charts[chart]
    with qtbot.waitSignal(w.drillDown, timeout=2000) as sig:
        qtbot.mouseClick(c.viewport(), Qt.MouseButton.LeftButton, pos=c.bar_point(*key))
    return sig.args[0]


def test_clicks_drill_down_to_the_queue(world, dashboard, qtbot):
    url, engine, ids = world
    with Session(engine) as s:
        snap = trends.dashboard_snapshot(s, SYSTEM, KpiScope(), WEEK)
        s.commit()
        _show(dashboard, snap)
        now = snap.now

        def queue(flt: QueueFilter) -> set[int]:
            return {r.id for r in QueueQuery(SYSTEM, flt).page(s, now, 0, 500)}

        f = _click_tile(qtbot, dashboard, "red_now")
        assert f == QueueFilter(lights=(Light.RED,))
        assert queue(f) == {ids["B"], ids["F"]}
        f = _click_tile(qtbot, dashboard, "closed")
        assert f.statuses == (CaseStatus.CLOSED,) and queue(f) == {ids[x] for x in "ADEG"}
        f = _click_bar(qtbot, dashboard, "towns", "331004002")
        assert f == QueueFilter(town_ids=(town_id(s, 2),)) and queue(f) == {ids["B"]}
        f = _click_bar(qtbot, dashboard, "departments", "D01")
        assert f == QueueFilter(department_ids=(dept_id(s, "D01"),))
        f = _click_bar(qtbot, dashboard, "classes", "1103")
        assert f.class_codes == ("1103",) and queue(f) == {ids["F"], ids["G"]}
        f = _click_bar(qtbot, dashboard, "steps", "handle")
        assert queue(f) == {ids["B"], ids["D"]}
        f = _click_bar(qtbot, dashboard, "overdue", "3", "closed")
        assert queue(f) == {ids["D"]}
        f = _click_bar(qtbot, dashboard, "overdue", "4", "open")
        assert queue(f) == {ids["B"], ids["F"]}
        # duty tiles have no cases behind them
        with qtbot.assertNotEmitted(dashboard.drillDown, wait=50):
            qtbot.mouseClick(dashboard.tiles.tile("duty_today"), Qt.MouseButton.LeftButton)


def test_refresh_updates_the_existing_plot_items(dashboard, qtbot):
    _show(dashboard, fake_snapshot(1))
    charts = dashboard.charts
    before = {name: dict(c.plot_items()) for name, c in charts.items()}
    counts = {name: len(c.getPlotItem().items) for name, c in charts.items()}
    trend_y = charts["trend"].plot_items()["reported"].getData()[1].copy()
    town_w = charts["towns"].plot_items()["bars"].opts["width"].copy()
    step_h = charts["steps"].plot_items()["rate"].opts["height"].copy()
    _show(dashboard, fake_snapshot(2))
    for name, c in charts.items():
        after = c.plot_items()
        assert after.keys() == before[name].keys()
        assert all(after[k] is before[name][k] for k in after), name  # the same objects …
        assert len(c.getPlotItem().items) == counts[name], name  # … and nothing added or removed
    assert list(charts["trend"].plot_items()["reported"].getData()[1]) != list(trend_y)  # … with new data
    assert list(charts["towns"].plot_items()["bars"].opts["width"]) != list(town_w)
    assert list(charts["steps"].plot_items()["rate"].opts["height"]) != list(step_h)
    assert dashboard.tiles.tile("red_now").value_text() == format_value(fake_snapshot(2).tile("red_now").value,
                                                                         "count")


def test_redraws_are_throttled(qtbot):
    w = KpiDashboard(throttle_ms=100)
    qtbot.addWidget(w)
    w.set_data(fake_snapshot(1))
    assert w.renders == 1  # idle: drawn at once
    w.set_data(fake_snapshot(2))
    w.set_data(fake_snapshot(3))
    assert w.renders == 1 and w.snapshot().now == fake_snapshot(1).now  # within 100 ms: waiting
    qtbot.waitUntil(lambda: w.renders == 2, timeout=1000)
    assert w.snapshot().now == fake_snapshot(3).now  # the latest one, the one in between skipped
    qtbot.wait(150)
    assert w.renders == 2


def test_wall_and_office_looks(qtbot):
    w = KpiDashboard()
    qtbot.addWidget(w)
    assert not w.wall_mode() and w.theme() is OFFICE
    value = w.tiles.tile("reported")._value
    office_px = value.font().pixelSize()
    w.set_wall_mode(True)
    assert w.theme() is WALL and value.font().pixelSize() == WALL.tile_value_px > office_px
    assert w.charts["trend"].getAxis("left").style["tickFont"].pixelSize() == WALL.tick_px
    from PySide6.QtGui import QFontDatabase

    family = w.charts["trend"].getAxis("left").style["tickFont"].family()
    assert QFontDatabase.WritingSystem.SimplifiedChinese in QFontDatabase.writingSystems(family), family


def test_selection_signal(qtbot):
    options = [trends.ScopeOption("district", None, "测试区"), trends.ScopeOption("town", "331004001", "测试镇1"),
               trends.ScopeOption("town", "331004002", "测试镇2")]
    w = KpiDashboard(options, today=dt.date(2026, 11, 25))
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.selectionChanged) as sig:
        w.period_kind.setCurrentIndex(w.period_kind.findData("week"))
    scope, period, days = sig.args
    assert scope == KpiScope() and period == trends.period_of("week", dt.date(2026, 11, 25)) and days == 30
    with qtbot.waitSignal(w.selectionChanged) as sig:
        w.scope_kind.setCurrentIndex(w.scope_kind.findData("town"))
    assert sig.args[0] == KpiScope("town", "331004001")
    with qtbot.assertNotEmitted(w.selectionChanged):
        w.set_selection(KpiScope("town", "331004002"), trends.period_of("month", dt.date(2026, 11, 25)), 90)
    assert w.selection() == (KpiScope("town", "331004002"), trends.period_of("month", dt.date(2026, 11, 25)), 90)
    with qtbot.assertNotEmitted(w.selectionChanged):
        w.set_scope_options(options[:2])
    assert w.scope_entity.count() == 1 and w.selection()[0] == KpiScope("town", "331004001")
    with qtbot.waitSignal(w.bulletinRequested) as sig:
        w.bulletin.click()
    assert sig.args == ["2026-W44"]  # the week of the first day of the month shown


@pytest.mark.parametrize("module", ["widgets.kpi.tiles", "widgets.kpi.charts", "widgets.kpi.dashboard",
                                    "widgets.kpi.carousel", "widgets.kpi.bulletin_pdf"])
def test_demo_runs_and_quits(module, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", module, "--quit-after", "1500"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]


def test_a_capped_drill_down_says_so(world, dashboard, qtbot, monkeypatch):
    """Drill-down lists keep the newest DRILL_CAP cases; the user is told when more exist."""
    url, engine, ids = world
    monkeypatch.setattr("models.kpi.drill.DRILL_CAP", 2)
    with Session(engine) as s:
        snap = trends.dashboard_snapshot(s, SYSTEM, KpiScope(), WEEK)
        s.commit()
    _show(dashboard, snap)
    notices: list[str] = []
    dashboard.drillNotice.connect(notices.append)
    f = _click_tile(qtbot, dashboard, "closed")  # four closed cases (A, D, E, G): capped at two
    assert len(f.case_ids) == 2 and "tile:closed" in snap.truncated
    assert notices == ["案件过多, 只列出最新的 2 件"]
    f = _click_bar(qtbot, dashboard, "classes", "1103")  # two cases: not capped, nothing said
    assert len(f.case_ids) == 2 and notices == ["案件过多, 只列出最新的 2 件"]
