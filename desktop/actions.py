"""The window's actions, declared as data and turned into QActions in one place.

Each action says which roles have it and whether it exists on the video wall
(which has no editing controls). The role decides which actions exist at all:
an action a role may not use is never created, not just disabled.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QAction, QKeySequence

from models.conference_store import CONSULT_ROLES
from models.enums import UserRole as R

ALL = frozenset(R)
CASE_WORK = frozenset({R.DUTY_OFFICER, R.SHIFT_LEADER, R.DISPATCHER, R.TOWN_OFFICER, R.GRID_WORKER, R.DEPARTMENT})
INTAKE = frozenset({R.DUTY_OFFICER, R.SHIFT_LEADER, R.TOWN_OFFICER, R.GRID_WORKER})
REPORTS = frozenset({R.FINANCE, R.TOWN_OFFICER, R.ADMIN, R.SHIFT_LEADER})
# video consults: the roles that may hold one (the data layer's rule; the case detail's button follows it too)
CONSULT = CONSULT_ROLES


def tr(text: str) -> str:
    return QCoreApplication.translate("Actions", text)


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str  # Chinese source text; English comes from the .qm translation
    menu: str  # file | case | view | report | help
    shortcut: str | None = None
    roles: frozenset[R] = ALL
    on_wall: bool = True
    checkable: bool = False
    toolbar: bool = False
    separator_before: bool = False  # a menu separator above this action


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("case.new", QCoreApplication.translate("Actions", "受理新案件…"), "case", "Ctrl+N", INTAKE,
               on_wall=False, toolbar=True),
    ActionSpec("case.refresh", QCoreApplication.translate("Actions", "立即刷新"), "case", "F5", toolbar=True),
    ActionSpec("case.supervise", QCoreApplication.translate("Actions", "按规则督办"), "case", None,
               frozenset({R.SHIFT_LEADER}), on_wall=False),
    ActionSpec("case.locate", QCoreApplication.translate("Actions", "在地图上定位"), "case", "Ctrl+L", CASE_WORK),
    ActionSpec("consult.grid", QCoreApplication.translate("Actions", "与网格视频会商"), "case", None, CONSULT,
               on_wall=False, separator_before=True),
    ActionSpec("consult.town", QCoreApplication.translate("Actions", "与镇街视频会商…"), "case", None, CONSULT,
               on_wall=False),
    ActionSpec("consult.end", QCoreApplication.translate("Actions", "结束会商…"), "case", None, CONSULT,
               on_wall=False),
    ActionSpec("view.fullscreen", QCoreApplication.translate("Actions", "全屏"), "view", "F11", checkable=True,
               toolbar=True),
    ActionSpec("view.layout.wall", QCoreApplication.translate("Actions", "大屏布局"), "view", "Ctrl+1",
               checkable=True),
    ActionSpec("view.layout.office", QCoreApplication.translate("Actions", "办公布局"), "view", "Ctrl+2",
               checkable=True),
    ActionSpec("view.reset_layout", QCoreApplication.translate("Actions", "恢复默认布局"), "view"),
    ActionSpec("view.sound", QCoreApplication.translate("Actions", "新红灯案件声音提示"), "view", checkable=True),
    ActionSpec("view.lang.zh", "中文", "view", checkable=True),
    ActionSpec("view.lang.en", "English", "view", checkable=True),
    ActionSpec("report.panel", QCoreApplication.translate("Actions", "报表与导出…"), "report", "Ctrl+R", REPORTS,
               on_wall=False, toolbar=True),
    ActionSpec("app.logout", QCoreApplication.translate("Actions", "注销"), "file"),
    ActionSpec("app.quit", QCoreApplication.translate("Actions", "退出"), "file", "Ctrl+Q"),
    ActionSpec("help.about", QCoreApplication.translate("Actions", "关于 GridDesk"), "help"),
)

MENUS = (("file", QCoreApplication.translate("Actions", "文件")), ("case", QCoreApplication.translate("Actions", "案件")),
         ("view", QCoreApplication.translate("Actions", "视图")),
         ("report", QCoreApplication.translate("Actions", "报表")),
         ("help", QCoreApplication.translate("Actions", "帮助")))


def specs_for(role: R, wall: bool) -> list[ActionSpec]:
    """The actions that exist for `role` in this layout."""
    return [a for a in ACTIONS if role in a.roles and (a.on_wall or not wall)]


def build_actions(parent: QObject, role: R, wall: bool) -> dict[str, QAction]:
    out = {}
    for spec in specs_for(role, wall):
        action = QAction(tr(spec.text), parent)
        action.setObjectName(spec.id)
        if spec.shortcut:
            action.setShortcut(QKeySequence(spec.shortcut))
        action.setCheckable(spec.checkable)
        out[spec.id] = action
    return out
