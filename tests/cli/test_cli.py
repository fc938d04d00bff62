"""The ``guichet`` command line, through Flask's CLI runner on the test database."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from engine.access.models import Role, User
from engine.access.passwords import verify_password
from engine.access.users import user_for_token
from engine.config import Settings
from engine.db import Database
from engine.workflow.models import ProcessVersion
from webapp import create_app
from webapp.bootstrap import build_services
from webapp.cli import cli

GOOD = (Path(__file__).resolve().parents[1] / "jobs" / "diagrams" / "echo.bpmn").read_text()
BAD = GOOD.replace('id="util.echo"', 'id="nope.missing"').replace('id="echo_test"', 'id="bad_test"')


def _app(settings: Settings, db: Database | None = None) -> Flask:
    return create_app(build_services(settings, db), {"TESTING": True})


class Runner:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.runner = app.test_cli_runner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def run(settings: Settings, db: Database) -> Runner:
    return Runner(_app(settings, db))


def test_users_create_asks_for_the_password_twice(run: Runner, db: Database) -> None:
    result = run("users", "create", "Camille@Example.org", "--name", "Camille Dubois",
                 "--role", "case_worker", "--role", "manager", "--locale", "fr",
                 input="Sturdy-Passw0rd\nSturdy-Passw0rd\n")
    assert result.exit_code == 0, result.output
    assert "Created user camille@example.org" in result.output
    assert "Sturdy-Passw0rd" not in result.output  # hidden input
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.email == "camille@example.org"))
        assert user is not None
        assert user.roles == {Role.CASE_WORKER, Role.MANAGER}
        assert user.locale == "fr"
        assert verify_password(user.password_hash, "Sturdy-Passw0rd")


def test_users_create_refuses_a_duplicate_and_a_weak_password(run: Runner) -> None:
    args = ("users", "create", "dup@example.org", "--name", "Dup", "--role", "manager")
    assert run(*args, "--password", "Sturdy-Passw0rd").exit_code == 0
    again = run(*args, "--password", "Sturdy-Passw0rd")
    assert again.exit_code == 1
    assert "already exists" in again.output
    weak = run("users", "create", "weak@example.org", "--name", "W", "--role", "manager", "--password", "short")
    assert weak.exit_code == 1
    assert "at least" in weak.output
    unknown_role = run("users", "create", "r@example.org", "--name", "R", "--role", "emperor", "--password", "x")
    assert unknown_role.exit_code == 2


def test_tokens_create_prints_a_token_that_authenticates(run: Runner, db: Database) -> None:
    run("users", "create", "api@example.org", "--name", "KBO import", "--role", "administrator",
        "--password", "Sturdy-Passw0rd")
    result = run("tokens", "create", "API@example.org", "--name", "nightly import")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("gt_")
    with db.transaction() as session:
        user = user_for_token(session, token)
        assert user is not None and user.email == "api@example.org"
    missing = run("tokens", "create", "nobody@example.org", "--name", "x")
    assert missing.exit_code == 1
    assert "No user with e-mail nobody@example.org" in missing.output


def test_bpmn_deploy_creates_then_keeps_an_unchanged_version(run: Runner, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "echo.bpmn"
    path.write_text(GOOD)
    first = run("bpmn", "deploy", str(path))
    assert first.exit_code == 0, first.output
    assert "echo.bpmn: created (echo_test v1)" in first.output
    second = run("bpmn", "deploy", str(path))
    assert second.exit_code == 0, second.output
    assert "echo.bpmn: unchanged (echo_test v1)" in second.output
    path.write_text(GOOD.replace('name="Echo"', 'name="Echo again"'))
    third = run("bpmn", "deploy", str(path))
    assert "echo.bpmn: created (echo_test v2)" in third.output
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == 2


def test_bpmn_deploy_refuses_an_invalid_diagram_and_names_the_element(
    run: Runner, db: Database, tmp_path: Path
) -> None:
    (tmp_path / "good.bpmn").write_text(GOOD)
    (tmp_path / "bad.bpmn").write_text(BAD)
    (tmp_path / "broken.bpmn").write_text("<bpmn:definitions")
    result = run("bpmn", "deploy", str(tmp_path))
    assert result.exit_code == 1
    out = result.output
    assert "bad.bpmn: refused (1 problem)" in out
    assert "[echo]" in out and "'nope.missing' is not registered" in out  # file, element id, message
    assert "broken.bpmn: refused" in out and "not well-formed XML" in out
    assert "good.bpmn: created (echo_test v1)" in out  # the others still deploy
    assert "2 of 3 diagram(s) refused" in out
    with db.transaction() as session:
        keys = set(session.scalars(select(ProcessVersion.key)))
    assert keys == {"echo_test"}


def test_bpmn_deploy_defaults_to_the_bpmn_folder(run: Runner, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bpmn" / "dossiers").mkdir(parents=True)
    (tmp_path / "bpmn" / "dossiers" / "echo.bpmn").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    result = run("bpmn", "deploy")
    assert result.exit_code == 0, result.output
    assert "bpmn/dossiers/echo.bpmn: created (echo_test v1)" in result.output
    assert run("bpmn", "deploy", "nowhere.bpmn").exit_code == 1


def test_the_shipped_diagrams_deploy(run: Runner) -> None:
    """Every diagram under bpmn/ passes validation with the forms and operators that ship."""
    root = Path(__file__).resolve().parents[2] / "bpmn"
    assert (root / "dossiers" / "information.bpmn").is_file()
    result = run("bpmn", "deploy", str(root))
    assert result.exit_code == 0, result.output
    assert "information.bpmn: created (information v1)" in result.output


def test_db_upgrade_then_check_on_a_fresh_database(settings: Settings, tmp_path: Path) -> None:
    fresh = dataclasses.replace(settings, database_url=f"sqlite:///{tmp_path / 'fresh.db'}")
    run = Runner(_app(fresh))
    upgraded = run("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "Database at head" in upgraded.output
    checked = run("db", "check")
    assert checked.exit_code == 0, checked.output
    assert "matches the models" in checked.output


def test_db_upgrade_refuses_a_database_made_without_migrations(run: Runner) -> None:
    """The test database is made with create_all: upgrading it must explain, not crash."""
    result = run("db", "upgrade")
    assert result.exit_code == 1
    assert "no migration history" in result.output
