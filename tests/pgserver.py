"""A real PostgreSQL server for the tests.

`GRIDDESK_TEST_PG=postgresql+psycopg://user@host:port/db` uses that server (CI
starts one). Otherwise, if Debian's server binaries exist, a throwaway cluster is
started once per test session in a temporary folder (as the `postgres` user when
running as root, since initdb refuses root) and stopped at exit.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid

_URL: str | None = None
_TRIED = False


def _pg_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return os.path.dirname(found[-1])
    exe = shutil.which("pg_ctl")
    return os.path.dirname(exe) if exe else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_throwaway() -> str | None:
    bindir = _pg_bin()
    if bindir is None:
        return None
    root = tempfile.mkdtemp(prefix="griddesk-pg-")
    data, sock = os.path.join(root, "data"), os.path.join(root, "sock")
    os.makedirs(sock)
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
        os.chmod(root, 0o755)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    run = lambda *cmd: subprocess.run([*prefix, *cmd], check=True, capture_output=True)  # noqa: E731
    run(f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
    run(
        f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(root, "log"), "-w", "-o",
        f"-p {port} -c listen_addresses=127.0.0.1 -k {sock} -c fsync=off -c max_connections=200", "start",
    )
    atexit.register(lambda: subprocess.run([*prefix, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
                                           capture_output=True))
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


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
