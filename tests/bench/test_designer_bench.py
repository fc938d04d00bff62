"""The designer benchmark (bench/designer.py) still runs end to end at its tiny scale: the
300-element diagram validated and deployed as new versions, 500 instances and their element
visits loaded with COPY, the heat map timed and checked. No timing assertions; the figures are
for ``.venv/bin/python bench/designer.py --scale full``.

Like tests/bench/test_workspace_bench.py it always runs on PostgreSQL, in a database of its own
that it drops and creates next to GUICHET_TEST_DATABASE_URL's (never that database itself)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from lxml import etree
from sqlalchemy import select

from bench import designer as bench
from bench.dossiers import libpq_dsn
from engine.cases.phases import PHASE_FLOWS
from engine.db import Database
from engine.workflow.deploy import check
from engine.workflow.models import ElementVisit, HumanTask, HumanTaskState, InstanceStatus, ProcessInstance
from engine.workflow.operators import OperatorRegistry
from forms.samples import SAMPLE_ANSWERS
from tests.bench.support import bench_database_url

# always on PostgreSQL: `make test` runs it once, in its PostgreSQL run
pytestmark = pytest.mark.pg_bench

FIGURES = {"deploy_300_elements_s", "heatmap_100k_ms"}
MODEL = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
# BPMN flow nodes, listed here rather than taken from the code under test
FLOW_NODE_TAGS = {"startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent",
                  "userTask", "scriptTask", "serviceTask", "task", "manualTask", "subProcess", "callActivity",
                  "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}


def _bench_url() -> str:
    return bench_database_url("designer")


def _rows(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(libpq_dsn(url)) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bench.Results]:
    """One generation and measurement at the tiny scale, shared by the tests of this module."""
    url = _bench_url()
    return url, bench.run("tiny", workdir=tmp_path_factory.mktemp("designer"), url=url, try_roll_up=True,
                          log=lambda _msg: None)


def test_figures_are_measured_and_the_heat_map_matches_the_rows(tiny_run: tuple[str, bench.Results]) -> None:
    url, res = tiny_run
    figures = res.figures()
    assert set(figures) == FIGURES and all(v is not None and v > 0 for v in figures.values()), figures
    assert figures["deploy_300_elements_s"] == round(bench.percentile_s(res.deploy.total_s, 95), 3)
    assert res.heat.status == "measured" and res.heat.mismatches == []
    assert len(res.heat.calls.ms) == bench.SCALES["tiny"].heat_calls
    assert max(res.heat.calls.statements) == 2  # the roll-up's watermark, then the heat map

    version_id = res.generated.measured_version_id
    # the counts per element, straight from the table
    expected = {
        bpmn_id: (passed, waiting, avg)
        for bpmn_id, passed, waiting, avg in _rows(
            url,
            "SELECT bpmn_id, count(*) FILTER (WHERE outcome = 'completed'), count(*) FILTER (WHERE left_at IS NULL), "
            "avg(extract(epoch FROM left_at - entered_at)) FILTER (WHERE outcome = 'completed') "
            "FROM element_visits WHERE process_version_id = %s GROUP BY bpmn_id", (version_id,))
    }
    from engine.workflow.inspection import heat_map

    database = Database(url)
    try:
        with database.transaction() as session:
            cells = heat_map(session, version_id)
    finally:
        database.dispose()
    assert set(cells) == set(expected) == set(res.generated.tally)
    for bpmn_id, (passed, waiting, avg) in expected.items():
        cell = cells[bpmn_id]
        assert (cell.passed, cell.waiting) == (passed, waiting), bpmn_id
        assert (cell.avg_seconds is None) == (avg is None), bpmn_id
        if avg is not None:
            assert cell.avg_seconds == pytest.approx(float(avg), rel=1e-6), bpmn_id
    # what the generator wrote is what it says it wrote: 500 instances, ~20 % waiting, the older
    # version's visits kept apart
    (instances, waiting), = _rows(url, "SELECT count(*), count(*) FILTER (WHERE status = %s) FROM process_instances "
                                       "WHERE process_version_id = %s", (InstanceStatus.WAITING.value, version_id))
    assert instances == bench.SCALES["tiny"].instances == res.generated.instances
    assert waiting == res.generated.waiting_instances and 0.1 < waiting / instances < 0.3
    open_visits, = _rows(url, "SELECT count(DISTINCT instance_id) FROM element_visits WHERE left_at IS NULL "
                              "AND process_version_id = %s", (version_id,))
    assert open_visits == (waiting,)
    (visits,), = _rows(url, "SELECT count(*) FROM element_visits WHERE process_version_id = %s", (version_id,))
    assert visits == res.generated.visits and 6 <= visits / instances <= 14
    older, = _rows(url, "SELECT count(*) FROM element_visits WHERE process_version_id = %s",
                   (res.generated.older_version_id,))
    assert older == (res.generated.older_visits,) and older[0] > 0
    # a review left by its boundary timer: the review cancelled, the timer passed, the escalation reached
    assert cells["reminder"].passed == cells["escalated"].passed > 0
    assert cells["review"].waiting == cells["reminder"].waiting > 0
    # the heat map was read from the roll-up the bench ran after the load (as the beat job would):
    # the totals hold the visits closed before the watermark, the rest is read live
    rolled, = _rows(url, "SELECT coalesce(sum(passed), 0) FROM element_visit_totals WHERE process_version_id = %s",
                    (version_id,))
    live, = _rows(url, "SELECT count(*) FROM element_visits v, rollup_watermarks w WHERE w.name = 'element_visits' "
                       "AND v.process_version_id = %s AND v.outcome = 'completed' AND v.left_at >= w.upto",
                  (version_id,))
    assert rolled[0] > 0 and rolled[0] + live[0] == sum(c.passed for c in cells.values())
    assert "roll-up of the closed visits (roll_up_visits, first run)" in res.generated.steps
    # the web app's heat-map pages were timed too
    assert res.heat.page_status and set(res.heat.page_status.values()) == {"measured"}
    assert len(res.alternatives) == len(bench.ALTERNATIVES) and all(ms > 0 for ms in res.alternatives.values())
    # the roll-up trial gave the same figures (else its status says "wrong") and left nothing behind
    assert res.rollup is not None and res.rollup.status == "measured" and len(res.rollup.ms) == 20
    assert res.rollup.live_rows > 0
    assert _rows(url, "SELECT count(*) FROM pg_class WHERE relname LIKE 'bench_%%'") == [(0,)]


def test_each_run_deployed_a_new_version_of_300_elements(tiny_run: tuple[str, bench.Results]) -> None:
    url, res = tiny_run
    rows = _rows(url, "SELECT version, checksum, bpmn_xml, comment FROM process_versions WHERE key = %s "
                      "ORDER BY version", (bench.DIAGRAM_KEY,))
    runs = bench.SCALES["tiny"].deploy_runs
    # the warm-up, the measured runs, then as many through the JSON API: each a new version
    assert [r[0] for r in rows] == list(range(1, 2 * runs + 2)) == res.deploy.versions
    assert len({r[1] for r in rows}) == len(rows)  # every run a changed file
    assert len(res.deploy.total_s) == runs and res.deploy.statements[0] > 0
    assert res.deploy.http_status == "measured" and len(res.deploy.http_s) == runs
    assert rows[-1][3] == f"benchmark run {2 * runs} (HTTP)"

    for _version, _checksum, xml, _comment in rows:
        root = etree.fromstring(xml.encode())
        process = root.find(f"{MODEL}process")
        tags = [e.tag.removeprefix(MODEL) for e in process.iter() if isinstance(e.tag, str)]
        nodes = [t for t in tags if t in FLOW_NODE_TAGS]
        flows = [t for t in tags if t == "sequenceFlow"]
        assert len(nodes) + len(flows) == 300
        assert {"userTask", "scriptTask", "serviceTask", "exclusiveGateway", "parallelGateway", "subProcess",
                "boundaryEvent"} <= set(nodes)
        # every branch of an exclusive gateway has a condition
        gateways = {e.get("id") for e in process.iter(f"{MODEL}exclusiveGateway")}
        outgoing = {}
        for flow in process.iter(f"{MODEL}sequenceFlow"):
            outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
        splits = [g for g in gateways if len(outgoing.get(g, [])) > 1]
        assert splits and all(f.find(f"{MODEL}conditionExpression") is not None for g in splits for f in outgoing[g])
        # a shape for every flow node and an edge for every sequence flow
        shapes = {s.get("bpmnElement") for s in root.iter(f"{DI}BPMNShape")}
        edges = {e.get("bpmnElement") for e in root.iter(f"{DI}BPMNEdge")}
        ids = {e.get("id") for e in process.iter() if isinstance(e.tag, str) and e.tag.removeprefix(MODEL)
               in FLOW_NODE_TAGS}
        assert ids <= shapes and {f.get("id") for f in process.iter(f"{MODEL}sequenceFlow")} <= edges

    import forms.catalog  # noqa: F401 - the forms that ship with Guichet
    import integrations
    from forms import registry

    operators = OperatorRegistry()
    integrations.register_operators(operators)
    _parsed, problems = check(rows[-1][2], "x.bpmn", forms=registry, operators=operators, phase_flows=PHASE_FLOWS,
                              expected_key=bench.DIAGRAM_KEY)
    assert problems == []


@pytest.mark.parametrize("amount", [500, 2_000, 50_000])
def test_the_generated_diagrams_run_to_their_end(settings, db, amount: int) -> None:
    """Both diagrams are executable: an instance driven with valid form answers completes (on the
    form keys that have a sample answer; the bench's diagram uses every registered key)."""
    from webapp.bootstrap import build_services

    services = build_services(settings, db)
    keys = [k for k in bench.form_keys_of(services) if k in SAMPLE_ANSWERS]
    for xml in (bench.large_diagram(keys, variant=amount), bench.heatmap_diagram(keys, variant=1)):
        with db.transaction() as session:
            version = services.engine.deploy(session, xml, "bench.bpmn").version
            instance_id = services.engine.start(session, version.key, version=version,
                                                data={"amount": amount, "complete": True, "rounds": 0}).id
        completed = 0
        while True:
            with db.transaction() as session:
                task = session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                              HumanTask.state == HumanTaskState.READY).limit(1))
                if task is None:
                    assert session.get(ProcessInstance, instance_id).status == InstanceStatus.COMPLETED
                    break
                services.engine.complete(session, task.id, SAMPLE_ANSWERS[task.form_key], user_id=None,
                                         may_override_assignee=True)
                completed += 1
        assert completed >= 3


@pytest.mark.parametrize(("amount", "complete"), [(500, True), (5_000, False)])
def test_the_generator_writes_the_visits_the_engine_writes(settings, db, amount: int, complete: bool) -> None:
    """The engine's own element visits of an instance of the heat-map diagram, driven to its end
    (a small amount checked by a person; a large one routed to the expert, three rework rounds),
    are a sequence the generator also writes: same elements, same order, same outcomes."""
    import random

    from webapp.bootstrap import build_services

    services = build_services(settings, db)
    keys = [k for k in bench.form_keys_of(services) if k in SAMPLE_ANSWERS]
    with db.transaction() as session:
        version = services.engine.deploy(session, bench.heatmap_diagram(keys, variant=0), "heat.bpmn").version
        instance_id = services.engine.start(session, version.key, version=version,
                                            data={"amount": amount, "complete": complete, "rounds": 0}).id
    while True:
        with db.transaction() as session:
            task = session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                          HumanTask.state == HumanTaskState.READY).limit(1))
            if task is None:
                break
            services.engine.complete(session, task.id, SAMPLE_ANSWERS[task.form_key], user_id=None,
                                     may_override_assignee=True)
    with db.transaction() as session:
        engine_visits = [(v.bpmn_id, v.outcome) for v in session.scalars(
            select(ElementVisit).where(ElementVisit.instance_id == instance_id).order_by(ElementVisit.id))]
    assert ("reminder", "cancelled") in engine_visits and engine_visits[-1] == ("done", "completed")
    assert (engine_visits.count(("rework", "completed")) == 3) is (not complete)

    rng = random.Random(1)
    generated = {tuple((v.bpmn_id, str(v.outcome)) for v in bench.walk(rng)) for _ in range(30_000)}
    assert tuple(engine_visits) in generated


@pytest.mark.parametrize("total", [300, 301, 250, 137])
def test_the_large_diagram_has_exactly_the_elements_asked(total: int) -> None:
    nodes, flows = bench.count_elements(bench.large_diagram(["information.request"], elements=total))
    assert nodes + flows == total


def test_main_prints_the_summary_and_the_json_last(tiny_run: tuple[str, bench.Results], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _url, res = tiny_run
    monkeypatch.setattr(bench, "run", lambda *args, **kwargs: res)
    assert bench.main(["--scale", "tiny", "--no-docs", "--explain"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("Designer and heat map on PostgreSQL, scale tiny: 500 instances")
    assert any(line.startswith("EXPLAIN (ANALYZE, BUFFERS) of the heat map") for line in out)
    assert json.loads(out[-1]) == res.figures()

    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n")
    bench.write_docs(res, docs)
    text = docs.read_text()
    assert "designer and heat map, bench/designer.py, 500 instances (scale tiny)" in text
    assert "| `deploy_300_elements_s` |" in text and "| `heatmap_100k_ms` |" in text


def test_a_wrong_heat_map_is_reported_not_timed() -> None:
    cell = type("Cell", (), {"passed": 3, "waiting": 1, "avg_seconds": 10.0})
    tally = {"review": bench.Tally(passed=3, waiting=1, seconds=30.0)}
    assert bench.compare_heat_map({"review": cell}, tally) == []
    tally["review"].waiting = 2
    assert bench.compare_heat_map({"review": cell}, tally) == ["review: passed/waiting 3/1, generated 3/2"]
    assert bench.compare_heat_map({}, tally) == ["review: missing from the heat map"]


def test_unreachable_postgresql_fails_clearly(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GUICHET_BENCH_DESIGNER_PG_URL",
                       "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert bench.main(["--scale", "tiny", "--no-docs"]) == 2
    captured = capsys.readouterr()
    assert "PostgreSQL is unreachable" in captured.err
    assert captured.out == ""
