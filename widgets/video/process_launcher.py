"""Start 'process' conference launches (external clients) and open 'browser_url' ones.

`ProcessLauncher.start(launch)` runs `launch.argv` with QProcess — program and
argument list, never a shell — and records when it started and ended and how
(`ProcessRecord`). Output is read continuously (a client that writes a lot never
blocks on a full pipe); the last few KB are kept for diagnosis. When the
application quits (`shutdown()`, connected to `aboutToQuit`), running clients are
asked to end, then killed, and their end is recorded like any other.
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QProcess, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from models.conference import ConferenceLaunch, LaunchKind

OUTPUT_TAIL_BYTES = 4096


@dc.dataclass
class ProcessRecord:
    """One started client. `status`: running, normal, crashed or failed_to_start."""

    launch: ConferenceLaunch
    argv: tuple[str, ...]
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    status: str = "running"
    exit_code: int | None = None  # -1 when it crashed or did not start
    error: str = ""
    pid: int | None = None
    output_tail: bytes = b""

    def log_payload(self) -> dict:
        """Plain data for the flow log / audit log (with the launch's payload)."""
        return {
            **self.launch.log_payload(),
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "status": self.status,
            "exit_code": self.exit_code,
            "error": self.error,
        }


class ProcessLauncher(QObject):
    """Runs external conference clients and records how they end.

    Signals: `started(ProcessRecord)`, `finished(exit_code)` (-1: crashed or did not
    start), `ended(ProcessRecord)` (complete record, same moment as `finished`).
    """

    started = Signal(object)
    finished = Signal(int)
    ended = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._records: list[ProcessRecord] = []
        self._processes: dict[int, QProcess] = {}
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def records(self) -> list[ProcessRecord]:
        return list(self._records)

    def running(self) -> list[ProcessRecord]:
        return [r for r in self._records if r.status == "running"]

    def start(self, launch: ConferenceLaunch) -> ProcessRecord:
        """Start `launch.argv[0]` with `launch.argv[1:]` as its arguments (no shell)."""
        if launch.kind is not LaunchKind.PROCESS:
            raise ValueError(f"the process launcher starts process launches, not {launch.kind.value}")
        record = ProcessRecord(launch, launch.argv, dt.datetime.now(dt.UTC))
        self._records.append(record)
        proc = QProcess(self)
        proc.setProgram(launch.argv[0])
        proc.setArguments(list(launch.argv[1:]))
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        proc.setStandardInputFile(QProcess.nullDevice())
        # Handlers check that both objects still live: QProcess emits while it is destroyed.
        proc.readyReadStandardOutput.connect(
            lambda: _alive(self, proc) and self._on_output(proc, record))
        proc.errorOccurred.connect(
            lambda error: _alive(self, proc) and self._on_error(proc, record, error))
        proc.finished.connect(
            lambda code, status: _alive(self, proc) and self._on_finished(proc, record, code, status))
        self._processes[id(record)] = proc
        proc.start()
        if proc.processId():
            record.pid = int(proc.processId())
        if record.status == "running":
            self.started.emit(record)
        return record

    def terminate(self, record: ProcessRecord) -> None:
        """Ask a running client to quit (SIGTERM / WM_CLOSE); its end is recorded as usual."""
        proc = self._processes.get(id(record))
        if proc is not None:
            proc.terminate()

    def shutdown(self, grace_ms: int = 3000) -> None:
        """End every running client: terminate, wait up to `grace_ms`, then kill."""
        for proc in list(self._processes.values()):
            proc.terminate()
        for proc in list(self._processes.values()):
            if not proc.waitForFinished(grace_ms):
                proc.kill()
                proc.waitForFinished(grace_ms)

    # ---------------------------------------------------------------- handlers
    def _on_output(self, proc: QProcess, record: ProcessRecord) -> None:
        record.output_tail = (record.output_tail + bytes(proc.readAllStandardOutput().data()))[-OUTPUT_TAIL_BYTES:]

    def _on_error(self, proc: QProcess, record: ProcessRecord, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and record.status == "running":
            record.error = proc.errorString()
            self._end(proc, record, "failed_to_start", -1)
        elif record.status == "running" and error != QProcess.ProcessError.Crashed:
            record.error = proc.errorString()  # read/write errors: the process may still finish

    def _on_finished(self, proc: QProcess, record: ProcessRecord, code: int,
                     status: QProcess.ExitStatus) -> None:
        if record.status != "running":
            return
        self._on_output(proc, record)
        if status == QProcess.ExitStatus.CrashExit:
            record.error = record.error or proc.errorString()
            self._end(proc, record, "crashed", -1)
        else:
            self._end(proc, record, "normal", int(code))

    def _end(self, proc: QProcess, record: ProcessRecord, status: str, code: int) -> None:
        record.status, record.exit_code = status, code
        record.ended_at = dt.datetime.now(dt.UTC)
        self._processes.pop(id(record), None)
        for signal in (proc.readyReadStandardOutput, proc.errorOccurred, proc.finished):
            signal.disconnect()
        proc.deleteLater()
        self.finished.emit(code)
        self.ended.emit(record)


def _alive(*objects: QObject) -> bool:
    return all(shiboken6.isValid(o) for o in objects)


def open_in_browser(launch: ConferenceLaunch) -> bool:
    """Open a 'browser_url' launch in the system browser; False when nothing handled it."""
    if launch.kind is not LaunchKind.BROWSER_URL:
        raise ValueError(f"open_in_browser opens browser_url launches, not {launch.kind.value}")
    try:
        url = QUrl.fromEncoded(launch.url.encode("ascii"), QUrl.ParsingMode.StrictMode)
    except UnicodeEncodeError:
        url = QUrl(launch.url)
    return QDesktopServices.openUrl(url)


def _demo() -> int:  # pragma: no cover - manual preview
    """Starts a fake "client" (this Python printing its arguments) through the command provider."""
    import sys

    from models.conference import CommandProvider, ConferenceRequest
    from widgets.video._demo import demo_app

    app, _opts = demo_app()
    provider = CommandProvider({"program": sys.executable,
                                "args": ["-c", "import sys; print('fake client got', sys.argv[1:])",
                                         "--room={room}", "--case={case}", "$(echo not-a-shell); {user}"]})
    launch = provider.start(ConferenceRequest.for_case("DEMO-2024-0001", user="值班员（假）"))
    launcher = ProcessLauncher()

    def done(record: ProcessRecord) -> None:
        print("ended:", record.status, record.exit_code, record.output_tail.decode(errors="replace").strip())
        app.quit()

    launcher.ended.connect(done)
    launcher.start(launch)
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_demo())
