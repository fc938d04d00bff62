"""The realistic part of the demo: ~320 dossiers of the seven types and their active subtypes,
each driven a random number of steps through its real process with valid form answers (so phases,
phase history, human tasks and audit trails are real), ~30 % of them follow-ups in a customer
journey, with contacts, organisations, involved parties, site addresses and contacts' addresses from
the register sample (never typed), address details, EPC records and works.

Deterministic (``random.Random(SEED)``), idempotent (the ``number_sequences`` row
:data:`MARKER` says the set is loaded; a second run adds nothing) and fast: one transaction per
dossier, no password hashing. Dates are spread over the last 18 months: after each dossier is
driven, the timestamps it wrote (dossier, instance, tasks, phases, audit events, parties, works)
are moved onto the dossier's own timeline. Dossier numbers keep the current year (they are drawn
by the real numbering)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.cases.dossiers import open_dossier
from engine.cases.models import Dossier, DossierPhase, DossierSubtype, DossierType, NumberSequence
from engine.cases.rmp_financing import WorksLot, inputs_document, save_financing
from engine.cases.subtypes import process_key_for
from engine.cases.works import Works, add_works
from engine.db import utcnow
from engine.parties.commands import create_contact, create_organisation, organisation_by_number
from engine.parties.involvement import add_party
from engine.parties.models import BceEnterprise, Contact, InvolvedParty, Organisation, OrganisationKind
from engine.places.addresses import add_epc, save_details, set_site_address
from engine.places.models import Address, DossierSite
from engine.workflow.errors import EngineError, FormInvalid
from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState, ProcessInstance, ProcessVersion
from integrations.bce.kbo.format import CO_OWNERSHIP_JURIDICAL_FORM
from integrations.bce.sample import load_sample as load_bce_sample
from webapp.bootstrap import Services
from webapp.demo_data import names

Echo = Callable[..., Any]

SEED = 20261123
MARKER = "demo:realistic-set"
FULL_SIZE = 320  # generated dossiers at scale 1 (the handmade demo dossiers come on top)
SPAN_DAYS = 540  # ~18 months
FOLLOW_UP_SHARE = 0.30
BATCH = 10  # dossiers per transaction

ROOT_TYPE_WEIGHTS = {"information": 28, "requests_loans": 15, "advice": 17, "project_design": 10,
                     "execution": 9, "loan": 10, "premiums": 13}
FOLLOW_UP_TYPE_WEIGHTS = {"information": 4, "requests_loans": 6, "advice": 26, "project_design": 20,
                          "execution": 14, "loan": 15, "premiums": 15}
SOURCES = ("phone", "phone", "email", "email", "counter", "contact_form", "event")
WORKS_CHOICES = ("roof_insulation", "wall_insulation", "floor_insulation", "glazing", "heat_pump", "boiler",
                 "ventilation", "solar_panels", "green_roof", "rainwater")
WORK_TYPES = ("roof_insulation", "wall_insulation", "floor_insulation", "windows", "heat_pump",
              "condensing_boiler", "ventilation", "solar_panels", "asbestos_removal", "study")
CO_OWNERSHIP_SUBTYPES = {"renovation_master_plan", "collective_renovation", "tile_garden_collective"}


@dataclass
class Plan:
    index: int
    type: str
    subtype_code: str | None
    created: dt.datetime
    root: Plan | None = None
    co_ownership: bool = False
    complete: bool = False
    steps: int = 0
    dossier_id: int | None = None
    children: list[Plan] = field(default_factory=list)


@dataclass
class Pools:
    caseworker: User
    dispatcher: User
    addresses: list[tuple[int, str, str, str | None]]  # id, street, house number, box
    contacts: list[int]
    syndics: list[int]
    contractors: list[int]
    associations: list[int]
    subtypes: dict[tuple[str, str], int]
    rmp_records: bool = False  # the RMP module's table exists (engine/cases/rmp.py)


# --------------------------------------------------------------------------- the plan


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def make_plan(rng: random.Random, count: int, subtype_codes: dict[str, list[str]], now: dt.datetime,
              deployed: set[str]) -> list[Plan]:
    """``count`` dossiers in creation order: every active subtype at least once (when the count
    allows), ~30 % follow-ups of an earlier dossier."""
    types = [t.value for t in DossierType if t.value in deployed]
    pairs = [(t, c) for t in types for c in subtype_codes.get(t, [])]
    rng.shuffle(pairs)
    wanted: list[tuple[str, str | None]] = pairs[: count]
    while len(wanted) < count:
        t = _weighted(rng, {k: v for k, v in ROOT_TYPE_WEIGHTS.items() if k in types})
        codes = subtype_codes.get(t, [])
        wanted.append((t, rng.choice(codes) if codes and rng.random() < 0.85 else None))
    rng.shuffle(wanted)
    plans: list[Plan] = []
    roots: list[Plan] = []
    for index, (t, code) in enumerate(wanted):
        # finished dossiers over the whole 18 months; open ones mostly recent, a few left lying
        complete = rng.random() < 0.5
        steps = 99 if complete else rng.choices((0, 1, 2, 3, 4, 5), weights=(3, 4, 3, 2, 2, 1))[0]
        if complete:
            age = rng.uniform(20, SPAN_DAYS)
        elif rng.random() < 0.85:  # just registered (the first task is due within days), or under way
            age = rng.uniform(0.1, 4) if steps == 0 else rng.uniform(2, 8 * steps + 10)
        else:
            age = rng.uniform(40, SPAN_DAYS)
        created = now - dt.timedelta(days=age)
        created = created.replace(hour=rng.randint(7, 15), minute=rng.randint(0, 59), second=0, microsecond=0)
        while created.weekday() >= 5:
            created -= dt.timedelta(days=1)
        created = min(created, now - dt.timedelta(hours=1))
        plan = Plan(index, t, code, created, co_ownership=bool(code in CO_OWNERSHIP_SUBTYPES or rng.random() < 0.2),
                    complete=complete, steps=steps)
        plans.append(plan)
    # follow-ups: attach ~30 % of the plans (preferably the journey's next stages) to earlier roots
    plans.sort(key=lambda p: p.created)
    for plan in plans:
        if roots and rng.random() < FOLLOW_UP_SHARE * FOLLOW_UP_TYPE_WEIGHTS[plan.type] / 10.5:
            candidates = [r for r in roots[-60:] if r.created < plan.created - dt.timedelta(days=5)]
            if candidates:
                root = rng.choice(candidates)
                plan.root = root
                plan.co_ownership = root.co_ownership
                root.children.append(plan)
                continue
        roots.append(plan)
    return plans


# --------------------------------------------------------------------------- answers


class Clock:
    """The dossier's own time: each completed task moves it on a few working days."""

    def __init__(self, rng: random.Random, start: dt.datetime, now: dt.datetime) -> None:
        self.rng, self.at, self.now = rng, start, now

    def advance(self, low: int = 1, high: int = 12) -> dt.datetime:
        at = self.at + dt.timedelta(days=self.rng.randint(low, high), hours=self.rng.randint(-3, 3))
        while at.weekday() >= 5:
            at += dt.timedelta(days=1)
        self.at = min(at, self.now - dt.timedelta(minutes=self.rng.randint(5, 600)))
        return self.at

    def day(self, later: int = 0) -> str:
        return min(self.at.date() + dt.timedelta(days=later), self.now.date()).isoformat()


def answers_for(form_key: str, rng: random.Random, clock: Clock, plan: Plan, title: str,
                coach_email: str) -> dict[str, Any]:
    """Valid, varied answers for every task form of the dossier flows."""
    c = rng.choice
    works = rng.sample(WORKS_CHOICES, rng.randint(1, 3))
    amount = c((2500, 4800, 7500, 12000, 15000, 22000, 30000, 45000))
    d = clock.day
    table: dict[str, Callable[[], dict[str, Any]]] = {
        "information.request": lambda: {
            "question_types": [plan.subtype_code] if plan.subtype_code else ["information_request"],
            "question_summary": f"{title.rstrip('?.')}. " + c(names.DESCRIPTIONS).format(
                year=rng.randint(1920, 1985), source="telefoon", units=rng.randint(6, 40)),
            "request_date": d(), "source": c(SOURCES),
            "first_action": c(("information_given", "email_reply", "called_back", "appointment", "home_visit")),
            "first_action_date": d(rng.randint(0, 3))},
        "information.answer": lambda: c((
            {"answer": "Premies en voorwaarden uitgelegd; brochure meegegeven.", "referral_product": "none"},
            {"answer": "Doorverwezen naar een renovatieadvies aan huis.", "referral_product": "advice",
             "referral_organisation": "Energiehuis Mechelen"},
            {"answer": "Mogelijkheden van de Mijn VerbouwLening toegelicht.", "referral_product": "loan",
             "referral_organisation": "Energiehuis Mechelen"},
            {"answer": "Uitleg over de Mijn VerbouwPremie; aanvraag samen overlopen.", "referral_product": "premium",
             "referral_organisation": "Fluvius"},
        )),
        "requests_loans.request": lambda: {"request_date": d(), "source": c(SOURCES), "requested_item": title,
                                           "quantity": rng.randint(1, 4)},
        "requests_loans.handling": lambda: {
            "outcome": rng.choices(("delivered", "returned", "refused", "cancelled"), weights=(8, 3, 1, 1))[0],
            "handled_date": d(), "notes": c(("Opgehaald aan het loket.", "Afgeleverd aan huis.", ""))},
        "advice.request": lambda: {"coach_email": coach_email, "request_date": d(), "source": c(SOURCES),
                                   "request_summary": f"{title}: huisbezoek gevraagd."},
        "advice.preparation": lambda: {"visit_date": d(rng.randint(3, 10)), "works_done": works[:1],
                                       "works_done_end_date": f"{rng.randint(2005, 2022)}-06-30",
                                       "preparation_notes": "Plannen en EPC opgevraagd bij de eigenaar."},
        "advice.themes": lambda: {"themes": rng.sample(("insulation", "heating", "ventilation", "renewable_energy",
                                                        "water", "greenery", "financing", "comfort"),
                                                       rng.randint(1, 4)),
                                  "visit_notes": "Zolder niet geïsoleerd, enkel glas achteraan."},
        "advice.advice": lambda: {"report_date": d(), "advice": c(names.ADVICE_TEXTS), "recommended_works": works},
        "advice.decision": lambda: {"report_sent_date": d(), "follow_up_needed": rng.random() < 0.6,
                                    "decision": rng.choices(("go_on", "thinking", "postponed", "stops"),
                                                            weights=(6, 2, 1, 1))[0]},
        "dossier.survey": lambda: {"satisfaction": rng.choices(("5", "4", "3", "2", "no_answer"),
                                                               weights=(5, 4, 1, 0.3, 2))[0],
                                   "survey_comment": c(("Heel tevreden over de begeleiding.", "Snel geholpen.", ""))},
        "project_design.request": lambda: {"request_date": d(), "source": c(SOURCES), "planned_works": works,
                                           "apartment_common_parts": plan.co_ownership},
        "project_design.studies": lambda: {"studies_needed": rng.random() < 0.3,
                                           "design_office_advice": rng.random() < 0.2},
        "project_design.quotes": lambda: {"quotes_requested_date": d(), "quotes_received": True,
                                          "quotes_meet_premium_conditions": rng.random() < 0.8,
                                          "final_decision": rng.choices(("execute", "not_execute", "postponed"),
                                                                        weights=(7, 1, 2))[0]},
        "execution.request": lambda: {"request_date": d(), "source": c(SOURCES), "planned_works": works,
                                      "apartment_common_parts": plan.co_ownership},
        "execution.preparation": lambda: {"permit_needed": False}
        if rng.random() < 0.7 else {"permit_needed": True, "permit_parts": ["facade"],
                                    "permit_requested_date": d(), "permit_approved_date": d(2)},
        "execution.execution": lambda: {"start_date": d(), "end_date": d(rng.randint(5, 30)),
                                        "site_visits": "Werfbezoek bij de start en bij de oplevering."},
        "loan.request": lambda: {"request_date": d(), "source": c(SOURCES), "requested_amount": str(amount),
                                 "purpose": f"{title}: isolatie en ramen."},
        "loan.analysis": lambda: {"income_checked": True, "documents_complete": rng.random() < 0.9,
                                  "analysis": "Terugbetalingscapaciteit voldoende; eigendomsakte ontvangen."},
        "loan.decision": lambda: (
            {"decision": "refused", "decision_date": d()} if rng.random() < 0.12 else
            {"decision": "approved", "decision_date": d(), "granted_amount": str(amount)}),
        "loan.signature": lambda: {"signature_date": d()},
        "loan.collection": lambda: {"paid_out_date": d(), "paid_out_amount": str(amount)},
        "loan.circulation": lambda: {"repaid_date": d(), "notes": "Vervroegd terugbetaald."},
        "premiums.submission": lambda: {"submitted_date": d(), "source": c(SOURCES),
                                        "requested_amount": str(c((300, 600, 1200, 1800, 2500)))},
        "premiums.processing": lambda: {"documents_complete": True, "site_check_done": rng.random() < 0.6},
        "premiums.decision": lambda: rng.choices((
            {"decision": "granted", "decision_date": d(), "granted_amount": "1200"},
            {"decision": "partly_granted", "decision_date": d(), "granted_amount": "600"},
            {"decision": "refused", "decision_date": d()}), weights=(7, 2, 1))[0],
        "premiums.report": lambda: {"report_date": d(), "report": "Plaatsbezoek: werken conform de aanvraag."},
        "premiums.payment": lambda: {"paid_date": d(), "paid_amount": "1200"},
        "rmp.documents_delivery": lambda: {"documents_delivery_date": d(),
                                           "documents_delivered": ["brochure", "veka_framework_contract",
                                                                   "financing_overview"]},
        "rmp.information_session": lambda: {"information_session_date": d(),
                                            "information_session_attendees": rng.randint(6, 30),
                                            "information_session_follow_up": rng.choices(
                                                ("apply", "thinking", "not_now"), weights=(6, 2, 1))[0]},
        "rmp.application": lambda: {"application_submitted_date": d(), "application_complete": True},
        "rmp.syndic_meeting": lambda: {"syndic_meeting_date": d(), "syndic_meeting_participants": "Syndicus, coach"},
        "rmp.working_group_meeting": lambda: {"working_group_meeting_date": d(),
                                              "working_group_meeting_participants": "Werkgroep van 4 eigenaars"},
        "rmp.delivery": lambda: {"rmp_delivered_date": d(), "general_assembly_date": d(),
                                 "general_assembly_decision": rng.choices(("approved", "postponed", "rejected"),
                                                                          weights=(6, 2, 1))[0]},
    }
    make = table.get(form_key)
    return make() if make else {}


# --------------------------------------------------------------------------- parties and places


def _organisation(session: Session, data: dict[str, Any], actor_id: int) -> int:
    number = data.get("enterprise_number")
    if number:
        existing = organisation_by_number(session, number.replace(".", ""))
        if existing is not None:
            return existing.id
    return create_organisation(session, data, actor_id).id


def build_pools(services: Services, rng: random.Random, users: dict[str, User], contacts: int) -> Pools:
    caseworker = users["caseworker@guichet.local"]
    with services.db.transaction() as session:
        load_bce_sample(session)
        syndics, contractors, associations = [], [], []
        for row in session.scalars(select(BceEnterprise).order_by(BceEnterprise.enterprise_number)):
            name = row.name
            # the sample's natural persons are volunteer or professional syndics
            kind = (OrganisationKind.CO_OWNERSHIP_ASSOCIATION
                    if row.juridical_form == CO_OWNERSHIP_JURIDICAL_FORM or name.startswith(("VME", "ACP")) else
                    OrganisationKind.SYNDIC if name.lower().startswith("syndic") or row.type_of_enterprise == "1"
                    else OrganisationKind.CONTRACTOR)
            org_id = _organisation(session, {
                "name": name, "kind": kind.value, "enterprise_number": row.enterprise_number,
                "legal_form": row.legal_form, "street": row.street, "house_number": row.house_number, "box": row.box,
                "postcode": row.postcode, "municipality": row.municipality}, caseworker.id)
            {OrganisationKind.CO_OWNERSHIP_ASSOCIATION: associations, OrganisationKind.SYNDIC: syndics,
             OrganisationKind.CONTRACTOR: contractors}[kind].append(org_id)
        for pool, kind, rows in ((syndics, OrganisationKind.SYNDIC, names.SYNDICS),
                                 (contractors, OrganisationKind.CONTRACTOR, names.CONTRACTORS)):
            for name, street, number in rows:
                slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20]
                pool.append(create_organisation(session, {
                    "name": name, "kind": kind.value, "street": street, "house_number": number, "postcode": "2800",
                    "municipality": "Mechelen", "email": f"info@{slug}.be",
                    "phone": f"015 {rng.randint(20, 59)} {rng.randint(10, 99)} {rng.randint(10, 99)}"},
                    caseworker.id).id)
        addresses = [(a.id, a.street, a.house_number, a.box_number) for a in session.scalars(
            select(Address).where(Address.municipality == "Mechelen").order_by(Address.id))]
        contact_ids = []
        homes = random.Random(SEED + 1)  # own sequence: the rest of the demo stays as it was
        for _ in range(contacts):
            person: dict[str, Any] = dict(names.person(rng))
            if addresses and homes.random() < 0.85:  # a register address, never typed
                person["address_id"] = homes.choice(addresses)[0]
            contact_ids.append(create_contact(session, person, caseworker.id).id)
        subtypes = {(s.type, s.code): s.id for s in session.scalars(select(DossierSubtype))}
        rmp_records = inspect(session.connection()).has_table("rmp_records")
    return Pools(caseworker, users["dispatcher@guichet.local"], addresses, contact_ids, syndics, contractors,
                 associations, subtypes, rmp_records)


def _add_parties(session: Session, rng: random.Random, pools: Pools, plan: Plan, dossier: Dossier,
                 actor_id: int) -> None:
    used: set[int] = set()

    def contact() -> int:
        cid = rng.choice(pools.contacts)
        while cid in used:
            cid = rng.choice(pools.contacts)
        used.add(cid)
        return cid

    if plan.co_ownership:
        if not pools.associations or rng.random() < 0.6:
            street = rng.choice(pools.addresses)[1]
            pools.associations.append(create_organisation(session, {
                "name": names.vme_name(street, rng), "kind": OrganisationKind.CO_OWNERSHIP_ASSOCIATION.value,
                "street": street, "postcode": "2800", "municipality": "Mechelen"}, actor_id).id)
            vme = pools.associations[-1]
        else:
            vme = rng.choice(pools.associations)
        professional = rng.random() < 0.7
        if professional:
            add_party(session, dossier.id, "syndic_professional", actor_id, organisation_id=rng.choice(pools.syndics))
            add_party(session, dossier.id, "co_ownership_association", actor_id, organisation_id=vme)
            if rng.random() < 0.5:
                add_party(session, dossier.id, "co_owner", actor_id, contact_id=contact())
        else:
            add_party(session, dossier.id, "syndic_volunteer", actor_id, contact_id=contact())
            add_party(session, dossier.id, "co_ownership_association", actor_id, organisation_id=vme)
        return
    role = rng.choices(("owner_occupant", "owner_landlord", "tenant"), weights=(7, 2, 2))[0]
    add_party(session, dossier.id, role, actor_id, contact_id=contact())
    if rng.random() < 0.3:  # a partner, or the landlord of a tenant; sometimes the main contact
        second = "owner_landlord" if role == "tenant" else role
        add_party(session, dossier.id, second, actor_id, contact_id=contact(), main=rng.random() < 0.3)
    if rng.random() < 0.1:
        add_party(session, dossier.id, "architect", actor_id, contact_id=contact())


def _site(session: Session, rng: random.Random, pools: Pools, plan: Plan, dossier: Dossier, actor_id: int,
          created: dt.datetime) -> None:
    with_box = [a for a in pools.addresses if a[3]]
    choice = rng.choice(with_box if plan.co_ownership and with_box else pools.addresses)
    address = set_site_address(session, dossier, choice[0], user_id=actor_id)
    if rng.random() < 0.45:
        if plan.co_ownership:
            values: dict[str, Any] = {"housing_type": "building", "construction_type": "other",
                                      "housing_units": rng.randint(6, 48), "other_units": rng.randint(0, 20),
                                      "floors": rng.randint(3, 9), "several_buildings": rng.random() < 0.2,
                                      "typology": rng.choice(("Appartementsgebouw jaren '70", "Residentie 1962",
                                                              "Hoekgebouw met handelsgelijkvloers"))}
            association = session.scalar(select(InvolvedParty.organisation_id).where(
                InvolvedParty.dossier_id == dossier.id, InvolvedParty.role == "co_ownership_association"))
            if association is not None:
                values["association_id"] = association
        else:
            values = {"housing_type": rng.choice(("house", "house", "house", "apartment")),
                      "construction_type": rng.choice(("terraced", "terraced", "semi_detached", "detached")),
                      "parcel_number": f"12{rng.randint(10, 99)}{rng.choice('ABCDEFGH')}{rng.randint(100, 999)}"}
        save_details(session, address, values, user_id=actor_id, dossier_id=dossier.id)
    if rng.random() < 0.35:
        label = rng.choices(("A", "B", "C", "D", "E", "F"), weights=(1, 2, 4, 6, 6, 5))[0]
        kwh = {"A": 90, "B": 180, "C": 280, "D": 380, "E": 480, "F": 620}[label] + rng.randint(-30, 30)
        add_epc(session, address, {"label": label, "kind": "epc", "calculation": rng.choice(("real", "real",
                                                                                              "estimated")),
                                   "kwh_per_m2": float(kwh), "common_parts": plan.co_ownership,
                                   "issued_on": (created - dt.timedelta(days=rng.randint(30, 2500))).date()},
                user_id=actor_id, dossier_id=dossier.id)


def _works(session: Session, rng: random.Random, pools: Pools, plan: Plan, dossier: Dossier, actor_id: int,
           clock: Clock) -> None:
    decided_share = 0.75 if plan.type == "execution" else 0.35
    for work_type in rng.sample(WORK_TYPES, rng.randint(1, 3)):
        requested = clock.at.date() - dt.timedelta(days=rng.randint(5, 40))
        quote = Decimal(rng.randrange(2500, 40000, 250))
        data: dict[str, Any] = {
            "work_type": work_type, "building_part": "common" if plan.co_ownership else "private",
            "description": {"roof_insulation": "Hellend dak isoleren, 24 cm minerale wol",
                            "wall_insulation": "Spouwmuur na-isoleren", "windows": "Ramen vervangen, U 1,0",
                            "heat_pump": "Lucht-water warmtepomp 8 kW"}.get(work_type),
            "quote_requested_on": requested, "quote_received_on": requested + dt.timedelta(days=rng.randint(7, 30)),
            "quote_amount": quote, "contractor_id": rng.choice(pools.contractors),
            "premium_conform": rng.choice(("yes", "yes", "unknown", "no")),
            "rmp_advised": plan.co_ownership, "rmp_priority": rng.choice(("short", "medium", "long"))
            if plan.co_ownership else None,
        }
        if rng.random() < decided_share:
            approved = min(data["quote_received_on"] + dt.timedelta(days=10), clock.now.date())
            data.update(investment_decided=True, offer_amount=quote - Decimal(rng.randrange(0, 1500, 50)),
                        offer_approved_on=approved)
            if plan.type == "execution" and approved + dt.timedelta(days=30) < clock.now.date():
                started = approved + dt.timedelta(days=rng.randint(14, 30))
                ended = started + dt.timedelta(days=rng.randint(3, 40))
                data.update(works_started_on=started, works_ended_on=ended if ended < clock.now.date() else None,
                            execution_remarks=rng.choice(("Vlot verlopen.", "Kleine vertraging door het weer.",
                                                          None)))
        add_works(session, dossier, data, user_id=actor_id)


RMP_LOTS = ("Dak en terrassen", "Gevelisolatie", "Kelderisolatie", "Collectieve warmtepomp", "Ventilatie")
DESIGN_OFFICES = ("Studiebureau Dijlevallei", "Ingenieursbureau Rombouts", "Architectenbureau Kanaal")


def _rmp(session: Session, rng: random.Random, plan: Plan, dossier: Dossier, actor_id: int, clock: Clock,
         rmp_records: bool) -> None:
    """A financing simulation (and, when the RMP module's table exists, the RMP record) of a
    renovation-master-plan or collective-renovation dossier."""
    units = rng.randint(8, 36)
    lot_shares = [rng.choice((250, 300, 350, 400, 450)) for _ in range(units)]
    lots = [WorksLot(name, common_cost=Decimal(rng.randrange(40_000, 220_000, 1_000)))
            for name in rng.sample(RMP_LOTS[:3], rng.randint(1, 3))]
    if rng.random() < 0.5:
        lots.append(WorksLot("Ramen", private_cost_per_unit=Decimal(rng.randrange(6_000, 12_000, 500))))
    subsidy = Decimal(rng.randrange(10_000, 40_000, 500)) if rng.random() < 0.7 else None
    save_financing(session, dossier, inputs_document(lots, sum(lot_shares), lot_shares,
                                                     subsidy=subsidy),
                   rng.choice(("Eerste simulatie voor de algemene vergadering.", None)), user_id=actor_id)
    if not (rmp_records and plan.type == "advice" and plan.subtype_code == "renovation_master_plan"):
        return
    from engine.cases.rmp import SUPPORT_ACTIONS, save_rmp

    root_id = dossier.journey_root_id
    names_by_role = dict(session.execute(
        select(InvolvedParty.role, Organisation.name)
        .join(Organisation, Organisation.id == InvolvedParty.organisation_id)
        .where(InvolvedParty.dossier_id == root_id)).all())
    start = clock.at.date() - dt.timedelta(days=rng.randint(20, 60))
    today = clock.now.date()

    def on(days: int) -> dt.date:
        return min(start + dt.timedelta(days=days), today)

    awarded = Decimal(rng.randrange(18_000, 45_000, 500))
    data: dict[str, Any] = {
        "association_name": names_by_role.get("co_ownership_association"),
        "syndic_name": names_by_role.get("syndic_professional"), "building_units": units,
        "building_year": rng.randint(1955, 1990), "ga_decision_on": on(0), "application_submitted_on": on(10),
        "support_actions": rng.sample(SUPPORT_ACTIONS, rng.randint(2, len(SUPPORT_ACTIONS))),
        "energy_data_requested_on": on(5),
    }
    if rng.random() < 0.6:
        data.update(quotes_received_on=on(30), quotes_count=rng.randint(2, 4), awarded_to=rng.choice(DESIGN_OFFICES),
                    awarded_on=on(40), awarded_amount=awarded,
                    veka_subsidy=min(awarded, Decimal(rng.randrange(10_000, 30_000, 500))),
                    contract_received=True, contract_received_on=on(50))
    save_rmp(session, dossier, "application", data, user_id=actor_id)


# --------------------------------------------------------------------------- timeline


class Timeline:
    """Maps the real moments of a dossier's writes onto its demo timeline."""

    def __init__(self) -> None:
        self.marks: list[tuple[dt.datetime, dt.datetime]] = []

    def mark(self, fake: dt.datetime) -> None:
        self.marks.append((utcnow(), fake))

    def map(self, value: dt.datetime | None) -> dt.datetime | None:
        if value is None or not self.marks:
            return value
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        result = self.marks[0][1]
        for real, fake in self.marks:
            if real <= value:
                result = fake + (value - real)
            else:
                break
        return result

    def apply(self, session: Session, dossier: Dossier) -> None:
        session.flush()
        m = self.map
        dossier.created_at = m(dossier.created_at)
        instance = session.get(ProcessInstance, dossier.process_instance_id)
        if instance is not None:
            instance.started_at, instance.updated_at = m(instance.started_at), m(instance.updated_at)
            instance.completed_at = m(instance.completed_at)
            for task in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)):
                created = m(task.created_at)
                if task.due_at is not None and created is not None:
                    task.due_at = task.due_at + (created - task.created_at)
                task.created_at, task.claimed_at, task.completed_at = created, m(task.claimed_at), m(task.completed_at)
        for event in session.scalars(select(AuditEvent).where(or_(
                AuditEvent.instance_id == dossier.process_instance_id,
                (AuditEvent.subject_type == "dossier") & (AuditEvent.subject_id == dossier.id)))):
            event.at = m(event.at)
        for phase in session.scalars(select(DossierPhase).where(DossierPhase.dossier_id == dossier.id)):
            phase.reached_at, phase.left_at = m(phase.reached_at), m(phase.left_at)
        for party in session.scalars(select(InvolvedParty).where(InvolvedParty.dossier_id == dossier.id)):
            party.created_at = m(party.created_at)
        for works in session.scalars(select(Works).where(Works.dossier_id == dossier.id)):
            works.created_at, works.updated_at = m(works.created_at), m(works.updated_at)
        site = session.get(DossierSite, dossier.id)
        if site is not None:
            site.set_at = m(site.set_at)


# --------------------------------------------------------------------------- one dossier


def _ready_tasks(session: Session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.state == HumanTaskState.READY).order_by(HumanTask.id)))


def _title(rng: random.Random, plan: Plan) -> str:
    by_type = names.TITLES.get(plan.type, {})
    options = by_type.get(plan.subtype_code or "") or by_type.get("") or ("Dossier",)
    return rng.choice(options)


def _load_one(services: Services, session: Session, rng: random.Random, pools: Pools, plan: Plan,
              now: dt.datetime, stats: dict[str, int], echo: Echo) -> None:
    engine = services.engine
    actor = pools.caseworker if rng.random() < 0.65 else pools.dispatcher
    coach = rng.choice((pools.caseworker, pools.dispatcher))
    title = _title(rng, plan)
    clock = Clock(rng, plan.created, now)
    timeline = Timeline()
    timeline.mark(plan.created)
    root = session.get(Dossier, plan.root.dossier_id) if plan.root and plan.root.dossier_id else None
    subtype_id = pools.subtypes.get((plan.type, plan.subtype_code)) if plan.subtype_code else None
    description = rng.choice(names.DESCRIPTIONS).format(year=rng.randint(1920, 1985),
                                                        source=rng.choice(("telefoon", "e-mail", "het loket")),
                                                        units=rng.randint(6, 40))
    dossier = open_dossier(session, engine, DossierType(plan.type), title, user_id=actor.id,
                           description=description, subtype_id=subtype_id,
                           source=rng.choice(SOURCES), follow_up_of=root)
    session.flush()
    plan.dossier_id = dossier.id
    if root is None:
        timeline.mark(plan.created + dt.timedelta(minutes=rng.randint(2, 50)))
        _add_parties(session, rng, pools, plan, dossier, actor.id)
        _site(session, rng, pools, plan, dossier, actor.id, plan.created)
    elif plan.type in ("project_design", "execution") and rng.random() < 0.5:
        timeline.mark(plan.created + dt.timedelta(minutes=rng.randint(2, 50)))
        add_party(session, dossier.id, "contractor", actor.id, organisation_id=rng.choice(pools.contractors))
    instance_id = dossier.process_instance_id
    assert instance_id is not None
    done = 0
    while done < plan.steps:
        tasks = _ready_tasks(session, instance_id)
        if not tasks:
            break
        task = tasks[0]
        # an open dossier's steps share its age, so that its open task is recent
        high = 12 if plan.complete else max(1, min(12, (now - plan.created).days // (plan.steps + 1)))
        timeline.mark(clock.advance(min(1, high), high))
        answers = answers_for(task.form_key or "", rng, clock, plan, title, coach.email)
        who = session.get(User, task.assignee_id) if task.assignee_id else actor
        try:
            engine.complete(session, task.id, answers, user_id=(who or actor).id, may_override_assignee=True)
        except FormInvalid as exc:
            stats["invalid"] += 1
            echo(f"  demo: answers for {task.form_key!r} do not validate ({exc.errors}); "
                 f"{dossier.number} left at this task.", err=True)
            break
        done += 1
    if plan.type in ("project_design", "execution") and (done >= 1 or rng.random() < 0.4):
        timeline.mark(clock.at + dt.timedelta(hours=1))
        _works(session, rng, pools, plan, dossier, actor.id, clock)
    if plan.subtype_code in ("renovation_master_plan", "collective_renovation") and plan.type != "information" \
            and (done >= 1 or rng.random() < 0.5):
        timeline.mark(clock.at + dt.timedelta(hours=2))
        _rmp(session, rng, plan, dossier, actor.id, clock, pools.rmp_records)
    open_tasks = _ready_tasks(session, instance_id)
    for task in open_tasks:
        if task.assignee_id is None:
            roll = rng.random()
            if roll < 0.55:
                timeline.mark(min(clock.at + dt.timedelta(hours=rng.randint(1, 30)), now))
                user = pools.caseworker if roll < 0.35 else pools.dispatcher
                engine.claim(session, task.id, user_id=user.id)
    timeline.apply(session, dossier)
    if root is None:
        for contact in session.scalars(select(Contact).join(
                InvolvedParty, InvolvedParty.contact_id == Contact.id).where(InvolvedParty.dossier_id == dossier.id)):
            contact.created_at = min(contact.created_at, plan.created - dt.timedelta(minutes=5))
    stats["dossiers"] += 1
    stats["completed"] += int(not open_tasks and dossier.process_instance is not None
                              and dossier.process_instance.status == "completed")


# --------------------------------------------------------------------------- entry point


def is_loaded(session: Session) -> bool:
    return session.get(NumberSequence, MARKER) is not None


def load_realistic_set(services: Services, users: dict[str, User], *, scale: float = 1.0, seed: int = SEED,
                       echo: Echo = print) -> int:
    """Load the realistic set once; returns how many dossiers were added (0 when already loaded or
    ``scale`` is 0)."""
    count = round(FULL_SIZE * scale)
    if count <= 0:
        return 0
    with services.db.transaction() as session:
        if is_loaded(session):
            return 0
        deployed = set(session.scalars(select(ProcessVersion.key).distinct()))
        codes: dict[str, list[str]] = {}
        for s in session.scalars(select(DossierSubtype).where(DossierSubtype.active.is_(True))
                                 .order_by(DossierSubtype.position, DossierSubtype.id)):
            if process_key_for(s.type, s) in deployed:
                codes.setdefault(s.type, []).append(s.code)
    if not deployed:
        echo("No dossier process is deployed: no realistic demo set.", err=True)
        return 0
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    plans = make_plan(rng, count, codes, now, deployed)
    pools = build_pools(services, rng, users, contacts=max(20, int(count * 0.9)))
    stats = {"dossiers": 0, "completed": 0, "invalid": 0, "failed": 0}
    for start in range(0, len(plans), BATCH):
        with services.db.transaction() as session:  # a few dossiers per transaction, each in a savepoint
            for plan in plans[start:start + BATCH]:
                if plan.root is not None and plan.root.dossier_id is None:
                    plan.root = None
                try:
                    with session.begin_nested():
                        _load_one(services, session, rng, pools, plan, now, stats, echo)
                    session.expunge_all()  # keeps each flush small
                except EngineError as exc:
                    plan.dossier_id = None
                    stats["failed"] += 1
                    echo(f"  demo: a {plan.type} dossier was not created: {exc}", err=True)
    with services.db.transaction() as session:
        session.add(NumberSequence(name=MARKER, value=stats["dossiers"]))
    echo(f"Realistic demo set: {stats['dossiers']} dossiers ({stats['completed']} completed), "
         f"{sum(1 for p in plans if p.root is not None)} follow-ups in journeys.")
    return stats["dossiers"]
