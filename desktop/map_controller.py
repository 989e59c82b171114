"""Feeding the map: the first load on a worker thread, then only what changed; the grid selected on it."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.workers import TaskRunner
from models import map_data
from models.auth import Identity
from models.queue import QueueFilter, QueueQuery

MEASURE_TITLES = {"open_cases": "在办案件数", "red_cases": "红灯案件数", "closure_rate": "近30日结案率",
                  "cases_per_km2": "近30日案件密度(件/km²)"}


def _initial(sessions, identity: Identity, now: dt.datetime, flt: QueueFilter) -> dict:
    with sessions() as s:
        towns, villages = map_data.boundaries(s, identity)
        return {"grids": map_data.grid_features(s, identity, now.date()), "towns": towns, "villages": villages,
                "measures": map_data.grid_measures(s, identity, now),
                "cases": map_data.case_markers(s, identity, now, flt), "cameras": map_data.cameras(s, identity),
                "workers": map_data.worker_positions(s, identity, now.date()),
                "tracks": map_data.patrol_tracks(s, identity, now.date() - dt.timedelta(days=1))}


def _changed(sessions, identity: Identity, now: dt.datetime, flt: QueueFilter, ids: list[int]) -> tuple:
    with sessions() as s:
        rows = QueueQuery(identity, flt).rows_by_id(s, now, ids)
    shown = {r.id for r in rows}
    return [map_data.case_marker(r, now) for r in rows], [i for i in ids if i not in shown]


def _measures(sessions, identity: Identity, now: dt.datetime) -> dict:
    with sessions() as s:
        return map_data.grid_measures(s, identity, now)


class MapController(QObject):
    """Keeps a MapView in step with the database for one user.

    `selected_grid` is the grid last clicked on the map (None before a click, or once a
    reload no longer has it); `gridSelected(grid id or None)` reports each change.
    """

    gridSelected = Signal(object)

    def __init__(self, view, sessions, identity: Identity, runner: TaskRunner,
                 clock: Callable[[], dt.datetime], measure: str = "open_cases", parent=None) -> None:
        super().__init__(parent)
        self.view, self.sessions, self.identity, self.runner, self.clock = view, sessions, identity, runner, clock
        self.measure = measure
        self.filter = QueueFilter()
        self.loaded = False
        self.selected_grid: int | None = None
        self._grids: dict[int, dict] = {}  # the loaded grids' properties (code, name, town …) by id
        view.gridClicked.connect(self._on_grid_clicked)
        self._measures_timer = QTimer(self)
        self._measures_timer.setInterval(10_000)  # grid colours: at most every 10 s
        self._measures_timer.timeout.connect(self.refresh_measures)

    def load(self) -> None:
        self.runner.submit("map.initial", _initial, self.sessions, self.identity, self.clock(), self.filter,
                           on_done=self._on_initial)

    def _on_initial(self, data: dict) -> None:
        v = self.view
        v.set_boundaries(data["towns"], data["villages"])
        v.set_grids(data["grids"])
        self._grids = {f["properties"]["id"]: f["properties"] for f in data["grids"]["features"]}
        if self.selected_grid is not None and self.selected_grid not in self._grids:
            self.select_grid(None)
        v.set_grid_measure(self.measure, data["measures"][self.measure], MEASURE_TITLES[self.measure])
        v.set_cases(data["cases"])
        v.set_cameras(data["cameras"])
        v.set_workers(data["workers"])
        v.set_tracks(data["tracks"])
        self.loaded = True
        self._measures_timer.start()

    def select_grid(self, grid_id: int | None) -> None:
        """Select (and outline) a grid from elsewhere; None clears the selection."""
        if grid_id != self.selected_grid:
            self.view.select_grid(grid_id)
            self._on_grid_clicked(grid_id)

    def _on_grid_clicked(self, grid_id: int | None) -> None:  # the page outlined it already
        if grid_id != self.selected_grid:
            self.selected_grid = grid_id
            self.gridSelected.emit(grid_id)

    def grid_label(self, grid_id: int | None) -> str:
        """'code name' of a loaded grid ('' if unknown)."""
        props = self._grids.get(grid_id) if grid_id is not None else None
        return f"{props['code']} {props['name']}".strip() if props else ""

    def set_filter(self, flt: QueueFilter) -> None:
        """Show the cases of the queue's filter (drill-down shows the same cases on both)."""
        self.filter = flt
        self.runner.submit("map.cases", self._cases_for, flt, on_done=self.view.set_cases)

    def _cases_for(self, flt: QueueFilter) -> list[dict]:
        with self.sessions() as s:
            return map_data.case_markers(s, self.identity, self.clock(), flt)

    def cases_changed(self, ids: list[int]) -> None:
        if not ids or not self.loaded:
            return
        self.runner.submit(f"map.changed.{ids[0]}.{len(ids)}", _changed, self.sessions, self.identity, self.clock(),
                           self.filter, ids, on_done=self._apply_changed)

    def _apply_changed(self, result: tuple) -> None:
        upserts, removed = result
        if upserts:
            self.view.upsert_cases(upserts)
        if removed:
            self.view.remove_cases(removed)

    def refresh_measures(self) -> None:
        self.runner.submit("map.measures", _measures, self.sessions, self.identity, self.clock(),
                           on_done=lambda m: self.view.update_grid_values(m[self.measure]))
