"""Domain enumerations, stored by value. Widgets translate them for display."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """Administrative/handling level of the four-level linkage (DOMAIN §4)."""

    GRID = "grid"
    VILLAGE = "village"
    TOWN = "town"
    DISTRICT = "district"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]

    def up(self) -> "Level | None":
        order = list(Level)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


_LEVEL_RANK = {Level.GRID: 0, Level.VILLAGE: 1, Level.TOWN: 2, Level.DISTRICT: 3}


class GridKind(StrEnum):
    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"
    INDUSTRIAL = "industrial"
    SPECIAL = "special"


class StaffRole(StrEnum):
    """Grid team roles (DOMAIN §1)."""

    GUIDE = "guide"  # 网格指导员
    LEADER = "leader"  # 网格长
    FULL_TIME = "full_time"  # 专职网格员
    PART_TIME = "part_time"  # 兼职网格员


class ClassKind(StrEnum):
    """Dictionary family of a class (DOMAIN §3)."""

    COMPONENT = "component"  # 部件
    EVENT = "event"  # 事件
    COMPREHENSIVE = "comprehensive"  # 全科网格


class TimeUnit(StrEnum):
    """Unit of a handling time limit (DOMAIN §3)."""

    URGENT_HOURS = "urgent_hours"  # 紧急工作时: continuous hours
    WORK_HOURS = "work_hours"  # 工作时
    WORK_DAYS = "work_days"  # 工作日
    CALENDAR_DAYS = "calendar_days"  # 自然日


class CaseSource(StrEnum):
    GRID_WORKER = "grid_worker"  # 网格员巡查上报 (平安通)
    HOTLINE = "hotline"  # 12345 热线
    CAMERA = "camera"  # 视频/AI 发现
    PUBLIC = "public"  # 群众上报
    WECHAT = "wechat"  # 微信群
    LEGACY = "legacy"  # imported from an old ledger


class CaseStatus(StrEnum):
    """Where a case stands in the closed loop (DOMAIN §4)."""

    REPORTED = "reported"  # 上报, waiting for verification or intake
    VERIFIED = "verified"  # 核实 done, waiting for intake
    FILED = "filed"  # 立案, waiting for dispatch
    DISPATCHED = "dispatched"  # 派遣, being handled
    HANDLED = "handled"  # 处置反馈 given, waiting for on-site check
    CHECKED = "checked"  # 核查 done, waiting for the shift leader to close
    CLOSED = "closed"  # 结案
    VOIDED = "voided"  # 作废
    SUSPENDED = "suspended"  # 挂账, timers paused

    @property
    def is_open(self) -> bool:
        return self not in (CaseStatus.CLOSED, CaseStatus.VOIDED)


class Step(StrEnum):
    """A timed step of the loop; each has a deadline column on the case."""

    VERIFY = "verify"
    ACCEPT = "accept"
    DISPATCH = "dispatch"
    HANDLE = "handle"
    CHECK = "check"
    CLOSE = "close"


class Card(StrEnum):
    """Supervision card (督办), escalating only."""

    NONE = "none"
    NORMAL = "normal"  # 普通督办
    YELLOW = "yellow"  # 黄牌
    RED = "red"  # 红牌

    @property
    def rank(self) -> int:
        return list(Card).index(self)


class CloseType(StrEnum):
    NORMAL = "normal"  # 正常结案
    OVERDUE = "overdue"  # 超时结案
    ERROR = "error"  # 差错结案
    SPECIAL = "special"  # 特殊结案
    SELF_HANDLED = "self_handled"  # 自处理


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    NONE = "none"  # no running timer (closed, voided, suspended)


class UserRole(StrEnum):
    """Seat roles of GridDesk users (issue 4)."""

    DUTY_OFFICER = "duty_officer"  # 值班员 (also intake/hotline clerk)
    SHIFT_LEADER = "shift_leader"  # 值班长
    DISPATCHER = "dispatcher"  # 派遣员
    TOWN_OFFICER = "town_officer"  # 镇街, scoped to one town
    FINANCE = "finance"  # 财务
    ADMIN = "admin"
    GRID_WORKER = "grid_worker"  # field worker (reports, verifies, checks, self-handles)
    DEPARTMENT = "department"  # 职能部门 handler


class AuditAction(StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"
