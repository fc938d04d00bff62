"""The membership mails, in the three interface languages (written by commands that may run
outside a Flask request, so next to the code rather than in the web app's catalogues)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.access.models import User
from engine.notify import queue_notification

MAILS: dict[str, dict[str, tuple[str, str]]] = {
    "member_requested": {
        "fr": ("{person} demande à rejoindre {organisation}",
               "Bonjour {name},\n\n{person} ({email}) demande à rejoindre {organisation} sur le portail. "
               "Confirmez ou refusez cette demande dans « Gestion utilisateurs ».\n\nLe guichet"),
        "nl": ("{person} vraagt om lid te worden van {organisation}",
               "Beste {name},\n\n{person} ({email}) vraagt om lid te worden van {organisation} op het portaal. "
               "Bevestig of weiger dit verzoek in « Gebruikersbeheer ».\n\nHet loket"),
        "en": ("{person} asks to join {organisation}",
               "Hello {name},\n\n{person} ({email}) asks to join {organisation} on the portal. "
               "Confirm or refuse the request in \"User management\".\n\nThe one-stop shop"),
    },
    "member_confirmed": {
        "fr": ("Vous faites partie de {organisation}",
               "Bonjour {name},\n\nUn gestionnaire a confirmé votre adhésion à {organisation}. "
               "Vous pouvez maintenant choisir cette organisation sur le portail.\n\nLe guichet"),
        "nl": ("U bent lid van {organisation}",
               "Beste {name},\n\nEen beheerder heeft uw lidmaatschap van {organisation} bevestigd. "
               "U kunt deze organisatie nu kiezen op het portaal.\n\nHet loket"),
        "en": ("You are a member of {organisation}",
               "Hello {name},\n\nA manager confirmed your membership of {organisation}. "
               "You can now choose this organisation on the portal.\n\nThe one-stop shop"),
    },
    "member_refused": {
        "fr": ("Votre demande pour {organisation} est refusée",
               "Bonjour {name},\n\nUn gestionnaire de {organisation} a refusé votre demande d'adhésion. "
               "Contactez l'organisation si c'est une erreur.\n\nLe guichet"),
        "nl": ("Uw verzoek voor {organisation} is geweigerd",
               "Beste {name},\n\nEen beheerder van {organisation} heeft uw lidmaatschapsverzoek geweigerd. "
               "Neem contact op met de organisatie als dit een vergissing is.\n\nHet loket"),
        "en": ("Your request for {organisation} is refused",
               "Hello {name},\n\nA manager of {organisation} refused your membership request. "
               "Contact the organisation if this is a mistake.\n\nThe one-stop shop"),
    },
}


def send(session: Session, purpose: str, recipient: User, *, organisation: str, person: User | None = None) -> None:
    language = recipient.locale if recipient.locale in ("fr", "nl", "en") else "fr"
    subject, body = MAILS[purpose][language]
    values = {"name": recipient.first_name or recipient.name, "organisation": organisation,
              "person": (person.name if person else ""), "email": (person.email if person else "")}
    queue_notification(session, recipient=recipient.email, subject=subject.format(**values),
                       body=body.format(**values), purpose=purpose, user_id=recipient.id)
