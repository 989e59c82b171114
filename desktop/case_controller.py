"""Case handling in the window: load a case's detail, take an action through its
dialog (with version-conflict recovery that keeps the user's input), intake.

Every write runs in its own Session on the GUI thread (a single short
transaction); a database error keeps the dialog's input so nothing typed is lost.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from models.auth import Identity
from models.case_view import CaseDetail, attachment_bytes, load_detail
from models.enums import Level
from models.lifecycle import Action, CaseError, Params, VersionConflict
from models.lifecycle.service import CaseService
from models.reference import active_classes, departments, district_bbox
from widgets.action_dialogs import ActionDialog, ConflictDialog
from widgets.intake_dialog import ClassOption, IntakeDialog


class CaseController(QObject):
    detailLoaded = Signal(object)  # CaseDetail
    caseChanged = Signal(int)  # a write of this seat succeeded
    failed = Signal(str)
    intakeOpened = Signal(object)  # IntakeDialog
    intakeSaved = Signal(int)
    intakeClosed = Signal()

    def __init__(self, sessions: sessionmaker[Session], identity: Identity, parent_widget: QWidget,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        super().__init__(parent_widget)
        self.sessions = sessions
        self.identity = identity
        self.parent_widget = parent_widget
        self.clock = clock or (lambda: dt.datetime.now().replace(microsecond=0))
        self.current: CaseDetail | None = None
        self.active_intake: IntakeDialog | None = None
        with self.sessions() as s:
            self._departments = departments(s)
            self._classes = active_classes(s)
            self._bbox = district_bbox(s, identity)

    # --- reading ------------------------------------------------------------
    def load(self, case_id: int) -> CaseDetail | None:
        try:
            with self.sessions() as s:
                detail = load_detail(s, self.identity, case_id, self.clock())
        except (CaseError, SQLAlchemyError) as exc:
            self.failed.emit(str(exc))
            return None
        self.current = detail
        self.detailLoaded.emit(detail)
        return detail

    def attachment(self, attachment_id: int) -> bytes:
        with self.sessions() as s:
            return attachment_bytes(s, self.identity, attachment_id)

    def department_names(self) -> dict[int, str]:
        return {i: name for i, _, name in self._departments}

    # --- acting ---------------------------------------------------------------
    def _rule(self, detail: CaseDetail):
        return next((c for c in self._classes if c.code == detail.class_code), None)

    def request(self, action_value: str) -> bool:
        """Open the dialog of `action_value` for the current case and apply it."""
        detail = self.current
        if detail is None:
            return False
        action = Action(action_value)
        rule = self._rule(detail)
        dialog = ActionDialog(action, detail, departments=self._departments,
                              default_department_id=rule.department_id if rule else None,
                              rule_level=None if rule is None else Level(rule.level), resolve_case_code=self._case_id,
                              parent=self.parent_widget)
        while dialog.exec() == ActionDialog.DialogCode.Accepted:
            if self._apply(detail, action, dialog.params(), detail.version):
                return True
            # the write failed: reopen with what the user typed
            dialog = ActionDialog(action, self.current or detail, departments=self._departments,
                                  default_department_id=rule.department_id if rule else None,
                                  rule_level=None if rule is None else Level(rule.level),
                                  resolve_case_code=self._case_id, initial=dialog.params(),
                                  parent=self.parent_widget)
        return False

    def _case_id(self, code: str) -> int | None:
        import sqlalchemy as sa

        from models.schema import Case

        with self.sessions() as s:
            return s.scalar(sa.select(Case.id).where(Case.code == code.strip()))

    def _apply(self, detail: CaseDetail, action: Action, params: Params, version: int) -> bool:
        try:
            with self.sessions() as s:
                CaseService(s, self.identity, clock=self.clock).act(detail.id, version, action, params)
                s.commit()
        except VersionConflict as conflict:
            return self._resolve_conflict(detail, action, params, conflict)
        except CaseError as exc:
            QMessageBox.warning(self.parent_widget, self.tr("无法执行"), str(exc))
            return False
        except OperationalError as exc:
            QMessageBox.critical(self.parent_widget, self.tr("数据库连接中断"),
                                 self.tr("操作未保存, 您填写的内容已保留, 请稍后重试。\n{0}").format(exc.orig))
            return False
        self.caseChanged.emit(detail.id)
        self.load(detail.id)
        return True

    def _resolve_conflict(self, old: CaseDetail, action: Action, params: Params, conflict: VersionConflict) -> bool:
        fresh = self.load(old.id)
        if fresh is None:
            return False
        dialog = ConflictDialog(conflict, old, fresh, action, params, departments=self._departments,
                                parent=self.parent_widget)
        dialog.exec()
        choice = dialog.choice()
        if choice == "reapply":
            return self._apply(fresh, action, dialog.params(), dialog.expected_version())
        if choice == "edit":
            rule = self._rule(fresh)
            again = ActionDialog(action, dialog.fresh(), departments=self._departments,
                                 default_department_id=rule.department_id if rule else None,
                                 rule_level=None if rule is None else Level(rule.level), resolve_case_code=self._case_id,
                                 initial=dialog.params(), parent=self.parent_widget)
            if again.exec() == ActionDialog.DialogCode.Accepted:
                return self._apply(fresh, action, again.params(), fresh.version)
        return False

    # --- intake -----------------------------------------------------------------
    def class_options(self) -> list[ClassOption]:
        return [ClassOption(c.code, c.name, c.major_name, c.kind, c.time_limit, c.time_unit, c.filing_condition)
                for c in self._classes]

    def _locate(self, lon: float, lat: float):
        with self.sessions() as s:
            grid = CaseService(s, self.identity, clock=self.clock).locate_grid(lon, lat)
            return (grid.code, grid.name, grid.town.name) if grid is not None else None

    def _duplicates(self, class_code: str, lon: float, lat: float):
        with self.sessions() as s:
            svc = CaseService(s, self.identity, clock=self.clock)
            return svc.duplicates(svc.minor_class(class_code).id, lon, lat)

    def intake_dialog(self) -> IntakeDialog:
        from models.enums import UserRole

        bbox = self._bbox or (-180.0, -90.0, 180.0, 90.0)
        return IntakeDialog(self.class_options(), bbox=bbox, locate=self._locate, duplicates=self._duplicates,
                            allow_self_handled=self.identity.role in (UserRole.GRID_WORKER, UserRole.TOWN_OFFICER),
                            parent=self.parent_widget)

    def submit_intake(self, dialog: IntakeDialog) -> int | None:
        data = dialog.result_data()
        try:
            with self.sessions() as s:
                svc = CaseService(s, self.identity, clock=self.clock)
                case = svc.report(**data.report_kwargs())
                dup = data.duplicate_params()
                if dup is not None:
                    svc.act(case.id, case.version, Action.MARK_DUPLICATE, dup)
                s.commit()
                case_id = case.id
        except CaseError as exc:
            QMessageBox.warning(self.parent_widget, self.tr("无法受理"), str(exc))
            return None
        except OperationalError as exc:
            QMessageBox.critical(self.parent_widget, self.tr("数据库连接中断"),
                                 self.tr("案件未保存, 您填写的内容已保留, 请稍后重试。\n{0}").format(exc.orig))
            return None
        self.caseChanged.emit(case_id)
        return case_id

    def start_intake(self) -> IntakeDialog:
        """Open the intake dialog non-modally, so a map click can set the location.

        On a failed save the dialog is shown again with everything typed kept.
        """
        dialog = self.intake_dialog()
        dialog.setModal(False)
        self.active_intake = dialog
        dialog.accepted.connect(lambda: self._intake_accepted(dialog))
        dialog.rejected.connect(lambda: self._intake_closed(dialog))
        dialog.show()
        self.intakeOpened.emit(dialog)
        return dialog

    def _intake_accepted(self, dialog: IntakeDialog) -> None:
        case_id = self.submit_intake(dialog)
        if case_id is None:
            dialog.show()
            return
        self._intake_closed(dialog)
        self.intakeSaved.emit(case_id)

    def _intake_closed(self, dialog: IntakeDialog) -> None:
        if self.active_intake is dialog:
            self.active_intake = None
            self.intakeClosed.emit()
