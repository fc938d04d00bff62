"""Realistic Flemish/Belgian content for the demo: names, phones, e-mails, organisations and the
questions people bring to the Mechelen energy house (seed 001). Pure data and small helpers over a
``random.Random`` the caller seeds, so the demo is the same on every machine."""

from __future__ import annotations

import random
import unicodedata

FIRST_NAMES_NL = (
    "Jan", "Luc", "Marc", "Dirk", "Bart", "Tom", "Wim", "Koen", "Pieter", "Geert", "Jef", "Stijn", "Jeroen",
    "Kris", "Wouter", "Sander", "Thomas", "Arne", "Lars", "Ruben", "Jonas", "Maarten", "Filip", "Hans",
    "An", "Els", "Inge", "Katrien", "Sofie", "Lies", "Griet", "Hilde", "Veerle", "Nathalie", "Sarah", "Lotte",
    "Eline", "Hanne", "Marieke", "Annelies", "Leen", "Ilse", "Nele", "Evi", "Femke", "Jolien", "Ria", "Mia",
)
FIRST_NAMES_FR = (
    "Jean", "Philippe", "Olivier", "Michel", "Nicolas", "Julien", "Pierre", "Laurent", "François", "Benoît",
    "Marie", "Isabelle", "Sophie", "Catherine", "Nathalie", "Céline", "Aurélie", "Valérie", "Chloé", "Camille",
)
FIRST_NAMES_OTHER = ("Mohamed", "Yassine", "Karim", "Fatima", "Samira", "Nadia", "Ahmed", "Aylin", "Emre",
                     "Elif", "Piotr", "Anna", "Ana", "João", "Tamar")
LAST_NAMES_NL = (
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters", "De Smedt",
    "Vermeulen", "Van den Broeck", "Hermans", "Aerts", "Michiels", "Smets", "Verhoeven", "Van Dyck",
    "De Coninck", "Van Leemput", "Verstraeten", "Bosmans", "Stevens", "Pauwels", "Van Hoof", "Cools",
    "Verschueren", "De Backer", "Van Roy", "Vercammen", "Laenen", "Van Rompaey", "Wuyts", "Segers", "Thys",
    "Geerts", "Lemmens", "Van Camp", "Verbruggen", "Huybrechts", "Nuyts", "De Bruyn", "Schepers", "Coppens",
)
LAST_NAMES_FR = ("Dubois", "Lambert", "Dupont", "Martin", "Simon", "Laurent", "Leclercq", "Lejeune",
                 "Renard", "Dumont", "Francois", "Collard")
LAST_NAMES_OTHER = ("El Amrani", "Benali", "Yilmaz", "Kaya", "Aydin", "Kowalski", "Nowak", "Haddouchi",
                    "Bouzid", "Da Silva", "Ferreira")

MAIL_DOMAINS = ("telenet.be", "gmail.com", "skynet.be", "proximus.be", "hotmail.com", "outlook.be", "scarlet.be")


def _ascii(value: str) -> str:
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def person(rng: random.Random) -> dict[str, str]:
    """A contact: first/last name, language, e-mail and phone (Belgian formats, Mechelen zone 015)."""
    roll = rng.random()
    if roll < 0.72:
        first, last, language = rng.choice(FIRST_NAMES_NL), rng.choice(LAST_NAMES_NL), "nl"
    elif roll < 0.86:
        first, last, language = rng.choice(FIRST_NAMES_FR), rng.choice(LAST_NAMES_FR), "fr"
    else:
        first, last = rng.choice(FIRST_NAMES_OTHER), rng.choice(LAST_NAMES_OTHER)
        language = rng.choice(("nl", "nl", "fr", "en"))
    style = rng.random()
    local = (f"{_ascii(first)}.{_ascii(last)}" if style < 0.6 else
             f"{_ascii(first)[0]}{_ascii(last)}" if style < 0.85 else
             f"{_ascii(first)}{rng.randint(1, 99)}")
    if rng.random() < 0.5:
        phone = f"+32 4{rng.randint(70, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    else:
        phone = f"015 {rng.randint(20, 59)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    return {"first_name": first, "last_name": last, "language": language,
            "email": f"{local}@{rng.choice(MAIL_DOMAINS)}" if rng.random() < 0.9 else "",
            "phone": phone if rng.random() < 0.85 else ""}


# Organisations that are not in the BCE sample (no enterprise number: typed in by hand).
SYNDICS = (
    ("Immo Dijleland Beheer", "Bruul", "112"), ("Syndicus Kempenland", "Liersesteenweg", "45"),
    ("Beheerkantoor Sint-Rombout", "IJzerenleen", "18"), ("Vastgoedbeheer Nekker", "Nekkerspoelstraat", "301"),
    ("Rinkeldijk Syndic", "Adegemstraat", "7"),
)
CONTRACTORS = (
    ("Dakwerken Van den Bossche", "Tervuursesteenweg", "201"),
    ("Schrijnwerkerij De Coninck", "Brusselsesteenweg", "88"),
    ("Elektro Wouters", "Hombeeksesteenweg", "15"), ("Isolatiebedrijf Rijmenam", "Rijmenamseweg", "142"),
    ("Zonnepanelen Mechelen", "Oscar Van Kesbeeckstraat", "9"), ("Gevelrenovatie Laenen", "Auwegemvaart", "63"),
    ("Warmtetechniek Hermans", "Battelsesteenweg", "250"), ("Ventilatie Verbruggen", "Kruisbaan", "4"),
    ("Aannemer Bosmans & Zoon", "Leuvensesteenweg", "310"), ("Groendaken Dijlevallei", "Zemstbaan", "27"),
)
VME_PREFIXES = ("Residentie", "Residentie", "Hof van", "Blok")


def vme_name(street: str, rng: random.Random) -> str:
    prefix = rng.choice(VME_PREFIXES)
    return f"VME {prefix} {street}" if prefix != "Hof van" else f"VME Hof van {street}"


# Titles and descriptions of requests, by dossier type and subtype code ("" = no subtype).
TITLES: dict[str, dict[str, tuple[str, ...]]] = {
    "information": {
        "": ("Vraag over dakisolatie", "Welke premies voor een nieuwe CV-ketel?", "Info over de EPC-plicht",
             "Vraag over renovatieverplichting bij aankoop"),
        "financial_advice": ("Financiering van de renovatie na aankoop", "Vraag over de Mijn VerbouwLening",
                             "Budget voor energetische renovatie"),
        "information_request": ("Vraag over isolatie van de zoldervloer", "Info over warmtepompen",
                                "Premies voor hoogrendementsglas",
                                "Vraag over zonnepanelen en de terugdraaiende teller"),
        "renovation_master_plan": ("Interesse in een renovatiemasterplan voor de VME",
                                   "Syndicus vraagt info over het RMP", "RMP voor appartementsgebouw"),
        "premium_application": ("Hulp bij de Mijn VerbouwPremie", "Hulp bij premieaanvraag dakisolatie",
                                "Premieaanvraag warmtepomp invullen"),
        "technical_question": ("Vochtprobleem in de kelder", "Condensatie aan de ramen",
                               "Welke isolatiedikte voor de spouwmuur?", "Ventilatiesysteem C of D?"),
    },
    "requests_loans": {
        "": ("Aanvraag bij het energiehuis",),
        "street_garden": ("Adoptie geveltuin", "Straattuin aanleggen voor de deur"),
        "neighbourhood_composting": ("Buurtcompostbak in de straat", "Deelname buurtcompostering"),
        "energy_meter": ("Energiemeter uitlenen", "Lenen van een stroommeter"),
        "green_garland": ("Groene slinger voor de gevel",),
        "depaving_team": ("Voortuin ontharden met het onthardingsteam", "Oprit ontharden"),
        "rubble_bags": ("Puinzakken voor de verbouwing", "Drie puinzakken aangevraagd"),
        "tile_garden_collective": ("Collectieve tegeltuin in de straat",),
        "tile_garden_individual": ("Tegeltuin voor de gevel",),
        "thermal_scan": ("Thermografische scan van de woning", "Warmtefoto van het dak"),
    },
    "advice": {
        "": ("Energieadvies aan huis",),
        "adaptation_advice": ("Woning aanpassen voor ouder worden", "Aanpasbaarheid van de benedenverdieping"),
        "sustainable_planning_advice": ("Duurzaam bouwplan nieuwbouw", "Advies bij de plannen van de architect"),
        "energy_scan_external": ("Energiescan door externe partner", "Energiescan rijwoning"),
        "renovation_advice": ("Renovatieadvies rijwoning 1930", "Renovatieadvies halfopen bebouwing",
                              "Renovatieadvies na aankoop", "Renovatieadvies appartement"),
        "renovation_master_plan": ("Renovatiemasterplan VME", "RMP voor de mede-eigendom"),
    },
    "project_design": {
        "": ("Projectbegeleiding renovatie",),
        "renovation_coaching": ("Mijn verbouwbegeleiding: dak en ramen", "Begeleiding offertes gevelisolatie",
                                "Verbouwbegeleiding warmtepomp"),
        "collective_renovation": ("Collectieve renovatie van de gevel", "Collectieve dakrenovatie VME"),
    },
    "execution": {
        "": ("Opvolging werken",),
        "renovation_coaching": ("Opvolging werken dakisolatie", "Werfopvolging ramen en ventilatie"),
        "collective_renovation": ("Uitvoering collectieve gevelrenovatie", "Werfopvolging VME dak"),
    },
    "loan": {
        "": ("Leningaanvraag",),
        "loan_0": ("Renteloze lening voor dakisolatie", "Lening aan 0 % voor ramen"),
        "loan_1": ("Lening aan 1 % voor warmtepomp",),
        "energy_loan_plus": ("Energielening+ voor totaalrenovatie",),
        "loan_preparation": ("Voorbereiding leningdossier",),
        "mechelen_facelift": ("Mechelen maakt zich mooi: gevelrenovatie",),
        "my_renovation_loan": ("Mijn VerbouwLening", "Mijn VerbouwLening voor dak en muren"),
        "emergency_purchase_fund": ("Noodkoopfonds aanvraag",),
        "prefinancing": ("Prefinanciering premies",),
        "renovation_credit_interest_subsidy": ("Renovatiekrediet met rentesubsidie",),
    },
    "premiums": {
        "": ("Premieaanvraag",),
        "green_roof": ("Groendakpremie plat dak", "Groendak op de garage"),
        "rainwater_infiltration": ("Premie infiltratievoorziening", "Infiltratiekrat in de tuin"),
        "rainwater_harvesting": ("Premie regenwaterput", "Hergebruik regenwater voor toilet"),
        "public_domain_use": ("Inname openbaar domein voor steiger", "Container op straat voor de werf"),
        "climate_action": ("Klimaatactie: buurtproject", "Klimaatlening voor isolatie"),
    },
}

DESCRIPTIONS = (
    "Eigenaar-bewoner, rijwoning uit {year}; vraag via {source}.",
    "Verhuurder van een appartement; huurder klaagt over koude.",
    "Net gekocht, renovatieplicht binnen vijf jaar.",
    "Halfopen bebouwing uit {year}, enkel glas op de eerste verdieping.",
    "Appartementsgebouw met {units} woningen; de syndicus neemt contact op.",
    "Huurder met vraag over de verdeling van de kosten met de eigenaar.",
    "Oudere bewoner, wil comfortabeler en goedkoper wonen.",
    "Jong gezin, verbouwt in fases.",
)

ADVICE_TEXTS = (
    "Eerst het dak isoleren (min. 24 cm), daarna de ramen vervangen door hoogrendementsglas.",
    "Spouwmuurisolatie is snel terugverdiend; daarna ventilatie systeem C voorzien.",
    "Warmtepomp pas na isolatie van dak en vloer; de radiatoren zijn te klein voor lage temperatuur.",
    "Zonnepanelen op het zuidgerichte dak; eerst het dak vernieuwen en isoleren.",
    "Vochtprobleem eerst oplossen (opstijgend vocht), dan pas binnenisolatie.",
)
