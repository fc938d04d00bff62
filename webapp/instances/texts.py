"""The words of the viewer and heat map scripts, in the reader's language: the pages hand them to
the JavaScript in their JSON data block (scripts carry no text of their own)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

VIEWER_TEXTS = {
    "active": _l("Active"),
    "actor": _l("Who"),
    "average": _l("Average time"),
    "cannot_open": _l("The diagram cannot be opened:"),
    "completed": _l("Completed"),
    "data_in": _l("Data in"),
    "data_out": _l("Data out"),
    "entered": _l("Entered"),
    "history_of": _l("History of"),
    "incident": _l("Incident"),
    "key": _l("Field"),
    "left": _l("Left"),
    "loading": _l("Loading…"),
    "no_data": _l("No data."),
    "no_visit": _l("No token has been here in this case."),
    "outcome": _l("Outcome"),
    "passed": _l("Passed"),
    "pick_element": _l("Click an element of the diagram to see its history."),
    "server_error": _l("The server could not answer; try again."),
    "tokens_here": _l("tokens here"),
    "value": _l("Value"),
    "waiting": _l("Waiting"),
    "waiting_short": _l("waits"),
}


def viewer_texts() -> dict[str, str]:
    return {key: str(text) for key, text in VIEWER_TEXTS.items()}
