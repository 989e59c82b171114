"""Big-number tiles: a value readable from 5 m, its change with ▲/▼ in the colour of good or bad,
clickable (`tileClicked(key)`) for the drill-down.

On the wall the board is *fitted* to the panel (`TileBoard.set_fit`): given font sizes, each line gets
a tight height and long texts are shortened instead of widening the tile; with one row per page the
board shows five tiles at a time and `show_page` turns to the next five (the dashboard's rotation).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from models.kpi.trends import TILE_KEYS, Tile
from widgets.kpi.theme import (
    CHART,
    COMPARE,
    OFFICE,
    PERIOD,
    TILE,
    WALL,
    TILE_FLOOR,
    Theme,
    TileFonts,
    font,
    format_delta,
    format_value,
    t,
)

PERIOD_TILES = frozenset({"reported", "filed", "closed", "closure_rate", "on_time_closure_rate",
                          "grassroots_resolution_rate"})

# A fitted tile: padding inside the border, and the height of each line in em. Noto Sans CJK's own line
# is 1.45 em; the ink of a Chinese line runs from 0.92 em above the baseline to 0.13 em below, and of
# the digits, "%" and "," from 0.88 above to 0.09 below, so 1.2 and 1.1 em clip air, never ink.
FIT_PAD_X, FIT_PAD_Y = 8, 4
TEXT_LINE_EM, VALUE_LINE_EM = 1.2, 1.1
WIDEST_VALUE = {"count": "88,888", "rate": "100.0%"}  # what a value column must hold


def fitted_tile_height(fonts: TileFonts) -> int:
    """Height of a fitted tile with these font sizes (pure)."""
    return 2 * FIT_PAD_Y + sum(_line(px, em) for px, em in ((fonts.title_px, TEXT_LINE_EM),
                                                             (fonts.value_px, VALUE_LINE_EM),
                                                             (fonts.delta_px, TEXT_LINE_EM)))


def _line(px: int, em: float) -> int:
    return math.ceil(px * em)


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
        self._fit: TileFonts | None = None
        self._title_px = 0  # the fitted title's size: the fit's, or smaller for a long title
        self._full_title = self._title.text()
        self._full_delta = ""  # "较昨日同时 ▲ 13"
        self._short_delta = ""  # "▲ 13": shown when the whole line does not fit a fitted tile
        self.apply_theme(theme)

    # what the tile shows (tests read these)
    def title_text(self) -> str:
        return self._full_title

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
        self._full_title = title
        value = format_value(tile.value, tile.kind)
        if tile.count is not None and tile.value is not None:
            self.setToolTip(t(CHART, "of", *tile.count))
        self._value.setText(value)
        delta, self._tone = format_delta(tile)
        self._full_delta, self._short_delta = f"{t(COMPARE, tile.compare)} {delta}", delta
        self._fit_texts()
        self._paint_delta()

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.setStyleSheet(f"#{self.objectName()} {{ background: {theme.panel}; border: 1px solid {theme.border};"
                           f" border-radius: 6px; }}")
        self._title.setStyleSheet(f"color: {theme.muted}; border: none;")
        self._value.setStyleSheet(f"color: {theme.text}; border: none;")
        self._set_fonts()
        self._paint_delta()

    def set_fit(self, fonts: TileFonts | None) -> None:
        """Fitted to the wall's panel with these sizes (tight lines, texts shortened to the tile's width),
        or None: the theme's sizes, natural lines and whole texts (the office look)."""
        self._fit = fonts
        self._title_px = fonts.title_px if fonts is not None else 0
        lay = self.layout()
        if fonts is None:
            lay.setContentsMargins(8, 6, 8, 6)
            lay.setSpacing(2)
        else:
            lay.setContentsMargins(FIT_PAD_X, FIT_PAD_Y, FIT_PAD_X, FIT_PAD_Y)
            lay.setSpacing(0)
        self._set_fonts()

    def fonts(self) -> TileFonts:
        th = self._theme
        return self._fit or TileFonts(th.tile_title_px, th.tile_value_px, th.tile_delta_px)

    def _set_fonts(self) -> None:
        f = self.fonts()
        fitted = self._fit is not None
        # fitted labels never ask for width (a long text is shortened instead) and are one tight line high
        policy = QSizePolicy.Policy.Ignored if fitted else QSizePolicy.Policy.Preferred
        for lbl, px, em, bold in ((self._title, f.title_px, TEXT_LINE_EM, False),
                                  (self._value, f.value_px, VALUE_LINE_EM, True),
                                  (self._delta, f.delta_px, TEXT_LINE_EM, False)):
            lbl.setFont(font(self._title_px if lbl is self._title and fitted else px, bold=bold))
            lbl.setSizePolicy(policy, lbl.sizePolicy().verticalPolicy())
            if fitted:
                lbl.setFixedHeight(_line(px, em))
            else:
                lbl.setMinimumHeight(0)
                lbl.setMaximumHeight(16777215)
        self._fit_texts()

    def set_title_px(self, px: int) -> None:
        """A smaller title than the fitted size (a long title, e.g. in English), in the same line."""
        if self._fit is not None and px != self._title.font().pixelSize():
            self._title_px = px
            self._title.setFont(font(px))
            self._fit_texts()

    def _fit_texts(self) -> None:
        title, delta = self._full_title, self._full_delta
        if self._fit is not None:
            room = self.width() - 2 * FIT_PAD_X
            title = QFontMetrics(self._title.font()).elidedText(title, Qt.TextElideMode.ElideRight, room)
            fm = QFontMetrics(self._delta.font())
            if fm.horizontalAdvance(delta) > room:  # the change matters more than what it is compared with
                delta = fm.elidedText(self._short_delta, Qt.TextElideMode.ElideRight, room)
        self._title.setText(title)
        self._delta.setText(delta)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fit is not None:
            self._fit_texts()

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
        self._fonts: TileFonts | None = None
        self._columns = columns
        self._rows_per_page = 0  # 0: every row at once
        self._page = 0
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
        self._fit_titles()

    def apply_theme(self, theme: Theme) -> None:
        for tile in self._tiles.values():
            tile.apply_theme(theme)

    # --- fitting (the wall) -------------------------------------------------------------------------
    def rows(self) -> int:
        return math.ceil(len(self._tiles) / self._columns)

    def spacing(self) -> int:
        return self.layout().spacing()

    def _column(self, width: int) -> float:
        """Room for text in a fitted tile of a board `width` wide."""
        return (width - (self._columns - 1) * self.spacing()) / self._columns - 2 * FIT_PAD_X

    def fits(self, fonts: TileFonts, width: int) -> bool:
        """Whether every title and the widest value fit a column of a board `width` wide with `fonts`."""
        column = self._column(width)
        titles = QFontMetrics(font(fonts.title_px))
        values = QFontMetrics(font(fonts.value_px, bold=True))
        return (all(titles.horizontalAdvance(tile.title_text()) <= column for tile in self._tiles.values())
                and all(values.horizontalAdvance(v) <= column for v in WIDEST_VALUE.values()))

    def _fit_titles(self) -> None:
        """Titles too long for their column at the fitted size get one smaller size on every tile, down to
        the floor; any still too long is shortened with "…"."""
        if self._fonts is None:
            return
        column = self._column(self.width())
        px = self._fonts.title_px
        while px > TILE_FLOOR.title_px and any(QFontMetrics(font(px)).horizontalAdvance(tile.title_text()) > column
                                                for tile in self._tiles.values()):
            px -= 1
        for tile in self._tiles.values():
            tile.set_title_px(px)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_titles()

    def fitted_height(self, fonts: TileFonts, rows: int) -> int:
        return rows * fitted_tile_height(fonts) + (rows - 1) * self.spacing()

    def set_fit(self, fonts: TileFonts | None, rows_per_page: int = 0) -> None:
        """Fit the tiles with `fonts` (None: the theme's look) showing `rows_per_page` rows at a time
        (0: all). The board is then exactly as high as the rows it shows."""
        self._fonts = fonts
        for tile in self._tiles.values():
            tile.set_fit(fonts)
        self._fit_titles()
        self._rows_per_page = rows_per_page if fonts is not None and 0 < rows_per_page < self.rows() else 0
        if fonts is None:
            self.setMinimumHeight(0)
            self.setMaximumHeight(16777215)
        else:
            self.setFixedHeight(self.fitted_height(fonts, self._rows_per_page or self.rows()))
        self.show_page(self._page)

    def page_count(self) -> int:
        return math.ceil(self.rows() / self._rows_per_page) if self._rows_per_page else 1

    def page(self) -> int:
        return self._page

    def show_page(self, page: int) -> None:
        """Show the tiles of page `page` (of `page_count()`), hide the others: no widget is made or dropped."""
        self._page = page % self.page_count()
        for i, tile in enumerate(self._tiles.values()):
            row = i // self._columns
            tile.setVisible(not self._rows_per_page or row // self._rows_per_page == self._page)

    def visible_keys(self) -> list[str]:
        return [k for k, tile in self._tiles.items() if not tile.isHidden()]


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
