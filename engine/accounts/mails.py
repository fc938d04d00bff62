"""The texts of the account mails. Written in English (they are the msgids); the web app passes
a composer that translates them into the recipient's language (webapp/portal/account.py)."""

from __future__ import annotations

from typing import Protocol


class Composer(Protocol):
    def __call__(self, purpose: str, locale: str | None, **params: str) -> tuple[str, str]:
        """(subject, body) of the mail ``purpose`` in ``locale``."""
        ...


TEXTS: dict[str, tuple[str, str]] = {
    "account_activation": (
        "Your Guichet activation code",
        "Hello %(name)s,\n\nYour activation code is: %(code)s\n\nEnter it on the activation page within 24 hours. "
        "If you did not create an account, ignore this message.",
    ),
    "account_exists": (
        "Someone tried to create a Guichet account with your address",
        "Hello %(name)s,\n\nSomeone tried to create a new Guichet account with this e-mail address, which already "
        "has an account. If it was you, sign in, or use \"Forgot your password?\" on the sign-in page. "
        "Otherwise, ignore this message.",
    ),
    "email_change": (
        "Confirm your new e-mail address",
        "Hello %(name)s,\n\nTo use this address for your Guichet account, enter this code on your profile page "
        "within 24 hours: %(code)s\n\nIf you did not ask for this, ignore this message.",
    ),
    "email_changed": (
        "Your Guichet e-mail address was changed",
        "Hello %(name)s,\n\nThe e-mail address of your Guichet account was changed to %(new_email)s. "
        "If you did not do this, contact us at once.",
    ),
    "password_reset": (
        "Reset your Guichet password",
        "Hello %(name)s,\n\nTo choose a new password, open this link within one hour (it works once):\n%(link)s\n\n"
        "If you did not ask for this, ignore this message: your password stays as it is.",
    ),
}


def english(purpose: str, locale: str | None, **params: str) -> tuple[str, str]:
    """The untranslated composer (engine tests, scripts)."""
    subject, body = TEXTS[purpose]
    return subject % params, body % params
