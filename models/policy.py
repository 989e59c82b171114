"""Versioned policy: every number of DOMAIN.md §4–§6 as data, never as code.

A `Policy` is a frozen tree of dataclasses. It is stored in the database as JSON
(table `policy`, one row per version) and can be loaded from / dumped to TOML
so an administrator can change any value. `Policy()` gives the defaults: the
路桥 2017 scheme and the Beijing-style timers.
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
import json
import tomllib
from decimal import Decimal
from typing import Any, get_type_hints


@dc.dataclass(frozen=True)
class WorkHours:
    """Working hours of a working day, as (start, end) pairs in local time."""

    periods: tuple[tuple[str, str], ...] = (("08:30", "12:00"), ("13:30", "17:30"))

    def parsed(self) -> list[tuple[dt.time, dt.time]]:
        return [(dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in self.periods]


@dc.dataclass(frozen=True)
class StepLimits:
    """Default limits of the steps that the dictionary rule does not set.

    Each limit is (value, unit) with unit one of models.enums.TimeUnit values.
    """

    verify: tuple[float, str] = (30 / 60, "urgent_hours")
    accept: tuple[float, str] = (1, "work_days")
    dispatch: tuple[float, str] = (30 / 60, "urgent_hours")
    check: tuple[float, str] = (2, "work_hours")
    whole_case: tuple[float, str] = (5, "work_days")  # Luqiao: finished within 5 days


@dc.dataclass(frozen=True)
class TimerPolicy:
    yellow_at: float = 0.8  # share of the limit used from which the light is yellow
    red_above: float = 1.0  # share of the limit used above which the light is red
    work_hours: WorkHours = WorkHours()
    steps: StepLimits = StepLimits()


@dc.dataclass(frozen=True)
class SupervisionPolicy:
    yellow_points: float = 5.0
    red_points: float = 10.0
    normal_points: float = 0.0
    auto_yellow_when_red: bool = True  # yellow card when a case's light turns red
    auto_red_at_multiple: float = 2.0  # red card at overdue multiple >= this


@dc.dataclass(frozen=True)
class IntakePolicy:
    duplicate_radius_m: float = 50.0
    camera_radius_m: float = 300.0


@dc.dataclass(frozen=True)
class ScoreWeights:
    """Region score (综合指标值) weights and grade thresholds (DOMAIN §5)."""

    report_rate: float = 0.10  # 监督举报率
    filed_band: float = 0.20  # 立案数 band score
    closure_rate: float = 0.30
    on_time_closure_rate: float = 0.40
    # filed-per-grid-per-month bands -> band score (upper bound exclusive)
    filed_bands: tuple[tuple[float, float], ...] = ((1, 40), (3, 60), (6, 80), (10, 90), (1e18, 100))
    grades: tuple[tuple[str, float], ...] = (("A", 90), ("B", 75), ("C", 60), ("D", 40), ("E", 0))
    dept_closure_rate: float = 0.4
    dept_on_time_handle_rate: float = 0.4
    dept_no_rework: float = 0.2


@dc.dataclass(frozen=True)
class StarPolicy:
    """Quarterly grid-worker star rating (路桥 2017, issue 7)."""

    probation_months: int = 3
    rate_weights: tuple[Decimal, Decimal, Decimal, Decimal] = (
        Decimal("0.25"), Decimal("0.25"), Decimal("0.25"), Decimal("0.25"))
    # (minimum score, star), checked from the top
    thresholds: tuple[tuple[Decimal, int], ...] = (
        (Decimal(95), 5), (Decimal(90), 4), (Decimal(80), 3), (Decimal(70), 2), (Decimal(60), 1))
    # star -> share of N rated workers (floor); stars not listed have no quota
    quotas: tuple[tuple[int, Decimal], ...] = ((5, Decimal("0.10")), (4, Decimal("0.20")), (3, Decimal("0.40")))
    # bonus ratio by star 0..5, in percent
    bonus_percent: tuple[int, int, int, int, int, int] = (0, 20, 50, 80, 100, 120)
    per_grid_yuan: Decimal = Decimal(30000)
    bonus_pool_share: Decimal = Decimal("0.20")
    quarters_per_year: int = 4
    # patrol duty rule (from GPS tracks)
    min_field_days_per_week: int = 5
    min_patrols_per_day: int = 2
    min_patrol_hours: float = 2.0

    @property
    def quarterly_bonus_base(self) -> Decimal:
        return self.per_grid_yuan * self.bonus_pool_share / self.quarters_per_year


@dc.dataclass(frozen=True)
class FundingPolicy:
    """Yearly town tiers and funding allocation (路桥 2017, issue 7)."""

    fund_yuan: Decimal = Decimal(22_000_000)
    per_grid_yuan: Decimal = Decimal(30000)
    tier_coefficients: tuple[Decimal, Decimal, Decimal] = (Decimal("1.2"), Decimal("1.0"), Decimal("0.8"))
    tier_share: Decimal = Decimal(1) / Decimal(3)  # first and last tier: round-half-up(n * share)
    score_on_time_closure: Decimal = Decimal("0.4")
    score_closure: Decimal = Decimal("0.3")
    score_worker_mean: Decimal = Decimal("0.3")


@dc.dataclass(frozen=True)
class SecurityPolicy:
    max_failed_logins: int = 5
    lockout_minutes: int = 15


@dc.dataclass(frozen=True)
class Policy:
    name: str = "路桥2017默认"
    timezone: str = "Asia/Shanghai"
    timers: TimerPolicy = TimerPolicy()
    supervision: SupervisionPolicy = SupervisionPolicy()
    intake: IntakePolicy = IntakePolicy()
    scores: ScoreWeights = ScoreWeights()
    stars: StarPolicy = StarPolicy()
    funding: FundingPolicy = FundingPolicy()
    security: SecurityPolicy = SecurityPolicy()

    # --- serialisation -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return _to_plain(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Policy":
        return _from_plain(cls, data)

    @classmethod
    def from_json(cls, text: str) -> "Policy":
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_toml(cls, text: str) -> "Policy":
        return cls.from_dict(tomllib.loads(text))

    def flat_items(self) -> list[tuple[str, str]]:
        """(dotted key, value) pairs, for the 说明 sheet of every workbook."""
        out: list[tuple[str, str]] = []

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict):
                for k, v in value.items():
                    walk(f"{prefix}.{k}" if prefix else k, v)
            else:
                out.append((prefix, json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value))

        walk("", self.to_dict())
        return out


def _to_plain(value: Any) -> Any:
    if dc.is_dataclass(value):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dc.fields(value)}
    if isinstance(value, tuple):
        return [_to_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def _from_plain(cls: type, data: dict[str, Any]) -> Any:
    """Rebuild a dataclass tree; missing keys keep their defaults, unknown keys fail."""
    hints = get_type_hints(cls)
    names = {f.name for f in dc.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown policy key(s) in {cls.__name__}: {', '.join(sorted(unknown))}")
    kwargs: dict[str, Any] = {}
    defaults = cls()
    for name, raw in data.items():
        hint = hints[name]
        default = getattr(defaults, name)
        kwargs[name] = _coerce(hint, default, raw)
    return cls(**kwargs)


def _coerce(hint: Any, default: Any, raw: Any) -> Any:
    if dc.is_dataclass(default):
        return _from_plain(type(default), raw)
    if isinstance(default, Decimal):
        return Decimal(str(raw))
    if isinstance(default, bool):
        return bool(raw)
    if isinstance(default, int) and not isinstance(default, bool):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, tuple):
        return _coerce_tuple(default, raw)
    return raw


def _coerce_tuple(default: tuple, raw: Any) -> tuple:
    sample = default[0] if default else None
    items = []
    for i, item in enumerate(raw):
        proto = default[i] if i < len(default) else sample
        if isinstance(proto, tuple):
            items.append(_coerce_tuple(proto, item))
        elif proto is None:
            items.append(item)
        else:
            items.append(_coerce(type(proto), proto, item))
    return tuple(items)


DEFAULT_POLICY = Policy()
