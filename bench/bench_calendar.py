"""Micro-benchmark of the work calendar: µs per add / elapsed / evaluate.

Run: .venv/bin/python bench/bench_calendar.py
Prints one line per case; no assertions (the tests never time anything).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.defaults import default_work_calendar  # noqa: E402
from models.enums import Step, TimeUnit  # noqa: E402
from models.timers import evaluate  # noqa: E402

N = 20_000
REPEAT = 5


def per_call_us(fn, args) -> float:
    best = float("inf")
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        for a in args:
            fn(*a)
        best = min(best, time.perf_counter() - t0)
    return best / len(args) * 1e6


def main() -> None:
    cal = default_work_calendar()
    rng = random.Random(7)
    base = dt.datetime(2024, 1, 1)
    starts = [base + dt.timedelta(seconds=rng.randrange(3 * 365 * 86400)) for _ in range(N)]
    cases = [
        (TimeUnit.WORK_HOURS, 4),
        (TimeUnit.WORK_DAYS, 3),
        (TimeUnit.WORK_DAYS, 30),
        (TimeUnit.URGENT_HOURS, 2),
        (TimeUnit.CALENDAR_DAYS, 5),
    ]
    print(f"{'unit':<14} {'value':>5}  {'add µs':>7}  {'elapsed µs':>10}  {'evaluate µs':>11}")
    for unit, value in cases:
        add_us = per_call_us(cal.add, [(s, value, unit) for s in starts])
        ends = [cal.add(s, value, unit) for s in starts]
        el_us = per_call_us(cal.elapsed, [(s, e, unit) for s, e in zip(starts, ends)])
        nows = [s + (e - s) * 0.9 for s, e in zip(starts, ends)]
        ev_us = per_call_us(
            evaluate, [(cal, Step.HANDLE, s, value, unit, n) for s, n in zip(starts, nows)]
        )
        print(f"{unit.value:<14} {value:>5}  {add_us:>7.2f}  {el_us:>10.2f}  {ev_us:>11.2f}")


if __name__ == "__main__":
    main()
