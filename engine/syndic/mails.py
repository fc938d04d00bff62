"""The requester's e-mails about a syndic request, in the three interface languages.

Written by operators in the Celery worker, where no Flask request (and so no Babel locale)
exists; like engine/portal/access_requests.py the short texts live next to the code that sends
them."""

from __future__ import annotations

MAILS: dict[str, dict[str, tuple[str, str]]] = {
    "sent_back": {
        "fr": ("Votre demande {reference} doit être complétée",
               "Bonjour {name},\n\nLe guichet a vérifié votre demande {reference} ({association}) et vous demande "
               "de la compléter :\n\n{reason}\n\nRépondez depuis le portail (Mandats de syndic).\n\n{operator}"),
        "nl": ("Uw aanvraag {reference} moet worden aangevuld",
               "Beste {name},\n\nHet loket heeft uw aanvraag {reference} ({association}) nagekeken en vraagt u "
               "ze aan te vullen:\n\n{reason}\n\nAntwoord via het portaal (Syndicusmandaten).\n\n{operator}"),
        "en": ("Your request {reference} needs to be completed",
               "Hello {name},\n\nThe one-stop shop checked your request {reference} ({association}) and asks you "
               "to complete it:\n\n{reason}\n\nAnswer on the portal (Syndic mandates).\n\n{operator}"),
    },
    "awaiting_payment": {
        "fr": ("Votre demande {reference} attend le paiement",
               "Bonjour {name},\n\nVotre demande {reference} ({association}) est approuvée, mais le solde de votre "
               "portefeuille ({balance} EUR) ne couvre pas les frais de {amount} EUR. Rechargez au moins "
               "{missing} EUR puis relancez le paiement depuis le portail : rien n'est perdu.\n\n{operator}"),
        "nl": ("Uw aanvraag {reference} wacht op betaling",
               "Beste {name},\n\nUw aanvraag {reference} ({association}) is goedgekeurd, maar het saldo van uw "
               "portefeuille ({balance} EUR) dekt de kosten van {amount} EUR niet. Laad minstens {missing} EUR "
               "op en start de betaling opnieuw via het portaal: er gaat niets verloren.\n\n{operator}"),
        "en": ("Your request {reference} is waiting for payment",
               "Hello {name},\n\nYour request {reference} ({association}) is approved, but your wallet's balance "
               "({balance} EUR) does not cover the fee of {amount} EUR. Top up at least {missing} EUR, then "
               "retry the payment on the portal: nothing is lost.\n\n{operator}"),
    },
    "recorded": {
        "fr": ("Votre demande {reference} est enregistrée à la BCE",
               "Bonjour {name},\n\nLe guichet d'entreprises a confirmé votre demande {reference} ({association}), "
               "référence {counter_reference}. L'historique des mandats de l'association est à jour.\n\n"
               "{operator}"),
        "nl": ("Uw aanvraag {reference} is ingeschreven in de KBO",
               "Beste {name},\n\nHet ondernemingsloket heeft uw aanvraag {reference} ({association}) bevestigd, "
               "referentie {counter_reference}. De mandaatgeschiedenis van de vereniging is bijgewerkt.\n\n"
               "{operator}"),
        "en": ("Your request {reference} is registered at the BCE",
               "Hello {name},\n\nThe enterprise counter confirmed your request {reference} ({association}), "
               "reference {counter_reference}. The association's mandate history is up to date.\n\n{operator}"),
    },
}
OPERATOR_NAME = {"fr": "Le guichet", "nl": "Het loket", "en": "The one-stop shop"}

# what the enterprise counter receives (one language: the counter's own is not known; the
# request's data is in the attached summary)
COUNTER_SUBJECT = "Syndic mandate {kind} {reference} - association {association}"
COUNTER_REMINDER_SUBJECT = "Reminder {count}: syndic mandate {kind} {reference} - association {association}"
