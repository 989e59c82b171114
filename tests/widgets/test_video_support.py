"""Shared fixtures of the video tests: clips made with imageio-ffmpeg and 127.0.0.1 servers.

Every server listens on 127.0.0.1 only, on a port the OS picks, and is shut down
(its handler threads released) when its fixture ends. No outside address is used.
The other video test modules import these fixtures.
"""

from __future__ import annotations

import http.server
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

ffmpeg = pytest.importorskip("imageio_ffmpeg")


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True, timeout=120)


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """A 4-second 320×240 test pattern as mp4 (H.264), its frames as JPEGs, and as HLS."""
    d = tmp_path_factory.mktemp("clips")
    src = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25"]
    _ffmpeg(*src, "-t", "4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
            str(d / "testsrc.mp4"))
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-t", "3", "-c:v", "mjpeg", "-q:v", "5",
            "-f", "mjpeg", str(d / "testsrc.mjpeg"))
    hls = d / "hls"
    hls.mkdir()
    _ffmpeg(*src, "-t", "6", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "25", "-f", "hls",
            "-hls_time", "2", "-hls_playlist_type", "vod", str(hls / "index.m3u8"))
    return {"mp4": d / "testsrc.mp4", "mjpeg": d / "testsrc.mjpeg", "hls": hls / "index.m3u8", "dir": d}


def jpeg_frames(path: Path) -> list[bytes]:
    """Split an MJPEG elementary stream into its JPEG images."""
    data, frames, i = path.read_bytes(), [], 0
    while (start := data.find(b"\xff\xd8", i)) >= 0:
        end = data.find(b"\xff\xd9", start)
        frames.append(data[start:end + 2])
        i = end + 2
    return frames


class _Quiet:
    def log_message(self, *args) -> None:
        pass


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 that stops (and wakes its handlers) on close()."""

    def __init__(self, handler_class):
        self.stopping = threading.Event()
        self.requests: list[str] = []
        self.connections = 0
        handler_class.owner = self
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


@pytest.fixture
def file_server(clips):
    """Serves the clips directory (mp4, HLS) over HTTP."""
    directory = str(clips["dir"])

    class Handler(_Quiet, http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=directory, **kwargs)

        def do_GET(self):
            self.owner.requests.append(self.path)
            self.owner.connections += 1
            super().do_GET()

    server = LocalServer(Handler)
    yield server
    server.close()


def make_mjpeg_server(frames: list[bytes], stop_after: int | None = None, fps: float = 10.0) -> LocalServer:
    """multipart/x-mixed-replace MJPEG; after `stop_after` frames a connection stays open, silent."""

    class Handler(_Quiet, http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            owner = self.owner
            owner.requests.append(self.path)
            owner.connections += 1
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            n = 0
            try:
                while not owner.stopping.is_set():
                    if stop_after is not None and n >= stop_after:
                        owner.stopping.wait()  # the camera hangs: connection open, nothing sent
                        return
                    jpg = frames[n % len(frames)]
                    self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                                     % len(jpg) + jpg + b"\r\n")
                    self.wfile.flush()
                    n += 1
                    owner.stopping.wait(1 / fps)
            except (BrokenPipeError, ConnectionResetError):
                return

    return LocalServer(Handler)


@pytest.fixture
def mjpeg_server(clips):
    server = make_mjpeg_server(jpeg_frames(clips["mjpeg"]))
    yield server
    server.close()


@pytest.fixture
def stalling_mjpeg_server(clips):
    """Sends 10 frames per connection, then stops sending but keeps the connection open."""
    server = make_mjpeg_server(jpeg_frames(clips["mjpeg"]), stop_after=10)
    yield server
    server.close()


@pytest.fixture
def silent_server():
    """Accepts connections and never answers."""

    class Handler(_Quiet, http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.owner.connections += 1
            self.owner.requests.append(self.path)
            self.owner.stopping.wait()

    server = LocalServer(Handler)
    yield server
    server.close()


@pytest.fixture
def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Ticker:
    """A QTimer that records when it fires, to show the GUI thread stayed responsive."""

    def __init__(self, interval_ms: int = 50):
        from PySide6.QtCore import QTimer

        self.times: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(lambda: self.times.append(time.monotonic()))
        self.timer.start()

    def max_gap(self) -> float:
        points = self.times + [time.monotonic()]
        return max(b - a for a, b in zip(points, points[1:]))

    def stop(self) -> None:
        self.timer.stop()


def distinct_colours(image, step: int = 4) -> int:
    """Distinct pixel values on a grid of the image (a blank or black widget gives 1–3)."""
    return len({image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)})
