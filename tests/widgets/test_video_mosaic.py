"""VideoMosaic: layouts, cameras, focus on double click, full screen on a chosen screen."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtMultimedia")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from models.cameras import Camera  # noqa: E402
from tests.widgets.test_video_support import clips, closed_port, distinct_colours  # noqa: E402,F401
from widgets.video.mosaic import VideoMosaic  # noqa: E402
from widgets.video.tile_state import RetryPolicy, TileState  # noqa: E402

FAST = RetryPolicy(first_delay_s=0.5, max_delay_s=2.0, connect_timeout_s=3.0, silence_timeout_s=1.5)
WAIT = 30_000


def file_cameras(clip, n: int) -> list[Camera]:
    return [Camera(f"cam{i}", f"测试摄像头 {i + 1}", 121.4 + i / 1000, 28.6, "G1", str(clip), "file") for i in range(n)]


def make_mosaic(qtbot, cameras, layout=4) -> VideoMosaic:
    mosaic = VideoMosaic(cameras, layout=layout, retry=FAST)
    qtbot.addWidget(mosaic)
    mosaic.resize(800, 620)
    mosaic.show()
    return mosaic


def test_two_by_two_plays_four_cameras(qtbot, clips):
    mosaic = make_mosaic(qtbot, file_cameras(clips["mp4"], 4))
    tiles = mosaic.tiles()
    assert len(tiles) == 4
    assert [t.camera().id for t in tiles] == ["cam0", "cam1", "cam2", "cam3"]
    qtbot.waitUntil(lambda: all(t.frames_received() >= 10 for t in tiles), timeout=WAIT)
    assert [s for _, s in mosaic.states()] == [TileState.PLAYING] * 4
    qtbot.wait(200)
    for tile in tiles:  # each quarter shows a picture, not a black tile
        image = tile.grab().toImage()
        top = image.height() * 6 // 10
        assert distinct_colours(image.copy(0, top, image.width(), image.height() - top)) > 30
    # 2 × 2 geometry: two columns, two rows
    xs = sorted({t.geometry().x() for t in tiles})
    ys = sorted({t.geometry().y() for t in tiles})
    assert len(xs) == 2 and len(ys) == 2


def test_layouts_show_one_four_or_nine_tiles(qtbot, closed_port):
    cams = [Camera(f"d{i}", f"断线 {i}", 0, 0, None, f"http://127.0.0.1:{closed_port}/{i}", "http") for i in range(6)]
    mosaic = make_mosaic(qtbot, cams, layout=1)
    changes = []
    mosaic.layout_changed.connect(changes.append)
    assert [t.camera().id for t in mosaic.tiles()] == ["d0"]
    mosaic.set_layout(9)
    assert mosaic.layout_count() == 9 and len(mosaic.tiles()) == 9
    assert [t.camera().id if t.camera() else None for t in mosaic.tiles()] == [
        "d0", "d1", "d2", "d3", "d4", "d5", None, None, None]
    assert [t.state() for t in mosaic.tiles()[6:]] == [TileState.IDLE] * 3
    mosaic.set_layout(4)
    assert len(mosaic.tiles()) == 4
    hidden = [t for t in mosaic.findChildren(type(mosaic.tiles()[0])) if t not in mosaic.tiles()]
    assert len(hidden) == 5 and all(t.camera() is None and not t.isVisible() for t in hidden)
    assert changes == [9, 4]
    with pytest.raises(ValueError):
        mosaic.set_layout(3)
    with pytest.raises(ValueError):
        VideoMosaic([], layout=2)


def test_tile_states_are_reported_with_camera_ids(qtbot, closed_port):
    cams = [Camera("bad", "断线", 0, 0, None, f"http://127.0.0.1:{closed_port}/", "http")]
    mosaic = make_mosaic(qtbot, [])
    seen = []
    mosaic.tile_state_changed.connect(lambda cid, s, r: seen.append((cid, s)))
    mosaic.set_cameras(cams)
    qtbot.waitUntil(lambda: ("bad", "error") in seen, timeout=WAIT)
    assert seen[0] == ("bad", "connecting")


def test_double_click_shows_one_camera_and_back(qtbot, closed_port):
    cams = [Camera(f"d{i}", f"断线 {i}", 0, 0, None, f"http://127.0.0.1:{closed_port}/{i}", "http") for i in range(4)]
    mosaic = make_mosaic(qtbot, cams)
    activated = []
    mosaic.camera_activated.connect(activated.append)
    third = mosaic.tiles()[2]
    QTest.mouseDClick(third._view.viewport(), Qt.MouseButton.LeftButton)
    assert [c.id for c in activated] == ["d2"]
    assert mosaic.layout_count() == 1 and mosaic.tiles()[0].camera().id == "d2"
    QTest.mouseDClick(mosaic.tiles()[0]._view.viewport(), Qt.MouseButton.LeftButton)
    assert mosaic.layout_count() == 4
    assert [t.camera().id for t in mosaic.tiles()] == ["d0", "d1", "d2", "d3"]


def test_send_to_screen_opens_full_screen_copy_and_pauses_the_panel(qtbot, clips):
    mosaic = make_mosaic(qtbot, file_cameras(clips["mp4"], 2))
    screens = QGuiApplication.screens()
    assert len(mosaic.screen_actions()) == len(screens) >= 1
    sent = []
    mosaic.sent_to_screen.connect(sent.append)
    window = mosaic.send_to_screen(len(screens) - 1)
    assert sent == [len(screens) - 1]
    assert window.isVisible() and window.isFullScreen()
    assert window.screen() is screens[-1]
    assert [c.id for c in window.mosaic.cameras()] == ["cam0", "cam1"]
    assert window.mosaic.layout_count() == 4
    assert all(t.state() is TileState.STOPPED for t in mosaic.tiles()[:2])
    qtbot.waitUntil(lambda: all(t.frames_received() > 0 for t in window.mosaic.tiles()[:2]), timeout=WAIT)
    closed = []
    mosaic.full_screen_closed.connect(lambda: closed.append(True))
    QTest.keyClick(window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: closed == [True], timeout=WAIT)
    assert mosaic.full_screen_window() is None
    qtbot.waitUntil(lambda: all(t.state() is TileState.PLAYING for t in mosaic.tiles()[:2]), timeout=WAIT)
    with pytest.raises(IndexError):
        mosaic.send_to_screen(len(screens))
