"""The GridDesk database schema (SQLAlchemy 2.0, typed)."""

from .activity import Patrol, StarRating, TownAssessment, TrackPoint, WorkerMetrics
from .base import Base
from .cases import Attachment, Case, DispatchRule, FlowLog
from .dictionary import CalendarDay, DictionaryVersion, MajorClass, MinorClass
from .geo import Department, District, Grid, Town, Village
from .kpi import KpiHandleHist, KpiRollup, KpiState
from .org import Staff, User
from .system import AuditLog, Camera, ChangeFeed, ConferenceProviderRow, PolicyRow

__all__ = [
    "Attachment", "AuditLog", "Base", "CalendarDay", "Camera", "Case", "ChangeFeed",
    "ConferenceProviderRow", "Department", "DictionaryVersion", "DispatchRule", "District",
    "FlowLog", "Grid", "KpiHandleHist", "KpiRollup", "KpiState", "MajorClass", "MinorClass", "Patrol", "PolicyRow", "Staff",
    "StarRating", "Town", "TownAssessment", "TrackPoint", "User", "Village", "WorkerMetrics",
]
