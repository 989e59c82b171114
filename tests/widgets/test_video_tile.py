"""StreamTile: plays a generated clip (file, HTTP mp4, MJPEG, HLS on 127.0.0.1), shows
broken and silent streams, retries, and keeps the GUI thread free meanwhile."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtMultimedia")

from models.cameras import Camera  # noqa: E402
from tests.widgets.test_video_support import (  # noqa: E402,F401  (fixtures)
    Ticker,
    clips,
    closed_port,
    distinct_colours,
    file_server,
    mjpeg_server,
    silent_server,
    stalling_mjpeg_server,
)
from widgets.video.stream_tile import StreamTile, overlay_text  # noqa: E402
from widgets.video.tile_state import RetryPolicy, TileState  # noqa: E402

FAST = RetryPolicy(first_delay_s=0.5, factor=2.0, max_delay_s=2.0, connect_timeout_s=3.0, silence_timeout_s=1.5)
WAIT = 30_000  # generous: two shared cores


def make_tile(qtbot, camera: Camera | None, retry: RetryPolicy = FAST) -> tuple[StreamTile, list[tuple[str, str]]]:
    tile = StreamTile(None, retry=retry)
    qtbot.addWidget(tile)
    history: list[tuple[str, str]] = []
    tile.state_changed.connect(lambda s, r: history.append((s, r)))
    tile.resize(400, 300)
    tile.show()
    tile.set_camera(camera)
    return tile, history


def picture_colours(tile: StreamTile) -> int:
    """Distinct colours in the bottom 40 % of the tile (clear of the name and state labels)."""
    image = tile.grab().toImage()
    top = image.height() * 6 // 10
    return distinct_colours(image.copy(0, top, image.width(), image.height() - top))


# ------------------------------------------------------------------ pure parts
def test_overlay_text_names_each_state():
    assert overlay_text(TileState.CONNECTING) == "连接中"
    assert overlay_text(TileState.PLAYING) == "播放中"
    assert overlay_text(TileState.NO_SIGNAL) == "无信号"
    assert overlay_text(TileState.ERROR, "Connection refused") == "视频流连接失败"
    assert overlay_text(TileState.ERROR, "x", retry_in=2.2) == "视频流连接失败\n重试中（3 秒）"
    assert overlay_text(TileState.NO_SIGNAL, retry_in=0.0) == "无信号\n重试中（0 秒）"


def test_backoff_doubles_up_to_the_cap():
    policy = RetryPolicy(first_delay_s=1, factor=2, max_delay_s=30)
    assert [policy.delay(i) for i in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert policy.delay(10_000) == 30
    with pytest.raises(ValueError):
        policy.delay(-1)


# ------------------------------------------------------------------ playing
def test_local_file_plays_and_grab_shows_frames(qtbot, clips):
    tile, history = make_tile(qtbot, None)
    blank = picture_colours(tile)
    tile.set_camera(Camera("c1", "测试文件", 121.4, 28.6, "G1", str(clips["mp4"]), "file"))
    qtbot.waitUntil(lambda: tile.frames_received() >= 25, timeout=WAIT)
    assert tile.state() is TileState.PLAYING
    assert tile.overlay() == "播放中"
    assert [s for s, _ in history][:2] == ["connecting", "playing"]
    qtbot.wait(200)
    assert blank <= 3
    assert picture_colours(tile) > 30


def test_file_keeps_looping_past_its_end(qtbot, clips):
    tile, history = make_tile(qtbot, Camera("c1", "循环", 0, 0, None, str(clips["mp4"]), "file"))
    qtbot.waitUntil(lambda: tile.frames_received() >= 130, timeout=WAIT)  # the clip has 100
    assert tile.state() is TileState.PLAYING
    assert all(s != "no_signal" for s, _ in history)


def test_http_mp4_plays(qtbot, file_server):
    url = file_server.url("/testsrc.mp4")
    tile, _ = make_tile(qtbot, Camera("c2", "HTTP", 0, 0, None, url, "http"))
    qtbot.waitUntil(lambda: tile.frames_received() >= 25, timeout=WAIT)
    assert tile.state() is TileState.PLAYING
    assert "/testsrc.mp4" in file_server.requests
    qtbot.wait(200)
    assert picture_colours(tile) > 30


def test_mjpeg_stream_plays(qtbot, mjpeg_server):
    tile, _ = make_tile(qtbot, Camera("c3", "MJPEG", 0, 0, None, mjpeg_server.url("/video.mjpg"), "http"))
    qtbot.waitUntil(lambda: tile.frames_received() >= 10, timeout=WAIT)
    assert tile.state() is TileState.PLAYING
    qtbot.wait(200)
    assert picture_colours(tile) > 30


def test_hls_stream_plays(qtbot, file_server):
    tile, _ = make_tile(qtbot, Camera("c4", "HLS", 0, 0, None, file_server.url("/hls/index.m3u8"), "hls"))
    qtbot.waitUntil(lambda: tile.frames_received() >= 25, timeout=WAIT)
    assert tile.state() is TileState.PLAYING
    assert "/hls/index.m3u8" in file_server.requests


def test_end_of_a_live_stream_reconnects(qtbot, file_server):
    """An HTTP source that ends is 'no signal' (not looped) and is fetched again."""
    tile, history = make_tile(qtbot, Camera("c5", "结束", 0, 0, None, file_server.url("/testsrc.mp4"), "http"))
    qtbot.waitUntil(lambda: ("no_signal", "stream ended") in history, timeout=WAIT)
    qtbot.waitUntil(lambda: file_server.requests.count("/testsrc.mp4") >= 2 and tile.state() is TileState.PLAYING,
                    timeout=WAIT)


# ------------------------------------------------------------------ broken streams
def test_refused_connection_shows_error_retries_and_stays_responsive(qtbot, closed_port):
    ticker = Ticker()
    tile, history = make_tile(qtbot, None)
    overlays: list[str] = []
    tile.state_changed.connect(lambda s, r: overlays.append(tile.overlay()))
    tile.set_camera(Camera("dead", "断线", 0, 0, None, f"http://127.0.0.1:{closed_port}/live.mjpg", "http"))
    qtbot.waitUntil(lambda: sum(s == "error" for s, _ in history) >= 3, timeout=WAIT)
    ticker.stop()
    states = [s for s, _ in history]
    assert states[:4] == ["connecting", "error", "connecting", "error"]
    assert all(r for s, r in history if s == "error")
    error_overlay = overlays[states.index("error")]
    assert error_overlay.startswith("视频流连接失败") and "重试中（" in error_overlay
    assert tile.frames_received() == 0
    assert len(ticker.times) > 20 and ticker.max_gap() < 2.0


def test_stream_that_stops_sending_shows_no_signal_then_recovers(qtbot, stalling_mjpeg_server):
    ticker = Ticker()
    tile, history = make_tile(qtbot, Camera("stall", "卡住", 0, 0, None, stalling_mjpeg_server.url("/v.mjpg"), "http"))
    qtbot.waitUntil(lambda: tile.state() is TileState.PLAYING, timeout=WAIT)
    qtbot.waitUntil(lambda: tile.state() is TileState.NO_SIGNAL, timeout=WAIT)
    assert tile.overlay().startswith("无信号\n重试中（")
    assert tile.retry_in() is not None
    # the server answers a new connection with fresh frames: the tile plays again
    qtbot.waitUntil(lambda: stalling_mjpeg_server.connections >= 2 and tile.state() is TileState.PLAYING,
                    timeout=WAIT)
    ticker.stop()
    assert [s for s, _ in history][:4] == ["connecting", "playing", "no_signal", "connecting"]
    assert ticker.max_gap() < 2.0


def test_server_that_never_answers_is_no_signal_and_retried(qtbot, silent_server):
    ticker = Ticker()
    tile, history = make_tile(qtbot, Camera("mute", "无响应", 0, 0, None, silent_server.url("/x.mp4"), "http"))
    qtbot.waitUntil(lambda: silent_server.connections >= 2, timeout=WAIT)
    ticker.stop()
    assert ("no_signal", "no frame within 3 s") in history
    assert tile.frames_received() == 0
    assert ticker.max_gap() < 2.0


def test_stop_ends_retrying_and_start_resumes(qtbot, closed_port):
    tile, history = make_tile(qtbot, Camera("d", "断线", 0, 0, None, f"http://127.0.0.1:{closed_port}/", "http"))
    qtbot.waitUntil(lambda: tile.state() is TileState.ERROR, timeout=WAIT)
    tile.stop()
    assert tile.state() is TileState.STOPPED and tile.retry_in() is None
    assert tile.overlay() == "已停止"
    n = len(history)
    qtbot.wait(1500)  # longer than the first backoff
    assert len(history) == n
    tile.start()
    assert tile.state() is TileState.CONNECTING
    tile.set_camera(None)
    assert tile.state() is TileState.IDLE and tile.camera() is None


def test_a_long_camera_name_is_elided_before_the_state_badge(qtbot, clips):
    """On the wall the tiles are small for their font: the name must not run under the 播放中 badge."""
    long_name = "池堰社区第1网格监控点00001(演示)" * 2
    tile, _ = make_tile(qtbot, Camera("c1", long_name, 121.4, 28.6, "G1", str(clips["mp4"]), "file"))
    tile.setStyleSheet("font-size: 28px;")
    qtbot.waitUntil(lambda: tile.state() is TileState.PLAYING, timeout=WAIT)
    tile.resize(420, 300)
    qtbot.wait(50)
    name, badge = tile._name_label, tile._status_label
    assert name.geometry().right() < badge.geometry().left()
    assert name.text() != long_name and "…" in name.text() and name.toolTip() == long_name
    tile.resize(3000, 300)  # room again: the whole name comes back
    qtbot.wait(50)
    assert name.text() == long_name and name.geometry().right() < badge.geometry().left()
