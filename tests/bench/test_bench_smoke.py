"""The benchmark (bench/engine.py) still runs: every part at a minimal scale, SQLite only, no
timing assertions. The figures themselves are for `.venv/bin/python bench/engine.py`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import engine as bench

FIGURES = {
    "raw_lifecycles_per_s",
    "completion_ms_median_sqlite",
    "completion_ms_p95_sqlite",
    "completion_ms_median_pg",
    "completion_ms_p95_pg",
    "ratio_pg_to_raw",
    "state_bytes_per_instance",
    "startup_s_50_diagrams",
}


def test_raw_life_cycle_completes() -> None:
    result = bench.bench_raw(lifecycles=2, warmup=1)
    assert len(result.lifecycle_ms) == 2
    assert result.per_s > 0


def test_benchmark_runs_at_minimal_scale(tmp_path: Path) -> None:
    scale = bench.Scale(raw_lifecycles=2, raw_warmup=1, instances=2, warmup=1, startup_diagrams=3, startup_runs=1)
    res = bench.run(scale, "smoke", workdir=tmp_path, with_pg=False, log=lambda _msg: None)

    sqlite = res.sqlite
    assert len(sqlite.completion_ms) == 2 * bench.USER_TASKS
    assert len(sqlite.lifecycle_ms) == 2
    assert all(n > 0 for n in sqlite.statements_per_completion)
    assert 0 < max(sqlite.state_bytes_mid) <= max(sqlite.state_bytes_after_tasks)

    figures = res.figures()
    assert set(figures) == FIGURES
    assert figures["completion_ms_median_pg"] is None and figures["ratio_pg_to_raw"] is None
    assert figures["state_bytes_per_instance"] == sqlite.state_bytes
    assert figures["startup_s_50_diagrams"] > 0
    assert res.startup is not None and res.startup.diagrams == 3
    json.dumps(figures)

    assert any("raw SpiffWorkflow" in line for line in bench.summary_lines(res))
    docs = tmp_path / "benchmarks.md"
    bench.write_docs(res, docs)
    bench.write_docs(res, docs)
    text = docs.read_text()
    assert text.startswith("# Benchmarks") and text.count("— scale smoke") == 2


def test_unreachable_postgresql_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GUICHET_BENCH_PG_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert bench.main(["--scale", "small", "--no-docs"]) == 2
    captured = capsys.readouterr()
    assert "PostgreSQL is unreachable" in captured.err
    assert captured.out == ""
