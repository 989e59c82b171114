"""ConferencePanel: loads the url provider's exact address from a 127.0.0.1 page server and
grants camera/microphone only to the configured origin."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWebEngineWidgets")

from PySide6.QtCore import QUrl  # noqa: E402
from PySide6.QtWebEngineCore import QWebEnginePermission  # noqa: E402

from models.conference import ConferenceRequest, LaunchKind, UrlProvider  # noqa: E402
from widgets.video.conference_panel import ConferencePanel, origin_text, permission_code  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PT = QWebEnginePermission.PermissionType
REQUEST = ConferenceRequest.for_case("LQ-2024-000123", grid_code="LQ-01-003", user="值班员 王",
                                     participants=[("张三", "grid_worker", "")])


@pytest.fixture
def page_server():
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            body = "<html><head><title>会商</title></head><body>ok</body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()
    thread.join(10)


class FakePermission:
    """Stands in for QWebEnginePermission, which Python cannot construct valid."""

    def __init__(self, origin: str, permission_type):
        self._origin, self._type, self.result = QUrl(origin), permission_type, None

    def origin(self):
        return self._origin

    def permissionType(self):
        return self._type

    def grant(self):
        self.result = "granted"

    def deny(self):
        self.result = "denied"


def test_panel_loads_the_exact_url_and_hangs_up(qtbot, page_server):
    port, seen = page_server
    provider = UrlProvider({"template": f"http://127.0.0.1:{port}/meet/{{room}}?case={{case}}&u={{user}}"
                                        f"&p={{participants}}"})
    launch = provider.start(REQUEST)
    path = "/meet/gd-lq-2024-000123?case=LQ-2024-000123&u=%E5%80%BC%E7%8F%AD%E5%91%98%20%E7%8E%8B" \
           "&p=%E5%BC%A0%E4%B8%89%3Agrid_worker%3A"
    assert launch.url == f"http://127.0.0.1:{port}{path}"
    panel = ConferencePanel()
    qtbot.addWidget(panel)
    panel.resize(640, 480)
    panel.show()
    started, ended = [], []
    panel.started.connect(started.append)
    panel.ended.connect(ended.append)
    with qtbot.waitSignal(panel.load_finished, timeout=30_000) as loaded:
        panel.open(launch)
    assert loaded.args == [True]
    assert seen[0] == path
    assert panel.page().url().toString(QUrl.ComponentFormattingOption.FullyEncoded) == launch.url
    assert started == [launch] and panel.current_launch() is launch
    panel.hang_up()
    assert ended == [launch] and panel.current_launch() is None
    qtbot.waitUntil(lambda: panel.page().url().toString() == "about:blank", timeout=30_000)
    panel.hang_up()  # twice is harmless
    assert ended == [launch]


def test_panel_refuses_other_launch_kinds(qtbot):
    panel = ConferencePanel()
    qtbot.addWidget(panel)
    browser = UrlProvider({"template": "https://meet.example.org/{room}", "open_in": "browser"}).start(REQUEST)
    assert browser.kind is LaunchKind.BROWSER_URL
    with pytest.raises(ValueError):
        panel.open(browser)


def test_permission_handler_grants_media_only_to_the_configured_origin(qtbot, page_server):
    port, _ = page_server
    panel = ConferencePanel()
    qtbot.addWidget(panel)
    decided = []
    panel.permission_decided.connect(lambda o, p, g: decided.append((o, p, g)))

    before = FakePermission(f"http://127.0.0.1:{port}/", PT.MediaVideoCapture)
    panel._on_permission_requested(before)  # no conference open: nothing is granted
    assert before.result == "denied"

    panel.open(UrlProvider({"template": f"http://127.0.0.1:{port}/meet/{{room}}"}).start(REQUEST))
    cases = [
        (f"http://127.0.0.1:{port}/", PT.MediaAudioVideoCapture, "granted"),
        (f"http://127.0.0.1:{port}/", PT.MediaVideoCapture, "granted"),
        (f"http://127.0.0.1:{port}/", PT.MediaAudioCapture, "granted"),
        (f"http://127.0.0.1:{port}/", PT.DesktopVideoCapture, "denied"),
        (f"http://127.0.0.1:{port}/", PT.Geolocation, "denied"),
        (f"http://127.0.0.1:{port}/", PT.Notifications, "denied"),
        (f"http://localhost:{port}/", PT.MediaAudioVideoCapture, "denied"),
        (f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}/", PT.MediaVideoCapture, "denied"),
        (f"https://127.0.0.1:{port}/", PT.MediaVideoCapture, "denied"),
    ]
    for origin, ptype, expected in cases:
        fake = FakePermission(origin, ptype)
        panel._on_permission_requested(fake)
        assert fake.result == expected, (origin, ptype)
    assert [d.granted for d in panel.decisions()] == [False] + [e == "granted" for _, _, e in cases]
    assert decided[1] == (f"http://127.0.0.1:{port}", "camera_microphone", True)
    assert decided[7] == (f"http://localhost:{port}", "camera_microphone", False)
    assert all(d.at.tzinfo is not None for d in panel.decisions())


def test_permission_codes_and_origins():
    assert permission_code(PT.MediaAudioVideoCapture) == "camera_microphone"
    assert permission_code(PT.MediaVideoCapture) == "camera"
    assert permission_code(PT.MediaAudioCapture) == "microphone"
    assert permission_code(PT.DesktopAudioVideoCapture) == "screen_audio"
    assert origin_text(QUrl("http://127.0.0.1:8080/a/b?c=d#e")) == "http://127.0.0.1:8080"
    assert origin_text(QUrl("https://user:pw@meet.example.org/x")) == "https://meet.example.org"


CHILD = r'''
import http.server, json, sys, threading
from urllib.parse import parse_qs, urlsplit
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication
from models.conference import ConferenceRequest, UrlProvider
from widgets.video.conference_panel import ConferencePanel

PAGE = """<html><body><script>
function report(r) { return fetch('/result?origin=' + encodeURIComponent(location.origin) + '&r=' + r); }
navigator.mediaDevices.getUserMedia({video: true, audio: true})
  .then(s => { s.getTracks().forEach(t => t.stop()); return report('granted'); },
        e => report(e.name))
  .then(() => { if (location.hostname === '127.0.0.1')
                  location.href = 'http://localhost:' + location.port + '/elsewhere'; });
</script></body></html>""".encode()
requests, results = [], []

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        requests.append(self.path)
        if self.path.startswith('/result'):
            q = parse_qs(urlsplit(self.path).query)
            results.append((q['origin'][0], q['r'][0]))
            body = b'ok'
        else:
            body = PAGE
        self.send_response(200)
        self.send_header('Content-Type', 'text/html')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass

server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
port = server.server_address[1]
app = QApplication([])
panel = ConferencePanel()
panel.resize(400, 300)
panel.show()
launch = UrlProvider({'template': f'http://127.0.0.1:{port}/meet/{{room}}?u={{user}}'}).start(
    ConferenceRequest.for_case('LQ-2024-000123', user='王'))
panel.open(launch)

def check():
    if len(results) >= 2:
        app.quit()

poll = QTimer(); poll.timeout.connect(check); poll.start(100)
QTimer.singleShot(60000, app.quit)
app.exec()
out = {'port': port, 'url': launch.url, 'requests': requests, 'results': results,
       'decisions': [(d.origin, d.permission, d.granted) for d in panel.decisions()]}
panel.close(); panel.deleteLater()
app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
app.processEvents()
server.shutdown()
print('RESULT ' + json.dumps(out))
'''


def test_real_page_gets_the_camera_only_on_the_configured_origin(tmp_path):
    """A page on 127.0.0.1 (configured) and one on localhost (not) call getUserMedia.

    Runs in a child process: offscreen Chromium has no camera unless started with
    --use-fake-device-for-media-stream, and the flags are read once per process.
    """
    script = tmp_path / "gum_child.py"
    script.write_text(CHILD, encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT),
               QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu --use-fake-device-for-media-stream")
    proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, proc.stdout[-2000:] + proc.stderr[-4000:]
    out = json.loads(lines[-1][len("RESULT "):])
    port = out["port"]
    assert out["url"] == f"http://127.0.0.1:{port}/meet/gd-lq-2024-000123?u=%E7%8E%8B"
    assert out["requests"][0] == "/meet/gd-lq-2024-000123?u=%E7%8E%8B"
    assert out["decisions"] == [[f"http://127.0.0.1:{port}", "camera_microphone", True],
                                [f"http://localhost:{port}", "camera_microphone", False]]
    results = dict(map(tuple, out["results"]))
    assert results[f"http://127.0.0.1:{port}"] == "granted"
    assert results[f"http://localhost:{port}"] != "granted"
