"""Each video widget module runs alone with fake data (`python -m ... --quit-after MS`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", [
    "widgets.video.stream_tile",
    "widgets.video.mosaic",
    "widgets.video.conference_panel",
    "widgets.video.process_launcher",
])
def test_demo_runs_and_quits(module):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT),
               QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu")
    proc = subprocess.run([sys.executable, "-m", module, "--quit-after", "2500"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
