"""Imports every model so that ``Base.metadata`` knows every table (Alembic, create_all)."""

from engine.access.models import ApiToken, User
from engine.accounts.models import OneTimeCode  # noqa: F401
from engine.cases.models import Dossier, NumberSequence
from engine.cases.rmp import RmpRecord  # noqa: F401
from engine.cases.rmp_financing import RmpFinancing  # noqa: F401
from engine.cases.works import Works  # noqa: F401
from engine.documents.models import DossierFile, FileFolder  # noqa: F401
from engine.mail.models import Mail, MailAttachment  # noqa: F401
from engine.metering.models import Building, BuildingUnit, Meter, MeterReading, ReadingImport  # noqa: F401
from engine.monitoring.dwell_rollup import DwellHistogram  # noqa: F401
from engine.monitoring.facts import DossierFact  # noqa: F401
from engine.monitoring.reports import SavedReport  # noqa: F401
from engine.notify.outbox import Notification  # noqa: F401
from engine.ops.heartbeat import WorkerHeartbeat  # noqa: F401
from engine.parties.kbo_models import KboEnterprise, KboImportRun  # noqa: F401
from engine.parties.models import BceEnterprise, Contact, InvolvedParty, Organisation  # noqa: F401
from engine.payments.models import PaymentIntent  # noqa: F401
from engine.places.models import Address, AddressDetails, DossierSite, EpcRecord  # noqa: F401
from engine.portal.access_requests import AccessRequest  # noqa: F401
from engine.portal.models import Membership, MembershipBuilding, OrganisationBuilding, OrganisationClient  # noqa: F401
from engine.portal.terms import TermsAcceptance  # noqa: F401
from engine.portal.tools import Accreditation, MemberTool, OrganisationTool, Tool  # noqa: F401
from engine.privacy import append_only as _access_log_triggers  # noqa: F401 - access_log is append-only (triggers)
from engine.privacy import mirror as _access_log_mirror  # noqa: F401 - contact changes reach the access log
from engine.privacy.models import AccessLog  # noqa: F401
from engine.queues.models import Queue  # noqa: F401
from engine.syndic.models import FeeRate, Mandate, MandateRequest  # noqa: F401
from engine.timeline.models import DossierActivity  # noqa: F401
from engine.views import indexes as _view_indexes  # noqa: F401 - sort and trigram indexes of the list views
from engine.views.models import SavedView  # noqa: F401
from engine.wallet.models import Wallet, WalletEntry  # noqa: F401
from engine.wallet.statements import BankStatement, BankStatementLine  # noqa: F401
from engine.workflow.drafts import ProcessDraft  # noqa: F401
from engine.workflow.models import (
    AuditEvent,
    HumanTask,
    Incident,
    MessageWait,
    ProcessInstance,
    ProcessVersion,
    ServiceCall,
)

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Dossier",
    "HumanTask",
    "Incident",
    "MessageWait",
    "NumberSequence",
    "ProcessInstance",
    "ProcessVersion",
    "ServiceCall",
    "User",
]
