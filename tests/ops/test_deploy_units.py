"""The systemd units in deploy/systemd: each parses, each service runs a `guichet` command that
exists, and every timer starts a service that is shipped beside it."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from webapp.cli import cli

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


@pytest.mark.parametrize("path", sorted(UNITS.glob("*.service")), ids=lambda p: p.name)
def test_service_runs_an_existing_guichet_command(path: Path) -> None:
    service = _unit(path)["Service"]
    command = shlex.split(service["ExecStart"])
    assert command[0] == "/opt/guichet/.venv/bin/guichet"
    assert command[1] in cli.commands, f"{path.name}: `guichet {command[1]}` does not exist"
    assert service["User"] == "guichet" and service["EnvironmentFile"] == "/etc/guichet/guichet.env"


@pytest.mark.parametrize("path", sorted(UNITS.glob("*.timer")), ids=lambda p: p.name)
def test_timer_starts_a_shipped_service(path: Path) -> None:
    timer = _unit(path)
    target = timer["Timer"].get("Unit", path.with_suffix(".service").name)
    assert (UNITS / target).is_file()
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"
    assert _unit(UNITS / target)["Service"]["Type"] == "oneshot"
