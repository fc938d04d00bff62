"""Building test messages with the stdlib, as a mail client would send them."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def message(subject: str = "Question about a premium", *, message_id: str | None = "q1@citizen.example",
            sender: str = "Jan Peeters <jan.peeters@citizen.example>", to: str = "woon-en-energieloket@mechelen.be",
            body: str = "Hello,\n\nCan I get a premium for roof insulation?\n\nJan", html: str | None = None,
            in_reply_to: str | None = None, references: list[str] | None = None,
            attachments: list[tuple[str, bytes, str]] | None = None, cc: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC))
    if message_id:
        msg["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    for name, content, content_type in attachments or []:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()
