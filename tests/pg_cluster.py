"""A throwaway PostgreSQL cluster for the test run: initdb on a temporary folder, a free loopback
port, fsync off; stopped and deleted at the end. Roles as in production: `postgres` (superuser,
fixtures only), `covenant_owner` (owns each test's schema, runs migrations) and `covenant_app`
(the application: owns nothing; see contracts/adapters/db_roles.py).

As root, initdb and the server run as the `postgres` system user (PostgreSQL refuses root).
Without PostgreSQL's binaries, nothing starts and the tests that need it skip, saying why
(`make test` installs Debian's `postgresql` when root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

OWNER, APP, DB = "covenant_owner", "covenant_app", "test"


@dataclass(frozen=True)
class Cluster:
    folder: Path
    port: int
    bindir: Path

    def dsn(self, user: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} dbname={DB} user={user}"

    def url(self, user: str = "postgres") -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{DB}"


def _bindir() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def start() -> Cluster | str:
    """The running cluster, or why there is none."""
    bindir = _bindir()
    if bindir is None:
        return "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"
    folder = Path(tempfile.mkdtemp(prefix="covenant-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    port = _free_port()
    run = dict(check=True, capture_output=True, text=True, timeout=120)
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--locale=C",
                ]
            ),
            **run,
        )
        opts = (
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _as_server_user(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    opts,
                    "-l",
                    str(folder / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            **run,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        shutil.rmtree(folder, ignore_errors=True)
        return f"could not start a PostgreSQL cluster: {detail.strip()[:300]}"
    cluster = Cluster(folder, port, bindir)
    import psycopg

    for _ in range(50):
        try:
            with psycopg.connect(
                cluster.dsn().replace(f"dbname={DB}", "dbname=postgres"), autocommit=True
            ) as conn:
                conn.execute(f"CREATE DATABASE {DB}")
                conn.execute(f"CREATE ROLE {OWNER} LOGIN")
                conn.execute(f"CREATE ROLE {APP} LOGIN")
            break
        except psycopg.OperationalError:
            time.sleep(0.2)
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(f"REVOKE ALL ON DATABASE {DB} FROM PUBLIC")
        conn.execute(f"GRANT CONNECT ON DATABASE {DB} TO {OWNER}, {APP}")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    return cluster


def stop(cluster: Cluster) -> None:
    subprocess.run(
        _as_server_user(
            [
                str(cluster.bindir / "pg_ctl"),
                "-D",
                str(cluster.folder / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ]
        ),
        capture_output=True,
        timeout=60,
    )
    shutil.rmtree(cluster.folder, ignore_errors=True)
