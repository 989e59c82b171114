"""Themes: the dark video-wall look and the light office look."""

from __future__ import annotations

from importlib import resources

from PySide6.QtGui import QColor, QFont, QPalette

# colours handed to widgets (queue rows, lights) so they match the theme
WALL_COLOURS = {"red": "#7a1d24", "yellow": "#6b5a12", "green": "#143d2a", "none": "#0b1420",
                "red_fg": "#ffb3b8", "yellow_fg": "#ffe58a", "green_fg": "#a8f0c6", "text": "#e6edf5"}
OFFICE_COLOURS = {"red": "#ffd9dc", "yellow": "#fff3c4", "green": "#e3f6ea", "none": "#ffffff",
                  "red_fg": "#8a1020", "yellow_fg": "#6b5200", "green_fg": "#0f5a2e", "text": "#1b2633"}
CJK_FAMILIES = ["Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC",
                "WenQuanYi Micro Hei"]


def stylesheet(layout: str) -> str:
    return resources.files("resources.themes").joinpath(f"{layout}.qss").read_text(encoding="utf-8")


def wall_point_size(screen_height: int) -> int:
    """Base font for the wall: ~2 % of the screen height in pixels, as points (≈ 16 pt at 1080p, 32 at 2160p)."""
    return max(14, round(screen_height * 0.0148))


def apply(app, layout: str, screen_height: int = 1080) -> dict[str, str]:
    """Apply palette, font and stylesheet; return the colour table for widgets."""
    font = QFont()
    font.setFamilies(CJK_FAMILIES)
    if layout == "wall":
        font.setPointSize(wall_point_size(screen_height))
        palette = QPalette()
        for role, colour in ((QPalette.ColorRole.Window, "#0b1420"), (QPalette.ColorRole.Base, "#0b1420"),
                             (QPalette.ColorRole.AlternateBase, "#0e1a29"), (QPalette.ColorRole.Text, "#e6edf5"),
                             (QPalette.ColorRole.WindowText, "#e6edf5"), (QPalette.ColorRole.Button, "#13263b"),
                             (QPalette.ColorRole.ButtonText, "#e6edf5"), (QPalette.ColorRole.Highlight, "#1f4d80")):
            palette.setColor(role, QColor(colour))
        colours = WALL_COLOURS
    else:
        font.setPointSize(10)
        from PySide6.QtWidgets import QApplication

        palette = QApplication.style().standardPalette()
        colours = OFFICE_COLOURS
    app.setFont(font)
    app.setPalette(palette)
    app.setStyleSheet(stylesheet(layout))
    return colours
