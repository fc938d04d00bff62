"""Sample mails of ``guichet demo``: citizens writing to the one-stop shop in Dutch and French
(premiums, renovation advice, a loan, a façade garden), one with a quotation as PDF, one HTML
only, and one answering a demo dossier with its number in the subject. They are dropped into
the maildir once (a marker file remembers it); the normal intake job reads them into the
central queue, as it would read real mail."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from integrations.mail.maildir import GuichetMaildir

MARKER = ".guichet-demo-mails"
DESK = "woon-en-energieloket@mechelen.be"

# A one-page PDF, small enough to read in a text editor.
QUOTE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
             b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font"
             b"<</F1 5 0 R>>>>>>endobj\n4 0 obj<</Length 62>>stream\nBT /F1 18 Tf 72 760 Td (Offerte dakisolatie: "
             b"EUR 9.850) Tj ET\nendstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
             b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _message(number: int, sender: str, subject: str, body: str, *, hours_ago: int, html: str | None = None,
             attachment: tuple[str, bytes] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = DESK
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago))
    msg["Message-ID"] = f"<demo-{number}@burgers.guichet.local>"
    if html and not body:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
    if attachment:
        msg.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return msg.as_bytes()


def demo_messages(dossier_number: str | None) -> list[bytes]:
    mails = [
        _message(1, "Jan Peeters <jan.peeters@telenet.example>", "Vraag over de renovatiepremie",
                 "Goedendag,\n\nWij willen ons dak en de zoldervloer laten isoleren. Komen wij in aanmerking "
                 "voor de renovatiepremie, en welke documenten hebben jullie daarvoor nodig?\n\n"
                 "Met vriendelijke groeten,\nJan Peeters\nBegijnenstraat 12, 2800 Mechelen", hours_ago=30),
        _message(2, "Sophie Lambert <sophie.lambert@skynet.example>",
                 "Demande d'information : prime pour une pompe à chaleur",
                 "Bonjour,\n\nNous envisageons de remplacer notre chaudière au mazout par une pompe à chaleur "
                 "air-eau. Existe-t-il une prime de la Ville en plus de Mijn VerbouwPremie ?\n\n"
                 "Bien à vous,\nSophie Lambert", hours_ago=26),
        _message(3, "An Claes <an.claes@gmail.example>", "Renovatieadvies voor onze rijwoning uit 1930",
                 "Dag,\n\nWe hebben net een rijwoning uit 1930 gekocht en willen stap voor stap renoveren. "
                 "Kan een renovatiecoach eens langskomen om een renovatieplan op te stellen?\n\nAn Claes",
                 hours_ago=20),
        _message(4, "Koen Wouters <koen.wouters@proximus.example>", "Offerte dakisolatie in bijlage",
                 "Beste,\n\nIn bijlage de offerte van de dakwerker voor de isolatie van ons hellend dak. "
                 "Kunnen jullie nakijken of die voldoet voor de premie?\n\nKoen Wouters",
                 hours_ago=12, attachment=("offerte-dakisolatie.pdf", QUOTE_PDF)),
        _message(5, "Pierre Dubois <pierre.dubois@outlook.example>", "Question sur l'isolation des murs",
                 "", html="<html><body><p>Bonjour,</p><p>Notre maison a des murs creux non isolés. "
                 "Est-il possible de les <b>remplir par insufflation</b> et y a-t-il une aide ?</p>"
                 "<p>Merci d'avance,<br>Pierre Dubois</p></body></html>", hours_ago=8),
        _message(7, "Fatima El Amrani <fatima.elamrani@telenet.example>", "Lening voor energiezuinige renovatie",
                 "Goedemiddag,\n\nIk heb gelezen dat de stad een renteloze lening geeft voor energiebesparende "
                 "werken. Wat zijn de voorwaarden en hoe vraag ik die aan?\n\nFatima El Amrani", hours_ago=4),
        _message(8, "Wim Verbeeck <wim.verbeeck@gmail.example>", "Geveltuin aanvragen",
                 "Hallo,\n\nIk zou graag een geveltuin aanleggen voor mijn woning in de Hoogstraat. "
                 "Hoe ga ik te werk?\n\nGroeten,\nWim", hours_ago=2),
    ]
    if dossier_number:
        mails.append(_message(
            6, "Els Janssens <els.janssens@telenet.example>", f"Re: Uw dossier {dossier_number}",
            f"Goedendag,\n\nBedankt voor de info over dossier {dossier_number}. Hierbij nog de foto's van de "
            "zolder zoals gevraagd; ik stuur ze ook via de post.\n\nEls Janssens", hours_ago=1))
    return mails


def drop_demo_mails(maildir: Path, dossier_number: str | None) -> int:
    """Drop the sample mails into ``maildir`` once; returns how many were dropped (0 the next time)."""
    box = GuichetMaildir(maildir)
    marker = Path(maildir) / MARKER
    if marker.exists():
        return 0
    messages = demo_messages(dossier_number)
    for raw in messages:
        box.drop(raw)
    marker.write_text("The demo mails were dropped here once; delete this file to drop them again.\n")
    return len(messages)
