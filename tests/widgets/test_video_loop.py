"""Issue 8: a file camera loops, so a short demo clip plays on the wall all day.

The clip is one of the generated demo clips (models/demo/footage.py), made 2 s long
and watched for several times its length with the real player: frames keep coming
after its end, the position starts again from the beginning, and the tile never
leaves 播放中 nor reconnects.
"""

from __future__ import annotations

import time

import pytest

pytest.importorskip("PySide6.QtMultimedia")
pytest.importorskip("imageio_ffmpeg")

from PySide6.QtMultimedia import QMediaPlayer  # noqa: E402

from models.cameras import Camera  # noqa: E402
from models.demo import footage  # noqa: E402
from widgets.video.mosaic import VideoMosaic  # noqa: E402
from widgets.video.stream_tile import StreamTile  # noqa: E402
from widgets.video.tile_state import RetryPolicy, TileState  # noqa: E402

CLIP_S = 2.0
FAST = RetryPolicy(first_delay_s=0.5, max_delay_s=2.0, connect_timeout_s=5.0, silence_timeout_s=1.5)
WAIT = 30_000  # generous: two shared cores


@pytest.fixture(scope="module")
def demo_clips(tmp_path_factory):
    return footage.ensure_footage(tmp_path_factory.mktemp("footage"), seconds=CLIP_S).paths


def test_a_demo_clip_keeps_playing_past_its_end(qtbot, demo_clips):
    tile = StreamTile(None, retry=FAST)
    qtbot.addWidget(tile)
    history: list[tuple[str, str]] = []
    tile.state_changed.connect(lambda s, r: history.append((s, r)))
    positions: list[int] = []
    tile.player().positionChanged.connect(positions.append)
    tile.resize(480, 300)
    tile.show()
    tile.set_camera(Camera("demo", "演示摄像头", 121.4, 28.6, None, str(demo_clips[0]), "file"))
    assert tile.player().loops() == QMediaPlayer.Loops.Infinite

    qtbot.waitUntil(lambda: tile.state() is TileState.PLAYING, timeout=WAIT)
    started = time.monotonic()
    clip_frames = int(CLIP_S * footage.FPS)
    qtbot.waitUntil(lambda: tile.frames_received() >= 2 * clip_frames + 10, timeout=WAIT)
    assert time.monotonic() - started > 1.5 * CLIP_S  # played in real time, not decoded ahead
    frames_after_two_loops = tile.frames_received()
    qtbot.wait(1000)
    assert tile.frames_received() > frames_after_two_loops + 5  # and still coming
    assert tile.state() is TileState.PLAYING
    assert [s for s, _ in history] == ["connecting", "playing"]  # no "no signal", no reconnect
    assert tile.attempts() == 0
    wraps = sum(1 for a, b in zip(positions, positions[1:]) if b < a - 500)
    assert wraps >= 2, positions
    assert max(positions) <= CLIP_S * 1000 + 100


def test_the_wall_mosaic_plays_four_different_demo_clips(qtbot, demo_clips):
    cams = [Camera(f"c{i}", f"演示监控点{i + 1}(演示)", 121.4, 28.6, None, str(p), "file")
            for i, p in enumerate(demo_clips[:4])]
    mosaic = VideoMosaic(cams, layout=4, retry=FAST)
    qtbot.addWidget(mosaic)
    mosaic.resize(800, 500)
    mosaic.show()
    clip_frames = int(CLIP_S * footage.FPS)
    qtbot.waitUntil(lambda: all(t.frames_received() > clip_frames + 10 for t in mosaic.tiles()), timeout=WAIT)
    assert [s for _, s in mosaic.states()] == [TileState.PLAYING] * 4
    assert all(t.attempts() == 0 for t in mosaic.tiles())
