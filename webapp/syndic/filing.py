"""The request form shared by the portal (a syndic files for an association) and the back office
(a case worker files on behalf of an organisation): which fields and documents a kind shows, the
association looked up in the BCE, the uploads (checked and stored before the command), the live
preview of the deadline and the fee, and the submission itself.

Validation is the form schema's (forms/syndic_request.py) and the rules are the engine's
(engine/syndic/rules.py, fees.py): this module only gathers the input, shows what they answer and
keeps the user's values when something must be fixed. Nothing is written while anything is wrong."""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import abort, send_file
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, MultiDict

from engine.parties.commands import organisation_by_number
from engine.parties.enterprise_number import EnterpriseNumberError, format_number, normalise
from engine.privacy.models import AccessAction, RecordType
from engine.syndic import fees as syndic_fees
from engine.syndic import requests as syndic_requests
from engine.syndic import rules as syndic_rules
from engine.syndic.models import MandateRequest, RepresentativeCase
from engine.wallet import ledger
from engine.wallet.errors import InsufficientFunds
from engine.wallet.models import Wallet
from engine.workflow.errors import InvalidState
from forms.enterprise_number import enterprise_number_message
from forms.syndic_request import MandateRequestSchema, required_documents, required_fields
from integrations.documents import sniff
from integrations.documents.store import DiskStore, StagedBlob, TooLarge
from integrations.documents.upload import clean_name, extension
from webapp.context import services
from webapp.parties.views import bce_lookup
from webapp.privacy.recorder import record_access
from webapp.syndic import labels
from webapp.transactions import run_command

KINDS = ("registration", "modification", "termination", "termination_and_registration")
CHOICES = (*KINDS, "renewal")  # renewal is explained, never filed
DOCUMENT_NAMES = ("decision_extract", "revocation_proof")
DOCUMENT_EXTENSIONS = frozenset({"pdf", "jpg", "jpeg", "png"})
DATE_FIELDS = ("decision_date", "mandate_start", "mandate_end", "effective_date")
YES_NO_FIELDS = ("decision_names_representative", "company_has_ipi")

# The sections of the form, in order, with their fields; which sections a kind shows.
SYNDIC_COMMON = ("syndic_kind", "syndic_name")
SYNDIC_NATURAL = ("syndic_first_names", "syndic_person_number", "syndic_profession")
SYNDIC_LEGAL = ("syndic_enterprise_number",)
SYNDIC_CONTACT = ("syndic_address", "syndic_email", "syndic_phone")
APPOINTMENT = ("provisional", "appointed_by", "decision_date", "mandate_start", "mandate_end")
REPRESENTATIVE_PERSON = ("representative_name", "representative_first_names", "representative_person_number")
OUTGOING = ("outgoing_syndic_name", "effective_date")
MODIFICATION = ("effective_date", "changes")
SECTIONS: dict[str, tuple[str, ...]] = {
    "registration": ("association", "syndic", "appointment", "representative", "documents"),
    "modification": ("association", "syndic", "modification"),
    "termination": ("association", "outgoing", "documents"),
    "termination_and_registration": ("association", "outgoing", "syndic", "appointment", "representative",
                                     "documents"),
}
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "association": ("association_number",),
    "syndic": SYNDIC_COMMON + SYNDIC_NATURAL + SYNDIC_LEGAL + SYNDIC_CONTACT,
    "appointment": APPOINTMENT,
    "representative": YES_NO_FIELDS + REPRESENTATIVE_PERSON + ("representative_ipi_number",),
    "outgoing": OUTGOING,
    "modification": MODIFICATION,
    "documents": (),
}


def fields_of(kind: str) -> list[str]:
    """The form fields a kind shows, in order, each once."""
    seen: list[str] = []
    for section in SECTIONS[kind]:
        for name in SECTION_FIELDS[section]:
            if name not in seen:
                seen.append(name)
    return seen


def documents_of(kind: str) -> list[str]:
    required = required_documents(kind)
    return [name for name in DOCUMENT_NAMES if name in required]


# -- the association in the BCE -----------------------------------------------------------------

@dataclass
class AssociationLookup:
    """What the pages say about the association's number: ``association`` when the number is
    valid (known in the BCE or not), ``problem`` when it is not."""

    given: str
    association: syndic_requests.Association | None = None
    problem: str | None = None

    @property
    def formatted(self) -> str:
        return format_number(self.association.number) if self.association else self.given


def lookup_association(session: Session, raw: str) -> AssociationLookup:
    given = (raw or "").strip()
    if not given:
        return AssociationLookup(given)
    try:
        digits = normalise(given)
    except EnterpriseNumberError as exc:
        return AssociationLookup(given, problem=enterprise_number_message(exc))
    record = bce_lookup().lookup(digits)
    organisation = organisation_by_number(session, digits)
    if record is None:
        return AssociationLookup(given, syndic_requests.Association(
            number=digits, known=False, name=organisation.name if organisation else None,
            organisation_id=organisation.id if organisation else None))
    address = " ".join(part for part in (record.street, record.house_number, record.box) if part)
    place = " ".join(part for part in (record.postcode, record.municipality) if part)
    return AssociationLookup(given, syndic_requests.Association(
        number=digits, known=True, name=record.name, address=", ".join(p for p in (address, place) if p) or None,
        organisation_id=organisation.id if organisation else None))


# -- the values of the form ----------------------------------------------------------------------

def form_values(kind: str, form: Mapping[str, str]) -> dict[str, str]:
    """The user's input for the kind's fields, as typed (kept on the page when something is wrong)."""
    values = {name: (form.get(name) or "").strip() for name in fields_of(kind)}
    if "provisional" in values:
        values["provisional"] = "1" if values["provisional"] else ""
    return values


def _bool_or_none(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


def partial_data(kind: str, values: Mapping[str, str]) -> dict[str, Any]:
    """What the preview can already use of half-filled input: dates that parse, the choices made."""
    data: dict[str, Any] = {"kind": kind}
    for name in DATE_FIELDS:
        try:
            data[name] = dt.date.fromisoformat(values.get(name) or "")
        except ValueError:
            data[name] = None
    syndic_kind = values.get("syndic_kind") or ""
    data["syndic_kind"] = syndic_kind if syndic_kind in labels.SYNDIC_KINDS else None
    for name in YES_NO_FIELDS:
        data[name] = _bool_or_none(values.get(name) or "")
    data["provisional"] = bool(values.get("provisional"))
    return data


def representative_case(kind: str, values: Mapping[str, str]) -> str:
    data = partial_data(kind, values)
    if kind not in ("registration", "termination_and_registration") or data["syndic_kind"] is None:
        return RepresentativeCase.NOT_APPLICABLE.value
    return str(syndic_rules.representative_case(
        data["syndic_kind"], decision_names_representative=data["decision_names_representative"],
        company_has_ipi=data["company_has_ipi"]))


def required_now(kind: str, values: Mapping[str, str]) -> set[str]:
    """The fields required for the choices made so far (the page marks them; the schema decides)."""
    data = partial_data(kind, values)
    return set(required_fields(kind, data["syndic_kind"] or "natural", representative_case(kind, values)))


def _schema_input(kind: str, values: Mapping[str, str]) -> dict[str, Any]:
    raw: dict[str, Any] = {"kind": kind}
    for name, value in values.items():
        if name == "provisional":
            raw[name] = bool(value)
        elif value != "":
            raw[name] = value
    return raw


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    found = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return {key: [str(m) for m in (value if isinstance(value, list) else [value])] for key, value in found.items()}


# -- the documents --------------------------------------------------------------------------------

@dataclass
class StagedDocuments:
    """Uploads checked and written to the store's temporary folder: moved into place only once the
    whole form is valid (:meth:`commit`), else discarded."""

    store: DiskStore
    blobs: dict[str, tuple[StagedBlob, dict[str, Any]]] = field(default_factory=dict)

    def commit(self) -> dict[str, dict[str, Any]]:
        for blob, _meta in self.blobs.values():
            self.store.commit(blob)
        return {name: meta for name, (_blob, meta) in self.blobs.items()}

    def discard(self) -> None:
        for blob, _meta in self.blobs.values():
            self.store.discard(blob)
        self.blobs.clear()


def file_store() -> DiskStore:
    return DiskStore(services().settings.files_root)


def _max_bytes() -> int:
    return int(services().settings.upload_max_mb * 1024 * 1024)


def stage_documents(files: MultiDict[str, FileStorage], wanted: list[str], required: set[str],
                    errors: dict[str, list[str]]) -> StagedDocuments:
    """Check each uploaded document (type by extension AND content, size, not empty); missing
    required ones and refused ones are added to ``errors`` under the document's name."""
    staged = StagedDocuments(file_store())
    max_mb = services().settings.upload_max_mb
    for name in wanted:
        upload = files.get(name)
        filename = clean_name(upload.filename or "") if upload is not None else ""
        if not filename:
            if name in required:
                errors[name] = [_("Attach the %(document)s (PDF, JPEG or PNG).",
                                  document=str(labels.DOCUMENTS[name]).lower())]
            continue
        assert upload is not None
        if extension(filename) not in DOCUMENT_EXTENSIONS:
            errors[name] = [_("“%(name)s” is not a PDF, JPEG or PNG file: attach the document in one of these "
                              "formats.", name=filename)]
            continue
        try:
            blob = staged.store.stage(upload.stream, _max_bytes())
        except TooLarge:
            errors[name] = [_("“%(name)s” is larger than %(max)s MB: attach a smaller file.", name=filename,
                              max=f"{max_mb:g}")]
            continue
        if blob.size == 0:
            staged.store.discard(blob)
            errors[name] = [_("“%(name)s” is empty: attach the document itself.", name=filename)]
            continue
        if sniff.check(blob.path, extension(filename)) is not None:
            staged.store.discard(blob)
            errors[name] = [_("The content of “%(name)s” is not what its name says: attach a real PDF, JPEG or "
                              "PNG file.", name=filename)]
            continue
        staged.blobs[name] = (blob, {"sha256": blob.sha256, "name": filename, "size": blob.size,
                                     "content_type": mimetypes.guess_type(filename)[0] or "application/pdf"})
    return staged


def send_document(row: MandateRequest, name: str) -> Any:
    """Download one document of a request (the caller has checked who may)."""
    meta = (row.documents or {}).get(name)
    if not meta:
        abort(404)
    store = file_store()
    try:
        exists = store.exists(str(meta.get("sha256", "")))
    except ValueError:
        abort(404)
    if not exists:
        abort(410)
    record_access(AccessAction.EXPORT, RecordType.SYNDIC_REQUEST, row.id, record_key=name)
    return send_file(store.path_for(meta["sha256"]), mimetype=meta.get("content_type") or "application/octet-stream",
                     as_attachment=True, download_name=meta.get("name") or f"{name}.pdf", max_age=0)


# -- the preview ----------------------------------------------------------------------------------

def wallet_balance(session: Session, organisation_id: int) -> Decimal:
    """The balance of the paying organisation (0 when it has no wallet yet; none is created here)."""
    wallet_id = session.scalar(select(Wallet.id).where(Wallet.organisation_id == organisation_id))
    return ledger.balance(session, wallet_id) if wallet_id is not None else Decimal("0.00")


def ensure_fee_rates() -> None:
    """The default dated fees as rows; the first filing page creates them when the table is empty."""
    from webapp.context import db_session

    if not syndic_fees.rates(db_session()):
        run_command(syndic_fees.ensure_default_rates)


def preview_context(session: Session, kind: str, values: Mapping[str, str], *, organisation_id: int | None,
                    today: dt.date | None = None) -> dict[str, Any]:
    """Everything the preview shows: the association, the deadline and lateness, the representative
    case, the fee lines, the wallet balance and whether it covers the fee."""
    day = today or dt.date.today()
    association = lookup_association(session, values.get("association_number", ""))
    known = association.association.known if association.association else True
    context: dict[str, Any] = {"association": association, "preview": None, "preview_problem": None,
                               "balance": None, "covers": None, "today": day,
                               "current_mandate": None}
    try:
        context["preview"] = syndic_requests.preview(session, partial_data(kind, values), association_known=known,
                                                     today=day)
    except syndic_fees.NoFeeRate:
        context["preview_problem"] = _("No fee is set for this date yet: an administrator adds it to the fee "
                                       "table.")
    except (InvalidState, ValueError) as exc:
        context["preview_problem"] = str(exc)
    if association.association is not None and kind in ("termination", "termination_and_registration",
                                                         "modification"):
        context["current_mandate"] = syndic_requests.current_mandate(session, association.association.number)
    if organisation_id is not None:
        balance = wallet_balance(session, organisation_id)
        context["balance"] = balance
        if context["preview"] is not None:
            context["covers"] = balance >= context["preview"].fee.total
    return context


# -- the submission -------------------------------------------------------------------------------

@dataclass
class Outcome:
    """The result of a submission: the request, or the errors to show with the user's values."""

    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    problem: str | None = None
    request: MandateRequest | None = None


def submit(session: Session, kind: str, form: Mapping[str, str], files: MultiDict[str, FileStorage], *,
           organisation_id: int, requester_id: int | None, channel: str) -> Outcome:
    """Validate everything, store the documents, then file the request (one command). Any error:
    nothing stored, nothing written, the values kept."""
    values = form_values(kind, form)
    outcome = Outcome(values)
    looked_up = lookup_association(session, values.get("association_number", ""))
    if looked_up.problem:
        outcome.errors["association_number"] = [looked_up.problem]
    raw = _schema_input(kind, values)
    if kind in ("termination", "termination_and_registration") and looked_up.association is not None:
        current = syndic_requests.current_mandate(session, looked_up.association.number)
        if current is not None:
            raw["outgoing_mandate_id"] = current.id
            if not raw.get("outgoing_syndic_name"):
                raw["outgoing_syndic_name"] = values["outgoing_syndic_name"] = current.syndic_name
    data: dict[str, Any] = {}
    try:
        data = MandateRequestSchema().load(raw)
    except ValidationError as exc:
        for key, messages in _messages(exc).items():
            outcome.errors.setdefault(key, messages)
    staged = stage_documents(files, documents_of(kind), set(required_documents(kind)), outcome.errors)
    if outcome.errors or looked_up.association is None:
        staged.discard()
        if looked_up.association is None and "association_number" not in outcome.errors:
            outcome.errors["association_number"] = [_("Enter the association's enterprise number.")]
        return outcome
    documents = staged.commit()  # in place before the command: the request points to them
    association = looked_up.association
    try:
        outcome.request = run_command(lambda s: syndic_requests.submit_request(
            s, services().engine, data=data, association=association, organisation_id=organisation_id,
            requester_id=requester_id, channel=channel, documents=documents))
    except syndic_fees.NoFeeRate:
        outcome.problem = _("No fee is set for this date yet: an administrator adds it to the fee table. Nothing "
                            "was filed.")
    except (InvalidState, ValueError) as exc:
        outcome.problem = str(exc)
    return outcome


def answer(request_id: int, form: Mapping[str, str], files: MultiDict[str, FileStorage], *, user_id: int,
           kind: str) -> tuple[dict[str, list[str]], str | None]:
    """The requester answers a sent-back request: a text, and documents replaced if need be.
    Returns (errors, problem); both empty: answered."""
    errors: dict[str, list[str]] = {}
    text = (form.get("answer") or "").strip()
    if not text:
        errors["answer"] = [_("Write your answer to the case worker's remark.")]
    elif len(text) > 4000:
        errors["answer"] = [_("Write at most 4000 characters.")]
    staged = stage_documents(files, documents_of(kind), set(), errors)
    if errors:
        staged.discard()
        return errors, None
    documents = staged.commit() or None
    try:
        run_command(lambda s: syndic_requests.answer_request(s, services().engine, request_id, user_id=user_id,
                                                             answer=text, documents=documents))
    except InvalidState as exc:
        return {}, str(exc)
    return {}, None


def pay(request_id: int, *, user_id: int) -> str | None:
    """Retry the payment of an approved request; the message to show when the wallet still does not
    cover the fee (nothing changed then), None when paid."""
    try:
        run_command(lambda s: syndic_requests.retry_payment(s, services().engine, request_id, user_id=user_id))
    except InsufficientFunds:
        return _("Your wallet does not cover the fee yet: top it up, then choose “Pay now” again. Your request is "
                 "kept.")
    except InvalidState as exc:
        return str(exc)
    return None
