"""Typed settings over QSettings, with a settings version and migrations.

The file lives in $GRIDDESK_HOME/settings.ini when that is set (tests, portable
installs), otherwise in the platform's native place. Window layouts are kept
per role and per screen geometry, so a wall seat and an office seat of the same
user restore their own arrangement.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

SETTINGS_VERSION = 2


def _open() -> QSettings:
    home = os.environ.get("GRIDDESK_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
        return QSettings(str(Path(home) / "settings.ini"), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "GridDesk", "GridDesk")


class Settings:
    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store or _open()
        self.migrate()

    # --- versioning -------------------------------------------------------
    def migrate(self) -> None:
        version = int(self.store.value("meta/version", 0) or 0)
        if version < 1 and self.store.contains("language"):
            # v0 kept the language at the top level
            self.store.setValue("ui/language", self.store.value("language"))
            self.store.remove("language")
        if version < 2:
            # v2 keys layouts by role and screen; v1 layouts were per user only
            for key in self.store.allKeys():
                if key.startswith("layout_v1/"):
                    self.store.remove(key)
        self.store.setValue("meta/version", SETTINGS_VERSION)

    # --- plain values -----------------------------------------------------
    def _get(self, key: str, default, kind=str):
        value = self.store.value(key, default)
        if kind is bool:
            return value in (True, "true", "1", 1)
        try:
            return kind(value)
        except (TypeError, ValueError):
            return default

    @property
    def language(self) -> str:
        return self._get("ui/language", "zh")

    @language.setter
    def language(self, value: str) -> None:
        if value not in ("zh", "en"):
            raise ValueError(value)
        self.store.setValue("ui/language", value)

    @property
    def last_user(self) -> str:
        return self._get("ui/last_user", "")

    @last_user.setter
    def last_user(self, value: str) -> None:
        self.store.setValue("ui/last_user", value)

    @property
    def sound_alerts(self) -> bool:
        return self._get("wall/sound_alerts", True, bool)

    @sound_alerts.setter
    def sound_alerts(self, value: bool) -> None:
        self.store.setValue("wall/sound_alerts", bool(value))

    @property
    def basemap(self) -> str:
        """'none', an XYZ URL template, or 'mbtiles:/path/file.mbtiles'."""
        return self._get("map/basemap", "none")

    @basemap.setter
    def basemap(self, value: str) -> None:
        self.store.setValue("map/basemap", value)

    @property
    def gcj02(self) -> bool:
        return self._get("map/gcj02", False, bool)

    @gcj02.setter
    def gcj02(self, value: bool) -> None:
        self.store.setValue("map/gcj02", bool(value))

    # --- layouts ----------------------------------------------------------
    @staticmethod
    def _layout_key(role: str, layout: str, screen: str) -> str:
        return f"layout/{role}/{layout}/{screen}"

    def save_layout(self, role: str, layout: str, screen: str, geometry: QByteArray, state: QByteArray) -> None:
        key = self._layout_key(role, layout, screen)
        self.store.setValue(f"{key}/geometry", geometry)
        self.store.setValue(f"{key}/state", state)

    def load_layout(self, role: str, layout: str, screen: str) -> tuple[QByteArray, QByteArray] | None:
        key = self._layout_key(role, layout, screen)
        geometry, state = self.store.value(f"{key}/geometry"), self.store.value(f"{key}/state")
        if geometry is None or state is None:
            return None
        return QByteArray(geometry), QByteArray(state)

    def sync(self) -> None:
        self.store.sync()
