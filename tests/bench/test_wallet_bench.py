"""The wallet benchmark (bench/wallet.py) at a tiny scale on PostgreSQL: concurrent debits leave
the exact balance, refused attempts are counted, the figures and the docs section are written.
No timing assertions; the figures are for ``.venv/bin/python bench/wallet.py``."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from bench import wallet as bench
from tests.bench.support import bench_database_url

pytestmark = pytest.mark.pg_bench


def test_wallet_benchmark_runs_at_a_tiny_scale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("bench.authz_walk")
    fake.run_walk = lambda: types.SimpleNamespace(requests=3)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench.authz_walk", fake)
    res = bench.run(bench.Scale(60, 12, threads=8), "smoke", url=bench_database_url("wallet"))
    assert (res.debits, res.refused, res.attempts) == (60, 12, 72)
    assert res.balance_exact and not res.negative_seen
    assert res.samples > 0 and res.min_prefix == 0
    figures = res.figures()
    assert set(figures) == {"debits", "balance_exact", "negative_seen", "authz_walk_s"}
    assert figures["debits"] == 60 and isinstance(figures["authz_walk_s"], float)
    json.dumps(figures)
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n")
    bench.write_docs(res, docs)
    assert "wallet, bench/wallet.py, 72 concurrent debits (scale smoke)" in docs.read_text()


def test_missing_walk_is_reported_as_null(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "ROOT", Path("/nonexistent"))
    seconds, note = bench.timed_walk()
    assert seconds is None and "does not exist" in note


def test_unreachable_postgresql_fails_clearly(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GUICHET_BENCH_WALLET_PG_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert bench.main(["--scale", "small", "--no-docs", "--no-walk"]) == 2
    captured = capsys.readouterr()
    assert "PostgreSQL is unreachable" in captured.err and captured.out == ""
