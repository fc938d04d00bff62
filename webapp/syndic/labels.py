"""Words of the syndic-mandate pages (portal and back office) in FR / NL / EN: kinds, statuses,
the rules' outcomes, fee lines, documents and the fields of the request form. The engine speaks in
codes (engine/syndic/models.py); the pages translate them here, in one place."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

KINDS: dict[str, Any] = {
    "registration": _l("Registration of a new syndic"),
    "modification": _l("Modification of the syndic's data"),
    "termination": _l("Termination of the outgoing syndic"),
    "termination_and_registration": _l("Termination and registration in one movement"),
}
KIND_HELP: dict[str, Any] = {
    "registration": _l("A syndic starts a mandate, a provisional syndic named by the general assembly or a "
                       "judge included."),
    "modification": _l("The registered syndic's data changed (address, enterprise number …), from an "
                       "effective date."),
    "termination": _l("The outgoing syndic's registration ends (revocation by the general assembly)."),
    "termination_and_registration": _l("The outgoing syndic leaves and the new one starts at the same "
                                       "time: one request, one fee."),
    "renewal": _l("The general assembly renewed the mandate of the same syndic."),
}
RENEWAL = _l("Renewal of the mandate")

STATUSES: dict[str, Any] = {
    "submitted": _l("Being checked"),
    "sent_back": _l("Sent back to you"),
    "awaiting_payment": _l("Awaiting payment"),
    "filed": _l("Filed at the enterprise counter"),
    "recorded": _l("Recorded"),
    "cancelled": _l("Cancelled"),
}
BACK_OFFICE_STATUSES: dict[str, Any] = {**STATUSES, "sent_back": _l("Sent back to the requester")}

DEADLINE_RULES: dict[str, Any] = {
    "day_before_start": _l("the working day before the mandate starts"),
    "within_8_days_of_decision": _l("8 working days after the decision (taken less than 8 working days "
                                    "before the start)"),
    "day_before_effect": _l("the working day before it takes effect"),
}

REPRESENTATIVE_CASES: dict[str, Any] = {
    "not_applicable": _l("No representative: the syndic is a natural person."),
    "named": _l("The decision names a representative: that representative must be registered."),
    "company_accredited": _l("No representative named and the company has its own IPI accreditation: no "
                             "representative is required."),
    "accredited_required": _l("No representative named and the company has no IPI accreditation: a "
                              "representative accredited to practise real-estate activities is required."),
}

FEE_LINES: dict[str, Any] = {
    "request_fee": _l("Registration fee per request"),
    "unknown_association_supplement": _l("Supplement: association not yet known in the BCE (excl. VAT)"),
    "vat_on_supplement": _l("VAT on the supplement"),
}

DOCUMENTS: dict[str, Any] = {
    "decision_extract": _l("Extract of the appointment decision"),
    "revocation_proof": _l("Proof of the revocation by the general assembly"),
}
DOCUMENT_HELP: dict[str, Any] = {
    "decision_extract": _l("The minutes of the general assembly or the judgment naming the syndic. PDF, JPEG "
                           "or PNG."),
    "revocation_proof": _l("The decision of the general assembly revoking the outgoing syndic. PDF, JPEG or "
                           "PNG."),
}

APPOINTED_BY: dict[str, Any] = {"general_assembly": _l("the general assembly"), "judge": _l("a judge")}
SYNDIC_KINDS: dict[str, Any] = {"natural": _l("A natural person"), "legal": _l("A company (legal person)")}
YES_NO: dict[str, Any] = {"true": _l("Yes"), "false": _l("No")}

# name -> (label, help or None, widget)
FIELDS: dict[str, tuple[Any, Any, str]] = {
    "association_number": (_l("Enterprise number of the association of co-owners"),
                           _l("10 digits, e.g. 0850.123.456. The BCE tells us its name and address."), "text"),
    "syndic_kind": (_l("The syndic is"), None, "radio"),
    "syndic_name": (_l("Last name (or the company's name)"), None, "text"),
    "syndic_first_names": (_l("First names"), None, "text"),
    "syndic_person_number": (_l("National register number or BIS number"),
                             _l("11 digits, e.g. 85.07.30-033.28. A BIS number is the identification number "
                                "at the Crossroads Bank for Social Security."), "text"),
    "syndic_enterprise_number": (_l("The company's enterprise number"), _l("10 digits, e.g. 0440.937.551."),
                                 "text"),
    "syndic_profession": (_l("Profession"), None, "text"),
    "syndic_address": (_l("Address (domicile or registered seat)"), None, "text"),
    "syndic_email": (_l("E-mail address"), None, "email"),
    "syndic_phone": (_l("Telephone"), None, "text"),
    "provisional": (_l("Provisional syndic"), None, "checkbox"),
    "appointed_by": (_l("Appointed by"), None, "select"),
    "decision_names_representative": (_l("Does the decision name a representative of the company?"),
                                      _l("E.g. “the general assembly names company X as syndic, represented by "
                                         "Mr Y”."), "yesno"),
    "company_has_ipi": (_l("Does the company itself hold an IPI accreditation?"), None, "yesno"),
    "representative_name": (_l("Representative's last name"), None, "text"),
    "representative_first_names": (_l("Representative's first names"), None, "text"),
    "representative_person_number": (_l("Representative's national register or BIS number"),
                                     _l("11 digits, e.g. 85.07.30-033.28."), "text"),
    "representative_ipi_number": (_l("Representative's IPI accreditation number"),
                                  _l("The representative must be accredited to practise real-estate activities."),
                                  "text"),
    "decision_date": (_l("Date of the decision"), None, "date"),
    "mandate_start": (_l("Start of the mandate"), None, "date"),
    "mandate_end": (_l("End of the mandate (if known)"), None, "date"),
    "effective_date": (_l("Date it takes effect"), None, "date"),
    "changes": (_l("What changes"), _l("E.g. the new address or the new enterprise number."), "textarea"),
    "outgoing_syndic_name": (_l("Name of the outgoing syndic"),
                             _l("As registered in the BCE; we fill it in when we know the current mandate."),
                             "text"),
}
