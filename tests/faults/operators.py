"""Operators for the fault tests, registered both in the test process (so that diagrams using
them deploy) and in the worker processes started by ``python -m tests.faults.fault_worker``.

``faults.slow_effect`` leaves a trace a test can count: a line in ``started.log`` (with the pid
of the process running it) as soon as it starts, then, after ``sleep_s``, a line in
``effects.log`` — the side effect of the call. Only the first attempt of a key sleeps (a retry
goes straight to the effect). A worker killed during the sleep leaves a start without an
effect; a call run twice to the end leaves two effects.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from marshmallow import Schema, fields

from engine.workflow.operators import OperatorRegistry

SLOW_EFFECT = "faults.slow_effect"


class _SlowEffectParams(Schema):
    marker_dir = fields.String(required=True)
    key = fields.String(required=True)
    sleep_s = fields.Float(load_default=0.0)


def _append(path: Path, line: str) -> None:
    with path.open("a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def slow_effect(marker_dir: str, key: str, sleep_s: float = 0.0) -> str:
    folder = Path(marker_dir)
    first = not any(line.split()[0] == key for line in lines(folder, "started.log"))
    _append(folder / "started.log", f"{key} {os.getpid()}")
    if first:
        time.sleep(sleep_s)
    _append(folder / "effects.log", key)
    return key


def register(operators: OperatorRegistry) -> None:
    if SLOW_EFFECT not in operators:
        operators.register(SLOW_EFFECT, slow_effect, _SlowEffectParams,
                           description="test: record a start, sleep, record the effect", retry_backoff_s=0.5)


def lines(marker_dir: Path, name: str) -> list[str]:
    path = marker_dir / name
    return path.read_text().splitlines() if path.exists() else []
