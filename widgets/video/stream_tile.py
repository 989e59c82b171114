"""One camera stream: a QMediaPlayer drawn by a QGraphicsVideoItem, with a state overlay.

The tile shows 连接中 / 播放中 / 无信号 / 错误: … and, while it waits to reconnect,
重试中（N 秒）. A stream that errors, ends, or sends no frame for
`RetryPolicy.silence_timeout_s` is torn down and reconnected with exponential
backoff. Everything runs on the GUI thread without waiting: QMediaPlayer opens and
decodes on its own threads; a timer drives the watchdog and the countdown.

A `QGraphicsVideoItem` in a `QGraphicsView` is used instead of `QVideoWidget`
because it paints through QPainter, so `grab()` (screenshots, the wall recorder,
offscreen tests) sees the frames.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSizeF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtMultimedia import QMediaPlayer, QPlaybackOptions, QVideoFrame
from PySide6.QtMultimediaWidgets import QGraphicsVideoItem
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QLabel, QVBoxLayout, QWidget

from models.cameras import Camera, CameraKind, media_url
from widgets.video.tile_state import RetryPolicy, TileState

_ACTIVE = (TileState.CONNECTING, TileState.PLAYING)


def overlay_text(state: TileState, reason: str = "", retry_in: float | None = None) -> str:
    """The text over a tile (pure: testable without a widget)."""
    lines = {
        TileState.IDLE: QCoreApplication.translate("StreamTile", "无摄像头"),
        TileState.STOPPED: QCoreApplication.translate("StreamTile", "已停止"),
        TileState.CONNECTING: QCoreApplication.translate("StreamTile", "连接中"),
        TileState.PLAYING: QCoreApplication.translate("StreamTile", "播放中"),
        TileState.NO_SIGNAL: QCoreApplication.translate("StreamTile", "无信号"),
        # the raw (English, technical) reason goes to the tooltip, not over the picture
        TileState.ERROR: QCoreApplication.translate("StreamTile", "视频流连接失败"),
    }
    text = lines[state]
    if retry_in is not None:
        text += "\n" + QCoreApplication.translate("StreamTile", "重试中（{n} 秒）").format(n=max(0, math.ceil(retry_in)))
    return text


def playback_options(kind: CameraKind, retry: RetryPolicy) -> QPlaybackOptions:
    """Network reads give up after twice the connect timeout (the watchdog normally acts
    first). The default playback intent is kept: `LowLatencyStreaming` stops
    progressive HTTP mp4 from playing at all (tried with Qt 6.11)."""
    options = QPlaybackOptions()
    if kind is not CameraKind.FILE:
        options.setNetworkTimeout(int(2000 * retry.connect_timeout_s))
    return options


class _VideoView(QGraphicsView):
    """A frameless black view whose scene always fills the viewport."""

    def __init__(self, item: QGraphicsVideoItem, parent: QWidget | None = None):
        self._scene = QGraphicsScene()
        super().__init__(self._scene, parent)
        self._scene.setParent(self)
        self._item = item
        self._scene.addItem(item)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(QBrush(QColor("black")))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumSize(80, 60)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        size = self.viewport().size()
        self._scene.setSceneRect(0, 0, size.width(), size.height())
        self._item.setPos(0, 0)
        self._item.setSize(QSizeF(size))


class StreamTile(QWidget):
    """One camera: plays it, shows its state, reconnects with backoff.

    Signals: `state_changed(state, reason)` on every state change (TileState values),
    `activated(camera)` on double click.
    """

    state_changed = Signal(str, str)
    activated = Signal(object)

    def __init__(
        self,
        camera: Camera | None = None,
        parent: QWidget | None = None,
        *,
        retry: RetryPolicy | None = None,
    ):
        super().__init__(parent)
        self._retry = retry or RetryPolicy()
        self._camera: Camera | None = None
        self._state = TileState.IDLE
        self._reason = ""
        self._attempt = 0
        self._frames = 0
        self._connect_at = 0.0
        self._last_frame_at = 0.0
        self._retry_at: float | None = None

        self._video = QGraphicsVideoItem()
        self._video.setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
        self._view = _VideoView(self._video, self)
        self._view.viewport().installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._view)

        self._name_label = QLabel(self)
        self._name_label.setObjectName("videoTileName")
        self._status_label = QLabel(self)
        self._status_label.setObjectName("videoTileStatus")
        self._status_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for label in (self._name_label, self._status_label):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            label.setStyleSheet("background: rgba(0,0,0,150); color: white; padding: 2px 6px;")

        self._player = QMediaPlayer(self)
        self._player.setVideoOutput(self._video)
        self._video.videoSink().videoFrameChanged.connect(self._on_frame)
        self._player.errorOccurred.connect(self._on_player_error)
        self._player.mediaStatusChanged.connect(self._on_media_status_changed)

        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._on_tick)
        self._tick.start()

        self._update_overlay()
        if camera is not None:
            self.set_camera(camera)

    # ---------------------------------------------------------------- public
    def camera(self) -> Camera | None:
        return self._camera

    def state(self) -> TileState:
        return self._state

    def reason(self) -> str:
        return self._reason

    def frames_received(self) -> int:
        """Frames shown since the camera was set (all connections)."""
        return self._frames

    def attempts(self) -> int:
        """Reconnects scheduled since the last frame arrived."""
        return self._attempt

    def retry_in(self) -> float | None:
        """Seconds until the next reconnect, or None when none is pending."""
        return None if self._retry_at is None else max(0.0, self._retry_at - time.monotonic())

    def overlay(self) -> str:
        return self._status_label.text()

    def player(self) -> QMediaPlayer:
        return self._player

    def set_camera(self, camera: Camera | None) -> None:
        """Show `camera` (None: an empty tile). Connects at once."""
        self._teardown()
        self._camera = camera
        self._frames = 0
        self._attempt = 0
        self._retry_at = None
        self._name_label.setText(camera.name if camera else "")
        self._name_label.setToolTip(camera.name if camera else "")
        self._name_label.setVisible(camera is not None)
        if camera is None:
            self._set_state(TileState.IDLE)
        else:
            self._connect()

    def stop(self) -> None:
        """Stop playing and retrying (the camera stays; `start()` resumes)."""
        self._teardown()
        self._retry_at = None
        self._set_state(TileState.STOPPED if self._camera else TileState.IDLE)

    def start(self) -> None:
        """(Re)connect now, resetting the backoff."""
        if self._camera is None:
            return
        self._teardown()
        self._attempt = 0
        self._retry_at = None
        self._connect()

    # ---------------------------------------------------------------- internals
    def _connect(self) -> None:
        cam = self._camera
        assert cam is not None
        self._player.setLoops(QMediaPlayer.Loops.Infinite if cam.kind is CameraKind.FILE else 1)
        self._player.setPlaybackOptions(playback_options(cam.kind, self._retry))
        self._connect_at = time.monotonic()
        self._set_state(TileState.CONNECTING)
        self._player.setSource(QUrl(media_url(cam)))
        self._player.play()

    def _teardown(self) -> None:
        self._player.stop()
        self._player.setSource(QUrl())

    def _fail(self, state: TileState, reason: str) -> None:
        if self._state not in _ACTIVE:
            return  # already failed (an error comes with InvalidMedia) or stopped
        self._teardown()
        delay = self._retry.delay(self._attempt)
        self._attempt += 1
        self._retry_at = time.monotonic() + delay
        self._set_state(state, reason)

    def _set_state(self, state: TileState, reason: str = "") -> None:
        changed = (state, reason) != (self._state, self._reason)
        self._state, self._reason = state, reason
        self._update_overlay()
        if changed:
            self.state_changed.emit(state.value, reason)

    def _update_overlay(self) -> None:
        text = overlay_text(self._state, self._reason, self.retry_in())
        if text != self._status_label.text():
            self._status_label.setText(text)
            self._status_label.setToolTip(self._reason)
            self._place_labels()

    def _place_labels(self) -> None:
        self._status_label.adjustSize()
        lw, lh = self._status_label.width(), self._status_label.height()
        badge = self._state is TileState.PLAYING  # a small badge in the top right, out of the picture's way
        if badge:
            self._status_label.move(max(0, self.width() - lw - 4), 4)
        else:
            self._status_label.move(max(0, (self.width() - lw) // 2), max(0, (self.height() - lh) // 2))
        # The camera's name fills the top left up to the badge and is elided there (full name in the tooltip).
        name = self._name_label.toolTip()
        self._name_label.setText(name)
        self._name_label.adjustSize()
        room = self.width() - 8 - ((lw + 8) if badge else 0)
        if self._name_label.width() > room:
            metrics = self._name_label.fontMetrics()
            margin = self._name_label.width() - metrics.horizontalAdvance(name)
            self._name_label.setText(metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, max(0, room - margin)))
            self._name_label.adjustSize()
        self._name_label.move(4, 4)
        self._name_label.raise_()
        self._status_label.raise_()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_labels()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonDblClick and self._camera is not None:
            self.activated.emit(self._camera)
            return True
        return super().eventFilter(obj, event)

    # ---------------------------------------------------------------- handlers
    def _on_frame(self, frame: QVideoFrame) -> None:
        if not frame.isValid() or self._state not in _ACTIVE:
            return
        self._frames += 1
        self._last_frame_at = time.monotonic()
        if self._state is TileState.CONNECTING:
            self._attempt = 0
            self._set_state(TileState.PLAYING)

    def _on_player_error(self, error: QMediaPlayer.Error, message: str) -> None:
        if error != QMediaPlayer.Error.NoError:
            self._fail(TileState.ERROR, message or error.name)

    def _on_media_status_changed(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.InvalidMedia:
            self._fail(TileState.ERROR, self._player.errorString() or "invalid media")
        elif status == QMediaPlayer.MediaStatus.EndOfMedia and self._player.loops() == 1:
            self._fail(TileState.NO_SIGNAL, "stream ended")

    def _on_tick(self) -> None:
        now = time.monotonic()
        if self._retry_at is not None:
            if now >= self._retry_at:
                self._retry_at = None
                self._connect()
            else:
                self._update_overlay()
        elif self._state is TileState.CONNECTING and now - self._connect_at > self._retry.connect_timeout_s:
            self._fail(TileState.NO_SIGNAL, f"no frame within {self._retry.connect_timeout_s:g} s")
        elif self._state is TileState.PLAYING and now - self._last_frame_at > self._retry.silence_timeout_s:
            self._fail(TileState.NO_SIGNAL, f"no frame for {self._retry.silence_timeout_s:g} s")


def _demo() -> int:  # pragma: no cover - manual preview
    from widgets.video._demo import demo_app, demo_cameras

    app, opts = demo_app()
    tile = StreamTile(demo_cameras(opts, 1)[0], retry=RetryPolicy(first_delay_s=2))
    tile.resize(480, 300)
    tile.setWindowTitle("StreamTile demo — fake data")
    tile.show()
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_demo())
