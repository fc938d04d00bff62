"""Fault 4: a timer falls due while every worker (and beat) is down.

Timers are not broker messages: the due time is ``process_instances.next_timer_at`` in the
database, and beat's ``guichet.fire_due_timers`` looks for due rows at each tick. So a timer
that fell due while nothing ran is found at the first tick after the restart. Here beat comes
back first and queues several ticks while no worker runs; then a worker with two pool processes
drains that backlog concurrently: the timer still fires once (the instance is re-read in the
firing transaction and saved with its version check, so a second firing finds nothing due).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import pytest

from engine.config import Settings
from engine.db import Database
from engine.workflow.models import ProcessInstance
from tests.faults.conftest import FAULT_WORKER, count_audit, deploy, services_on, snapshot, start, wait_completed
from tests.faults.operators import lines
from tests.support.processes import Process, RedisServer, start_beat, start_worker

pytestmark = pytest.mark.faults


def test_a_timer_due_while_workers_were_down_fires_once(
    settings: Settings, db: Database, redis: RedisServer, tmp_path: Path, marker_dir: Path, worker_env: Any,
) -> None:
    env = worker_env(redis.url)
    processes: list[Process] = []
    try:
        processes.append(start_worker(tmp_path / "worker-1.log", env, queue="celery", command=FAULT_WORKER))
        processes.append(start_beat(tmp_path / "beat-1.log", env, command=FAULT_WORKER))
        with services_on(settings, db, redis.url) as services:
            deploy(services, db, "timer.bpmn")
            instance_id = start(services, db, "fault_timer", marker_dir=str(marker_dir), key="t")
            with db.transaction() as session:
                instance = session.get(ProcessInstance, instance_id)
                assert instance is not None and instance.next_timer_at is not None
                due = instance.next_timer_at

            for process in processes:  # every worker and beat go down before the timer is due
                process.stop()
            assert dt.datetime.now(dt.UTC) < due, "the processes took longer to stop than the timer's 3 s"
            time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 1.5)
            snap = snapshot(services, db, instance_id)
            assert snap.status == "waiting" and "timer_fired" not in snap.audit  # nobody was there

            beat = start_beat(tmp_path / "beat-2.log", env, command=FAULT_WORKER)
            processes.append(beat)
            time.sleep(3.0)  # ticks of guichet.fire_due_timers pile up with no worker to run them
            worker = start_worker(tmp_path / "worker-2.log", env, queue="celery", command=FAULT_WORKER,
                                  pool="prefork", concurrency=2)
            processes.append(worker)

            wait_completed(services, db, [instance_id], lambda: processes)
            time.sleep(2.5)  # the backlog and the next ticks find nothing due any more
            # the piled-up ticks did run, and together they fired one timer
            fired = [int(n) for n in re.findall(r"Task guichet\.fire_due_timers\[[^\]]+\] succeeded in \S+: (\d+)",
                                                worker.log())]
            assert len(fired) >= 3 and sum(fired) == 1, fired
            assert count_audit(db, instance_id, "timer_fired") == 1
            snap = snapshot(services, db, instance_id)
            assert snap.visits.count("wait") == 1 and snap.visits.count("end") == 1
            assert lines(marker_dir, "effects.log") == ["t"]  # the step after the timer ran once
    finally:
        for process in processes:
            process.stop()
