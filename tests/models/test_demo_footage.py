"""Issue 8: the demo cameras play generated demo clips (models/demo/footage.py).

Clips are made with the ffmpeg of imageio-ffmpeg and checked by reading them back
with the same ffmpeg (duration, size, codec, decoded frames, the "演示画面 DEMO"
label in the picture). The seed points every demo camera at an existing clip,
`griddesk demo cameras` repairs a database whose clips were deleted, and a seed
without ffmpeg still succeeds, with a warning and the old placeholder streams.
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from models.cameras import Camera as CameraRecord
from models.cameras import camera_problems, media_url
from models.db import make_engine
from models.demo import footage
from models.demo.seed import seed_demo
from models.schema import Camera
from models.setup import init_database

ffmpeg = pytest.importorskip("imageio_ffmpeg")
NOW = dt.datetime(2026, 11, 20, 16, 0)


@pytest.fixture(scope="module")
def short_clips(tmp_path_factory) -> footage.FootageReport:
    """The whole set, 2 seconds each (the recipe is the seed's, only shorter)."""
    return footage.ensure_footage(tmp_path_factory.mktemp("short"), seconds=2)


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory) -> Path:
    """A data directory whose full-length clips are made once for this module."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture
def home(shared_home, monkeypatch) -> Path:
    monkeypatch.setenv("GRIDDESK_HOME", str(shared_home))
    return shared_home


def seeded(url: str):
    engine = make_engine(url)
    init_database(engine)
    seed_demo(engine, seed=3, cases=30, now=NOW, patrol_days=1)
    return engine


def cameras(engine) -> list[tuple[int, str, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(Camera.id, Camera.name, Camera.stream_url, Camera.kind).order_by(Camera.id))]


def first_frame_rgb(path: Path | str, at: float = 1.0) -> bytes:
    out = subprocess.run([ffmpeg.get_ffmpeg_exe(), "-v", "error", "-ss", str(at), "-i", str(path), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True, timeout=60)
    assert len(out.stdout) == footage.WIDTH * footage.HEIGHT * 3
    return out.stdout


def bright_pixels(rgb: bytes, x0: int, y0: int, x1: int, y1: int) -> int:
    w = footage.WIDTH
    return sum(1 for y in range(y0, y1) for x in range(x0, x1)
               if min(rgb[3 * (y * w + x):3 * (y * w + x) + 3]) > 200)


# --------------------------------------------------------------------- the clips
def test_the_clips_are_short_h264_videos_that_decode(short_clips):
    assert [p.name for p in short_clips.paths] == [footage.clip_file(i, c) for i, c in enumerate(footage.CLIPS)]
    assert 6 <= len(short_clips.paths) <= 9
    assert short_clips.generated == [p.name for p in short_clips.paths] and short_clips.reused == []
    for path in short_clips.paths:
        info = footage.probe(path)
        assert info == footage.ClipInfo(2.0, 480, 270, "h264", "yuv420p"), path.name
        frames, secs = ffmpeg.count_frames_and_secs(str(path))
        assert frames == 2 * footage.FPS and secs == pytest.approx(2.0, abs=0.05), path.name
        assert path.stat().st_size < 1_000_000
        head = path.read_bytes()[:4096]
        assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))
    assert len({footage._sha256(p) for p in short_clips.paths}) == len(short_clips.paths)  # distinct pictures


def test_probe_refuses_a_file_that_is_no_video(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(ValueError):
        footage.probe(junk)


def test_the_picture_is_marked_as_demo_footage(short_clips, tmp_path):
    """The bottom-left corner of the colour-bars clip carries the label; the bare source has none there."""
    i = next(i for i, c in enumerate(footage.CLIPS) if c.key == "smptebars")
    bare = tmp_path / "bare.mp4"
    subprocess.run([ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    footage.CLIPS[i].source.format(s="480x270", r=25), "-t", "2", "-pix_fmt", "yuv420p", str(bare)],
                   check=True, timeout=60)
    label_box = (12, 228, 130, 262)
    assert bright_pixels(first_frame_rgb(bare), *label_box) < 20
    assert bright_pixels(first_frame_rgb(short_clips.paths[i]), *label_box) > 150
    if footage.find_cjk_font() is not None:  # CI installs fonts-noto-cjk
        assert short_clips.label == "cjk"


def test_intact_clips_are_kept_damaged_and_missing_ones_made_again(tmp_path):
    d = tmp_path / "clips"
    first = footage.ensure_footage(d, seconds=1)
    assert len(first.generated) == len(footage.CLIPS)
    assert footage.valid_footage(d, seconds=1) == first.paths
    stamps = {p.name: p.stat().st_mtime_ns for p in first.paths}

    again = footage.ensure_footage(d, seconds=1)
    assert again.generated == [] and again.reused == [p.name for p in first.paths]
    assert {p.name: p.stat().st_mtime_ns for p in again.paths} == stamps

    truncated, deleted, flipped = first.paths[0], first.paths[3], first.paths[5]
    truncated.write_bytes(truncated.read_bytes()[:5000])
    deleted.unlink()
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte changed
    flipped.write_bytes(bytes(data))
    assert footage.valid_footage(d, seconds=1) is None
    repaired = footage.ensure_footage(d, seconds=1)
    assert sorted(repaired.generated) == sorted([truncated.name, deleted.name, flipped.name])
    for p in repaired.paths:
        assert footage.probe(p).duration_s == pytest.approx(1.0)
    assert not list(d.glob(".*.part"))

    other_recipe = footage.ensure_footage(d, seconds=1.5)  # another recipe: everything is made again
    assert len(other_recipe.generated) == len(footage.CLIPS)
    assert len(footage.ensure_footage(d, seconds=1.5, force=True).generated) == len(footage.CLIPS)


def test_without_a_cjk_font_the_label_is_ascii(tmp_path, monkeypatch):
    monkeypatch.setattr(footage, "find_cjk_font", lambda: None)
    report = footage.ensure_footage(tmp_path / "ascii", seconds=1)
    assert report.label == "ascii"
    assert all(footage.probe(p).duration_s == pytest.approx(1.0) for p in report.paths)


def test_without_imageio_ffmpeg_nothing_is_made_but_intact_clips_still_count(short_clips, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # `import imageio_ffmpeg` raises ImportError
    with pytest.raises(footage.FootageUnavailable, match="imageio-ffmpeg"):
        footage.ensure_footage(tmp_path / "none", seconds=2)
    assert not (tmp_path / "none").exists()
    kept = footage.ensure_footage(short_clips.directory, seconds=2)  # nothing to make: no ffmpeg needed
    assert kept.paths == short_clips.paths and kept.generated == []


# --------------------------------------------------------------------- the seed and the CLI
def test_the_seed_points_every_demo_camera_at_a_clip(home, tmp_path):
    engine = seeded(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    rows = cameras(engine)
    assert len(rows) > 100
    clips_dir = home / footage.DIR_NAME
    paths = {Path(url) for _, _, url, _ in rows}
    assert paths == {clips_dir / footage.clip_file(i, c) for i, c in enumerate(footage.CLIPS)}
    assert all(p.is_file() and footage.probe(p).duration_s == footage.CLIP_SECONDS for p in paths)
    assert {kind for *_, kind in rows} == {"file"}
    assert len({url for _, _, url, _ in rows[:len(footage.CLIPS)]}) == len(footage.CLIPS)  # the wall's first tiles differ
    for cid, name, url, kind in rows[:3]:
        record = CameraRecord(cid, name, 0, 0, None, url, kind)
        assert camera_problems(record) == []
        assert media_url(record) == Path(url).as_uri()
    engine.dispose()


def test_a_seed_without_ffmpeg_succeeds_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("GRIDDESK_HOME", str(tmp_path / "bare-home"))
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    messages: list[str] = []
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    init_database(engine)
    with caplog.at_level(logging.WARNING, logger="models.demo.seed"):
        report = seed_demo(engine, seed=3, cases=30, now=NOW, patrol_days=1, progress=messages.append)
    assert report.cases > 0
    assert any("imageio-ffmpeg" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert any("no demo footage" in m for m in messages)
    rows = cameras(engine)
    assert rows and all(kind == "rtsp" and url.startswith(footage.PLACEHOLDER_PREFIX) for *_, url, kind in rows)
    assert not (tmp_path / "bare-home" / footage.DIR_NAME).exists()
    engine.dispose()


def run_cli(url, capsys, *argv):
    from desktop.cli import main

    code = main(["--db", url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_repairs_a_database_whose_clips_were_deleted(db_url, home, capsys):
    engine = seeded(db_url)
    with engine.begin() as conn:
        conn.execute(sa.insert(Camera), [dict(name="路口卡口(管理员添加)", lon=121.4, lat=28.6,
                                              stream_url="rtsp://10.1.2.3/live", kind="rtsp")])
    clips_dir = home / footage.DIR_NAME
    deleted = sorted(clips_dir.glob("*.mp4"))[::4]  # the first, fifth and ninth
    for p in deleted:
        p.unlink()
    before = cameras(engine)
    assert sum(not Path(url).exists() for _, _, url, kind in before if kind == "file") > 50

    code, out, err = run_cli(db_url, capsys, "demo", "cameras")
    assert code == 0, err
    assert f"{len(deleted)} made" in out
    assert all(p.is_file() for p in deleted)
    after = cameras(engine)
    assert after[-1][1:] == ("路口卡口(管理员添加)", "rtsp://10.1.2.3/live", "rtsp")  # not a demo camera
    demo = after[:-1]
    assert len(demo) == len(before) - 1
    assert all(kind == "file" and Path(url).is_file() for *_, url, kind in demo)
    assert footage.valid_footage(clips_dir) is not None

    code, out, _ = run_cli(db_url, capsys, "demo", "cameras")  # nothing to do the second time
    assert code == 0 and "0 made" in out and cameras(engine) == after
    engine.dispose()


def test_cli_points_placeholder_cameras_at_the_clips(home, tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "imageio_ffmpeg", None)
        m.setenv("GRIDDESK_HOME", str(tmp_path / "bare-home"))
        engine = seeded(url)
    assert {kind for *_, kind in cameras(engine)} == {"rtsp"}
    code, out, err = run_cli(url, capsys, "demo", "cameras")
    assert code == 0, err
    rows = cameras(engine)
    assert {kind for *_, kind in rows} == {"file"}
    assert {Path(u).parent for _, _, u, _ in rows} == {home / footage.DIR_NAME}
    assert f"{len(rows):,} 个演示摄像头" in out
    engine.dispose()


def test_cli_refuses_a_database_without_demo_cameras(tmp_path, home, capsys):
    url = f"sqlite:///{tmp_path / 'plain.sqlite'}"
    init_database(make_engine(url))
    code, _, err = run_cli(url, capsys, "demo", "cameras")
    assert code == 1 and "no demo cameras" in err
