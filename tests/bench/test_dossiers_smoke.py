"""The dossier-page benchmark (bench/dossiers.py) still runs end to end at a tiny scale: templates
through the real engine, the COPY load with its indexes and constraints dropped and restored
(checked identical to create_all), and the measurement through the test client. No timing
assertions; the figures are for ``.venv/bin/python bench/dossiers.py --scale full``.

It always runs on PostgreSQL (the machine always has one at 127.0.0.1:5432), in a database of its
own that it drops and creates: next to GUICHET_TEST_DATABASE_URL's database when that is set
(never that database itself, which the suite's other tests use), else on 127.0.0.1:5432."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import dossiers as bench
from tests.bench.support import bench_database_url

# always on PostgreSQL: `make test` runs it once, in its PostgreSQL run
pytestmark = pytest.mark.pg_bench


def _bench_url() -> str:
    return bench_database_url("dossiers")


def test_dossier_benchmark_runs_at_a_tiny_scale(tmp_path: Path) -> None:
    url = _bench_url()
    res = bench.run(50, "smoke", samples=4, warmup=1, chunk=20, workdir=tmp_path, url=url,
                    try_index=["dossiers:process_instance_id"], log=lambda _msg: None)

    templates = res.template_dossiers
    assert templates >= 7 and set(res.templates) == {t.value for t in bench.DossierType}
    counts = res.counts
    assert counts["dossiers"] == counts["process_instances"] == 50 + templates
    assert counts["process_versions"] == 7
    assert 50 <= counts["involved_parties"] <= 150 and counts["contacts"] == counts["involved_parties"]
    assert 150 <= res.generated.rows["audit_events"] <= 300
    assert counts["human_tasks"] >= 50 and counts["dossier_phases"] >= 50
    assert res.generated.rows["dossiers"] == 50

    meas = res.measurement
    assert len(meas.overview.ms) == len(meas.journey.ms) == 4
    assert min(meas.journey_sizes) >= 3
    assert all(n > 0 for n in meas.overview.statements + meas.journey.statements)
    assert res.after_index is not None and res.index_ddl

    figures = res.figures()
    assert set(figures) == {"dossier_page_ms_median_pg", "journey_ms_median_pg", "generate_1m_s"}
    json.dumps(figures)
    assert any("dossier page (overview)" in line for line in bench.summary_lines(res))
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n")
    bench.write_docs(res, docs)
    assert "dossier pages, bench/dossiers.py, 50 dossiers" in docs.read_text()


def test_unreachable_postgresql_fails_clearly(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GUICHET_BENCH_DOSSIERS_PG_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert bench.main(["--scale", "small", "--no-docs"]) == 2
    captured = capsys.readouterr()
    assert "PostgreSQL is unreachable" in captured.err
    assert captured.out == ""
