"""The lists that have views and their columns: dossiers, contacts, organisations, addresses,
works, open human tasks and e-mails (seed 001 §1.2 "Affichage", §4.1).

Text columns that the ``*`` search reads have a trigram index on PostgreSQL
(engine/views/indexes.py); code columns (type, phase, queue…) are filtered, not searched."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from engine.access.models import User
from engine.cases.models import Dossier, DossierSubtype
from engine.cases.works import Works
from engine.mail.models import Mail
from engine.parties.models import Contact, InvolvedParty, Organisation
from engine.places.models import Address, DossierSite
from engine.queues.models import Queue
from engine.workflow.models import HumanTask, HumanTaskState, ProcessInstance
from forms.dossier_info import PROJECTS
from webapp.auth.identity import SignedInUser
from webapp.context import db_session
from webapp.labels import DOSSIER_TYPES, PHASES, STATUSES
from webapp.parties.labels import KINDS
from webapp.tasks.queues import takeable_queues
from webapp.views.columns import ColumnType, Join, ListEntity, SearchTarget, ViewColumn
from webapp.works.forms import BUILDING_PARTS, RMP_PRIORITIES, WORK_TYPE_LABELS

TEXT, NUMBER, DATE, BOOL, CHOICE, USER = (ColumnType.TEXT, ColumnType.NUMBER, ColumnType.DATE, ColumnType.BOOL,
                                          ColumnType.CHOICE, ColumnType.USER)


@dataclass
class ViewContext:
    """Who reads the list; caches what several columns look up once per request."""

    user: SignedInUser
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def language(self) -> str:
        locale = get_locale()
        return locale.language if locale else "fr"

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


def _labels(mapping: Mapping[Any, Any]) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(str(code), str(label)) for code, label in mapping.items()]


def _pairs(pairs: list[tuple[str, Any]]) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(str(code), str(label)) for code, label in pairs]


def _queue_choices(ctx: ViewContext) -> Callable[[], list[tuple[str, str]]]:
    def load() -> list[tuple[str, str]]:
        queues = db_session().scalars(select(Queue).order_by(Queue.position, Queue.code))
        return [(q.code, q.name(ctx.language)) for q in queues]

    return lambda: ctx.memo("queues", load)


def _user_choices(ctx: ViewContext) -> Callable[[], list[tuple[str, str]]]:
    def load() -> list[tuple[str, str]]:
        users = db_session().execute(select(User.id, User.name).where(User.active.is_(True)).order_by(User.name))
        return [(str(uid), name) for uid, name in users]

    return lambda: ctx.memo("users", load)


def _columns(*columns: ViewColumn) -> dict[str, ViewColumn]:
    return {column.key: column for column in columns}


def _safe_url(endpoint: str, **values: Any) -> str | None:
    from werkzeug.routing import BuildError

    try:
        return url_for(endpoint, **values)
    except BuildError:  # the area is not installed
        return None


def dossiers(ctx: ViewContext) -> ListEntity:
    root = func.coalesce(Dossier.journey_id, Dossier.id)
    main = aliased(InvolvedParty, name="main_party")
    contact = aliased(Contact, name="main_contact")
    org = aliased(Organisation, name="main_organisation")
    site = aliased(DossierSite, name="site")
    address = aliased(Address, name="site_address")
    subtype_name = func.coalesce(getattr(DossierSubtype, f"name_{ctx.language}", DossierSubtype.name_fr),
                                 DossierSubtype.name_fr)
    contact_name = contact.first_name + " " + contact.last_name
    return ListEntity(
        key="dossiers", label=_l("Dossiers"), base=Dossier, id_col=Dossier.id,
        joins={
            "instance": Join(ProcessInstance, ProcessInstance.id == Dossier.process_instance_id),
            "subtype": Join(DossierSubtype, DossierSubtype.id == Dossier.subtype_id),
            "main": Join(main, and_(main.dossier_id == root, main.is_main)),
            "contact": Join(contact, contact.id == main.contact_id, requires=("main",)),
            "organisation": Join(org, org.id == main.organisation_id, requires=("main",)),
            "site": Join(site, site.dossier_id == root),
            "address": Join(address, address.id == site.address_id, requires=("site",)),
        },
        columns=_columns(
            ViewColumn("number", _l("Number"), Dossier.number, searchable=True, nullable=False, width=150),
            ViewColumn("title", _l("Title"), Dossier.title, searchable=True, nullable=False, width=260),
            ViewColumn("type", _l("Type"), Dossier.type, CHOICE, nullable=False, choices=_labels(DOSSIER_TYPES)),
            ViewColumn("subtype", _l("Subtype"), subtype_name, joins=("subtype",)),
            # the monitoring's drill-downs filter on it (webapp/monitoring/board.py)
            ViewColumn("project", _l("Main project"), Dossier.main_project, CHOICE, choices=_pairs(PROJECTS)),
            ViewColumn("phase", _l("Phase"), ProcessInstance.phase, CHOICE, joins=("instance",),
                       choices=_labels(PHASES)),
            ViewColumn("status", _l("Status"), ProcessInstance.status, CHOICE, joins=("instance",),
                       choices=_labels(STATUSES)),
            ViewColumn("created_at", _l("Created"), Dossier.created_at, DATE, nullable=False, timestamp=True),
            ViewColumn("active", _l("Active"), Dossier.active, BOOL, nullable=False),
            ViewColumn("contact", _l("Main contact"), func.coalesce(contact_name, org.name),
                       joins=("contact", "organisation"), searchable=True,
                       search_exprs=(SearchTarget(contact_name, ("contact",), contact.id),
                                     SearchTarget(org.name, ("organisation",), org.id))),
            ViewColumn("street", _l("Street"), address.street, joins=("address",), searchable=True,
                       search_key=address.id, display=address.street + " " + address.house_number),
            ViewColumn("postcode", _l("Postcode"), address.postcode, joins=("address",)),
            ViewColumn("city", _l("Municipality"), address.municipality, joins=("address",), searchable=True,
                       search_key=address.id),
        ),
        default_columns=("number", "title", "type", "phase", "status", "contact", "street", "city", "created_at"),
        default_sort="-created_at",
        link=lambda row: url_for("dossiers.show", dossier_id=row["_id"]),
    )


def contacts(ctx: ViewContext) -> ListEntity:
    address = aliased(Address, name="contact_address")
    name = Contact.first_name + " " + Contact.last_name
    return ListEntity(
        key="contacts", label=_l("Contacts"), base=Contact, id_col=Contact.id,
        joins={"address": Join(address, address.id == Contact.address_id)},
        columns=_columns(
            ViewColumn("name", _l("Name"), name, searchable=True, nullable=False, sort_expr=Contact.last_name),
            ViewColumn("last_name", _l("Last name"), Contact.last_name, nullable=False),
            ViewColumn("first_name", _l("First name"), Contact.first_name, nullable=False),
            ViewColumn("email", _l("E-mail"), Contact.email, searchable=True),
            ViewColumn("phone", _l("Phone"), Contact.phone),
            ViewColumn("language", _l("Language"), Contact.language, CHOICE,
                       choices=lambda: [("fr", "FR"), ("nl", "NL"), ("en", "EN"), ("de", "DE")]),
            ViewColumn("street", _l("Street"), address.street, joins=("address",), searchable=True,
                       search_key=address.id, display=address.street + " " + address.house_number),
            ViewColumn("postcode", _l("Postcode"), address.postcode, joins=("address",)),
            ViewColumn("city", _l("Municipality"), address.municipality, joins=("address",), searchable=True,
                       search_key=address.id),
            ViewColumn("active", _l("Active"), Contact.active, BOOL, nullable=False),
            ViewColumn("created_at", _l("Created"), Contact.created_at, DATE, nullable=False, timestamp=True),
        ),
        default_columns=("last_name", "first_name", "email", "phone", "street", "city"),
        default_sort="last_name",
        link=lambda row: url_for("parties.show", plural="contacts", record_id=row["_id"]),
    )


def organisations(ctx: ViewContext) -> ListEntity:
    return ListEntity(
        key="organisations", label=_l("Organisations"), base=Organisation, id_col=Organisation.id,
        columns=_columns(
            ViewColumn("name", _l("Name"), Organisation.name, searchable=True, nullable=False, width=260),
            ViewColumn("kind", _l("Kind"), Organisation.kind, CHOICE, nullable=False, choices=_labels(KINDS)),
            ViewColumn("enterprise_number", _l("Enterprise number"), Organisation.enterprise_number),
            ViewColumn("legal_form", _l("Legal form"), Organisation.legal_form),
            ViewColumn("street", _l("Street"), Organisation.street),
            ViewColumn("postcode", _l("Postcode"), Organisation.postcode),
            ViewColumn("municipality", _l("Municipality"), Organisation.municipality),
            ViewColumn("email", _l("E-mail"), Organisation.email),
            ViewColumn("phone", _l("Phone"), Organisation.phone),
            ViewColumn("active", _l("Active"), Organisation.active, BOOL, nullable=False),
            ViewColumn("created_at", _l("Created"), Organisation.created_at, DATE, nullable=False, timestamp=True),
        ),
        default_columns=("name", "kind", "enterprise_number", "municipality", "email", "phone"),
        default_sort="name",
        link=lambda row: url_for("parties.show", plural="organisations", record_id=row["_id"]),
    )


def addresses(ctx: ViewContext) -> ListEntity:
    return ListEntity(
        key="addresses", label=_l("Addresses"), base=Address, id_col=Address.id,
        columns=_columns(
            ViewColumn("street", _l("Street"), Address.street, searchable=True, nullable=False),
            ViewColumn("house_number", _l("House number"), Address.house_number, nullable=False),
            ViewColumn("box_number", _l("Box"), Address.box_number),
            ViewColumn("postcode", _l("Postcode"), Address.postcode, nullable=False),
            ViewColumn("municipality", _l("Municipality"), Address.municipality, searchable=True, nullable=False),
            ViewColumn("register_id", _l("Register id"), Address.register_id, nullable=False),
        ),
        default_columns=("street", "house_number", "box_number", "postcode", "municipality"),
        default_sort="street",
    )


def works(ctx: ViewContext) -> ListEntity:
    dossier = aliased(Dossier, name="works_dossier")
    contractor = aliased(Organisation, name="contractor")
    return ListEntity(
        key="works", label=_l("Works"), base=Works, id_col=Works.id,
        joins={"dossier": Join(dossier, dossier.id == Works.dossier_id),
               "contractor": Join(contractor, contractor.id == Works.contractor_id)},
        columns=_columns(
            ViewColumn("dossier_number", _l("Dossier"), dossier.number, joins=("dossier",), searchable=True,
                       search_key=dossier.id,                       nullable=False),
            ViewColumn("dossier_title", _l("Dossier title"), dossier.title, joins=("dossier",), searchable=True,
                       search_key=dossier.id,                       nullable=False),
            ViewColumn("work_type", _l("Type of works"), Works.work_type, CHOICE, nullable=False,
                       choices=_labels(WORK_TYPE_LABELS)),
            ViewColumn("building_part", _l("Building part"), Works.building_part, CHOICE, nullable=False,
                       choices=_pairs(BUILDING_PARTS)),
            ViewColumn("contractor", _l("Contractor"), contractor.name, joins=("contractor",), searchable=True,
                       search_key=contractor.id),
            ViewColumn("quote_amount", _l("Quote amount"), Works.quote_amount, NUMBER),
            ViewColumn("offer_amount", _l("Offer amount"), Works.offer_amount, NUMBER),
            ViewColumn("investment_decided", _l("Investment decided"), Works.investment_decided, BOOL,
                       nullable=False),
            ViewColumn("rmp_priority", _l("RMP priority"), Works.rmp_priority, CHOICE, choices=_pairs(RMP_PRIORITIES)),
            ViewColumn("quote_requested_on", _l("Quote requested on"), Works.quote_requested_on, DATE),
            ViewColumn("works_started_on", _l("Works started on"), Works.works_started_on, DATE),
            ViewColumn("works_ended_on", _l("Works ended on"), Works.works_ended_on, DATE),
            ViewColumn("follow_up_on", _l("Follow-up on"), Works.follow_up_on, DATE),
        ),
        default_columns=("dossier_number", "work_type", "contractor", "quote_amount", "investment_decided",
                         "works_started_on"),
        default_sort="-works_started_on",
        link_exprs={"dossier_id": Works.dossier_id},
        link=lambda row: url_for("dossiers.show", dossier_id=row["dossier_id"], tab="works"),
    )


def tasks(ctx: ViewContext) -> ListEntity:
    dossier = aliased(Dossier, name="task_dossier")
    assignee = aliased(User, name="task_assignee")
    visible = and_(HumanTask.state == HumanTaskState.READY,
                   or_(HumanTask.assignee_id == ctx.user.id, takeable_queues(ctx.user)))
    return ListEntity(
        key="tasks", label=_l("Open tasks"), base=HumanTask, id_col=HumanTask.id, access=visible,
        joins={"dossier": Join(dossier, dossier.process_instance_id == HumanTask.instance_id),
               "assignee": Join(assignee, assignee.id == HumanTask.assignee_id)},
        columns=_columns(
            ViewColumn("name", _l("Task"), HumanTask.name, searchable=True, nullable=False, width=220,
                       translated=True),
            ViewColumn("dossier_number", _l("Dossier"), dossier.number, joins=("dossier",), searchable=True,
                       search_key=dossier.id),
            ViewColumn("dossier_title", _l("Dossier title"), dossier.title, joins=("dossier",), searchable=True,
                       search_key=dossier.id),
            ViewColumn("dossier_type", _l("Type"), dossier.type, CHOICE, joins=("dossier",),
                       choices=_labels(DOSSIER_TYPES)),
            ViewColumn("phase", _l("Phase"), HumanTask.phase, CHOICE, choices=_labels(PHASES)),
            ViewColumn("queue", _l("Queue"), HumanTask.queue, CHOICE, choices=_queue_choices(ctx), open_choices=True),
            ViewColumn("assignee", _l("Assigned to"), HumanTask.assignee_id, USER, joins=("assignee",),
                       display=assignee.name, choices=_user_choices(ctx)),
            ViewColumn("due_at", _l("Due"), HumanTask.due_at, DATE, timestamp=True),
            ViewColumn("created_at", _l("Created"), HumanTask.created_at, DATE, nullable=False, timestamp=True),
        ),
        default_columns=("name", "dossier_number", "dossier_title", "phase", "queue", "assignee", "due_at"),
        default_sort="due_at",
        link=lambda row: url_for("tasks.show", task_id=row["_id"]),
    )


def mails(ctx: ViewContext) -> ListEntity:
    dossier = aliased(Dossier, name="mail_dossier")
    assignee = aliased(User, name="mail_assignee")
    return ListEntity(
        key="mails", label=_l("E-mails"), base=Mail, id_col=Mail.id,
        joins={"dossier": Join(dossier, dossier.id == Mail.dossier_id),
               "assignee": Join(assignee, assignee.id == Mail.assignee_id)},
        columns=_columns(
            ViewColumn("received_at", _l("Received"), Mail.received_at, DATE, nullable=False, timestamp=True),
            ViewColumn("sender", _l("From"), Mail.sender, searchable=True, nullable=False,
                       display=func.coalesce(func.nullif(Mail.sender_name, ""), Mail.sender),
                       search_exprs=(SearchTarget(Mail.sender), SearchTarget(Mail.sender_name))),
            ViewColumn("subject", _l("Subject"), Mail.subject, searchable=True, nullable=False, width=300),
            ViewColumn("queue", _l("Queue"), Mail.queue, CHOICE, choices=_queue_choices(ctx), open_choices=True),
            ViewColumn("assignee", _l("Assigned to"), Mail.assignee_id, USER, joins=("assignee",),
                       display=assignee.name, choices=_user_choices(ctx)),
            ViewColumn("dossier_number", _l("Dossier"), dossier.number, joins=("dossier",), searchable=True,
                       search_key=dossier.id),
            ViewColumn("linked", _l("Linked to a dossier"), Mail.dossier_id.is_not(None), BOOL, nullable=False,
                       sortable=False),
            ViewColumn("direction", _l("Direction"), Mail.direction, CHOICE, nullable=False,
                       choices=_pairs([("in", _l("Received")), ("out", _l("Sent"))])),
            ViewColumn("closed", _l("Handled"), Mail.closed_at.is_not(None), BOOL, nullable=False, sortable=False),
        ),
        default_columns=("received_at", "sender", "subject", "queue", "assignee", "dossier_number"),
        default_sort="-received_at",
        link=lambda row: _safe_url("mail.show", mail_id=row["_id"]),
    )


BUILDERS: dict[str, Callable[[ViewContext], ListEntity]] = {
    "dossiers": dossiers, "contacts": contacts, "organisations": organisations, "addresses": addresses,
    "works": works, "tasks": tasks, "mails": mails,
}


# Lists whose columns depend only on the reader's language: built once per language, since
# building the expressions costs more than a millisecond per request.
SHARED = {"dossiers", "contacts", "organisations", "addresses", "works"}
_shared: dict[tuple[str, str], ListEntity] = {}


def build_entity(key: str, ctx: ViewContext) -> ListEntity | None:
    builder = BUILDERS.get(key)
    if builder is None:
        return None
    if key not in SHARED:
        return builder(ctx)
    cache_key = (key, ctx.language)
    if cache_key not in _shared:
        _shared[cache_key] = builder(ctx)
    return _shared[cache_key]
