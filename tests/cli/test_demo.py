"""``guichet demo``: the demo data (idempotent), and the whole command serving over HTTP with its
in-process worker and beat on the embedded broker, stopped by Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy import func, select

from engine.access.models import User
from engine.access.passwords import verify_password
from engine.cases.models import Dossier
from engine.config import Settings
from engine.db import Database
from engine.workflow.models import InstanceStatus
from webapp.bootstrap import build_services
from webapp.cli import BPMN_ROOT, deploy_files
from webapp.demo import DEMO_DOSSIERS, DEMO_PASSWORD, DEMO_USERS, load_demo_data
from webapp.demo_data.portal import DEMO_MEMBERS, portal_logins

ROOT = Path(__file__).resolve().parents[2]


def test_demo_data_is_complete_and_idempotent(settings: Settings, db: Database) -> None:
    services = build_services(settings, db)
    lines: list[str] = []

    def echo(message: str = "", **_kwargs: object) -> None:
        lines.append(message)

    assert deploy_files(services, sorted(BPMN_ROOT.rglob("*.bpmn")), echo=echo) == 0, lines
    logins = load_demo_data(services, echo=echo, scale=0)  # handmade dossiers only
    assert {email for email, _, _ in logins} == {u.email for u in DEMO_USERS} | {
        username for username, _, _ in portal_logins(DEMO_PASSWORD)}  # portal accounts sign in by username
    assert not [line for line in lines if "do not validate" in line or "not created" in line], lines

    with db.transaction() as session:
        users = {u.email: u for u in session.scalars(select(User))}
        for spec in DEMO_USERS:
            assert users[spec.email].roles == set(spec.roles)
            assert verify_password(users[spec.email].password_hash, DEMO_PASSWORD)
        covered = set().union(*(u.roles for u in users.values()))
        assert covered == {r for spec in DEMO_USERS for r in spec.roles}  # every role has a login
        dossiers = {d.title: d for d in session.scalars(select(Dossier))}
        assert set(dossiers) == {d.title for d in DEMO_DOSSIERS}
        states = {d.status for d in dossiers.values()}
    assert InstanceStatus.COMPLETED in states and InstanceStatus.WAITING in states  # various states

    load_demo_data(services, echo=echo, scale=0)  # a second `make demo`
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS) + len(DEMO_MEMBERS)
        assert session.scalar(select(func.count()).select_from(Dossier)) == len(DEMO_DOSSIERS)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_guichet_demo_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
    env["GUICHET_INSTANCE_PATH"] = str(tmp_path / "instance")
    script = Path(sys.executable).with_name("guichet")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "webapp.cli"]
    log_path = tmp_path / "demo.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([*command, "demo", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            status = None
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    status = _get(f"http://127.0.0.1:{port}/static/vendor/VERSIONS.json"
                                  if (ROOT / "webapp/static/vendor/VERSIONS.json").exists()
                                  else f"http://127.0.0.1:{port}/")
                    break
                except OSError:
                    time.sleep(0.2)
            assert status is not None and status < 500, log_path.read_text()
            assert _get(f"http://127.0.0.1:{port}/login") == 200, log_path.read_text()
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise
    out = log_path.read_text()
    assert code == 0, out
    assert "caseworker@guichet.local" in out and DEMO_PASSWORD in out
    assert "Guichet demo stopped." in out
    assert (tmp_path / "instance" / "guichet.db").exists()
    assert (tmp_path / "instance" / "broker.db").exists()  # the embedded broker was used
