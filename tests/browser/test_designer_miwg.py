"""The 21 BPMN MIWG reference diagrams in the real modeler (Chromium): imported through the
designer's import form they open in the modeler; loaded into the modeler and exported with the
page's "Download .bpmn" action they lose no element: every id of the BPMN and BPMNDI namespaces
(flow nodes, flows, lanes, pools, data objects, annotations, associations, shapes, edges) is still
there, and each kind of element keeps its count. One browser session for all files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from playwright.sync_api import expect

from engine.access.models import Role
from engine.db import Database
from tests.webapp.support import DEFAULT_PASSWORD, create_user
from webapp.designer.imports import give_pools_to_drawn_processes, read_bpmn

pytestmark = pytest.mark.browser

MIWG = Path(__file__).resolve().parents[3] / "shared" / "data" / "bpmn-miwg"
FILES = sorted(MIWG.glob("*.bpmn"))
KEPT_NAMESPACES = ("http://www.omg.org/spec/BPMN/20100524/MODEL", "http://www.omg.org/spec/BPMN/20100524/DI")


XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def _kind(element: Any) -> str:
    qname = etree.QName(element)
    local = qname.localname
    if local == "expression" and (element.get(XSI_TYPE) or "").endswith("tFormalExpression"):
        local = "formalExpression"  # the same element, written with its xsi:type (bpmn-js does)
    return f"{'bpmndi' if qname.namespace.endswith('/DI') else 'bpmn'}:{local}"


def inventory(xml: bytes) -> tuple[set[str], Counter[str]]:
    """The ids and the count of each element kind in the BPMN and BPMNDI namespaces, leaving out
    what points at nothing in the file: a reference element naming no element (C.8.1's
    ``triso:unspecified`` message references) and a shape or edge of no element (C.7.0). No
    modeler can keep those; everything else must survive."""
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, huge_tree=True))
    known = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    dangling = {e for tag in ("BPMNShape", "BPMNEdge") for e in root.iter(f"{{{KEPT_NAMESPACES[1]}}}{tag}")
                if e.get("bpmnElement") not in known}
    ids: set[str] = set()
    kinds: Counter[str] = Counter()
    for element in root.iter():
        if not isinstance(element.tag, str) or etree.QName(element).namespace not in KEPT_NAMESPACES:
            continue
        local = etree.QName(element).localname
        if local.endswith("Ref") and (element.text or "").strip().split(":")[-1] not in known:
            continue
        if element in dangling or any(a in dangling for a in element.iterancestors()):
            continue
        kinds[_kind(element)] += 1
        if element.get("id"):
            ids.add(element.get("id"))
    return ids, kinds


def drill_down_planes(original: bytes, exported: bytes) -> int:
    """The diagrams bpmn-js adds, one per collapsed sub-process, so that one can open it."""
    before = etree.fromstring(original, parser=etree.XMLParser(resolve_entities=False, huge_tree=True))
    after = etree.fromstring(exported, parser=etree.XMLParser(resolve_entities=False, huge_tree=True))
    sub_processes = {e.get("id") for e in before.iter(f"{{{KEPT_NAMESPACES[0]}}}subProcess")}
    planes_before = {p.get("bpmnElement") for p in before.iter(f"{{{KEPT_NAMESPACES[1]}}}BPMNPlane")}
    return sum(1 for p in after.iter(f"{{{KEPT_NAMESPACES[1]}}}BPMNPlane")
               if p.get("bpmnElement") in sub_processes - planes_before)


def sign_in(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login?next=/designer/")
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Process designer")


def import_through_the_form(page: Any, path: Path) -> None:
    page.locator("#import-file").set_input_files(str(path))
    page.get_by_role("button", name="Import and open in the modeler").click()
    expect(page.locator("body[data-designer-ready=true]")).to_have_count(1)
    expect(page.locator("#designer-opened")).to_contain_text("Draft opened")


def test_reference_diagrams_round_trip_through_the_modeler(
    live_server: str, browser_page: Any, db: Database, tmp_path: Path
) -> None:
    assert len(FILES) == 21, f"expected the 21 MIWG diagrams in {MIWG}"
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    user = create_user(db, Role.PROCESS_DESIGNER, name="Dana Designer", locale="en")
    sign_in(page, live_server, user.email)

    # the real path for a file: the import form, then the modeler opens on the draft
    import_through_the_form(page, MIWG / "C.9.1.bpmn")
    assert page.url.endswith("/designer/processes/requestDocument_en")
    expect(page.locator('g.djs-element[data-element-id="UserTask_CallCustomer"]')).to_be_visible()
    # a file of two pools that runs nothing opens too, every pool drawn
    page.goto(f"{live_server}/designer/")
    import_through_the_form(page, MIWG / "A.4.0.bpmn")
    expect(page.locator(".flash--info")).to_contain_text("No process of this file is marked executable")
    for pool in page.evaluate(
        "() => GuichetDesigner.modeler.get('elementRegistry').filter(e => e.type === 'bpmn:Participant')"
        ".map(e => e.id)"
    ) or ["none"]:
        expect(page.locator(f'g.djs-element[data-element-id="{pool}"]')).to_be_visible()
    # and Validate says, on the pools' processes, that they cannot run
    page.locator('[data-designer-action="validate"]').click()
    expect(page.locator("#designer-problems")).to_contain_text("is not marked executable")

    # every reference diagram, as the import stores it: load it into this modeler, export it with
    # "Download .bpmn", and compare with the original file
    losses: dict[str, list[str]] = {}
    for path in FILES:
        original = path.read_bytes()
        imported = read_bpmn(original)
        pools_added = len(give_pools_to_drawn_processes(etree.fromstring(original)))
        warnings = page.evaluate(
            "async xml => (await GuichetDesigner.modeler.importXML(xml)).warnings.map(w => w.message)",
            imported.xml,
        )
        with page.expect_download() as download:
            page.locator('[data-designer-action="download-bpmn"]').click()
        exported = Path(download.value.path()).read_bytes()
        before_ids, before_kinds = inventory(original)
        after_ids, after_kinds = inventory(exported)
        planes = drill_down_planes(original, exported)
        after_kinds.subtract({"bpmndi:BPMNDiagram": planes, "bpmndi:BPMNPlane": planes,
                              "bpmn:participant": pools_added})
        problems = [f"lost id {i}" for i in sorted(before_ids - after_ids)]
        problems += [f"{kind}: {count} -> {after_kinds[kind]}" for kind, count in sorted(before_kinds.items())
                     if after_kinds[kind] != count]
        problems += [f"new {kind}" for kind in sorted(set(after_kinds) - set(before_kinds)) if after_kinds[kind]]
        if problems:
            losses[path.name] = [*problems, f"(import warnings: {warnings[:3]})"]
    assert losses == {}, "\n".join(f"{name}: {problems}" for name, problems in losses.items())
    assert errors == []
