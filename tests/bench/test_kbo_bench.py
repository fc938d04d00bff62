"""The KBO benchmark (bench/kbo.py) at a tiny scale on PostgreSQL: the set is generated, imported
in a child process whose peak memory is read, looked up, and the figures and the docs section are
written. No timing assertions; the figures are for ``.venv/bin/python bench/kbo.py``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import kbo as bench
from tests.bench.support import bench_database_url

pytestmark = pytest.mark.pg_bench


def test_kbo_benchmark_runs_at_a_tiny_scale(tmp_path: Path) -> None:
    res = bench.run(500, "smoke", url=bench_database_url("kbo"), lookups=50)
    assert res.enterprises == 500 and res.bad_rows == 0 and res.lookup_rows == 500
    assert res.found == 50 and len(res.lookup_ms) == 50
    assert res.peak_mb > 10 and res.import_s > 0
    figures = res.figures()
    assert set(figures) == {"kbo_import_2m_s", "kbo_import_peak_mb", "lookup_ms_median"}
    json.dumps(figures)
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n")
    bench.write_docs(res, docs)
    text = docs.read_text()
    assert "KBO open-data import, bench/kbo.py, 500 enterprises (scale smoke)" in text
    assert "| kbo_import_peak_mb |" in text


def test_unreachable_postgresql_fails_clearly(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GUICHET_BENCH_KBO_PG_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert bench.main(["--scale", "small", "--no-docs"]) == 2
    captured = capsys.readouterr()
    assert "PostgreSQL is unreachable" in captured.err and captured.out == ""
