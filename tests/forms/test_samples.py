"""forms/samples.py stays in step with the forms and the seven dossier diagrams."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import forms.catalog  # noqa: F401 - registers the shipped forms
from forms import registry
from forms.samples import SAMPLE_ANSWERS

DOSSIER_DIAGRAMS = sorted((Path(__file__).resolve().parents[2] / "bpmn" / "dossiers").glob("*.bpmn"))


@pytest.mark.parametrize("form_key", sorted(SAMPLE_ANSWERS))
def test_sample_answer_validates(form_key: str) -> None:
    assert registry.validate(form_key, SAMPLE_ANSWERS[form_key])


def test_every_form_of_the_seven_flows_has_a_sample() -> None:
    used = {key for path in DOSSIER_DIAGRAMS
            for key in re.findall(r'name="formKey" value="([^"]+)"', path.read_text())}
    assert len(DOSSIER_DIAGRAMS) == 7
    assert used - set(SAMPLE_ANSWERS) == set()
