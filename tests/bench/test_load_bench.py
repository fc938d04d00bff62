"""The load benchmark (bench/load.py) at its tiny scale: gunicorn really started, wrk really run
from its own process, every phase answered without error and no completion lost or doubled. No
timing assertions; the figures are for ``.venv/bin/python bench/load.py``."""

from __future__ import annotations

import json
import shutil

import pytest

from bench import load as bench
from tests.bench.support import bench_database_url

pytestmark = pytest.mark.pg_bench


def test_load_benchmark_runs_at_the_tiny_scale(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert shutil.which("wrk"), "wrk is installed by `make setup` (Debian package)"
    monkeypatch.setenv("GUICHET_BENCH_LOAD_PG_URL", bench_database_url("load"))
    assert bench.main(["--scale", "tiny", "--workers", "2", "--no-docs"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(figures) == {"completions_per_s", "p95_ms", "errors", "lost_updates"}
    assert figures["errors"] == 0
    assert figures["lost_updates"] == 0
    assert figures["completions_per_s"] > 0 and figures["p95_ms"] > 0


def test_lost_updates_are_counted_against_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer the database does not show, beyond the requests in flight at wrk's cut-off, is
    a lost update; the in-flight ones are not."""
    url = bench_database_url("load_check")
    bench.recreate_database(url, "GUICHET_BENCH_LOAD_PG_URL")
    world = bench.build_world(url, 6, lambda _m: None)
    lost, checks = bench.count_lost_updates(url, world.task_ids, ok=0, in_flight_max=0)
    assert lost == 0 and checks["completed_in_db"] == 0 and checks["neither_open_nor_completed"] == 0
    lost, checks = bench.count_lost_updates(url, world.task_ids, ok=2, in_flight_max=4)
    assert checks["answered_but_not_completed"] == 2 and lost == 2
