"""Fault 5: a new version of a diagram deployed while instances of the previous one run, with a
real worker that was started before the deploy.

Each instance keeps the id of its process version and the worker parses the diagram of THAT
version (engine/workflow/runtime.py ``parsed``), so: the v1 instance whose call was running at the
deploy and the v1 instance whose job was still queued both finish on v1 (v1's elements and
service calls); an instance started after the deploy runs v2, in the same worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.config import Settings
from engine.db import Database
from tests.faults.conftest import FAULT_WORKER, deploy, services_on, start, wait_completed
from tests.faults.operators import lines
from tests.support.processes import RedisServer, start_worker, wait_until

pytestmark = pytest.mark.faults


def test_deploy_while_instances_of_the_previous_version_run(
    settings: Settings, db: Database, redis: RedisServer, tmp_path: Path, marker_dir: Path, worker_env: Any,
) -> None:
    worker = start_worker(tmp_path / "worker.log", worker_env(redis.url), queue="celery", command=FAULT_WORKER)
    try:
        with services_on(settings, db, redis.url) as services:
            v1 = deploy(services, db, "versioned_v1.bpmn")
            running = start(services, db, "fault_versioned", marker_dir=str(marker_dir), key="running", sleep_s=3.0)
            wait_until(lambda: lines(marker_dir, "started.log"), 15,
                       lambda: f"the v1 call never started:\n{worker.log()[-4000:]}")
            queued = start(services, db, "fault_versioned", marker_dir=str(marker_dir), key="queued", sleep_s=0.0)

            v2 = deploy(services, db, "versioned_v2.bpmn")  # while one v1 call runs and one waits
            assert v2 != v1
            fresh = start(services, db, "fault_versioned", marker_dir=str(marker_dir), key="fresh", sleep_s=0.0)

            snaps = wait_completed(services, db, [running, queued, fresh], lambda: [worker])
            for instance_id in (running, queued):
                snap = snaps[instance_id]
                assert snap.version_id == v1
                assert snap.data is not None and (snap.data["ran_on"], snap.data["echoed"]) == ("v1", "echo-v1")
                assert snap.visits == ["start", "effect", "stamp", "echo", "end"]
                assert snap.calls == [("effect", "done", 1), ("echo", "done", 1)]
            snap = snaps[fresh]
            assert snap.version_id == v2
            assert snap.data is not None and (snap.data["ran_on"], snap.data["echoed"]) == ("v2", "echo-v2")
            assert snap.visits == ["start", "effect", "stamp_v2", "echo_v2", "end"]
            assert snap.calls == [("effect", "done", 1), ("echo_v2", "done", 1)]
            assert sorted(lines(marker_dir, "effects.log")) == ["fresh", "queued", "running"]
    finally:
        worker.stop()
