"""Big-number tiles: a value readable from 5 m, its change with ▲/▼ in the colour of good or bad,
clickable (`tileClicked(key)`) for the drill-down."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from models.kpi.trends import TILE_KEYS, Tile
from widgets.kpi.theme import CHART, COMPARE, OFFICE, PERIOD, TILE, WALL, Theme, font, format_delta, format_value, t

PERIOD_TILES = frozenset({"reported", "filed", "closed", "closure_rate", "on_time_closure_rate",
                          "grassroots_resolution_rate"})


class KpiTile(QFrame):
    """One tile: title, value, change line."""

    clicked = Signal(str)

    def __init__(self, key: str, theme: Theme = OFFICE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName(f"kpiTile_{key}")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._title = QLabel(t(TILE, key))
        self._value = QLabel("—")
        self._delta = QLabel("")
        for lbl in (self._title, self._value, self._delta):
            lbl.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lbl.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.setSpacing(2)
        lay.addWidget(self._title)
        lay.addWidget(self._value, 1)
        lay.addWidget(self._delta)
        self._tone = "none"
        self._theme = theme
        self.apply_theme(theme)

    # what the tile shows (tests read these)
    def title_text(self) -> str:
        return self._title.text()

    def value_text(self) -> str:
        return self._value.text()

    def delta_text(self) -> str:
        return self._delta.text()

    def tone(self) -> str:
        return self._tone

    def set_tile(self, tile: Tile, period_kind: str | None = None) -> None:
        title = t(TILE, tile.key)
        if period_kind and tile.key in PERIOD_TILES:
            title = f"{t(PERIOD, period_kind)} · {title}"
        self._title.setText(title)
        value = format_value(tile.value, tile.kind)
        if tile.count is not None and tile.value is not None:
            self.setToolTip(t(CHART, "of", *tile.count))
        self._value.setText(value)
        delta, self._tone = format_delta(tile)
        self._delta.setText(f"{t(COMPARE, tile.compare)} {delta}")
        self._paint_delta()

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.setStyleSheet(f"#{self.objectName()} {{ background: {theme.panel}; border: 1px solid {theme.border};"
                           f" border-radius: 6px; }}")
        self._title.setFont(font(theme.tile_title_px))
        self._value.setFont(font(theme.tile_value_px, bold=True))
        self._delta.setFont(font(theme.tile_delta_px))
        self._title.setStyleSheet(f"color: {theme.muted}; border: none;")
        self._value.setStyleSheet(f"color: {theme.text}; border: none;")
        self._paint_delta()

    def _paint_delta(self) -> None:
        self._delta.setStyleSheet(f"color: {self._theme.tone(self._tone)}; border: none;")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit(self.key)
        super().mouseReleaseEvent(event)


class TileBoard(QWidget):
    """The tiles in a grid, in `TILE_KEYS` order."""

    tileClicked = Signal(str)

    def __init__(self, keys: Sequence[str] = TILE_KEYS, columns: int = 5, theme: Theme = OFFICE,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tiles: dict[str, KpiTile] = {}
        lay = QGridLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)
        for i, key in enumerate(keys):
            tile = KpiTile(key, theme)
            tile.clicked.connect(self.tileClicked)
            lay.addWidget(tile, i // columns, i % columns)
            self._tiles[key] = tile

    def tile(self, key: str) -> KpiTile:
        return self._tiles[key]

    def keys(self) -> list[str]:
        return list(self._tiles)

    def set_tiles(self, tiles: Sequence[Tile], period_kind: str | None = None) -> None:
        for tile in tiles:
            if tile.key in self._tiles:
                self._tiles[tile.key].set_tile(tile, period_kind)

    def apply_theme(self, theme: Theme) -> None:
        for tile in self._tiles.values():
            tile.apply_theme(theme)


def _demo() -> int:  # pragma: no cover - run by hand or by the demo test
    import argparse

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    parser = argparse.ArgumentParser(description="KPI tiles demo (FAKE data)")
    parser.add_argument("--quit-after", type=int, metavar="MS")
    parser.add_argument("--office", action="store_true", help="light office theme instead of the wall")
    opts = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme = OFFICE if opts.office else WALL
    board = TileBoard(theme=theme)
    board.setWindowTitle("KPI 磁贴演示（假数据 / fake data）")
    board.setStyleSheet(f"background: {theme.background};")
    fake = [  # clearly fake numbers
        Tile("reported", 123, 100, "count", 0, "yesterday"), Tile("filed", 111, 120, "count", 0, "yesterday"),
        Tile("closed", 99, 90, "count", +1, "yesterday"), Tile("open_now", 42, 40, "count", -1, "24h"),
        Tile("red_now", 7, 9, "count", -1, "24h"), Tile("closure_rate", 0.9123, 0.9, "rate", +1, "yesterday"),
        Tile("on_time_closure_rate", 0.8765, 0.89, "rate", +1, "yesterday"),
        Tile("grassroots_resolution_rate", 0.9555, 0.9555, "rate", +1, "yesterday"),
        Tile("duty_today", 0.5, None, "rate", +1, "yesterday", (5, 10)),
        Tile("duty_week", 0.8, 0.7, "rate", +1, "yesterday", (8, 10)),
    ]
    board.set_tiles(fake, "today")
    board.tileClicked.connect(lambda key: print("tileClicked", key))
    board.resize(1400, 360)
    board.show()
    if opts.quit_after:
        QTimer.singleShot(opts.quit_after, app.quit)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(_demo())
