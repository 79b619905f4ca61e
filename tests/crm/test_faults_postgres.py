"""A team database server that stops mid-import: a plain message, exit 1, nothing half-written.

The server is a throwaway PostgreSQL cluster of this test's own (``initdb`` + ``pg_ctl`` on a free
port), never the shared one; skipped where PostgreSQL's server programs are not installed.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("KINDRED_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = port
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "-w", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not (PG_BIN / "initdb").exists() or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("PostgreSQL's server programs are not installed")
    folder = Path(tempfile.mkdtemp(prefix="kindred-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    c = Cluster(folder, _free_port())
    try:
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(c.data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            capture_output=True,
        )
        c.start()
        yield c
    finally:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(c.data), "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _active_inserts(url: str) -> int:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
            "AND state = 'active' AND query ILIKE 'INSERT INTO person%'"
        ).fetchone()
        return int(row[0]) if row else 0


def test_server_stopped_mid_import_is_a_message_and_nothing_is_written(
    cluster: Cluster, tmp_path: Path
) -> None:
    from crm.db import open_database

    open_database(cluster.url).dispose()
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["First name", "Last name", "Email"])
        out.writerows([f"P{i}", "Tester", f"p{i}@example.org"] for i in range(80_000))
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm", "--db", cluster.url, "import", str(big), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 240
    while _active_inserts(cluster.url) == 0:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.01)  # polling the server's activity: there is no signal to wait on
    cluster.stop()
    stdout, stderr = proc.communicate(timeout=120)

    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr
    error = json.loads(stdout)["error"]
    assert error.startswith("The connection to the team database server postgres on 127.0.0.1 was lost"), (
        error
    )
    assert "nothing was saved" in error

    cluster.start()
    db = open_database(cluster.url, create=False)
    try:
        from crm.filters import PersonFilter, count_people

        with db.session() as session:
            assert count_people(session, PersonFilter()) == 0
    finally:
        db.dispose()


def test_server_not_running_is_a_message(cluster: Cluster, capsys: pytest.CaptureFixture[str]) -> None:
    from crm.cli import main

    cluster.stop()
    code = main(["--db", cluster.url, "count", "--json"])
    error = json.loads(capsys.readouterr().out)["error"]
    assert code == 1
    assert error.startswith("Cannot reach the team database server postgres on 127.0.0.1"), error


def test_wrong_password_is_a_message(cluster: Cluster, capsys: pytest.CaptureFixture[str]) -> None:
    import psycopg

    from crm.cli import main

    dsn = cluster.url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE ROLE staff LOGIN PASSWORD 'right'")
    (cluster.data / "pg_hba.conf").write_text(
        "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n", encoding="utf-8"
    )
    cluster._ctl("reload")
    url = f"postgresql://staff:wrong@127.0.0.1:{cluster.port}/postgres"
    code = main(["--db", url, "count", "--json"])
    error = json.loads(capsys.readouterr().out)["error"]
    assert code == 1
    assert "did not accept the user name or password" in error and "wrong" not in error


def test_server_stopped_mid_export_is_a_message_and_leaves_no_file(cluster: Cluster, tmp_path: Path) -> None:
    from crm.db import open_database
    from crm.services import people

    db = open_database(cluster.url)
    try:
        with db.transaction() as session:
            people.bulk_insert_people(
                session,
                [
                    {"first_name": f"P{i}", "last_name": "Tester", "email": f"p{i}@example.org"}
                    for i in range(40_000)
                ],
            )
    finally:
        db.dispose()
    out = tmp_path / "out"
    out.mkdir()
    dest = out / "list.xlsx"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm", "--db", cluster.url, "export", str(dest), "--preset", "full", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 240
    # Stopped once the workbook is being written: the export is between reading and its audit entry.
    while not any(p.name.endswith(".parts") for p in out.iterdir()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the export never started writing"
        time.sleep(0.01)  # polling a folder a subprocess writes: there is no signal to wait on
    cluster.stop()
    stdout, stderr = proc.communicate(timeout=240)

    assert proc.returncode == 1, (stdout, stderr)
    assert "Traceback" not in stderr
    error = json.loads(stdout)["error"]
    assert "team database server postgres on 127.0.0.1" in error, error
    assert list(out.iterdir()) == []  # no workbook, no temporary file, no parts folder
