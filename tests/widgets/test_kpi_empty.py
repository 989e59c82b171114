"""A district, town or department with nothing to rank still draws (pyqtgraph 0.14
fails on empty per-bar pen lists; the window's snapshot waited forever on it)."""

from __future__ import annotations

from widgets.kpi.charts import ClassChart, RankingChart


def test_empty_rankings_and_classes_draw(qtbot):
    for chart in (RankingChart("town"), RankingChart("department"), ClassChart()):
        qtbot.addWidget(chart)
        chart.set_bars([])
        chart.show()
        assert not chart.grab().isNull()
