"""ProcessLauncher and open_in_browser: a local program gets the exact argument list (no
shell), its exit status is recorded; an entry-point provider is discovered and run."""

from __future__ import annotations

import json
import stat
import sys
import textwrap
from pathlib import Path

import pytest

from models.conference import (
    CommandProvider,
    ConferenceLaunch,
    ConferenceRequest,
    UrlProvider,
    start_conference,
)
from tests.models.test_conference import ARG_TEMPLATES, GOOD_AND_BAD, REQUEST, argv_script, expected_args, \
    install_plugin
from widgets.video.process_launcher import ProcessLauncher, open_in_browser

WAIT = 30_000


def script(directory: Path, body: str) -> Path:
    path = directory / "client.py"
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def run(qtbot, launcher: ProcessLauncher, launch: ConferenceLaunch):
    with qtbot.waitSignal(launcher.finished, timeout=WAIT) as finished:
        record = launcher.start(launch)
    return record, finished.args[0]


def test_command_launch_passes_the_exact_arguments_and_records_the_exit(qtbot, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    client, out = argv_script(tmp_path)
    launch = CommandProvider({"program": str(client), "args": ARG_TEMPLATES}).start(REQUEST)
    launcher = ProcessLauncher()
    started, ended = [], []
    launcher.started.connect(started.append)
    launcher.ended.connect(ended.append)
    record, code = run(qtbot, launcher, launch)
    assert code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == expected_args(tmp_path)
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    assert started == [record] and ended == [record]
    assert record.status == "normal" and record.exit_code == 0 and record.pid
    assert record.ended_at >= record.started_at
    payload = record.log_payload()
    assert payload["provider"] == "command" and payload["status"] == "normal" and payload["exit_code"] == 0
    assert payload["argv"] == [str(client), *expected_args(tmp_path)]
    assert launcher.running() == []


def test_exit_code_and_output_are_recorded(qtbot, tmp_path):
    client = script(tmp_path, """\
        import sys
        sys.stdout.write("x" * 1_000_000)  # more than a pipe holds: must not block
        print("joined", sys.argv[1])
        sys.exit(3)
        """)
    launch = CommandProvider({"program": str(client), "args": ["{room}"]}).start(REQUEST)
    launcher = ProcessLauncher()
    record, code = run(qtbot, launcher, launch)
    assert code == 3 and record.status == "normal" and record.exit_code == 3
    assert record.output_tail.endswith(b"joined gd-lq-2024-000123\n")
    assert len(record.output_tail) == 4096


def test_crash_and_failure_to_start(qtbot, tmp_path):
    client = script(tmp_path, """\
        import os, signal
        os.kill(os.getpid(), signal.SIGKILL)
        """)
    launcher = ProcessLauncher()
    record, code = run(qtbot, launcher, CommandProvider({"program": str(client)}).start(REQUEST))
    assert code == -1 and record.status == "crashed"
    missing = ConferenceLaunch("process", "command", REQUEST, argv=(str(tmp_path / "gone"), "--x"))
    record, code = run(qtbot, launcher, missing)
    assert code == -1 and record.status == "failed_to_start" and record.error
    assert [r.status for r in launcher.records()] == ["crashed", "failed_to_start"]


def test_terminate_a_running_client(qtbot, tmp_path):
    client = script(tmp_path, """\
        import time
        time.sleep(120)
        """)
    launcher = ProcessLauncher()
    record = launcher.start(CommandProvider({"program": str(client)}).start(REQUEST))
    assert launcher.running() == [record]
    with qtbot.waitSignal(launcher.ended, timeout=WAIT):
        launcher.terminate(record)
    assert record.status == "crashed" and record.exit_code == -1  # SIGTERM


def test_launcher_refuses_url_launches(qtbot):
    launch = UrlProvider({"template": "http://127.0.0.1:9/{room}"}).start(REQUEST)
    with pytest.raises(ValueError):
        ProcessLauncher().start(launch)
    with pytest.raises(ValueError):
        open_in_browser(launch)


def test_browser_launch_opens_the_exact_url(qtbot):
    from PySide6.QtCore import QObject, QUrl, Slot
    from PySide6.QtGui import QDesktopServices

    class Catcher(QObject):
        def __init__(self):
            super().__init__()
            self.urls: list[str] = []

        @Slot(QUrl)
        def open(self, url):
            self.urls.append(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))

    launch = UrlProvider({"template": "http://127.0.0.1:9/join/{room}?user={user}&p={participants}",
                          "open_in": "browser"}).start(REQUEST)
    catcher = Catcher()
    QDesktopServices.setUrlHandler("http", catcher, "open")
    try:
        assert open_in_browser(launch) is True
    finally:
        QDesktopServices.unsetUrlHandler("http")
    assert catcher.urls == [launch.url]
    assert launch.url.startswith("http://127.0.0.1:9/join/gd-lq-2024-000123?user=%E5%80%BC")


def test_entry_point_provider_runs_through_the_launcher(qtbot, tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, GOOD_AND_BAD)
    client, out = argv_script(tmp_path)
    request = ConferenceRequest.for_grid("LQ-01-003", user="王", participants=[("张三", "grid_worker", "")])
    launch = start_conference("acme", {"client": str(client)}, request)
    launcher = ProcessLauncher()
    record, code = run(qtbot, launcher, launch)
    assert code == 0 and record.launch.provider == "acme"
    assert json.loads(out.read_text(encoding="utf-8")) == ["--join", "gd-grid-lq-01-003", "--as", "王"]


def test_shutdown_ends_running_clients_and_records_them(qtbot, tmp_path):
    client = script(tmp_path, """\
        import time
        time.sleep(120)
        """)
    launcher = ProcessLauncher()
    ended = []
    launcher.ended.connect(ended.append)
    records = [launcher.start(CommandProvider({"program": str(client)}).start(REQUEST)) for _ in range(2)]
    qtbot.waitUntil(lambda: all(r.pid for r in records), timeout=WAIT)
    launcher.shutdown()
    assert ended == records and launcher.running() == []
    assert all(r.ended_at is not None for r in records)
