"""Official Chinese public-holiday schedules (放假调休), as data.

Transcribed from the State Council General Office notices (国务院办公厅关于 YYYY 年
部分节假日安排的通知):

- 2024: 国办发明电〔2023〕7号, 2023-10-25
- 2025: 国办发明电〔2024〕12号, 2024-11-12 (first year with the two extra days:
  除夕 and 5月2日)
- 2026: notice of 2025-11-04

Holiday days are the days the notice names as 放假, weekends inside a named range
included (they change no arithmetic but let the calendar view show the break);
a notice that says "X日放假，与周末连休" names only X. Make-up working days are the
weekend days the notice says are 上班, each under the festival it belongs to.
A district adds local days in its own calendar table; this is only the seed.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["FESTIVALS", "HOLIDAYS", "NOTICES", "default_calendar_rows", "known_years"]

FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")

# year -> ((festival, first 放假 day, last 放假 day, (make-up working days...)), ...)
_SCHEDULES: dict[int, tuple[tuple[str, str, str, tuple[str, ...]], ...]] = {
    2024: (
        ("元旦", "2024-01-01", "2024-01-01", ()),  # 1月1日放假，与周末连休
        ("春节", "2024-02-10", "2024-02-17", ("2024-02-04", "2024-02-18")),
        ("清明节", "2024-04-04", "2024-04-06", ("2024-04-07",)),
        ("劳动节", "2024-05-01", "2024-05-05", ("2024-04-28", "2024-05-11")),
        ("端午节", "2024-06-10", "2024-06-10", ()),  # 6月10日放假，与周末连休
        ("中秋节", "2024-09-15", "2024-09-17", ("2024-09-14",)),
        ("国庆节", "2024-10-01", "2024-10-07", ("2024-09-29", "2024-10-12")),
    ),
    2025: (
        ("元旦", "2025-01-01", "2025-01-01", ()),
        ("春节", "2025-01-28", "2025-02-04", ("2025-01-26", "2025-02-08")),
        ("清明节", "2025-04-04", "2025-04-06", ()),
        ("劳动节", "2025-05-01", "2025-05-05", ("2025-04-27",)),
        ("端午节", "2025-05-31", "2025-06-02", ()),
        # 国庆节、中秋节 merged (中秋 falls on 10月6日): one break of 8 days
        ("国庆节、中秋节", "2025-10-01", "2025-10-08", ("2025-09-28", "2025-10-11")),
    ),
    2026: (
        ("元旦", "2026-01-01", "2026-01-03", ("2026-01-04",)),
        ("春节", "2026-02-15", "2026-02-23", ("2026-02-14", "2026-02-28")),
        ("清明节", "2026-04-04", "2026-04-06", ()),
        ("劳动节", "2026-05-01", "2026-05-05", ("2026-05-09",)),
        ("端午节", "2026-06-19", "2026-06-21", ()),
        ("中秋节", "2026-09-25", "2026-09-27", ()),
        ("国庆节", "2026-10-01", "2026-10-07", ("2026-09-20", "2026-10-10")),
    ),
}

NOTICES: dict[int, str] = {
    2024: "国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号，2023-10-25）",
    2025: "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号，2024-11-12）",
    2026: "国务院办公厅关于2026年部分节假日安排的通知（2025-11-04）",
}


def _expand(year: int) -> tuple[list[tuple[dt.date, str]], list[tuple[dt.date, str]]]:
    holidays: list[tuple[dt.date, str]] = []
    workdays: list[tuple[dt.date, str]] = []
    for name, first, last, makeups in _SCHEDULES[year]:
        d, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
        while d <= end:
            holidays.append((d, name))
            d += dt.timedelta(days=1)
        workdays.extend((dt.date.fromisoformat(m), name) for m in makeups)
    return sorted(holidays), sorted(workdays)


HOLIDAYS: dict[int, tuple[list[tuple[dt.date, str]], list[tuple[dt.date, str]]]] = {
    year: _expand(year) for year in _SCHEDULES
}
"""year -> (holiday days [(date, festival)], make-up working days [(date, festival)])."""


def known_years() -> list[int]:
    return sorted(HOLIDAYS)


def default_calendar_rows(year: int) -> list[tuple[dt.date, str, str]]:
    """(date, 'holiday' | 'workday', festival) rows of a year, by date.

    A year without a published schedule gives no rows (plain Mon–Fri weeks).
    """
    if year not in HOLIDAYS:
        return []
    holidays, workdays = HOLIDAYS[year]
    rows = [(d, "holiday", n) for d, n in holidays] + [(d, "workday", n) for d, n in workdays]
    return sorted(rows)
