"""Business rule tasks evaluate DMN tables deployed with their diagram."""

from __future__ import annotations

import pytest

from engine.workflow.errors import DeploymentError
from engine.workflow.models import InstanceStatus

from .conftest import DIAGRAMS


def deploy_fee(db, engine, dmn: str | None = None):
    dmn = dmn if dmn is not None else (DIAGRAMS / "fee_category.dmn").read_text()
    with db.transaction() as s:
        return engine.deploy(s, (DIAGRAMS / "fee.bpmn").read_text(), "fee.bpmn",
                             dmn_files={"fee_category.dmn": dmn})


@pytest.mark.parametrize(("amount", "category"), [(900, "small"), (1000, "small"), (1001, "large")])
def test_decision_table_sets_the_output(db, engine, amount, category):
    deploy_fee(db, engine)
    with db.transaction() as s:
        instance = engine.start(s, "fee", data={"amount": amount})
        assert instance.status == InstanceStatus.COMPLETED
        assert engine.task_data(instance)["category"] == category


def test_the_dmn_is_part_of_the_version(db, engine):
    first = deploy_fee(db, engine)
    again = deploy_fee(db, engine)
    changed = deploy_fee(db, engine, (DIAGRAMS / "fee_category.dmn").read_text().replace('"large"', '"big"'))
    assert (first.created, again.created, changed.created) == (True, False, True)
    assert changed.version.version == 2 and "fee_category.dmn" in changed.version.dmn_files


def test_missing_or_broken_decision_is_refused(db, engine):
    with pytest.raises(DeploymentError) as err, db.transaction() as s:
        engine.deploy(s, (DIAGRAMS / "fee.bpmn").read_text(), "fee.bpmn")
    assert "fee_category" in str(err.value)
    with pytest.raises(DeploymentError, match=r"fee_category\.dmn"):
        deploy_fee(db, engine, "<definitions")
