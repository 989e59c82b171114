"""The video panel: 1, 2×2 or 3×3 camera tiles, and "full screen on screen N".

`VideoMosaic` takes its cameras (`models.cameras.Camera`) and emits signals; the
shell decides which cameras (a case's neighbourhood, a grid, a saved wall set).
Sending it to a screen opens a full-screen copy there and stops the panel's own
tiles meanwhile (many cameras allow only a few concurrent stream sessions); the
copy closes with Esc, and the panel resumes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QMenu, QToolButton, QVBoxLayout, QWidget

from models.cameras import Camera
from widgets.video.stream_tile import StreamTile
from widgets.video.tile_state import RetryPolicy, TileState

LAYOUTS = (1, 4, 9)


def layout_label(n: int) -> str:
    return {1: QCoreApplication.translate("VideoMosaic", "单画面"), 4: "2×2", 9: "3×3"}[n]


def screen_label(index: int, name: str, width: int, height: int) -> str:
    return QCoreApplication.translate("VideoMosaic", "屏幕 {n}: {name} ({w}×{h})").format(
        n=index + 1, name=name, w=width, h=height)


class VideoMosaic(QWidget):
    """Tiles of camera streams in a 1, 2×2 or 3×3 grid.

    `set_cameras(cameras)` fills the tiles in order (cameras beyond the layout are
    kept and shown when the layout grows); `set_layout(n)` takes the number of
    tiles, 1, 4 or 9. Double-clicking a tile shows that camera alone; again goes back.

    Signals: `layout_changed(n)`, `camera_activated(Camera)`,
    `tile_state_changed(camera_id, state, reason)`, `sent_to_screen(index)`,
    `full_screen_closed()`.
    """

    layout_changed = Signal(int)
    camera_activated = Signal(object)
    tile_state_changed = Signal(object, str, str)
    sent_to_screen = Signal(int)
    full_screen_closed = Signal()

    def __init__(
        self,
        cameras: Sequence[Camera] = (),
        parent: QWidget | None = None,
        *,
        layout: int = 4,
        retry: RetryPolicy | None = None,
        toolbar: bool = True,
    ):
        super().__init__(parent)
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
        self._retry = retry
        self._cameras: list[Camera] = []
        self._layout_n = layout
        self._tiles: list[StreamTile] = []
        self._before_focus: tuple[int, list[Camera]] | None = None
        self._full_screen: FullScreenVideo | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        self._toolbar = self._make_toolbar()
        self._toolbar.setVisible(toolbar)
        outer.addWidget(self._toolbar)
        self._grid = QGridLayout()
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        outer.addLayout(self._grid, 1)

        self._cameras = list(cameras)
        self._arrange()

    # ---------------------------------------------------------------- toolbar
    def _make_toolbar(self) -> QWidget:
        bar = QWidget(self)
        row = QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 0, 0)
        self._layout_actions = QActionGroup(self)
        self._layout_actions.setExclusive(True)
        for n in LAYOUTS:
            action = QAction(layout_label(n), self)
            action.setCheckable(True)
            action.setChecked(n == self._layout_n)
            action.setData(n)
            action.triggered.connect(lambda _checked=False, n=n: self.set_layout(n))
            self._layout_actions.addAction(action)
            button = QToolButton(bar)
            button.setDefaultAction(action)
            row.addWidget(button)
        row.addStretch(1)
        self._screen_menu = QMenu(self.tr("全屏显示到"), bar)
        self._screen_menu.aboutToShow.connect(self._fill_screen_menu)
        self._screen_button = QToolButton(bar)
        self._screen_button.setText(self.tr("全屏显示到…"))
        self._screen_button.setMenu(self._screen_menu)
        self._screen_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        row.addWidget(self._screen_button)
        return bar

    def screen_actions(self) -> list[QAction]:
        """One "full screen on screen N" action per connected screen (for the shell's menus)."""
        actions = []
        for i, screen in enumerate(QGuiApplication.screens()):
            geo = screen.geometry()
            action = QAction(screen_label(i, screen.name(), geo.width(), geo.height()), self)
            action.setData(i)
            action.triggered.connect(lambda _checked=False, i=i: self.send_to_screen(i))
            actions.append(action)
        return actions

    def _fill_screen_menu(self) -> None:
        for action in self._screen_menu.actions():
            action.deleteLater()
        self._screen_menu.clear()
        for action in self.screen_actions():
            self._screen_menu.addAction(action)

    def set_toolbar_visible(self, visible: bool) -> None:
        self._toolbar.setVisible(visible)

    # ---------------------------------------------------------------- public
    def cameras(self) -> list[Camera]:
        return list(self._cameras)

    def layout_count(self) -> int:
        """Number of tiles shown: 1, 4 or 9."""
        return self._layout_n

    def tiles(self) -> list[StreamTile]:
        """The tiles of the current layout, in reading order."""
        return self._tiles[: self._layout_n]

    def states(self) -> list[tuple[object, TileState]]:
        """(camera id, state) of each shown tile with a camera."""
        return [(t.camera().id, t.state()) for t in self.tiles() if t.camera() is not None]

    def set_cameras(self, cameras: Sequence[Camera]) -> None:
        self._cameras = list(cameras)
        self._before_focus = None
        self._arrange()

    def set_layout(self, n: int) -> None:
        if n not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, not {n!r}")
        self._before_focus = None
        self._apply_layout(n)

    def send_to_screen(self, index: int) -> "FullScreenVideo":
        """Show these cameras full screen on screen `index` (0-based); returns the window."""
        screens = QGuiApplication.screens()
        if not 0 <= index < len(screens):
            raise IndexError(f"no screen {index} (there are {len(screens)})")
        if self._full_screen is not None:
            self._full_screen.close()
        for tile in self.tiles():
            tile.stop()
        window = FullScreenVideo(self._cameras, self._layout_n, self, retry=self._retry)
        window.closed.connect(self._on_full_screen_closed)
        self._full_screen = window
        screen = screens[index]
        window.setScreen(screen)
        window.setGeometry(screen.geometry())
        window.showFullScreen()
        self.sent_to_screen.emit(index)
        return window

    def full_screen_window(self) -> "FullScreenVideo | None":
        return self._full_screen

    # ---------------------------------------------------------------- internals
    def _apply_layout(self, n: int) -> None:
        changed = n != self._layout_n
        self._layout_n = n
        for action in self._layout_actions.actions():
            action.setChecked(action.data() == n)
        self._arrange()
        if changed:
            self.layout_changed.emit(n)

    def _tile(self, i: int) -> StreamTile:
        while len(self._tiles) <= i:
            tile = StreamTile(None, self, retry=self._retry)
            tile.state_changed.connect(lambda s, r, tile=tile: self._on_tile_state_changed(tile, s, r))
            tile.activated.connect(self._on_tile_activated)
            self._tiles.append(tile)
        return self._tiles[i]

    def _arrange(self) -> None:
        n = self._layout_n
        side = math.isqrt(n)
        for tile in self._tiles:
            self._grid.removeWidget(tile)
        paused = self._full_screen is not None
        for i in range(max(n, len(self._tiles))):
            tile = self._tile(i) if i < n else self._tiles[i]
            if i < n:
                self._grid.addWidget(tile, i // side, i % side)
                tile.show()
                cam = self._cameras[i] if i < len(self._cameras) else None
                if cam != tile.camera():
                    tile.set_camera(cam)
                    if paused:
                        tile.stop()
            else:
                tile.set_camera(None)  # hidden tiles hold no stream
                tile.hide()
        for r in range(3):
            self._grid.setRowStretch(r, 1 if r < side else 0)
            self._grid.setColumnStretch(r, 1 if r < side else 0)

    # ---------------------------------------------------------------- handlers
    def _on_tile_state_changed(self, tile: StreamTile, state: str, reason: str) -> None:
        cam = tile.camera()
        if cam is not None:
            self.tile_state_changed.emit(cam.id, state, reason)

    def _on_tile_activated(self, camera: Camera) -> None:
        self.camera_activated.emit(camera)
        if self._before_focus is None and self._layout_n != 1:
            self._before_focus = (self._layout_n, list(self._cameras))
            self._cameras = [camera] + [c for c in self._cameras if c != camera]
            self._apply_layout(1)
        elif self._before_focus is not None:
            n, cameras = self._before_focus
            self._before_focus = None
            self._cameras = cameras
            self._apply_layout(n)

    def _on_full_screen_closed(self) -> None:
        self._full_screen = None
        for tile in self.tiles():
            tile.start()
        self.full_screen_closed.emit()


class FullScreenVideo(QWidget):
    """A full-screen window with its own mosaic of the same cameras; Esc closes it."""

    closed = Signal()

    def __init__(self, cameras: Sequence[Camera], layout: int, owner: QWidget | None = None, *,
                 retry: RetryPolicy | None = None):
        super().__init__(owner, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("视频墙"))
        self.mosaic = VideoMosaic(cameras, self, layout=layout, retry=retry, toolbar=False)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.mosaic)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.close)
        self._closed = False

    def closeEvent(self, event) -> None:
        super().closeEvent(event)
        if event.isAccepted() and not self._closed:
            self._closed = True
            for tile in self.mosaic.tiles():
                tile.stop()
            self.closed.emit()


def _demo() -> int:  # pragma: no cover - manual preview
    from widgets.video._demo import demo_app, demo_cameras

    app, opts = demo_app()
    mosaic = VideoMosaic(demo_cameras(opts, 4), layout=4, retry=RetryPolicy(first_delay_s=2))
    mosaic.setWindowTitle("VideoMosaic demo — fake cameras")
    mosaic.tile_state_changed.connect(lambda cid, state, reason: print("tile", cid, state, reason))
    mosaic.resize(800, 520)
    mosaic.show()
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_demo())
