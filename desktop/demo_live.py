"""`griddesk gui --demo-live`: keep the demo district alive while the window runs.

`DemoLiveDriver(engine_url, speed=1.0).start()` runs `LiveSimulator.tick` on a
QTimer, each tick on a worker thread (never on the GUI thread), one at a time.
The simulator writes through `CaseService` like any other seat, so the window
sees its work through the live feed, exactly as it would see a colleague's.
`speed` multiplies the pace (arrivals × speed, delays ÷ speed); at 1.0 the
district runs at Luqiao's real rate (~130 reports a day, busiest 8–18 h).
A database that goes away only costs failed ticks (`failed` signal); the
driver keeps trying at its normal pace.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy.engine import Engine

from desktop.workers import TaskRunner
from models.db import make_engine, resolve_url
from models.demo.live import CASES_PER_DAY, LiveSimulator

log = logging.getLogger(__name__)


class _SimHolder:
    """The simulator, made on the first tick (on the worker) and used by one tick at a time."""

    def __init__(self, engine_url: str, seed: int | None, speed: float, rate_per_hour: float) -> None:
        self.engine_url, self.seed, self.speed, self.rate_per_hour = engine_url, seed, speed, rate_per_hour
        self.engine: Engine | None = None
        self.sim: LiveSimulator | None = None

    def get(self) -> LiveSimulator:
        if self.sim is None:
            self.engine = make_engine(self.engine_url)
            rng = random.Random(self.seed) if self.seed is not None else random.Random()
            self.sim = LiveSimulator(self.engine, rng, self.rate_per_hour, speed=self.speed)
        return self.sim

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def run_tick(holder: _SimHolder, now: dt.datetime) -> dict[str, Any]:
    """One simulator tick (worker thread); returns the tick's counts (plain values)."""
    return holder.get().tick(now)


class DemoLiveDriver(QObject):
    """Runs the live demo simulator every `interval_ms` off the GUI thread."""

    ticked = Signal(object)  # dict of the tick's counts: reported, file, dispatch, …, case_ids
    failed = Signal(str)

    def __init__(self, engine_url: str | None = None, speed: float = 1.0, *, interval_ms: int = 2000,
                 seed: int | None = None, rate_per_hour: float = CASES_PER_DAY / 24,
                 clock: Callable[[], dt.datetime] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self._holder = _SimHolder(resolve_url(engine_url), seed, speed, rate_per_hour)
        self._clock = clock or dt.datetime.now
        self._runner = TaskRunner(self, max_threads=1)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer)
        self._busy = False
        self.ticks = 0
        self.failures = 0
        self.totals: dict[str, int] = {}

    def start(self) -> DemoLiveDriver:
        self._timer.start()
        self._on_timer()  # the first tick only sets the clock; arrivals follow from the next one
        return self

    def stop(self, wait_ms: int = 5000) -> None:
        self._timer.stop()
        self._runner.shutdown(wait_ms)
        self._holder.close()

    def is_running(self) -> bool:
        return self._timer.isActive()

    def _on_timer(self) -> None:
        if self._busy:
            return  # a slow tick: the next one waits (the simulator catches up by the clock)
        self._busy = True
        self._runner.submit("tick", run_tick, self._holder, self._clock(),
                            on_done=self._on_done, on_error=self._on_error)

    def _on_done(self, result: dict[str, Any]) -> None:
        self._busy = False
        self.ticks += 1
        for key, value in result.items():
            if isinstance(value, int) and not isinstance(value, bool) and key != "open":
                self.totals[key] = self.totals.get(key, 0) + value
        self.ticked.emit(result)

    def _on_error(self, exc: BaseException) -> None:
        self._busy = False
        self.failures += 1
        if self.failures == 1 or self.failures % 30 == 0:
            log.warning("demo-live tick failed (%d so far): %s", self.failures, exc)
        self.failed.emit(str(exc))


__all__ = ["DemoLiveDriver", "run_tick"]
