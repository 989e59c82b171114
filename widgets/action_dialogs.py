"""Dialogs of the case actions: one `ActionDialog` per action, and `ConflictDialog`.

`ActionDialog(action, detail, …)` asks exactly what the action needs (the
`RULES` row and the engine's inputs): a reason for exceptions, a department and
a level for dispatch, a card above the current one, an extension in the
class rule's unit, a close type, the original case of a duplicate, the
decision of an appeal. OK stays disabled, with the reasons shown, until the
input is valid; `params()` returns a `models.lifecycle.Params`.

The caller applies the Params through `CaseService.act`. On `VersionConflict`
it loads the fresh snapshot and shows `ConflictDialog(conflict, old, new,
action, params)`: what the others did, the fields that changed, the kept
input — and "reload and re-apply my input", which returns the same Params for
the fresh version. The dialogs never touch the database; looking up a case by
its code goes through a callable passed in.

Demo with fake data::

    python -m widgets.action_dialogs [ACTION] [--conflict] [--en] [--quit-after MS]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QComboBox, QDialog, QDialogButtonBox,
                               QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton,
                               QRadioButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from models.case_view import CaseDetail
from models.enums import Card, CloseType, Level
from models.lifecycle.actions import RULES, Action
from models.lifecycle.engine import Params
from models.lifecycle.errors import VersionConflict
from widgets import labels as L
from widgets.case_detail import SHOWN_BY_NAME, value_text

DepartmentRow = tuple[int, str, str]  # (id, code, name)
CandidateRow = tuple[int, str, str]  # (case id, code, description)
ResolveCode = Callable[[str], "int | None"]

CLOSE_CHOICES = (CloseType.NORMAL, CloseType.ERROR, CloseType.SPECIAL)


# --- pure decisions -------------------------------------------------------------


def card_choices(current: Card) -> list[Card]:
    """The cards that may still be issued: only above the current one."""
    return [c for c in Card if c is not Card.NONE and c.rank > current.rank]


def dispatch_level(current: Level, rule_level: Level | None) -> Level:
    """Default handling level of a dispatch: the class rule's, never below where the case stands
    (after an escalation the case is dispatched at its new level)."""
    if rule_level is None:
        return current
    return rule_level if rule_level.rank >= current.rank else current


def validate_params(action: Action | str, params: Params, detail: CaseDetail,
                    department_ids: Sequence[int] | None = None) -> list[str]:
    """What is missing or wrong in `params` for `action` on `detail` (empty: valid)."""
    action = Action(action)
    rule = RULES.get(action)
    out = []
    if rule is not None and rule.needs_reason and not params.reason.strip():
        out.append(L.ui("err_reason"))
    if action is Action.DISPATCH:
        if params.department_id is None:
            out.append(L.ui("err_department"))
        elif department_ids is not None and params.department_id not in department_ids:
            out.append(L.ui("err_department_unknown"))
    if action is Action.CARD and (params.card in (None, Card.NONE) or params.card.rank <= detail.card.rank):
        out.append(L.ui("err_card"))
    if action is Action.EXTEND and not (params.extension is not None and params.extension > 0):
        out.append(L.ui("err_extension"))
    if action is Action.MARK_DUPLICATE:
        if params.duplicate_of_id is None:
            out.append(L.ui("err_duplicate"))
        elif params.duplicate_of_id == detail.id:
            out.append(L.ui("err_duplicate_self"))
    if action is Action.DECIDE_APPEAL and params.accept is None:
        out.append(L.ui("err_decision"))
    if action is Action.ESCALATE and detail.level.up() is None:
        out.append(L.ui("err_escalate_top"))
    return out


_NAMED = {"minor_class_id": "class", "grid_id": "grid", "department_id": "department",
          "duplicate_of_id": "duplicate_of"}
_NOISE = frozenset({"version", "updated_at"})


def _named(detail: CaseDetail, key: str) -> Any:
    return {"class": f"{detail.class_code} {detail.class_name}", "grid": f"{detail.grid_code} {detail.grid_name}",
            "department": detail.department or None, "duplicate_of": detail.duplicate_of_code}[key]


def diff_details(old: CaseDetail, new: CaseDetail) -> list[tuple[str, Any, Any]]:
    """The fields that differ between two snapshots of a case: `[(field, old, new), …]`.

    Values are as in `CaseDetail.fields` (enum values, datetimes); ids are
    replaced by what they name (department name, class, grid, duplicate's
    code). The version and update time, which change on every write, are left
    out; a changed number of attachments is reported as `attachments`.
    """
    out: list[tuple[str, Any, Any]] = []
    keys = list(new.fields) + [k for k in old.fields if k not in new.fields]
    for key in keys:
        if key in _NOISE:
            continue
        if key in _NAMED:
            name = _NAMED[key]
            a, b = _named(old, name), _named(new, name)
            if a != b:
                out.append((name, a, b))
            continue
        if key in SHOWN_BY_NAME:
            continue
        a, b = old.fields.get(key), new.fields.get(key)
        if a != b:
            out.append((key, a, b))
    if len(old.attachments) != len(new.attachments):
        out.append(("attachments", len(old.attachments), len(new.attachments)))
    return out


def describe_params(action: Action | str, params: Params, detail: CaseDetail,
                    departments: Sequence[DepartmentRow] = (),
                    duplicate_code: str | None = None) -> list[tuple[str, str]]:
    """The user's input as (label, text) rows, for the conflict dialog."""
    action = Action(action)
    rows = [(L.ui("col_action"), L.action(action))]
    if params.department_id is not None:
        name = next((f"{c} {n}" for i, c, n in departments if i == params.department_id), f"#{params.department_id}")
        rows.append((L.ui("department_pick"), name))
    if params.level is not None:
        rows.append((L.ui("level_pick"), L.level(params.level)))
    if params.card is not None:
        rows.append((L.ui("card_pick"), L.card(params.card)))
    if params.extension is not None:
        rows.append((L.ui("extension"), f"{params.extension:g} {L.unit(detail.time_unit)}"))
    if params.close_type is not None:
        rows.append((L.ui("close_type"), L.close_type(params.close_type)))
    if params.duplicate_of_id is not None:
        rows.append((L.ui("duplicate_of"), duplicate_code or f"#{params.duplicate_of_id}"))
    if params.accept is not None:
        rows.append((L.ui("decision"), L.ui("accept") if params.accept else L.ui("reject")))
    if params.reason:
        rows.append((L.ui("reason"), params.reason))
    return rows


def diff_text(key: str, value: Any) -> str:
    if key in ("class", "grid", "department", "duplicate_of", "attachments"):
        return "—" if value in (None, "") else str(value)
    return value_text(key, value)


# --- the action dialog ----------------------------------------------------------------


class ActionDialog(QDialog):
    """Asks the input of one action; `params()` is the result once accepted.

    `departments`: (id, code, name) rows offered for dispatch (searchable);
    `default_department_id` / `rule_level`: the class rule's department and
    level (defaults of a dispatch); `duplicate_candidates`: (id, code,
    description) rows offered for a duplicate; `resolve_case_code(code) -> id |
    None` finds any other case by its code; `initial`: Params to start from
    (re-editing after a conflict).
    """

    def __init__(self, action: Action | str, detail: CaseDetail, *, departments: Sequence[DepartmentRow] = (),
                 default_department_id: int | None = None, rule_level: Level | None = None,
                 duplicate_candidates: Sequence[CandidateRow] = (), resolve_case_code: ResolveCode | None = None,
                 initial: Params | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.action = Action(action)
        self.detail = detail
        self._departments = list(departments)
        self._candidates = list(duplicate_candidates)
        self._resolve = resolve_case_code
        self._resolved: dict[str, int | None] = {}
        self._initial = initial or Params()
        self._rule = RULES.get(self.action)
        self.setWindowTitle(L.ui("dlg_title", L.action(self.action), detail.code))
        self.setObjectName(f"actionDialog_{self.action.value}")
        self.setMinimumWidth(460)
        lay = QVBoxLayout(self)
        intro = QLabel(L.ui("confirm", detail.code, L.action(self.action)) +
                       f"\n{detail.class_code} {detail.class_name} · {L.status(detail.status)} · "
                       f"{L.level(detail.level)}" + (f" · {detail.department}" if detail.department else ""))
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.form = QFormLayout()
        lay.addLayout(self.form)
        self.dept_filter = self.dept_list = self.level_combo = self.card_combo = None
        self.extension_spin = self.close_combo = self.dup_combo = None
        self.accept_radio = self.reject_radio = None
        self._build_inputs(default_department_id, rule_level)
        needs_reason = bool(self._rule and self._rule.needs_reason)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setObjectName("reason")
        self.reason_edit.setPlaceholderText(L.ui("reason") if needs_reason else L.ui("note"))
        self.reason_edit.setFixedHeight(80)
        self.reason_edit.setPlainText(self._initial.reason)
        self.form.addRow((L.ui("reason") + " *") if needs_reason else L.ui("note"), self.reason_edit)
        self.message = QLabel()
        self.message.setObjectName("problems")
        self.message.setStyleSheet("color: #c62828;")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(L.action(self.action))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(L.ui("cancel"))
        self.buttons.accepted.connect(self._on_accepted)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.reason_edit.textChanged.connect(self._revalidate)
        self._revalidate()

    # --- inputs per action -------------------------------------------------------
    def _build_inputs(self, default_department_id: int | None, rule_level: Level | None) -> None:
        a, p, d = self.action, self._initial, self.detail
        if a is Action.DISPATCH:
            box = QWidget()
            v = QVBoxLayout(box)
            v.setContentsMargins(0, 0, 0, 0)
            self.dept_filter = QLineEdit()
            self.dept_filter.setObjectName("departmentSearch")
            self.dept_filter.setPlaceholderText(L.ui("department_search"))
            self.dept_filter.setClearButtonEnabled(True)
            self.dept_list = QListWidget()
            self.dept_list.setObjectName("departments")
            self.dept_list.setFixedHeight(160)
            chosen = p.department_id if p.department_id is not None else default_department_id
            for dep_id, code, name in self._departments:
                item = QListWidgetItem(f"{code}  {name}")
                item.setData(Qt.ItemDataRole.UserRole, dep_id)
                self.dept_list.addItem(item)
                if dep_id == chosen:
                    self.dept_list.setCurrentItem(item)
            v.addWidget(self.dept_filter)
            v.addWidget(self.dept_list)
            self.form.addRow(L.ui("department_pick") + " *", box)
            self.dept_filter.textChanged.connect(self._on_dept_filter_changed)
            self.dept_list.currentItemChanged.connect(self._revalidate)
            self.level_combo = QComboBox()
            self.level_combo.setObjectName("level")
            for lv in Level:
                self.level_combo.addItem(L.level(lv), lv.value)
            default = p.level or dispatch_level(d.level, rule_level)
            self.level_combo.setCurrentIndex(self.level_combo.findData(default.value))
            self.form.addRow(L.ui("level_pick"), self.level_combo)
        elif a is Action.ESCALATE:
            up = d.level.up()
            self.escalate_label = QLabel(f"{L.level(d.level)} → {L.level(up) if up else '—'}")
            self.escalate_label.setObjectName("escalateTo")
            self.form.addRow(L.ui("escalate_to"), self.escalate_label)
        elif a is Action.CARD:
            self.card_combo = QComboBox()
            self.card_combo.setObjectName("card")
            for c in card_choices(d.card):
                self.card_combo.addItem(L.card(c), c.value)
            if p.card is not None and self.card_combo.findData(p.card.value) >= 0:
                self.card_combo.setCurrentIndex(self.card_combo.findData(p.card.value))
            self.card_combo.currentIndexChanged.connect(self._revalidate)
            self.form.addRow(L.ui("card_pick") + " *", self.card_combo)
            self.form.addRow("", QLabel(L.ui("current_card", L.card(d.card))))
        elif a is Action.EXTEND:
            self.extension_spin = QDoubleSpinBox()
            self.extension_spin.setObjectName("extension")
            self.extension_spin.setRange(0, 10000)
            self.extension_spin.setDecimals(1)
            self.extension_spin.setSuffix(" " + L.unit(d.time_unit))
            self.extension_spin.setValue(p.extension or 0)
            self.extension_spin.valueChanged.connect(self._revalidate)
            self.form.addRow(L.ui("extension") + " *", self.extension_spin)
            self.form.addRow("", QLabel(L.ui("current_deadline", L.fmt_time(d.fields.get("handle_deadline")))))
        elif a is Action.CLOSE:
            self.close_combo = QComboBox()
            self.close_combo.setObjectName("closeType")
            for ct in CLOSE_CHOICES:
                self.close_combo.addItem(L.close_type(ct), ct.value)
            if p.close_type is not None and self.close_combo.findData(p.close_type.value) >= 0:
                self.close_combo.setCurrentIndex(self.close_combo.findData(p.close_type.value))
            self.form.addRow(L.ui("close_type"), self.close_combo)
        elif a is Action.MARK_DUPLICATE:
            self.dup_combo = QComboBox()
            self.dup_combo.setObjectName("duplicateOf")
            self.dup_combo.setEditable(True)
            self.dup_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            for cid, code, desc in self._candidates:
                if cid != d.id:
                    self.dup_combo.addItem(f"{code}  {desc}"[:60], cid)
            self.dup_combo.setCurrentIndex(-1)
            if p.duplicate_of_id is not None:
                known = next((code for cid, code, _ in self._candidates if cid == p.duplicate_of_id), None)
                self.dup_combo.setEditText(known or f"#{p.duplicate_of_id}")
            self.dup_combo.editTextChanged.connect(self._revalidate)
            self.form.addRow(L.ui("duplicate_of") + " *", self.dup_combo)
        elif a is Action.DECIDE_APPEAL:
            row = QWidget()
            h = QHBoxLayout(row)
            h.setContentsMargins(0, 0, 0, 0)
            self.accept_radio = QRadioButton(L.ui("accept"))
            self.accept_radio.setObjectName("acceptAppeal")
            self.reject_radio = QRadioButton(L.ui("reject"))
            self.reject_radio.setObjectName("rejectAppeal")
            group = QButtonGroup(self)
            group.addButton(self.accept_radio)
            group.addButton(self.reject_radio)
            h.addWidget(self.accept_radio)
            h.addWidget(self.reject_radio)
            h.addStretch(1)
            if p.accept is not None:
                (self.accept_radio if p.accept else self.reject_radio).setChecked(True)
            self.accept_radio.toggled.connect(self._revalidate)
            self.reject_radio.toggled.connect(self._revalidate)
            self.form.addRow(L.ui("decision") + " *", row)

    # --- reading the input ------------------------------------------------------
    def _duplicate_id(self) -> int | None:
        text = self.dup_combo.currentText().strip()
        if not text:
            return None
        idx = self.dup_combo.currentIndex()
        if idx >= 0 and self.dup_combo.itemText(idx) == self.dup_combo.currentText():
            return self.dup_combo.itemData(idx)
        code = text.split()[0]
        for cid, c, _ in self._candidates:
            if c == code:
                return cid
        if code.startswith("#") and code[1:].isdigit():
            return int(code[1:])
        if self._resolve is None:
            return None
        if code not in self._resolved:
            self._resolved[code] = self._resolve(code)
        return self._resolved[code]

    def params(self) -> Params:
        """The input as engine Params (valid once `problems()` is empty)."""
        a = self.action
        kw: dict[str, Any] = {"reason": self.reason_edit.toPlainText().strip(), "detail": dict(self._initial.detail)}
        if a is Action.DISPATCH:
            item = self.dept_list.currentItem()
            kw["department_id"] = item.data(Qt.ItemDataRole.UserRole) if item and not item.isHidden() else None
            kw["level"] = Level(self.level_combo.currentData())
        elif a is Action.CARD:
            kw["card"] = Card(self.card_combo.currentData()) if self.card_combo.currentIndex() >= 0 else None
        elif a is Action.EXTEND:
            kw["extension"] = float(self.extension_spin.value())
        elif a is Action.CLOSE:
            kw["close_type"] = CloseType(self.close_combo.currentData())
        elif a is Action.MARK_DUPLICATE:
            kw["duplicate_of_id"] = self._duplicate_id()
        elif a is Action.DECIDE_APPEAL:
            kw["accept"] = True if self.accept_radio.isChecked() else False if self.reject_radio.isChecked() else None
        return Params(**kw)

    def problems(self) -> list[str]:
        p = self.params()
        out = validate_params(self.action, p, self.detail,
                              [r[0] for r in self._departments] if self.action is Action.DISPATCH else None)
        if self.action is Action.MARK_DUPLICATE and p.duplicate_of_id is None and self.dup_combo.currentText().strip():
            out = [m for m in out if m != L.ui("err_duplicate")]
            out.append(L.ui("err_duplicate_unknown", self.dup_combo.currentText().split()[0]))
        return out

    def duplicate_code(self) -> str | None:
        if self.dup_combo is None or not self.dup_combo.currentText().strip():
            return None
        return self.dup_combo.currentText().split()[0]

    # --- handlers -----------------------------------------------------------------
    def _on_dept_filter_changed(self, text: str) -> None:
        needle = text.strip().lower()
        first_visible = None
        for i in range(self.dept_list.count()):
            item = self.dept_list.item(i)
            hidden = bool(needle) and needle not in item.text().lower()
            item.setHidden(hidden)
            if not hidden and first_visible is None:
                first_visible = item
        cur = self.dept_list.currentItem()
        if (cur is None or cur.isHidden()) and first_visible is not None:
            self.dept_list.setCurrentItem(first_visible)
        self._revalidate()

    def _revalidate(self, *_: Any) -> None:
        problems = self.problems()
        self.message.setText("\n".join(problems))
        self.message.setVisible(bool(problems))
        self.ok_button.setEnabled(not problems)

    def _on_accepted(self) -> None:
        if not self.problems():
            self.accept()


# --- the conflict dialog ----------------------------------------------------------------


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], name: str) -> QTableWidget:
    t = QTableWidget(len(rows), len(headers))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(list(headers))
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            t.setItem(r, c, QTableWidgetItem(text))
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    t.resizeColumnsToContents()
    t.resizeRowsToContents()
    rows_h = t.verticalHeader().length() if rows else t.verticalHeader().defaultSectionSize()
    t.setFixedHeight(t.horizontalHeader().sizeHint().height() + rows_h + 2 * t.frameWidth() + 2)
    t.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return t


class ConflictDialog(QDialog):
    """The case changed under the user: show what changed and keep what they typed.

    `choice()` after exec: "reapply" (submit `params()` against `fresh()`'s
    version), "edit" (open the ActionDialog again with `initial=params()`), or
    "discard". Re-applying is offered only when the action is still possible
    for the user and the kept input is still valid on the fresh case.
    """

    REAPPLY, EDIT, DISCARD = "reapply", "edit", "discard"

    def __init__(self, conflict: VersionConflict, old: CaseDetail, new: CaseDetail, action: Action | str,
                 params: Params, *, departments: Sequence[DepartmentRow] = (), duplicate_code: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.setWindowTitle(L.ui("conflict_title"))
        self.setMinimumWidth(620)
        self.conflict, self.old, self.new = conflict, old, new
        self.action = Action(action)
        self._params = params
        self._choice = self.DISCARD
        lay = QVBoxLayout(self)
        intro = QLabel(L.ui("conflict_intro", conflict.case_code, conflict.expected, conflict.actual))
        intro.setWordWrap(True)
        lay.addWidget(intro)

        self.change_rows = [(self._at(c.get("at")), L.action(c.get("action", "")), str(c.get("actor", "")),
                             L.status(c.get("to_status")), str(c.get("reason") or ""))
                            for c in conflict.changes]
        box = QGroupBox(L.ui("conflict_changes"))
        QVBoxLayout(box).addWidget(_table([L.ui(k) for k in ("col_time", "col_action", "col_actor", "col_to",
                                                              "col_reason")], self.change_rows, "changes"))
        lay.addWidget(box)

        self.diff = diff_details(old, new)
        self.diff_rows = [(L.field(k), diff_text(k, a), diff_text(k, b)) for k, a, b in self.diff]
        box = QGroupBox(L.ui("conflict_diff"))
        QVBoxLayout(box).addWidget(_table([L.ui("col_field"), L.ui("col_old"), L.ui("col_new")], self.diff_rows,
                                          "diff"))
        lay.addWidget(box)

        box = QGroupBox(L.ui("conflict_mine"))
        form = QFormLayout(box)
        for label, text in describe_params(self.action, params, new, departments, duplicate_code):
            v = QLabel(text)
            v.setWordWrap(True)
            form.addRow(label + ":", v)
        lay.addWidget(box)

        self.blockers = self._blockers(departments)
        self.message = QLabel("\n".join(self.blockers))
        self.message.setObjectName("problems")
        self.message.setStyleSheet("color: #c62828;")
        self.message.setWordWrap(True)
        self.message.setVisible(bool(self.blockers))
        lay.addWidget(self.message)

        row = QHBoxLayout()
        self.discard_button = QPushButton(L.ui("discard"))
        self.edit_button = QPushButton(L.ui("edit_again"))
        self.reapply_button = QPushButton(L.ui("reapply"))
        self.reapply_button.setDefault(True)
        self.reapply_button.setEnabled(not self.blockers)
        self.edit_button.setEnabled(self.action in new.actions)
        row.addWidget(self.discard_button)
        row.addStretch(1)
        row.addWidget(self.edit_button)
        row.addWidget(self.reapply_button)
        lay.addLayout(row)
        self.discard_button.clicked.connect(self._on_discard)
        self.edit_button.clicked.connect(self._on_edit)
        self.reapply_button.clicked.connect(self._on_reapply)

    @staticmethod
    def _at(value: Any) -> str:
        import datetime as dt

        try:
            return L.fmt_time(dt.datetime.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value or "")

    def _blockers(self, departments: Sequence[DepartmentRow]) -> list[str]:
        if self.action not in self.new.actions:
            return [L.ui("err_action_gone", L.action(self.action))]
        ids = [r[0] for r in departments] if self.action is Action.DISPATCH and departments else None
        return validate_params(self.action, self._params, self.new, ids)

    def params(self) -> Params:
        """The input the user typed, unchanged."""
        return self._params

    def fresh(self) -> CaseDetail:
        return self.new

    def expected_version(self) -> int:
        """The version to submit against: the fresh snapshot's."""
        return self.new.version

    def choice(self) -> str:
        return self._choice

    def _on_reapply(self) -> None:
        self._choice = self.REAPPLY
        self.accept()

    def _on_edit(self) -> None:
        self._choice = self.EDIT
        self.accept()

    def _on_discard(self) -> None:
        self._choice = self.DISCARD
        self.reject()


# --- demo (clearly fake data) ------------------------------------------------------------

DEMO_DEPARTMENTS: list[DepartmentRow] = [
    (1, "D01", "演示区综合行政执法局"), (2, "D02", "演示区住房和城乡建设局"), (3, "D03", "演示区交通运输局"),
    (4, "D07", "演示区应急管理局"), (5, "D08", "演示区消防救援大队")]


def main(argv: list[str] | None = None) -> int:
    import argparse
    import dataclasses
    import datetime as dt

    from PySide6.QtWidgets import QApplication

    from models.enums import CaseStatus
    from widgets.case_detail import demo_detail

    ap = argparse.ArgumentParser(description="Action dialog demo (fake data)")
    ap.add_argument("action", nargs="?", default="dispatch", choices=[a.value for a in RULES])
    ap.add_argument("--conflict", action="store_true", help="show the conflict dialog instead")
    ap.add_argument("--en", action="store_true")
    ap.add_argument("--screenshot", metavar="PNG")
    ap.add_argument("--quit-after", type=int, metavar="MS")
    opts = ap.parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if opts.en:
        L.set_language("en")
    detail = demo_detail()
    action = Action(opts.action)
    if action is Action.DISPATCH and not opts.conflict:
        detail = dataclasses.replace(detail, status=CaseStatus.FILED, department="", actions=(Action.DISPATCH,))
    if opts.conflict:
        fresh_fields = dict(detail.fields, card="yellow", card_points=5.0, version=detail.version + 1)
        fresh = dataclasses.replace(detail, fields=fresh_fields, card=Card.YELLOW, version=detail.version + 1)
        conflict = VersionConflict(detail.code, detail.version, fresh.version, [
            {"at": dt.datetime.now().isoformat(), "action": "card", "actor": "演示值班长", "to_status": "dispatched",
             "reason": "演示: 超时自动督办"}])
        mine = Params(reason="演示: 等待材料", extension=2)
        dlg: QDialog = ConflictDialog(conflict, detail, fresh, Action.EXTEND, mine)
    else:
        dlg = ActionDialog(action, detail, departments=DEMO_DEPARTMENTS, default_department_id=1,
                           rule_level=Level.VILLAGE, duplicate_candidates=[(7, "AJ2099010100007", "演示: 同一处垃圾")],
                           resolve_case_code=lambda code: 99 if code.startswith("AJ") else None)
    dlg.finished.connect(lambda r: print("result", r, getattr(dlg, "params", lambda: None)()))
    from widgets.demo_support import run_demo

    return run_demo(app, dlg, opts.screenshot, opts.quit_after)


if __name__ == "__main__":
    sys.exit(main())
