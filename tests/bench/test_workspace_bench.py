"""The workspace benchmark (bench/workspace.py) still runs end to end at its tiny scale: dossiers
through bench/dossiers.py, then queues, workers, open tasks and e-mails loaded with COPY (indexes
dropped and restored, checked identical to create_all), the pages measured through the test
client, the intake timed through ``guichet mail fetch``, and ``--reuse``. No timing assertions;
the figures are for ``.venv/bin/python bench/workspace.py --scale full``.

Like tests/bench/test_dossiers_smoke.py it always runs on PostgreSQL, in a database of its own
that it drops and creates next to GUICHET_TEST_DATABASE_URL's (never that database itself)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from bench import workspace as bench
from bench.dossiers import BenchError, libpq_dsn
from engine.queues.commands import SEED_QUEUES
from tests.bench.support import DEFAULT_URL, bench_database_url

# always on PostgreSQL: `make test` runs it once, in its PostgreSQL run
pytestmark = pytest.mark.pg_bench

FIGURES = {"my_tasks_ms_p95", "queue_ms_p95", "view_two_filters_ms_p95", "view_page50_ms_p95",
           "star_search_ms_p95", "mail_intake_10k_s"}


def _bench_url() -> str:
    return bench_database_url("workspace")


def _one(url: str, sql: str) -> tuple:
    with psycopg.connect(libpq_dsn(url)) as conn:
        return conn.execute(sql).fetchone()


def _execute(url: str, sql: str) -> None:
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
        conn.execute(sql)


def _check_figures(res: bench.Results) -> None:
    """Every page and the intake are measured (a page that answers 404 or fails would be reported
    as null); the figures are the p95 of the pages they name."""
    for key, page in res.run.pages.items():
        assert page.status == "measured", (key, page.status)
        # the tiny list has one page: no page on the way to page 50
        assert bool(page.result.ms) == (key != "view_walk") and all(n > 0 for n in page.result.statements), key
    assert res.run.deepest == [1]
    assert res.intake.status == "measured", res.intake.status
    assert res.intake.stored == bench.SCALES["tiny"].intake and res.intake.linked > 0
    figures = res.figures()
    assert set(figures) == FIGURES and all(v is not None and v > 0 for v in figures.values()), figures
    pages = res.run.pages
    assert figures["queue_ms_p95"] == round(max(pages["queue_frontdesk"].result.p95,
                                                pages["queue_energy"].result.p95), 2)
    assert figures["view_page50_ms_p95"] == round(pages["view_page50"].result.p95, 2)
    json.dumps(figures)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bench.Results]:
    """One generation and measurement at the tiny scale, shared by the tests of this module."""
    url = _bench_url()
    return url, bench.run("tiny", workdir=tmp_path_factory.mktemp("workspace"), url=url, log=lambda _msg: None)


def test_workspace_benchmark_runs_at_the_tiny_scale(tiny_run: tuple[str, bench.Results], tmp_path: Path) -> None:
    url, res = tiny_run
    scale = bench.SCALES["tiny"]

    assert _one(url, "SELECT count(*) FROM human_tasks WHERE state = 'ready'") == (scale.open_tasks,)
    codes = {q[0] for q in SEED_QUEUES}
    queues, undated, assigned = _one(url, "SELECT array_agg(DISTINCT queue), count(*) - count(due_at), "
                                          "count(assignee_id) FROM human_tasks WHERE state = 'ready'")
    assert set(queues) <= codes and undated == 0 and 0 < assigned < scale.open_tasks
    assert res.counts["users"] == scale.workers and res.counts["queues"] == len(SEED_QUEUES)
    member_of = _one(url, f"SELECT array_agg(q.code ORDER BY q.code) FROM queue_members m JOIN queues q "
                          f"ON q.id = m.queue_id WHERE m.user_id = {res.meta['user_id']}")
    assert member_of == (["energy", "frontdesk"],)
    # the intake's messages are deleted afterwards: the generated e-mails are all there is
    assert res.counts["mails"] == scale.mails
    linked, outgoing, in_queue = _one(url, "SELECT count(dossier_id), count(*) FILTER (WHERE direction = 'out'), "
                                           "count(*) FILTER (WHERE queue IS NOT NULL) FROM mails")
    assert 0 < linked < scale.mails and 0 < outgoing < linked and in_queue == scale.mails - outgoing
    assert res.counts["mail_attachments"] > 0

    _check_figures(res)
    assert any(line.startswith("  my tasks: ") for line in bench.summary_lines(res))
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n")
    bench.write_docs(res, docs)
    text = docs.read_text()
    assert "workspace, bench/workspace.py, 60 dossiers, 12 open tasks, 80 e-mails (scale tiny)" in text
    assert "| `mail_intake_10k_s` |" in text


def test_reuse_measures_again_and_prints_the_json_last(tiny_run: tuple[str, bench.Results],
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    url, _res = tiny_run
    # the code changed since the generation: an index it declares is not in the database yet
    _execute(url, "DROP INDEX ix_mails_queue_open")
    monkeypatch.setenv("GUICHET_BENCH_WORKSPACE_PG_URL", url)

    assert bench.main(["--reuse", "--samples", "1", "--no-docs"]) == 0

    captured = capsys.readouterr()
    out = captured.out.strip().splitlines()
    assert out[0].startswith("Workspace on PostgreSQL, scale tiny: 60 dossiers") and "(reused)" in out[0]
    assert set(json.loads(out[-1])) == FIGURES and None not in json.loads(out[-1]).values()
    assert "schema brought up to date: created ix_mails_queue_open" in captured.err
    assert _one(url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_mails_queue_open'") == (1,)
    assert _one(url, "SELECT count(*) FROM mails") == (bench.SCALES["tiny"].mails,)


def test_reuse_refuses_a_database_it_did_not_generate(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GUICHET_BENCH_WORKSPACE_PG_URL", DEFAULT_URL.rsplit("/", 1)[0] + "/postgres")
    assert bench.main(["--reuse", "--no-docs"]) == 2
    assert "was not generated by bench/workspace.py" in capsys.readouterr().err


def test_unreachable_postgresql_fails_clearly(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GUICHET_BENCH_WORKSPACE_PG_URL",
                       "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert bench.main(["--scale", "tiny", "--no-docs"]) == 2
    captured = capsys.readouterr()
    assert "PostgreSQL is unreachable" in captured.err
    assert captured.out == ""


def test_next_link_is_found_and_resolved() -> None:
    html = ('<nav><a href="/views/dossiers?after=x" rel="prev">prev</a>'
            '<a class="b" rel="next" href="?sort=title&amp;after=abc">next</a></nav>')
    assert bench.next_href(html, "/views/dossiers?sort=title") == "/views/dossiers?sort=title&after=abc"
    assert bench.next_href("<p>last page</p>", "/views/dossiers") is None


def test_copy_columns_fill_what_the_benchmark_does_not_write() -> None:
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("a", String(5), nullable=False),
                  Column("kind", String(5), nullable=False, default="x"), Column("note", String(5)))
    assert bench.copy_columns(table, ["id", "a"]) == (["id", "a", "kind"], "\tx")
    with pytest.raises(BenchError, match=r"t\.a is NOT NULL without a default"):
        bench.copy_columns(table, ["id"])
    with pytest.raises(BenchError, match="no column b"):
        bench.copy_columns(table, ["id", "a", "b"])
