"""The files of the KBO open-data dump: their official headers, the tables they fill, and the
check and conversion of one row.

A row converts to the tuple of its table's columns or raises :class:`BadRow` with the reason. The
checks are those a wrong dump actually shows: the column count, entity numbers (the modulo-97
check of enterprise and establishment numbers), dates (``dd-mm-yyyy``) and codes missing from
code.csv.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from engine.parties.enterprise_number import checksum_ok

#: JuridicalForm of a co-ownership association (vereniging van mede-eigenaars / association des
#: copropriétaires). One secondary source only: UNCONFIRMED, which is why it is a constant here.
CO_OWNERSHIP_JURIDICAL_FORM = "070"

#: The order in which a name is chosen among an enterprise's denominations of type 001 (and the
#: language of the legal-form description and of the address that go with it). Guichet works in
#: Flanders first; an enterprise with only a French name gets its French name.
PREFERRED_LANGUAGES = ("NL", "FR", "DE", "EN")

#: denomination.csv's Language codes (code table "Language") and the code.csv language they mean.
DENOMINATION_LANGUAGES = {"1": "FR", "2": "NL", "3": "DE", "4": "EN"}


class BadRow(ValueError):
    """One row that cannot be imported; the message says why."""


class Codes:
    """The known codes per category (from code.csv and the database): enough to refuse an unknown
    code without keeping the descriptions in memory."""

    def __init__(self) -> None:
        self._known: dict[str, set[str]] = {}

    def add(self, category: str, code: str) -> None:
        self._known.setdefault(category, set()).add(code)

    def check(self, category: str, code: str, column: str) -> str:
        known = self._known.get(category)
        if known is not None and code not in known:
            raise BadRow(f"unknown code {code!r} in {column} (not in code.csv category {category})")
        return code

    def optional(self, category: str, code: str, column: str) -> str | None:
        return self.check(category, code, column) if code else None

    def __len__(self) -> int:
        return sum(len(codes) for codes in self._known.values())


def entity_number(raw: str, column: str) -> str:
    """An enterprise (``0xxx.xxx.xxx``), establishment (``2.xxx.xxx.xxx`` … ``8``) or branch
    (``9.xxx.xxx.xxx``) number as 10 digits; enterprise and establishment numbers must pass the
    modulo-97 check."""
    digits = raw.replace(".", "").replace(" ", "")
    if len(digits) != 10 or not digits.isdigit():
        raise BadRow(f"invalid number {raw!r} in {column} (expected 10 digits, e.g. 0200.065.765)")
    if digits[0] != "9" and not checksum_ok(digits):
        raise BadRow(f"invalid number {raw!r} in {column} (check digits wrong)")
    return digits


def enterprise_number(raw: str, column: str) -> str:
    digits = entity_number(raw, column)
    if digits[0] not in "01":
        raise BadRow(f"invalid enterprise number {raw!r} in {column} (must start with 0 or 1)")
    return digits


def date(raw: str, column: str) -> str | None:
    """``dd-mm-yyyy`` -> ISO ``yyyy-mm-dd`` (what both databases accept), empty -> None."""
    if not raw:
        return None
    try:
        day, month, year = raw.split("-")
        return dt.date(int(year), int(month), int(day)).isoformat() if len(year) == 4 else _bad_date(raw, column)
    except ValueError:
        return _bad_date(raw, column)


def _bad_date(raw: str, column: str) -> str:
    raise BadRow(f"invalid date {raw!r} in {column} (expected dd-mm-yyyy)")


def _required(raw: str, column: str) -> str:
    if not raw:
        raise BadRow(f"{column} is empty")
    return raw


def _meta(r: list[str], codes: Codes) -> tuple[object, ...]:
    return (_required(r[0], "Variable"), r[1] or None)


def _code(r: list[str], codes: Codes) -> tuple[object, ...]:
    category, code, language = _required(r[0], "Category"), _required(r[1], "Code"), _required(r[2], "Language")
    if language not in ("FR", "NL", "DE", "EN"):
        raise BadRow(f"unknown language {language!r} in Language (expected FR, NL, DE or EN)")
    codes.add(category, code)
    return (category, code, language, r[3])


def _enterprise(r: list[str], codes: Codes) -> tuple[object, ...]:
    return (enterprise_number(r[0], "EnterpriseNumber"), codes.check("Status", _required(r[1], "Status"), "Status"),
            codes.optional("JuridicalSituation", r[2], "JuridicalSituation"),
            codes.optional("TypeOfEnterprise", r[3], "TypeOfEnterprise"),
            codes.optional("JuridicalForm", r[4], "JuridicalForm"),
            codes.optional("JuridicalForm", r[5], "JuridicalFormCAC"), date(r[6], "StartDate"))


def _establishment(r: list[str], codes: Codes) -> tuple[object, ...]:
    number = entity_number(r[0], "EstablishmentNumber")
    if number[0] in "019":
        raise BadRow(f"invalid establishment number {r[0]!r} in EstablishmentNumber (must start with 2 to 8)")
    return (number, date(r[1], "StartDate"), enterprise_number(r[2], "EnterpriseNumber"))


def _branch(r: list[str], codes: Codes) -> tuple[object, ...]:
    return (entity_number(r[0], "Id"), date(r[1], "StartDate"), enterprise_number(r[2], "EnterpriseNumber"))


def _denomination(r: list[str], codes: Codes) -> tuple[object, ...]:
    return (entity_number(r[0], "EntityNumber"), codes.check("Language", _required(r[1], "Language"), "Language"),
            codes.check("TypeOfDenomination", _required(r[2], "TypeOfDenomination"), "TypeOfDenomination"),
            _required(r[3], "Denomination"))


def _address(r: list[str], codes: Codes) -> tuple[object, ...]:
    return (entity_number(r[0], "EntityNumber"),
            codes.check("TypeOfAddress", _required(r[1], "TypeOfAddress"), "TypeOfAddress"),
            *(value or None for value in r[2:12]), date(r[12], "DateStrikingOff"))


def _contact(r: list[str], codes: Codes) -> tuple[object, ...]:
    return (entity_number(r[0], "EntityNumber"),
            codes.check("EntityContact", _required(r[1], "EntityContact"), "EntityContact"),
            codes.check("ContactType", _required(r[2], "ContactType"), "ContactType"), _required(r[3], "Value"))


def _activity(r: list[str], codes: Codes) -> tuple[object, ...]:
    version = _required(r[2], "NaceVersion")
    if version not in ("2003", "2008", "2025"):
        raise BadRow(f"unknown NaceVersion {version!r} (expected 2003, 2008 or 2025)")
    return (entity_number(r[0], "EntityNumber"),
            codes.check("ActivityGroup", _required(r[1], "ActivityGroup"), "ActivityGroup"), version,
            codes.check(f"Nace{version}", _required(r[3], "NaceCode"), "NaceCode"),
            codes.check("Classification", _required(r[4], "Classification"), "Classification"))


@dataclass(frozen=True)
class FileSpec:
    """One file of the dump. ``key``: the columns of the table's natural key (an upsert), or
    empty for the multi-row tables (plain inserts). ``delete_by``: the column an update's
    ``X_delete.csv`` names."""

    name: str
    headers: tuple[str, ...]
    table: str
    columns: tuple[str, ...]
    convert: Callable[[list[str], Codes], tuple[object, ...]]
    key: tuple[str, ...] = ()
    delete_by: str = "entity_number"

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"


_ADDRESS_COLUMNS = ("entity_number", "type_of_address", "country_nl", "country_fr", "zipcode", "municipality_nl",
                    "municipality_fr", "street_nl", "street_fr", "house_number", "box", "extra_address_info",
                    "date_striking_off")

#: In import order: the code table first (the other files are checked against it), the entities
#: before what hangs on them.
FILES: tuple[FileSpec, ...] = (
    FileSpec("meta", ("Variable", "Value"), "kbo_meta", ("variable", "value"), _meta, key=("variable",),
             delete_by="variable"),
    FileSpec("code", ("Category", "Code", "Language", "Description"), "kbo_codes",
             ("category", "code", "language", "description"), _code, key=("category", "code", "language"),
             delete_by="code"),
    FileSpec("enterprise", ("EnterpriseNumber", "Status", "JuridicalSituation", "TypeOfEnterprise", "JuridicalForm",
                            "JuridicalFormCAC", "StartDate"), "kbo_enterprises",
             ("enterprise_number", "status", "juridical_situation", "type_of_enterprise", "juridical_form",
              "juridical_form_cac", "start_date"), _enterprise, key=("enterprise_number",),
             delete_by="enterprise_number"),
    FileSpec("establishment", ("EstablishmentNumber", "StartDate", "EnterpriseNumber"), "kbo_establishments",
             ("establishment_number", "start_date", "enterprise_number"), _establishment,
             key=("establishment_number",), delete_by="establishment_number"),
    FileSpec("branch", ("Id", "StartDate", "EnterpriseNumber"), "kbo_branches", ("id", "start_date",
             "enterprise_number"), _branch, key=("id",), delete_by="id"),
    FileSpec("denomination", ("EntityNumber", "Language", "TypeOfDenomination", "Denomination"), "kbo_denominations",
             ("entity_number", "language", "type_of_denomination", "denomination"), _denomination),
    FileSpec("address", ("EntityNumber", "TypeOfAddress", "CountryNL", "CountryFR", "Zipcode", "MunicipalityNL",
                         "MunicipalityFR", "StreetNL", "StreetFR", "HouseNumber", "Box", "ExtraAddressInfo",
                         "DateStrikingOff"), "kbo_addresses", _ADDRESS_COLUMNS, _address),
    FileSpec("contact", ("EntityNumber", "EntityContact", "ContactType", "Value"), "kbo_contacts",
             ("entity_number", "entity_contact", "contact_type", "value"), _contact),
    FileSpec("activity", ("EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"),
             "kbo_activities", ("entity_number", "activity_group", "nace_version", "nace_code", "classification"),
             _activity),
)

SPECS = {spec.name: spec for spec in FILES}


def delete_key(spec: FileSpec, raw: str) -> str:
    """The value an ``X_delete.csv`` row names, as stored (numbers without dots)."""
    if spec.name in ("meta", "code"):
        return _required(raw, spec.headers[0])
    return entity_number(raw, spec.headers[0])
