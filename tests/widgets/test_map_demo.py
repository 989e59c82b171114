"""The map widget's demo runs alone (STYLE §4)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_alone_with_fake_data():
    env = dict(os.environ, GRIDDESK_DEMO_AUTOQUIT_MS="1500", QT_QPA_PLATFORM="offscreen")
    env.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
    proc = subprocess.run(
        [sys.executable, "-m", "widgets.map.view", "--wall", "--gcj02", "--en"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ready" in proc.stdout.splitlines()
    assert "Traceback" not in proc.stderr and "blocked a request" not in proc.stderr
