"""A person's data export as JSON (machine-readable) and as PDF (to hand over). The PDF's labels
come from the caller already translated, as for the wallet voucher."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fpdf import FPDF
from sqlalchemy.orm import Session

from engine.privacy.person import PersonData, dossier_is_open, gather


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def as_document(data: PersonData) -> dict[str, Any]:
    contact = data.contact
    address = contact.address
    return {
        "contact": {
            "id": contact.id, "first_name": contact.first_name, "last_name": contact.last_name,
            "email": contact.email, "phone": contact.phone, "language": contact.language,
            "address": address.label if address is not None else None, "notes": contact.notes,
            "active": contact.active, "created_at": _iso(contact.created_at),
        },
        "dossiers": [{
            "number": p.dossier.number, "title": p.dossier.title, "type": p.dossier.type,
            "roles": p.roles, "open": dossier_is_open(p.dossier), "created_at": _iso(p.dossier.created_at),
        } for p in data.dossiers],
        "mails": [{
            "id": m.id, "direction": m.direction, "subject": m.subject, "sender": m.sender,
            "recipients": list(m.recipients or []), "sent_at": _iso(m.sent_at), "received_at": _iso(m.received_at),
            "dossier": _number(data, m.dossier_id), "body": m.body_text,
        } for m in data.mails],
        "timeline": [{
            "id": a.id, "kind": a.kind, "occurred_at": _iso(a.occurred_at), "subject": a.subject,
            "body": a.body, "dossier": _number(data, a.dossier_id),
        } for a in data.activities],
        "files": [{"dossier": _number(data, f.dossier_id), "name": f.name, "size": f.size,
                   "uploaded_at": _iso(f.uploaded_at)} for f in data.files],
    }


def _number(data: PersonData, dossier_id: int | None) -> str | None:
    for party in data.dossiers:
        if party.dossier.id == dossier_id:
            return party.dossier.number
    return None


def person_document(session: Session, contact_id: int) -> dict[str, Any]:
    return as_document(gather(session, contact_id))


def _latin1(text: Any) -> str:
    return str(text).replace("€", "EUR").encode("latin-1", "replace").decode("latin-1")


def render_pdf(document: dict[str, Any], labels: dict[str, str], *, compress: bool = True) -> bytes:
    """``labels``: title, contact, dossiers, mails, timeline, files, none (translated)."""
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_title(_latin1(labels["title"]))
    pdf.set_creator("Guichet")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, _latin1(labels["title"]), new_x="LMARGIN", new_y="NEXT")

    def heading(text: str) -> None:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 8, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)

    def line(text: str) -> None:
        pdf.multi_cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    heading(labels["contact"])
    for key, value in document["contact"].items():
        line(f"{key}: {'' if value is None else value}")
    sections = (
        ("dossiers", lambda d: f"{d['number']} - {d['title']} ({', '.join(d['roles'])})"),
        ("mails", lambda m: f"{m['received_at'][:10]} {m['sender']} -> {', '.join(m['recipients'])}: {m['subject']}"),
        ("timeline", lambda a: f"{(a['occurred_at'] or '')[:10]} {a['dossier'] or ''} {a['kind']}: {a['body'][:300]}"),
        ("files", lambda f: f"{f['dossier']} / {f['name']}"),
    )
    for key, describe in sections:
        heading(labels[key])
        for item in document[key]:
            line(describe(item))
        if not document[key]:
            line(labels["none"])
    return bytes(pdf.output())
