"""The log-in dialog: username + password, checked with argon2, lock-out after failures."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout)

from models.auth import Identity, LoginError


class LoginDialog(QDialog):
    """`authenticate(username, password) -> Identity` raises LoginError; the dialog shows why."""

    def __init__(self, authenticate: Callable[[str, str], Identity], last_user: str = "",
                 demo_hint: bool = False, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("登录 GridDesk 网格化治理指挥中心"))
        self._authenticate = authenticate
        self.identity: Identity | None = None
        self.user = QLineEdit(last_user)
        self.user.setObjectName("username")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setStyleSheet("color: #c0392b")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("用户名"), self.user)
        form.addRow(self.tr("密码"), self.password)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("登录"))
        buttons.accepted.connect(self._try)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if demo_hint:
            hint = QLabel(self.tr("演示库: 用户 duty / leader / dispatch / town / finance / admin, 密码 griddesk"))
            hint.setObjectName("demoBanner")
            layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        (self.password if last_user else self.user).setFocus(Qt.FocusReason.OtherFocusReason)

    def _try(self) -> None:
        try:
            self.identity = self._authenticate(self.user.text().strip(), self.password.text())
        except LoginError as exc:
            text = str(exc)
            if exc.locked_until:
                text += self.tr(" (至 {0})").format(exc.locked_until.strftime("%H:%M"))
            self.message.setText(text)
            self.password.clear()
            self.password.setFocus()
            return
        self.accept()
