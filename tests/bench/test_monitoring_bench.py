"""The monitoring benchmark (bench/monitoring.py) still runs end to end at its tiny scale: dossiers
through bench/dossiers.py, the phase history written again with COPY (indexes dropped and
restored, checked identical to create_all), the phase board and dwell times measured as functions
and as pages, ``--reuse``. No timing assertions; the figures are for
``.venv/bin/python bench/monitoring.py --scale full``.

Like tests/bench/test_workspace_bench.py it always runs on PostgreSQL, in a database of its own
that it drops and creates next to GUICHET_TEST_DATABASE_URL's (never that database itself)."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import psycopg
import pytest

from bench import monitoring as bench
from bench.dossiers import libpq_dsn
from engine.cases.phases import PHASE_FLOWS
from tests.bench.support import DEFAULT_URL, bench_database_url

# always on PostgreSQL: `make test` runs it once, in its PostgreSQL run
pytestmark = pytest.mark.pg_bench

FIGURES = {"phase_board_ms_p95", "dwell_report_ms_p95"}


def _bench_url() -> str:
    return bench_database_url("monitoring")


def _all(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(libpq_dsn(url)) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bench.Results]:
    """One generation and measurement at the tiny scale, shared by the tests of this module."""
    url = _bench_url()
    res = bench.run("tiny", workdir=tmp_path_factory.mktemp("monitoring"), url=url, explain=True,
                    try_index=["dossier_phases:phase", "CREATE INDEX ix_bench_left ON dossier_phases (left_at, phase)"],
                    try_setting=["work_mem=8MB"], log=lambda _msg: None)
    return url, res


def test_history_is_generated_as_the_board_and_the_dwell_times_expect(tiny_run: tuple[str, bench.Results]) -> None:
    url, res = tiny_run
    hist = res.meta["history"]
    assert res.counts["dossier_phases"] == hist["rows"] >= bench.PHASE_ROWS_PER_DOSSIER * bench.SCALES["tiny"].dossiers
    # one row not left per dossier with a history: its last one
    (per_dossier,) = _all(url, "SELECT count(DISTINCT dossier_id), count(*) FILTER (WHERE left_at IS NULL), "
                               "count(*) FILTER (WHERE left_at < reached_at) FROM dossier_phases")
    assert per_dossier == (hist["dossiers"], hist["dossiers"], 0)
    # each row is left when the next one is reached, and nothing happens after NOW
    assert _all(url, "SELECT count(*) FROM (SELECT left_at, lead(reached_at) OVER (PARTITION BY dossier_id "
                     "ORDER BY reached_at, id) AS next FROM dossier_phases) s "
                     "WHERE left_at IS DISTINCT FROM next") == [(0,)]
    assert _all(url, "SELECT count(*) FROM dossier_phases WHERE reached_at > '2026-11-01' "
                     "OR left_at > '2026-11-01'") == [(0,)]
    # the current row is the phase the instance is in; every phase belongs to the type's flow
    assert _all(url, "SELECT count(*) FROM dossier_phases f JOIN dossiers d ON d.id = f.dossier_id "
                     "JOIN process_instances p ON p.id = d.process_instance_id "
                     "WHERE f.left_at IS NULL AND f.phase IS DISTINCT FROM p.phase") == [(0,)]
    for dossier_type, phases in _all(url, "SELECT d.type, array_agg(DISTINCT f.phase) FROM dossier_phases f "
                                          "JOIN dossiers d ON d.id = f.dossier_id GROUP BY d.type"):
        assert set(phases) <= set(PHASE_FLOWS[dossier_type]), dossier_type
    assert 0 < hist["open_dossiers"] < hist["dossiers"] and hist["left_in_year"] > 0
    # open_type: the type on the current row of each open dossier, nowhere else
    assert _all(url, "SELECT count(*) FROM dossier_phases f JOIN dossiers d ON d.id = f.dossier_id "
                     "JOIN process_instances p ON p.id = d.process_instance_id "
                     "WHERE f.open_type IS DISTINCT FROM (CASE WHEN f.left_at IS NULL AND d.active "
                     "AND p.status NOT IN ('completed', 'terminated') THEN d.type END)") == [(0,)]
    assert _all(url, "SELECT count(*) FROM dossier_phases WHERE left_at >= '2025-11-01' "
                     "AND left_at < '2026-11-01'") == [(hist["left_in_year"],)]
    if _all(url, "SELECT to_regclass('dwell_histograms')")[0][0]:
        # the rollup the dwell report reads was rebuilt from this history: every row left by an
        # active dossier is counted once at the coarsest grain
        assert _all(url, "SELECT sum(count) FROM dwell_histograms WHERE grain = 3") == _all(
            url, "SELECT count(*) FROM dossier_phases f JOIN dossiers d ON d.id = f.dossier_id "
                 "WHERE f.left_at IS NOT NULL AND d.active")
    (projects,) = _all(url, "SELECT count(main_project), min(created_at) FROM dossiers")
    assert projects[0] > 0 and projects[1] >= bench.FIRST_DAY


def test_the_board_agrees_with_an_independent_count(tiny_run: tuple[str, bench.Results]) -> None:
    url, res = tiny_run
    check = res.run.check
    assert check.ok and sum(check.board.values()) == res.meta["history"]["open_dossiers"] > 0
    # the dwell report counts every row left in the year by an active dossier, once
    assert check.dwell == check.dwell_independent
    assert 0 < sum(check.dwell.values()) <= res.meta["history"]["left_in_year"]
    # the independent count, once more by hand, from the instances (not from the phase history)
    expected = {(t, p): n for t, p, n in _all(
        url, "SELECT d.type, p.phase, count(*) FROM dossiers d "
             "JOIN process_instances p ON p.id = d.process_instance_id "
             "WHERE d.active AND p.status NOT IN ('completed', 'terminated') GROUP BY 1, 2")}
    assert check.board == expected


def test_figures_pages_explain_and_docs(tiny_run: tuple[str, bench.Results], tmp_path: Path) -> None:
    _url, res = tiny_run
    variants = res.run.variants
    exact = {"dwell_exact"} if bench.exact_dwell_function() is not None else set()
    assert set(variants) == {"board_all", "board_type", "dwell_phase", "dwell_type", "dwell_subtype",
                             "dwell_project", "page_board", "page_dwell"} | exact
    for key, v in variants.items():
        assert v.measured, (key, v.status)
        assert all(n > 0 for n in v.result.statements) and all(r > 0 for r in v.rows), key
    assert len(variants["board_all"].result.ms) == bench.SCALES["tiny"].samples
    figures = res.figures()
    assert set(figures) == FIGURES and all(v is not None and v > 0 for v in figures.values())
    assert figures["phase_board_ms_p95"] == round(variants["board_all"].result.p95, 2)
    assert figures["dwell_report_ms_p95"] == round(variants["dwell_phase"].result.p95, 2)
    plans = res.run.explains["board_all"]
    assert plans and all("Execution Time" in plan for _shape, plan in plans)
    assert res.after_index is not None and res.index_ddl[1:] == [
        "CREATE INDEX ix_bench_left ON dossier_phases (left_at, phase)", "SET work_mem = '8MB'"]
    assert set(res.after_index.variants) == set(variants)
    assert all(v.measured for v in res.after_index.variants.values())
    summary = bench.summary_lines(res)
    assert any("board counts = independent count of open dossiers by instance phase: yes" in line
               for line in summary)
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n")
    bench.write_docs(res, docs)
    text = docs.read_text()
    rows = res.meta["history"]["rows"]
    assert f"monitoring, bench/monitoring.py, 60 dossiers, {rows:,} phase rows (scale tiny)" in text
    assert "| `phase_board_ms_p95` |" in text and "| `dwell_report_ms_p95` |" in text
    assert "page GET /monitoring/phases (not in the JSON)" in text
    assert "--try-setting work_mem=8MB`" in text and "SET work_mem = '8MB'` added (p95 in ms, before → after)" in text


def test_reuse_measures_again_and_prints_the_json_last(tiny_run: tuple[str, bench.Results],
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    url, res = tiny_run
    monkeypatch.setenv("GUICHET_BENCH_MONITORING_PG_URL", url)
    # the code added a column to the phase history since the generation
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
        conn.execute("ALTER TABLE dossier_phases DROP COLUMN open_type")

    assert bench.main(["--reuse", "--samples", "1", "--no-docs"]) == 0

    captured = capsys.readouterr()
    out = captured.out.strip().splitlines()
    assert out[0].startswith("Monitoring on PostgreSQL, scale tiny: 60 dossiers") and "(reused)" in out[0]
    figures = json.loads(out[-1])
    assert set(figures) == FIGURES and None not in figures.values()
    # the indexes --try-index left are dropped again: the schema is the code's
    assert "dropped ix_bench_left" in captured.err
    assert _all(url, "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'ix_bench_%'") == [(0,)]
    # the column is back, its index too, and the history written again with it
    assert "dossier_phases.open_type added since the generation" in captured.err
    if bench.rollup_is_empty(url) is False and _all(url, "SELECT to_regclass('dwell_histograms')")[0][0]:
        assert "dwell_histograms rebuilt" in captured.err
    assert _all(url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_dossier_phases_open'") == [(1,)]
    assert _all(url, "SELECT count(*), count(open_type) FROM dossier_phases") == [
        (res.meta["history"]["rows"], res.meta["history"]["open_dossiers"])]
    assert bench.read_meta(url)["history"] == res.meta["history"]


def test_reuse_refuses_a_database_it_did_not_generate(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GUICHET_BENCH_MONITORING_PG_URL", DEFAULT_URL.rsplit("/", 1)[0] + "/postgres")
    assert bench.main(["--reuse", "--no-docs"]) == 2
    assert "was not generated by bench/monitoring.py" in capsys.readouterr().err


def test_a_setting_that_is_not_name_equals_value_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--scale", "tiny", "--try-setting", "work_mem", "--no-docs"]) == 2
    assert "write it as NAME=VALUE, e.g. work_mem=64MB" in capsys.readouterr().err


def test_unreachable_postgresql_fails_clearly(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GUICHET_BENCH_MONITORING_PG_URL",
                       "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert bench.main(["--scale", "tiny", "--no-docs"]) == 2
    captured = capsys.readouterr()
    assert "PostgreSQL is unreachable" in captured.err
    assert captured.out == ""


def test_returns_make_up_the_rows_and_keep_the_flow_order() -> None:
    rng = random.Random(3)
    paths = [["request"], ["request", "file"], ["request", "file", "done"]]
    returns, doubled = bench.plan_returns(rng, [1, 2], base_rows=6, target_rows=11)
    assert sum(returns.values()) == 2 and doubled in (1, 2)
    total = 0
    for i, path in enumerate(paths):
        seq = bench.phase_sequence(path, returns[i], rng)
        phases = [p for p, _rework in seq]
        assert phases[0] == path[0] and phases[-1] == path[-1]
        # each step goes one phase forward or back to the previous one
        steps = [path.index(b) - path.index(a) for a, b in itertools.pairwise(phases)]
        assert set(steps) <= {1, -1}
        assert sum(rework for _p, rework in seq) == returns[i]
        total += len(seq) + (i == doubled)
    assert total == 11
    assert bench.plan_returns(rng, [1], base_rows=20, target_rows=11) == ({}, -1)
