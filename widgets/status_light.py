"""The database connection light of the status bar: a coloured dot, what it
means, and when the data was last refreshed.

green 数据库连接正常 · yellow 响应缓慢 · red 连接中断, 重试中… · grey 正在连接…
(before the first answer). The shell feeds it from the live feed's
`connectionState` and `lastRefresh` signals; the widget knows nothing of the
database. Texts and formatting are pure functions (`state_text`,
`refresh_text`) tested without a widget. Wall mode makes it readable from 5 m.

Demo with fake states::

    python -m widgets.status_light [--wall] [--en] [--quit-after MS]
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable

from PySide6.QtCore import QRectF, QSize, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from widgets import labels as L

STATES = ("green", "yellow", "red", "unknown")
TEXTS: dict[str, tuple[str, str]] = {
    "green": ("数据库连接正常", "Database connected"),
    "yellow": ("响应缓慢", "Database slow"),
    "red": ("连接中断, 重试中…", "Connection lost, retrying…"),
    "unknown": ("正在连接数据库…", "Connecting to the database…"),
    "refreshed": ("最后刷新 {0}", "Last refresh {0}"),
    "never": ("尚未刷新", "Not refreshed yet"),
    "ago_s": ("{0} 秒前", "{0} s ago"),
    "ago_m": ("{0} 分钟前", "{0} min ago"),
    "ago_h": ("{0} 小时前", "{0} h ago"),
}
COLOURS = {"green": L.LIGHT_COLOURS["green"], "yellow": L.LIGHT_COLOURS["yellow"], "red": L.LIGHT_COLOURS["red"],
           "unknown": L.LIGHT_COLOURS["none"]}
STALE_AFTER_S = 5  # show the age of the last refresh once it is older than this


def _t(key: str, lang: str | None = None) -> str:
    zh, en = TEXTS[key]
    return en if (lang or L.language()) == "en" else zh


def state_text(state: str, lang: str | None = None) -> str:
    """What the light says in `state` (an unknown state shows as 'connecting')."""
    return _t(state if state in STATES else "unknown", lang)


def refresh_text(last: dt.datetime | None, now: dt.datetime, lang: str | None = None) -> str:
    """`最后刷新 14:03:27`, with the age added once it is stale (`… (3 分钟前)`)."""
    if last is None:
        return _t("never", lang)
    text = _t("refreshed", lang).format(last.strftime("%H:%M:%S") if last.date() == now.date()
                                        else last.strftime("%Y-%m-%d %H:%M:%S"))
    age = (now - last).total_seconds()
    if age < STALE_AFTER_S:
        return text
    if age < 60:
        ago = _t("ago_s", lang).format(int(age))
    elif age < 3600:
        ago = _t("ago_m", lang).format(int(age // 60))
    else:
        ago = _t("ago_h", lang).format(int(age // 3600))
    return f"{text} ({ago})"


class _Dot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour = QColor(COLOURS["unknown"])
        self.diameter = 12
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(self.diameter + 4, self.diameter + 4)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(self.colour.darker(140), 1))
        p.setBrush(self.colour)
        d = self.diameter
        p.drawEllipse(QRectF((self.width() - d) / 2, (self.height() - d) / 2, d, d))
        p.end()


class ConnectionLight(QWidget):
    """Dot + state text + last refresh time; `set_state`, `set_last_refresh`."""

    WALL_SCALE = 1.8

    def __init__(self, state: str = "unknown", *, wall_mode: bool = False,
                 clock: Callable[[], dt.datetime] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clock = clock or dt.datetime.now
        self._state = "unknown"
        self._last: dt.datetime | None = None
        self._wall = wall_mode
        self.dot = _Dot(self)
        self.state_label = QLabel(self)
        self.refresh_label = QLabel(self)
        self.refresh_label.setObjectName("connectionLightRefresh")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        lay.setSpacing(6)
        lay.addWidget(self.dot)
        lay.addWidget(self.state_label)
        lay.addWidget(self.refresh_label)
        self._base_font = QFont(self.font())
        self._age_timer = QTimer(self)  # keeps "(2 分钟前)" current while nothing arrives
        self._age_timer.setInterval(1000)
        self._age_timer.timeout.connect(self._render_refresh)
        self._age_timer.start()
        self._apply_size()
        self.set_state(state)
        self._render_refresh()

    # --- state ------------------------------------------------------------------
    def set_state(self, state: str) -> None:
        state = state if state in STATES else "unknown"
        if state == self._state and self.state_label.text():
            return
        self._state = state
        self.dot.colour = QColor(COLOURS[state])
        self.dot.update()
        self.state_label.setText(state_text(state))
        self.setToolTip(state_text(state))
        self.setAccessibleName(state_text(state))

    def state(self) -> str:
        return self._state

    def set_last_refresh(self, when: dt.datetime | None) -> None:
        self._last = when
        self._render_refresh()

    def last_refresh(self) -> dt.datetime | None:
        return self._last

    def set_wall_mode(self, on: bool) -> None:
        self._wall = bool(on)
        self._apply_size()

    def wall_mode(self) -> bool:
        return self._wall

    def retranslate(self) -> None:
        """Re-render after `widgets.labels.set_language`."""
        self.state_label.setText(state_text(self._state))
        self._render_refresh()

    def text(self) -> str:
        """Everything the light says, as shown."""
        return f"{self.state_label.text()} {self.refresh_label.text()}".strip()

    # --- rendering ----------------------------------------------------------------
    def _render_refresh(self) -> None:
        text = refresh_text(self._last, self._clock())
        if text != self.refresh_label.text():
            self.refresh_label.setText(text)

    def _apply_size(self) -> None:
        f = QFont(self._base_font)
        size = f.pointSizeF() if f.pointSizeF() > 0 else 10.0
        f.setPointSizeF(size * (self.WALL_SCALE if self._wall else 1.0))
        self.setFont(f)
        self.dot.diameter = max(10, int(self.fontMetrics().height() * 0.8))
        self.dot.setFixedSize(self.dot.sizeHint())
        self.updateGeometry()


def main(argv: list[str] | None = None) -> int:
    import argparse
    import itertools

    from PySide6.QtWidgets import QApplication

    ap = argparse.ArgumentParser(description="Connection light demo (fake states)")
    ap.add_argument("--wall", action="store_true")
    ap.add_argument("--en", action="store_true")
    ap.add_argument("--quit-after", type=int, metavar="MS")
    opts = ap.parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if opts.en:
        L.set_language("en")
    light = ConnectionLight(wall_mode=opts.wall)
    light.setWindowTitle("GridDesk — connection light (DEMO)")
    cycle = itertools.cycle(["green", "yellow", "red", "red", "green"])

    def step() -> None:
        state = next(cycle)
        light.set_state(state)
        if state != "red":
            light.set_last_refresh(dt.datetime.now().replace(microsecond=0))
        print("state", light.text())

    timer = QTimer(light)
    timer.timeout.connect(step)
    timer.start(300)
    step()
    light.resize(light.sizeHint().expandedTo(QSize(420, 40)))
    light.show()
    if opts.quit_after:
        QTimer.singleShot(opts.quit_after, app.quit)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
