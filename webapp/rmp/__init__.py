"""The renovation master plan (seed 001 part 6): the tabs "RMP timeline & decision/request" and
"RMP elaboration" of an Advice dossier of the subtype "Renovation master plan", and the pages that
change its RMP record. The Financing tab stays in webapp/works."""

from flask_babel import lazy_gettext as _l

from webapp.rmp import sections  # noqa: F401 - registers the dossier tabs
from webapp.rmp.views import bp

# Names given in bpmn/dossiers/subtypes/*.bpmn (task names shown in the task lists), listed here so
# that the catalogs carry them.
PROCESS_TEXTS = [
    _l("Preliminary meeting with the syndic"),
    _l("Preliminary meeting with the co-owners' association or working group"),
    _l("Delivery of the RMP documents"),
    _l("Information session for the co-owners' association"),
    _l("Support the VEKA application"),
    _l("Follow the elaboration of the RMP"),
    _l("Information dossier: interest in a renovation master plan"),
    _l("Advice dossier: renovation master plan"),
]

__all__ = ["bp"]
