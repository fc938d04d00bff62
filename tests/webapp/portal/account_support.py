"""Helpers of the account web tests: read the mails from the outbox folder."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

from engine.config import Settings


def outbox(settings: Settings) -> list[EmailMessage]:
    folder = settings.mail_outbox
    assert folder is not None
    if not folder.exists():
        return []
    files = sorted(folder.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]  # type: ignore[misc]


def mails_to(settings: Settings, address: str) -> list[EmailMessage]:
    return [m for m in outbox(settings) if m["To"] == address]


def last_code(settings: Settings, address: str) -> str:
    match = re.search(r"\b(\d{6})\b", mails_to(settings, address)[-1].get_content())
    assert match, "no six-digit code in the last mail"
    return match.group(1)


def last_link(settings: Settings, address: str) -> str:
    match = re.search(r"http://localhost(/portal/password/reset/\S+)", mails_to(settings, address)[-1].get_content())
    assert match, "no reset link in the last mail"
    return match.group(1)
