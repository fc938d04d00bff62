"""The tabs of a dossier page, contributed by the areas that own their data.

An area registers a section with :func:`register_section`: a key, a translated label, a template
rendered inside the tab, and a function giving that template's context. The dossier page shows
the tabs in their ``order``; ``?tab=<key>`` selects one (the overview by default), so the page
works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.cases.models import Dossier

ContextProvider = Callable[[Session, Dossier], dict[str, Any]]


@dataclass(frozen=True)
class Section:
    key: str
    label: Any  # a lazy_gettext string
    template: str
    context: ContextProvider
    order: int = 100
    applies: Callable[[Dossier], bool] = lambda dossier: True


_SECTIONS: dict[str, Section] = {}


def register_section(section: Section) -> Section:
    _SECTIONS[section.key] = section
    return section


def sections_for(dossier: Dossier) -> list[Section]:
    return sorted((s for s in _SECTIONS.values() if s.applies(dossier)), key=lambda s: (s.order, s.key))
