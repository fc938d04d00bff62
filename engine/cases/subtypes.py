"""Dossier subtypes (seed 001 §5.2): seeded from the manual's table, then managed by an
administrator (create, rename, deactivate, reactivate). A subtype belongs to one dossier type and,
optionally, to a stage of the customer journey (§5.3)."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases.models import DossierSubtype, DossierType, JourneyStage
from engine.workflow.errors import InvalidState, NotFound

T = DossierType
S = JourneyStage

# (type, code, French, Dutch, English, journey stage) — the table of seed 001 §5.2, with the
# stages that §5.3 links to some of them.
SEED_SUBTYPES: tuple[tuple[DossierType, str, str, str, str, JourneyStage | None], ...] = (
    (T.INFORMATION, "financial_advice", "Conseil financier", "Financieel advies", "Financial advice", S.ADVICE),
    (T.INFORMATION, "information_request", "Demande d'informations", "Informatievraag", "Information request",
     S.INFORMATION),
    (T.INFORMATION, "renovation_master_plan", "Intérêt pour le plan directeur de rénovation",
     "Interesse in het renovatiemasterplan", "Interest in the renovation master plan", S.INFORMATION),
    (T.INFORMATION, "premium_application", "Assistance pour la demande de prime", "Hulp bij de premieaanvraag",
     "Help with a premium application", S.FOLLOW_UP),
    (T.INFORMATION, "technical_question", "Question technique", "Technische vraag", "Technical question", None),
    (T.REQUESTS_AND_LOANS, "street_garden", "Adoption d'un jardin de rue", "Adoptie van een straattuin",
     "Street garden adoption", None),
    (T.REQUESTS_AND_LOANS, "neighbourhood_composting", "Compostage de quartier", "Buurtcompostering",
     "Neighbourhood composting", None),
    (T.REQUESTS_AND_LOANS, "energy_meter", "Compteur d'énergie", "Energiemeter", "Energy meter", None),
    (T.REQUESTS_AND_LOANS, "green_garland", "Guirlande verte", "Groene slinger", "Green garland", None),
    (T.REQUESTS_AND_LOANS, "depaving_team", "Équipe d'adoucissement", "Onthardingsteam", "Depaving team", None),
    (T.REQUESTS_AND_LOANS, "rubble_bags", "Sacs à gravats", "Puinzakken", "Rubble bags", None),
    (T.REQUESTS_AND_LOANS, "tile_garden_collective", "Jardin de dalles (collectif)", "Tegeltuin (collectief)",
     "Tile garden (collective)", None),
    (T.REQUESTS_AND_LOANS, "tile_garden_individual", "Jardin en dalles (individuel)", "Tegeltuin (individueel)",
     "Tile garden (individual)", None),
    (T.REQUESTS_AND_LOANS, "thermal_scan", "Scan thermique", "Thermografische scan", "Thermal scan", S.ADVICE),
    (T.ADVICE, "adaptation_advice", "Conseils d'adaptation", "Adaptatieadvies", "Adaptation advice", None),
    (T.ADVICE, "sustainable_planning_advice", "Conseils en matière de planification durable",
     "Duurzaam planadvies", "Sustainable planning advice", S.ADVICE),
    (T.ADVICE, "energy_scan_external", "Scan énergétique (externe)", "Energiescan (extern)",
     "Energy scan (external)", S.ADVICE),
    (T.ADVICE, "renovation_advice", "Conseils en matière de rénovation", "Renovatieadvies", "Renovation advice",
     S.ADVICE),
    (T.ADVICE, "renovation_master_plan", "Plan directeur de rénovation", "Renovatiemasterplan",
     "Renovation master plan", S.ADVICE),
    (T.PROJECT_DESIGN, "renovation_coaching", "Mon accompagnement en rénovation", "Mijn verbouwbegeleiding",
     "My renovation coaching", S.PROJECT_DESIGN),
    (T.PROJECT_DESIGN, "collective_renovation", "Rénovation collective", "Collectieve renovatie",
     "Collective renovation", None),
    (T.EXECUTION, "renovation_coaching", "Mon accompagnement rénovation", "Mijn verbouwbegeleiding",
     "My renovation coaching", S.EXECUTION),
    (T.EXECUTION, "collective_renovation", "Rénovation collective", "Collectieve renovatie",
     "Collective renovation", None),
    (T.LOAN, "loan_0", "Prêt à 0 %", "Lening aan 0 %", "0 % loan", None),
    (T.LOAN, "loan_1", "Prêt à 1 %", "Lening aan 1 %", "1 % loan", None),
    (T.LOAN, "energy_loan_plus", "Prêt énergie+", "Energielening+", "Energy loan+", None),
    (T.LOAN, "loan_preparation", "Prêt – préparation", "Lening – voorbereiding", "Loan – preparation", None),  # noqa: RUF001
    (T.LOAN, "mechelen_facelift", "Malines se refait une beauté", "Mechelen maakt zich mooi",
     "Mechelen gets a facelift", None),
    (T.LOAN, "my_renovation_loan", "Mon prêt rénovation", "Mijn verbouwlening", "My renovation loan", None),
    (T.LOAN, "emergency_purchase_fund", "Fonds d'achat d'urgence", "Noodkoopfonds", "Emergency purchase fund",
     None),
    (T.LOAN, "prefinancing", "Préfinancement", "Prefinanciering", "Pre-financing", None),
    (T.LOAN, "renovation_credit_interest_subsidy", "Crédit de rénovation avec subvention d'intérêt",
     "Renovatiekrediet met rentesubsidie", "Renovation credit with interest subsidy", None),
    (T.PREMIUMS, "green_roof", "Toiture végétalisée", "Groendak", "Green roof", S.FOLLOW_UP),
    (T.PREMIUMS, "rainwater_infiltration", "Infiltration des eaux pluviales", "Infiltratie van hemelwater",
     "Rainwater infiltration", S.FOLLOW_UP),
    (T.PREMIUMS, "rainwater_harvesting", "Récupération des eaux pluviales", "Hergebruik van hemelwater",
     "Rainwater harvesting", S.FOLLOW_UP),
    (T.PREMIUMS, "public_domain_use", "Occupation du domaine public", "Inname van het openbaar domein",
     "Use of the public domain", S.FOLLOW_UP),
    (T.PREMIUMS, "climate_action", "Action climatique (petite & grande + Prêts pour le climat)",
     "Klimaatactie (klein & groot + klimaatleningen)", "Climate action (small & large + climate loans)", None),
)


# Subtypes that run their own diagram instead of the one of their type (process key by (type, code)).
# The diagram keeps the type's phases (engine/cases/phases.py); see bpmn/dossiers/subtypes/.
SUBTYPE_PROCESSES: dict[tuple[str, str], str] = {
    (T.INFORMATION.value, "renovation_master_plan"): "information_rmp_interest",
    (T.ADVICE.value, "renovation_master_plan"): "advice_rmp",
}


def process_key_for(dossier_type: str, subtype: DossierSubtype | None) -> str:
    """The process a new dossier of ``dossier_type`` with ``subtype`` starts: the subtype's own
    diagram when it has one, else the type's (``bpmn/dossiers/<type>.bpmn``)."""
    if subtype is not None:
        return SUBTYPE_PROCESSES.get((subtype.type, subtype.code), dossier_type)
    return dossier_type


def seed_subtypes(session: Session) -> int:
    """Add the subtypes of the manual that are missing (by type and code); returns how many were
    added. Never renames, reactivates or removes what an administrator changed."""
    existing = {(row[0], row[1]) for row in session.execute(select(DossierSubtype.type, DossierSubtype.code))}
    added = 0
    for position, (dossier_type, code, fr, nl, en, stage) in enumerate(SEED_SUBTYPES):
        if (dossier_type.value, code) in existing:
            continue
        session.add(DossierSubtype(type=dossier_type.value, code=code, name_fr=fr, name_nl=nl, name_en=en,
                                   journey_stage=stage.value if stage else None, position=position * 10))
        added += 1
    session.flush()
    return added


def subtypes(session: Session, dossier_type: str | None = None, *, active_only: bool = False
             ) -> list[DossierSubtype]:
    query = select(DossierSubtype)
    if dossier_type:
        query = query.where(DossierSubtype.type == dossier_type)
    if active_only:
        query = query.where(DossierSubtype.active.is_(True))
    return list(session.scalars(query.order_by(DossierSubtype.type, DossierSubtype.position, DossierSubtype.id)))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:50] or "subtype"


def _clean(name: str | None, required: bool = False) -> str | None:
    name = (name or "").strip()
    if required and not name:
        raise InvalidState("A subtype needs a French name.")
    return name[:120] or None


def create_subtype(session: Session, dossier_type: str, name_fr: str, name_nl: str | None = None,
                   name_en: str | None = None, journey_stage: str | None = None) -> DossierSubtype:
    dossier_type = DossierType(dossier_type).value
    stage = JourneyStage(journey_stage).value if journey_stage else None
    fr = _clean(name_fr, required=True)
    assert fr is not None
    base = code = _slug(fr)
    taken = set(session.scalars(select(DossierSubtype.code).where(DossierSubtype.type == dossier_type)))
    counter = 2
    while code in taken:
        code = f"{base}_{counter}"
        counter += 1
    last = session.scalar(select(func.max(DossierSubtype.position)).where(DossierSubtype.type == dossier_type))
    subtype = DossierSubtype(type=dossier_type, code=code, name_fr=fr, name_nl=_clean(name_nl),
                             name_en=_clean(name_en), journey_stage=stage, position=(last or 0) + 10)
    session.add(subtype)
    session.flush()
    return subtype


def _get(session: Session, subtype_id: int) -> DossierSubtype:
    subtype = session.get(DossierSubtype, subtype_id)
    if subtype is None:
        raise NotFound(f"Subtype {subtype_id} does not exist.")
    return subtype


def rename_subtype(session: Session, subtype_id: int, name_fr: str, name_nl: str | None = None,
                   name_en: str | None = None, journey_stage: str | None = None) -> DossierSubtype:
    subtype = _get(session, subtype_id)
    subtype.name_fr = _clean(name_fr, required=True) or subtype.name_fr
    subtype.name_nl = _clean(name_nl)
    subtype.name_en = _clean(name_en)
    subtype.journey_stage = JourneyStage(journey_stage).value if journey_stage else None
    return subtype


def set_subtype_active(session: Session, subtype_id: int, active: bool) -> DossierSubtype:
    subtype = _get(session, subtype_id)
    subtype.active = active
    return subtype
