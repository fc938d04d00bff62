"""The BPMN MIWG reference diagrams: whatever Guichet cannot run is refused with a reason and the
file named, never with a crash. (They are modelling examples, not executable processes.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.workflow.deploy import validate
from engine.workflow.errors import DeploymentError
from engine.workflow.operators import OperatorRegistry
from engine.workflow.specs import parse_diagram

MIWG = Path(__file__).resolve().parents[3] / "shared" / "data" / "bpmn-miwg"
FILES = sorted(MIWG.glob("*.bpmn"))


def test_reference_diagrams_are_present() -> None:
    assert len(FILES) >= 20, f"expected the MIWG diagrams in {MIWG}"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_reference_diagram_is_parsed_or_refused_with_a_reason(path: Path) -> None:
    try:
        parsed = parse_diagram(path.read_bytes(), path.name)
    except DeploymentError as err:
        assert err.problems
        for problem in err.problems:
            assert problem.file == path.name and problem.message
        return
    problems = validate(parsed, path.name, None, OperatorRegistry())
    for problem in problems:
        assert problem.element_id and problem.message
