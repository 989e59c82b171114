"""Shared bits of the video widgets' `__main__` demos: options and clearly fake cameras."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

from models.cameras import Camera, CameraKind


def demo_app(argv: list[str] | None = None):
    """The QApplication and the demo options (`clips...`, `--quit-after MS`)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    parser = argparse.ArgumentParser(description="GridDesk video widget demo (fake data)")
    parser.add_argument("clips", nargs="*", help="video files to play (default: a generated test pattern)")
    parser.add_argument("--quit-after", type=int, metavar="MS", help="quit after MS milliseconds")
    opts = parser.parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if opts.quit_after:
        QTimer.singleShot(opts.quit_after, app.quit)
    return app, opts


def demo_clip() -> str | None:
    """A 5-second test pattern made with imageio-ffmpeg when it is installed, else None."""
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    path = os.path.join(tempfile.mkdtemp(prefix="griddesk-demo-"), "testsrc.mp4")
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", "testsrc=size=320x240:rate=25", "-t", "5", "-c:v", "libx264", "-pix_fmt", "yuv420p", path],
        check=True, timeout=60,
    )
    return path


def demo_cameras(opts, n: int) -> list[Camera]:
    """`n` fake cameras: the given or generated clips, and one dead 127.0.0.1 stream."""
    clips = list(opts.clips) or [c for c in [demo_clip()] if c]
    cams = [
        Camera(f"demo-{i}", f"演示摄像头 {i + 1}（假数据）", 121.37 + i * 0.001, 28.58, "DEMO-001",
               clips[i % len(clips)], CameraKind.FILE)
        for i in range(max(0, n - 1) if clips else 0)
    ]
    cams.append(Camera("demo-dead", "无服务的假摄像头", 121.36, 28.58, "DEMO-002",
                       "http://127.0.0.1:9/no-such-stream", CameraKind.HTTP))
    if n == 1 and clips:
        cams = [Camera("demo-0", "演示摄像头（假数据）", 121.37, 28.58, "DEMO-001", clips[0], CameraKind.FILE)]
    return cams[:n]
