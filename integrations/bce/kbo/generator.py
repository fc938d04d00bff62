"""Writing sets in the official KBO open-data format: the writer the shipped sample was made with,
and a generator of synthetic full sets of N enterprises (the benchmark, tests at small N).

The synthetic set is deterministic (a seed): enterprise i has number :func:`enterprise_number`\\(i),
a Dutch or French name of type 001, a seat address (REGO), and every few enterprises a contact,
an activity or an establishment with its own address. It is written one row at a time: memory
stays flat for 2,000,000 enterprises.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TextIO

from integrations.bce.kbo.format import FILES, SPECS

_DATE = re.compile(r"\d\d-\d\d-\d{4}")


def with_check(base: int) -> str:
    """The 10 digits of the 8-digit ``base`` followed by its modulo-97 check digits."""
    return f"{base:08d}{97 - base % 97:02d}"


def dotted(digits: str) -> str:
    """``0200065765`` -> ``0200.065.765``; ``2000000339`` -> ``2.000.000.339`` (as the dump writes them)."""
    if digits[0] in "01":
        return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
    return f"{digits[0]}.{digits[1:4]}.{digits[4:7]}.{digits[7:]}"


def enterprise_number(i: int) -> str:
    """The number of synthetic enterprise ``i`` (10 digits, valid: 0500.000.0xx up to 1099.999.9xx
    for i below 2,000,000)."""
    return with_check(5_000_000 + i * 3)


def establishment_number(i: int) -> str:
    return with_check(21_000_000 + i)


def kbo_date(day: dt.date) -> str:
    return day.strftime("%d-%m-%Y")


def _field(value: str) -> str:
    if not value:
        return ""
    if _DATE.fullmatch(value):
        return value
    return '"' + value.replace('"', '""') + '"'


class KboWriter:
    """Opens ``<name>.csv`` (or ``<name>_insert.csv`` / ``_delete.csv``) files with their official
    headers and writes rows the way the dump does: text quoted, dates and empty values bare."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, TextIO] = {}

    def row(self, file: str, values: Iterable[str]) -> None:
        handle = self._files.get(file)
        if handle is None:
            handle = self._files[file] = (self.folder / f"{file}.csv").open("w", encoding="utf-8", newline="")
            base = file.removesuffix("_insert").removesuffix("_delete")
            headers = SPECS[base].headers if not file.endswith("_delete") else SPECS[base].headers[:1]
            handle.write(",".join(f'"{h}"' for h in headers) + "\r\n")
        handle.write(",".join(_field(v) for v in values) + "\r\n")

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()

    def __enter__(self) -> KboWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


#: The codes a synthetic set uses, with their descriptions (FR, NL, DE, EN).
CODES: tuple[tuple[str, str, tuple[str, str, str, str]], ...] = (
    ("Status", "AC", ("Actif", "Actief", "Aktiv", "Active")),
    ("JuridicalSituation", "000", ("Situation normale", "Normale toestand", "Normaler Zustand", "Normal situation")),
    ("TypeOfEnterprise", "1", ("Personne physique", "Natuurlijk persoon", "Natürliche Person", "Natural person")),
    ("TypeOfEnterprise", "2", ("Personne morale", "Rechtspersoon", "Juristische Person", "Legal person")),
    ("JuridicalForm", "014", ("Société anonyme", "Naamloze vennootschap", "Aktiengesellschaft",
                              "Public limited company")),
    ("JuridicalForm", "070", ("Association des copropriétaires", "Vereniging van mede-eigenaars",
                              "Vereinigung der Miteigentümer", "Association of co-owners")),
    ("JuridicalForm", "610", ("Société à responsabilité limitée", "Besloten vennootschap",
                              "Gesellschaft mit beschränkter Haftung", "Private limited company")),
    ("TypeOfAddress", "REGO", ("Siège", "Zetel", "Sitz", "Registered office")),
    ("TypeOfAddress", "BAET", ("Adresse de l'unité d'établissement", "Adres van de vestigingseenheid",
                               "Adresse der Niederlassungseinheit", "Address of the establishment unit")),
    ("TypeOfAddress", "ABBR", ("Adresse de la succursale", "Adres van het bijkantoor", "Adresse der Zweigniederlassung",
                               "Address of the branch")),
    ("TypeOfAddress", "OBAD", ("Adresse de la plus ancienne unité d'établissement active",
                               "Adres van de oudste actieve vestigingseenheid",
                               "Adresse der ältesten aktiven Niederlassungseinheit",
                               "Address of the oldest active establishment unit")),
    ("TypeOfDenomination", "001", ("Dénomination", "Naam", "Name", "Name")),
    ("TypeOfDenomination", "002", ("Abréviation", "Afkorting", "Abkürzung", "Abbreviation")),
    ("TypeOfDenomination", "003", ("Dénomination commerciale", "Commerciële naam", "Handelsname", "Commercial name")),
    ("TypeOfDenomination", "004", ("Dénomination de la succursale", "Naam van het bijkantoor",
                                   "Name der Zweigniederlassung", "Branch name")),
    ("Language", "0", ("Inconnu", "Onbekend", "Unbekannt", "Unknown")),
    ("Language", "1", ("Français", "Frans", "Französisch", "French")),
    ("Language", "2", ("Néerlandais", "Nederlands", "Niederländisch", "Dutch")),
    ("Language", "3", ("Allemand", "Duits", "Deutsch", "German")),
    ("Language", "4", ("Anglais", "Engels", "Englisch", "English")),
    ("ContactType", "TEL", ("Numéro de téléphone", "Telefoonnummer", "Telefonnummer", "Telephone number")),
    ("ContactType", "EMAIL", ("E-mail", "E-mail", "E-Mail", "E-mail")),
    ("ContactType", "WEB", ("Adresse web", "Webadres", "Webadresse", "Web address")),
    ("EntityContact", "ENT", ("Entreprise", "Onderneming", "Unternehmen", "Enterprise")),
    ("EntityContact", "EST", ("Unité d'établissement", "Vestigingseenheid", "Niederlassungseinheit",
                              "Establishment unit")),
    ("EntityContact", "BRA", ("Succursale", "Bijkantoor", "Zweigniederlassung", "Branch")),
    ("Classification", "MAIN", ("Principale", "Hoofdactiviteit", "Haupttätigkeit", "Main")),
    ("Classification", "SECO", ("Secondaire", "Nevenactiviteit", "Nebentätigkeit", "Secondary")),
    ("Classification", "ANCI", ("Auxiliaire", "Hulpactiviteit", "Hilfstätigkeit", "Ancillary")),
    ("ActivityGroup", "001", ("Activités TVA", "BTW-activiteiten", "MwSt-Tätigkeiten", "VAT activities")),
    ("ActivityGroup", "003", ("Activités ONSS", "RSZ-activiteiten", "LSS-Tätigkeiten", "NSSO activities")),
    ("Nace2008", "68321", ("Administration de biens résidentiels pour compte de tiers",
                           "Beheer van residentieel onroerend goed voor een vast bedrag of op contractbasis",
                           "Verwaltung von Wohnimmobilien für Dritte", "Management of residential real estate")),
    ("Nace2008", "68322", ("Administration de biens non résidentiels pour compte de tiers",
                           "Beheer van niet-residentieel onroerend goed voor een vast bedrag of op contractbasis",
                           "Verwaltung von Nichtwohnimmobilien für Dritte",
                           "Management of non-residential real estate")),
    ("Nace2008", "43910", ("Travaux de couverture", "Dakwerkzaamheden", "Dachdeckerarbeiten", "Roofing activities")),
    ("Nace2008", "43290", ("Autres travaux d'installation", "Overige bouwinstallatie", "Sonstige Bauinstallation",
                           "Other construction installation")),
    ("Nace2008", "43222", ("Installation de chauffage", "Installatie van verwarming", "Heizungsinstallation",
                           "Heating installation")),
    ("Nace2008", "81100", ("Activités combinées de soutien lié aux bâtiments",
                           "Diensten in verband met gebouwen", "Hausmeisterdienste", "Combined facilities support")),
)


def write_codes(writer: KboWriter, file: str = "code") -> None:
    for category, code, descriptions in CODES:
        for language, text in zip(("FR", "NL", "DE", "EN"), descriptions, strict=True):
            writer.row(file, (category, code, language, text))


def write_meta(writer: KboWriter, *, number: int, snapshot: dt.date, extract_type: str = "full",
               file: str = "meta") -> None:
    for variable, value in (("SnapshotDate", kbo_date(snapshot)),
                            ("ExtractTimestamp", f"{kbo_date(snapshot)} 06:00:00"), ("ExtractType", extract_type),
                            ("ExtractNumber", str(number)), ("Version", "1.0.0")):
        writer.row(file, (variable, value))


_NL_STREETS = ("Kerkstraat", "Stationsstraat", "Molenstraat", "Schoolstraat", "Dorpsstraat", "Nieuwstraat")
_FR_STREETS = ("Rue de la Station", "Rue de l'Église", "Chaussée de Bruxelles", "Avenue des Tilleuls", "Rue Haute")
_PLACES_NL = (("2800", "Mechelen"), ("2000", "Antwerpen"), ("9000", "Gent"), ("3000", "Leuven"), ("8000", "Brugge"))
_PLACES_FR = (("1300", "Wavre"), ("4000", "Liège"), ("5000", "Namur"), ("7000", "Mons"), ("1050", "Ixelles"))
_WORDS = ("Immo", "Bouw", "Dak", "Residentie", "Gestion", "Techniek", "Zon", "Parc", "Invest", "Service")


def generate(folder: Path, enterprises: int, *, seed: int = 8, extract_number: int = 1) -> dict[str, int]:
    """Write a full set of ``enterprises`` synthetic enterprises into ``folder``; returns the row
    count per file written (no branch.csv: synthetic enterprises have no branches)."""
    rng = random.Random(seed)
    counts = {spec.name: 0 for spec in FILES}
    establishments = 0
    with KboWriter(folder) as writer:
        write_meta(writer, number=extract_number, snapshot=dt.date(2026, 11, 1))
        write_codes(writer)
        counts["meta"], counts["code"] = 5, len(CODES) * 4
        forms = ("070", "610", "014")
        for i in range(enterprises):
            number = enterprise_number(i)
            dotted_number = dotted(number)
            french = i % 3 == 0
            person = i % 10 == 9
            start = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(24_000))
            form = "" if person else forms[i % 3]
            writer.row("enterprise", (dotted_number, "AC", "000", "1" if person else "2", form, "", kbo_date(start)))
            language = "1" if french else "2"
            word = _WORDS[i % len(_WORDS)]
            name = (f"{'ACP' if french else 'VME'} {word} {i}" if form == "070" else f"{word} {i} "
                    + ("SRL" if french else "BV"))
            writer.row("denomination", (dotted_number, language, "001", name))
            counts["denomination"] += 1
            postcode, municipality = (_PLACES_FR if french else _PLACES_NL)[i % 5]
            street = (_FR_STREETS if french else _NL_STREETS)[i % (5 if french else 6)]
            writer.row("address", (dotted_number, "REGO", "België" if not french else "", "" if not french else
                                   "Belgique", postcode, municipality, municipality, street, street,
                                   str(1 + i % 250), "" if i % 7 else str(1 + i % 4), "", ""))
            counts["address"] += 1
            if i % 4 == 0:
                writer.row("contact", (dotted_number, "ENT", "EMAIL", f"info{i}@example.be"))
                counts["contact"] += 1
            if i % 2 == 0:
                nace = "68321" if form == "070" or i % 8 == 0 else "43910"
                writer.row("activity", (dotted_number, "001", "2008", nace, "MAIN"))
                counts["activity"] += 1
            if i % 10 == 0:
                unit = establishment_number(establishments)
                establishments += 1
                writer.row("establishment", (dotted(unit), kbo_date(start), dotted_number))
                writer.row("address", (dotted(unit), "BAET", "", "", postcode, municipality, municipality, street,
                                       street, str(2 + i % 250), "", "", ""))
                counts["establishment"] += 1
                counts["address"] += 1
        counts["enterprise"] = enterprises
    return {name: count for name, count in counts.items() if count}
