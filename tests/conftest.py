"""Session-wide test set-up: headless Qt, no real settings, database engines.

Database tests take the `db_url` fixture, parametrised over SQLite and a real
PostgreSQL server: `GRIDDESK_TEST_PG` (a server URL, as .ci/run sets it) or, when
the server binaries are installed, a throwaway server started here.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
# Tests never touch the user's real settings or data directory.
_SANDBOX = tempfile.mkdtemp(prefix="griddesk-test-home-")
os.environ["GRIDDESK_HOME"] = _SANDBOX
os.environ["XDG_CONFIG_HOME"] = os.path.join(_SANDBOX, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_SANDBOX, "data")
os.environ.pop("GRIDDESK_DB", None)

import pytest  # noqa: E402

from tests.pgserver import postgres_url  # noqa: E402


def _qt_available() -> bool:
    try:
        import PySide6  # noqa: F401
    except ImportError:
        return False
    return True


if _qt_available():
    # Custom URL schemes must be registered before any QApplication exists.
    try:
        from widgets.map.schemes import register_schemes
    except ImportError:  # map package not present
        register_schemes = None
    if register_schemes is not None:
        register_schemes()

    # Widgets given to `qtbot.addWidget`, held until the teardown below deletes them.
    # pytest-qt keeps only weak references, so without this a widget made in a test
    # is deleted synchronously by Python the moment the test function returns, in
    # the middle of whatever QtWebEngine still has in flight (tile loads, channel
    # messages, request interceptors): a crash that shows up only on slow machines.
    _KEPT: list = []

    @pytest.fixture
    def qtbot(qtbot):
        add_widget = qtbot.addWidget

        def keep_and_add(widget, *args, **kwargs):
            _KEPT.append(widget)
            return add_widget(widget, *args, **kwargs)

        qtbot.addWidget = keep_and_add
        return qtbot

    @pytest.fixture(autouse=True)
    def _close_top_level_windows(request):
        """Close and delete every top-level widget after a Qt test, in a fixed order.

        QtWebEngine segfaults when a page outlives its profile or is destroyed while
        Python's garbage collector happens to run in the middle of another test, and
        a test that leaves a window behind is a leak the next test would inherit. So
        widgets die here, by `deleteLater` with the event loop idle, and cyclic garbage
        holding Qt wrappers is collected now rather than at a random point later.
        """
        yield
        if "qapp" not in request.fixturenames and "qtbot" not in request.fixturenames:
            _KEPT.clear()
            return
        import gc

        from PySide6.QtCore import QEvent
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is None:
            _KEPT.clear()
            return
        for w in app.topLevelWidgets():
            if w.isVisible():  # pytest-qt closed its own; pyqtgraph's close() is not idempotent
                w.close()
            w.deleteLater()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
        _KEPT.clear()
        gc.collect()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()


def pytest_generate_tests(metafunc):
    if "db_url" in metafunc.fixturenames:
        metafunc.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def db_url(request, tmp_path):
    """A URL of an empty database on the engine named by the parameter."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'griddesk.sqlite'}"
    base = postgres_url()
    if base is None:
        pytest.skip("no PostgreSQL server (set GRIDDESK_TEST_PG or install the server binaries)")
    from tests.pgserver import fresh_database

    return fresh_database(base)
