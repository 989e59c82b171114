"""A real PostgreSQL server for the tests.

`GRIDDESK_TEST_PG=postgresql+psycopg://user@host:port/db` uses that server (CI
starts one). Otherwise, if Debian's server binaries exist, a throwaway cluster is
started once per test session in a temporary folder (as the `postgres` user when
running as root, since initdb refuses root) and stopped at exit.

Tests that stop and start a server (the live feed's outage test) take a
`dedicated_cluster()` of their own; `shared_server_control()` can stop and start
the shared one (CI's via `GRIDDESK_TEST_PG_CTL`) for a test that must, and that
restarts it before it ends.
"""

from __future__ import annotations

import atexit
import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid

_URL: str | None = None
_TRIED = False
_CLUSTER = None  # the throwaway Cluster started here, if any


def _pg_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return os.path.dirname(found[-1])
    ctl = os.environ.get("GRIDDESK_TEST_PG_CTL")  # "<pg_ctl path> -D <datadir>", set by CI
    if ctl and os.path.exists(shlex.split(ctl)[0]):
        return os.path.dirname(shlex.split(ctl)[0])
    exe = shutil.which("pg_ctl")
    return os.path.dirname(exe) if exe else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster of its own in a temporary folder, with `stop()` and `start()`.

    Made as the `postgres` user when running as root (initdb refuses root).
    `url` is its maintenance database; the server keeps its port across restarts.
    """

    def __init__(self, bindir: str) -> None:
        self.bindir = bindir
        self.root = tempfile.mkdtemp(prefix="griddesk-pg-")
        self.data, self.sock = os.path.join(self.root, "data"), os.path.join(self.root, "sock")
        os.makedirs(self.sock)
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sock, "postgres")
            os.chmod(self.root, 0o755)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.port = _free_port()
        self._run(f"{bindir}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.prefix, *cmd], check=check, capture_output=True)

    def start(self) -> None:
        self._run(f"{self.bindir}/pg_ctl", "-D", self.data, "-l", os.path.join(self.root, "log"), "-w", "-o",
                  f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.sock} -c fsync=off "
                  f"-c max_connections=200", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(f"{self.bindir}/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop", check=False)

    def is_running(self) -> bool:
        return self._run(f"{self.bindir}/pg_ctl", "-D", self.data, "status", check=False).returncode == 0

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def dedicated_cluster() -> Cluster | None:
    """A started cluster for one test that stops and starts the server (None if no binaries).

    The caller destroys it. Safer than stopping the session's shared server.
    """
    bindir = _pg_bin()
    if bindir is None:
        return None
    cluster = Cluster(bindir)
    cluster.start()
    return cluster


class SharedServerControl:
    """Stop/start the session's shared server: CI's (`GRIDDESK_TEST_PG_CTL` = "<pg_ctl> -D <datadir>")
    or the throwaway one started here. A test that stops it must start it again before it ends."""

    def __init__(self, command: list[str] | None, cluster: Cluster | None) -> None:
        self._command, self._cluster = command, cluster

    def stop(self) -> None:
        if self._cluster is not None:
            self._cluster.stop()
        else:
            self._ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        if self._cluster is not None:
            self._cluster.start()
        else:
            self._ctl("-w", "start")

    def _ctl(self, *args: str) -> None:
        cmd = [*self._command, *args]
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *cmd], check=True, capture_output=True)


def shared_server_control() -> SharedServerControl | None:
    """A handle to stop and start the shared test server, or None when that is not possible."""
    url = postgres_url()
    if url is None:
        return None
    if _CLUSTER is not None and url == _CLUSTER.url:
        return SharedServerControl(None, _CLUSTER)
    ctl = os.environ.get("GRIDDESK_TEST_PG_CTL")
    return SharedServerControl(shlex.split(ctl), None) if ctl else None


def _start_throwaway() -> str | None:
    global _CLUSTER
    bindir = _pg_bin()
    if bindir is None:
        return None
    cluster = Cluster(bindir)
    cluster.start()
    atexit.register(lambda: cluster.stop("immediate"))
    _CLUSTER = cluster
    return cluster.url


def postgres_url() -> str | None:
    """URL of the maintenance database of a running server, or None."""
    global _URL, _TRIED
    if not _TRIED:
        _TRIED = True
        _URL = os.environ.get("GRIDDESK_TEST_PG") or _start_throwaway()
    return _URL


def fresh_database(base_url: str) -> str:
    """Create an empty database on the server and return its URL."""
    import sqlalchemy as sa

    name = "gd_" + uuid.uuid4().hex[:12]
    engine = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name
