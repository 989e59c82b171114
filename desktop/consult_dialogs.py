"""The consult dialogs: participants and provider (`ConsultDialog`), a pick list
(`PickDialog`: a town to consult) and the end of a running consult (`EndConsultDialog`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QDateTime, Qt
from PySide6.QtWidgets import (QComboBox, QDateTimeEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QListWidget, QListWidgetItem, QVBoxLayout, QWidget)

from models.conference import LaunchKind, Participant
from models.conference_store import ConsultTarget, ProviderConfig

if TYPE_CHECKING:
    from desktop.conference import RunningConsult


def role_text(role: str) -> str:
    texts = {
        "leader": QCoreApplication.translate("ConsultDialog", "网格长"),
        "full_time": QCoreApplication.translate("ConsultDialog", "专职网格员"),
        "guide": QCoreApplication.translate("ConsultDialog", "网格指导员"),
        "part_time": QCoreApplication.translate("ConsultDialog", "兼职网格员"),
        "town_officer": QCoreApplication.translate("ConsultDialog", "镇街"),
        "department": QCoreApplication.translate("ConsultDialog", "职能部门"),
    }
    return texts.get(role, role)


def participant_text(name: str, role: str, phone: str) -> str:
    return " · ".join(x for x in (name, role_text(role), phone) if x)


def local_time(iso: str) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(dt.datetime.fromisoformat(iso).timestamp()))


# --------------------------------------------------------------------------- dialog

class ConsultDialog(QDialog):
    """Who joins and through which provider. Plain data in, plain data out."""

    def __init__(self, target: ConsultTarget, providers: Sequence[ProviderConfig], parent: QWidget | None = None):
        super().__init__(parent)
        self.target = target
        self._providers = list(providers)
        self.setWindowTitle(self.tr("视频会商"))
        self.setObjectName("consultDialog")
        room = target.request("").room
        form = QFormLayout()
        self.title_label = QLabel(target.title)
        form.addRow(self.tr("会商对象"), self.title_label)
        self.room_label = QLabel(room)
        self.room_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.tr("会议室"), self.room_label)
        self.provider_box = QComboBox()
        for p in self._providers:
            self.provider_box.addItem(f"{p.name} ({p.kind})", p.name)
        default = next((i for i, p in enumerate(self._providers) if p.is_default), 0)
        self.provider_box.setCurrentIndex(default)
        form.addRow(self.tr("会商系统"), self.provider_box)

        self.participant_list = QListWidget()
        self.participant_list.setObjectName("consultParticipants")
        for p in target.proposals:
            item = QListWidgetItem(participant_text(p.name, p.role, p.phone))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if p.checked else Qt.CheckState.Unchecked)
            item.setData(Qt.ItemDataRole.UserRole, p)
            self.participant_list.addItem(item)
        self.empty_label = QLabel(self.tr("没有可建议的参会人员"))
        self.empty_label.setVisible(not target.proposals)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("开始会商"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.provider_box.setEnabled(bool(self._providers))
        buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self._providers))

        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(QLabel(self.tr("参会人员")))
        box.addWidget(self.participant_list, 1)
        box.addWidget(self.empty_label)
        box.addWidget(buttons)
        self.resize(460, 420)

    def provider(self) -> ProviderConfig | None:
        name = self.provider_box.currentData()
        return next((p for p in self._providers if p.name == name), None)

    def set_checked(self, index: int, checked: bool) -> None:
        self.participant_list.item(index).setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def participants(self) -> list[Participant]:
        """The checked participants, in the proposed order."""
        out = []
        for i in range(self.participant_list.count()):
            item = self.participant_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole).participant())
        return out


class PickDialog(QDialog):
    """Pick one entry of a list (a town to consult, a running consult to end); `chosen()` is its data."""

    def __init__(self, title: str, label: str, items: Sequence[tuple[str, Any]], ok_text: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.list = QListWidget()
        for text, data in items:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, data)
            self.list.addItem(item)
        self.list.setCurrentRow(0 if items else -1)
        self.list.itemDoubleClicked.connect(self.accept)
        self.form = QFormLayout()  # for a subclass's fields
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.ok_button.setEnabled(bool(items))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(QLabel(label))
        box.addWidget(self.list, 1)
        box.addLayout(self.form)
        box.addWidget(buttons)
        self.resize(420, 320)

    def texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def choose(self, row: int) -> None:
        self.list.setCurrentRow(row)

    def chosen(self) -> Any:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)


class EndConsultDialog(PickDialog):
    """结束会商: this seat's running consults; for a browser one, when it really ended (start … now)."""

    def __init__(self, consults: Sequence[RunningConsult], parent: QWidget | None = None):
        title = QCoreApplication.translate("EndConsultDialog", "结束会商")
        super().__init__(title, QCoreApplication.translate("EndConsultDialog", "本席位进行中的会商"),
                         [(c.label(), c) for c in consults], title, parent)
        self.setObjectName("endConsultDialog")
        self.end_edit = QDateTimeEdit()
        self.end_edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.form.addRow(self.tr("结束时间"), self.end_edit)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.form.addRow(self.note)
        self.list.currentRowChanged.connect(self._on_current_changed)
        self._on_current_changed()

    def _on_current_changed(self, *_: Any) -> None:
        consult, now = self.chosen(), QDateTime.currentDateTime()
        browser = consult is not None and consult.launch.kind is LaunchKind.BROWSER_URL
        self.end_edit.setEnabled(browser)
        self.end_edit.setDateTimeRange(local_time(consult.started_at) if consult is not None else now, now)
        self.end_edit.setDateTime(now)
        self.note.setText("" if consult is None else self.tr("在浏览器中进行的会商: 请填写实际结束时间。")
                          if browser else self.tr("会商面板将挂断。") if consult.launch.kind is LaunchKind.EMBEDDED_URL
                          else self.tr("将关闭会商客户端, 其退出时间即为结束时间。"))

    def ended_at(self) -> dt.datetime:
        """The end time given (UTC); only used for a browser consult."""
        return dt.datetime.fromtimestamp(self.end_edit.dateTime().toSecsSinceEpoch(), dt.UTC)
