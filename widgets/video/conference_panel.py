"""Embedded conference page (QtWebEngine) that grants camera/microphone only where configured.

`ConferencePanel.open(launch)` loads an 'embedded_url' `ConferenceLaunch`. Every
permission the page asks for goes through `models.conference.permission_allowed`:
camera and microphone are granted to the launch's `allowed_origins` only;
everything else (screen capture, location, notifications, ...) and every other
origin is denied. Each decision is kept in `decisions()` and emitted as
`permission_decided(origin, permission, granted)`.

The panel uses its own off-the-record profile that asks every time (Qt 6.8+
`QWebEngineProfile.PersistentPermissionsPolicy.AskEveryTime`), so no grant
outlives the conference and each request is decided and recorded afresh.
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEnginePermission, QWebEngineProfile
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from models.conference import ConferenceLaunch, LaunchKind, origin_of, permission_allowed

_PT = QWebEnginePermission.PermissionType
PERMISSION_CODES: dict[QWebEnginePermission.PermissionType, str] = {
    _PT.MediaAudioCapture: "microphone",
    _PT.MediaVideoCapture: "camera",
    _PT.MediaAudioVideoCapture: "camera_microphone",
    _PT.DesktopVideoCapture: "screen",
    _PT.DesktopAudioVideoCapture: "screen_audio",
    _PT.Geolocation: "geolocation",
    _PT.Notifications: "notifications",
    _PT.MouseLock: "mouse_lock",
    _PT.ClipboardReadWrite: "clipboard",
    _PT.LocalFontsAccess: "local_fonts",
}


def permission_code(permission_type: QWebEnginePermission.PermissionType) -> str:
    """A stable code for a Qt permission type (unknown ones: their lower-case enum name)."""
    return PERMISSION_CODES.get(permission_type, getattr(permission_type, "name", str(permission_type)).lower())


def origin_text(url: QUrl) -> str:
    """`scheme://host[:port]` of a QUrl, as `models.conference.origin_of` spells it."""
    text = url.toString(QUrl.ComponentFormattingOption.FullyEncoded)
    try:
        return origin_of(text)
    except ValueError:  # opaque origins (about:, data:) stay as they are and match nothing
        return text


def launch_qurl(url: str) -> QUrl:
    """A QUrl that keeps an already percent-encoded URL byte for byte."""
    try:
        return QUrl.fromEncoded(url.encode("ascii"), QUrl.ParsingMode.StrictMode)
    except UnicodeEncodeError:  # a template with non-ASCII literal text
        return QUrl(url)


@dc.dataclass(frozen=True)
class PermissionDecision:
    origin: str
    permission: str
    granted: bool
    at: dt.datetime


class ConferencePanel(QWidget):
    """Shows one embedded conference at a time.

    Signals: `started(ConferenceLaunch)`, `ended(ConferenceLaunch)` (hang up, or a new
    conference replacing it), `load_finished(ok)`,
    `permission_decided(origin, permission, granted)`.
    """

    started = Signal(object)
    ended = Signal(object)
    load_finished = Signal(bool)
    permission_decided = Signal(str, str, bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._launch: ConferenceLaunch | None = None
        self._decisions: list[PermissionDecision] = []

        # The profile must outlive the page: create it parentless, build the view and
        # page, then parent the profile last so it is deleted after the view.
        profile = QWebEngineProfile()  # no storage name: off the record
        profile.setPersistentPermissionsPolicy(QWebEngineProfile.PersistentPermissionsPolicy.AskEveryTime)

        self._title = QLabel(self)
        self._title.setObjectName("conferenceTitle")
        self._hang_up_button = QPushButton(self.tr("挂断"), self)
        self._hang_up_button.setEnabled(False)
        self._hang_up_button.clicked.connect(self.hang_up)
        header = QHBoxLayout()
        header.setContentsMargins(4, 2, 4, 2)
        header.addWidget(self._title, 1)
        header.addWidget(self._hang_up_button)

        self._view = QWebEngineView(self)
        self._page = QWebEnginePage(profile, self._view)
        self._view.setPage(self._page)
        self._page.permissionRequested.connect(self._on_permission_requested)
        self._page.loadFinished.connect(self.load_finished)
        self._page.windowCloseRequested.connect(self.hang_up)  # the page's own "leave" (window.close())
        self._profile = profile
        profile.setParent(self)

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addLayout(header)
        box.addWidget(self._view, 1)
        self._show_title()

    # ---------------------------------------------------------------- public
    def open(self, launch: ConferenceLaunch) -> None:
        """Load an 'embedded_url' launch (ending the current conference, if any)."""
        if launch.kind is not LaunchKind.EMBEDDED_URL:
            raise ValueError(f"the conference panel opens embedded_url launches, not {launch.kind.value}")
        self.hang_up()
        self._launch = launch
        self._hang_up_button.setEnabled(True)
        self._show_title()
        self._page.load(launch_qurl(launch.url))
        self.started.emit(launch)

    def hang_up(self) -> None:
        """Leave the conference page (camera and microphone are released with it)."""
        launch, self._launch = self._launch, None
        if launch is None:
            return
        self._page.setUrl(QUrl("about:blank"))
        self._hang_up_button.setEnabled(False)
        self._show_title()
        self.ended.emit(launch)

    def current_launch(self) -> ConferenceLaunch | None:
        return self._launch

    def decisions(self) -> list[PermissionDecision]:
        return list(self._decisions)

    def page(self) -> QWebEnginePage:
        return self._page

    def view(self) -> QWebEngineView:
        return self._view

    # ---------------------------------------------------------------- internals
    def _show_title(self) -> None:
        if self._launch is None:
            self._title.setText(self.tr("无会商"))
        else:
            self._title.setText(self.tr("视频会商: {room}").format(room=self._launch.request.room))

    def decide(self, origin: str, permission: str) -> bool:
        """Whether `origin` gets `permission` now (only while a conference is open)."""
        allowed = self._launch.allowed_origins if self._launch is not None else ()
        return permission_allowed(origin, permission, allowed)

    def _on_permission_requested(self, permission: QWebEnginePermission) -> None:
        origin = origin_text(permission.origin())
        code = permission_code(permission.permissionType())
        granted = self.decide(origin, code)
        if granted:
            permission.grant()
        else:
            permission.deny()
        self._decisions.append(PermissionDecision(origin, code, granted, dt.datetime.now(dt.UTC)))
        self.permission_decided.emit(origin, code, granted)


def _demo() -> int:  # pragma: no cover - manual preview
    """Opens a fake conference page served from memory on 127.0.0.1 (no outside address)."""
    import functools
    import http.server
    import threading

    from models.conference import ConferenceRequest, UrlProvider
    from widgets.video._demo import demo_app

    page = ("<html><body style='font-family:sans-serif'><h2>假会商页面 (demo, fake data)</h2>"
            "<p id=s>requesting camera…</p><script>navigator.mediaDevices.getUserMedia({video:true,audio:true})"
            ".then(()=>s.textContent='camera granted',e=>s.textContent='camera: '+e.name)</script></body></html>")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app, _opts = demo_app()
    provider = UrlProvider({"template": f"http://127.0.0.1:{server.server_port}/room/{{room}}?user={{user}}"})
    launch = provider.start(ConferenceRequest.for_case("DEMO-2024-0001", user="值班员（假）",
                                                       participants=[("张三（假）", "grid_worker", "")]))
    panel = ConferencePanel()
    panel.permission_decided.connect(functools.partial(print, "permission"))
    panel.resize(800, 560)
    panel.setWindowTitle("ConferencePanel demo — fake data")
    panel.show()
    panel.open(launch)
    code = app.exec()
    server.shutdown()
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_demo())
