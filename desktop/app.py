"""Creating the QApplication: URL schemes, translators, fonts."""

from __future__ import annotations

import os
import sys
from importlib import resources

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

_TRANSLATORS: list[QTranslator] = []


def ensure_env() -> None:
    """QtWebEngine as root (and on offscreen CI) needs these before the app starts."""
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--no-sandbox" not in flags:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen" and "--disable-gpu" not in os.environ.get(
            "QTWEBENGINE_CHROMIUM_FLAGS", ""):
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] += " --disable-gpu"


def create_app(argv: list[str] | None = None, language: str = "zh") -> QApplication:
    app = QApplication.instance()
    if app is None:
        ensure_env()
        from widgets.map.schemes import register_schemes

        register_schemes()  # must precede the QApplication
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("GridDesk")
    app.setApplicationDisplayName("GridDesk 网格化治理指挥中心")
    app.setOrganizationName("GridDesk")
    install_language(app, language)
    return app


def qm_path(language: str) -> str:
    return str(resources.files("resources.i18n").joinpath(f"griddesk_{language}.qm"))


def install_language(app: QApplication, language: str) -> None:
    """Chinese is the source language; English comes from griddesk_en.qm. Qt's own
    dialogs (OK/Cancel) use Qt's bundled translations."""
    from widgets import labels

    labels.set_language(language)  # the widgets' own domain texts (statuses, actions, the light)
    for t in _TRANSLATORS:
        app.removeTranslator(t)
    _TRANSLATORS.clear()
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    qt = QTranslator(app)
    if qt.load(QLocale(QLocale.Language.Chinese if language == "zh" else QLocale.Language.English,
                       QLocale.Country.China if language == "zh" else QLocale.Country.UnitedStates),
               "qtbase", "_", qt_dir):
        app.installTranslator(qt)
        _TRANSLATORS.append(qt)
    if language == "en":
        own = QTranslator(app)
        if not own.load(qm_path("en")):
            raise RuntimeError(f"missing translation file {qm_path('en')}")
        app.installTranslator(own)
        _TRANSLATORS.append(own)
