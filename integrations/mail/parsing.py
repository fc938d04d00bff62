"""Reading an RFC 5322 message (stdlib ``email``, ``policy.default``) into an
:class:`engine.mail.intake.IncomingMail`, keeping the raw message and the attachments as blobs of
the file store.

A malformed message is never lost: each part (headers, body, attachments) is read on its own,
what cannot be read is left empty and named in ``parse_problem`` (shown on the mail's page, and
logged), and the original .eml is kept whatever happens, so nothing of it is gone. A message
without a Message-ID gets a stable one derived from the SHA-256 of its bytes, so that reading it
twice still finds it stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import mimetypes
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email import headerregistry, policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from typing import TypeVar

from engine.mail.intake import IncomingAttachment, IncomingMail
from integrations.documents.store import DiskStore, StagedBlob
from integrations.documents.upload import clean_name
from integrations.mail.html_text import html_to_text

log = logging.getLogger(__name__)
T = TypeVar("T")

class _HeaderClasses(headerregistry.HeaderRegistry):
    """policy.default's header registry, keeping the class it makes for each header name: the
    stock one builds a new class on every header read, a third of the time of reading a mail."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


POLICY = policy.default.clone(header_factory=_HeaderClasses())
_PARSER = BytesParser(policy=POLICY)
_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
MAX_ID = 500


def put_blob(store: DiskStore, content: bytes) -> str:
    """The SHA-256 of ``content``, written to the store unless it is there already (same
    temporary-file-then-rename protocol as :meth:`DiskStore.stage`, without reading it twice)."""
    sha256 = hashlib.sha256(content).hexdigest()
    if not store.exists(sha256):
        temporary = store.root / "tmp" / uuid.uuid4().hex
        try:
            temporary.write_bytes(content)
        except FileNotFoundError:
            temporary.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(content)
        store.commit(StagedBlob(path=temporary, sha256=sha256, size=len(content)))
    return sha256


def clean_id(value: object) -> str | None:
    """A Message-ID without its angle brackets (the first one when a header holds several)."""
    text = str(value or "").strip()
    if not text:
        return None
    match = _ANGLE_ID.search(text)
    found = (match.group(1) if match else text.split()[0]).strip("<>")
    return found[:MAX_ID] or None


def id_list(value: object) -> list[str]:
    """The Message-IDs of a References header, oldest first."""
    text = str(value or "")
    found = _ANGLE_ID.findall(text) or text.split()
    return [f.strip("<>")[:MAX_ID] for f in found if f.strip("<>")]


def missing_id(raw_sha256: str) -> str:
    return f"{raw_sha256}@no-message-id.guichet"


class _Reader:
    """Runs each extraction on its own; a failure leaves the default and is noted."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def read(self, what: str, default: T, action: Callable[[], T]) -> T:
        try:
            return action()
        except Exception as exc:
            self.problems.append(f"{what}: {type(exc).__name__}: {exc}"[:300])
            return default


def _date(message: Message) -> dt.datetime | None:
    header = message.get("Date")
    if header is None:
        return None
    value = getattr(header, "datetime", None)
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _sender(message: Message) -> tuple[str, str]:
    header = message.get("From")
    if header is None:
        return "", ""
    addresses = getattr(header, "addresses", None)
    if addresses:
        return addresses[0].addr_spec, addresses[0].display_name
    name, address = parseaddr(str(header))
    return address, name


def _recipients(message: Message) -> list[str]:
    found: list[str] = []
    for name in ("To", "Cc"):
        for header in message.get_all(name, []):
            addresses = getattr(header, "addresses", None)
            pairs = [(a.display_name, a.addr_spec) for a in addresses] if addresses is not None \
                else getaddresses([str(header)])
            found += [addr for _, addr in pairs if addr and addr not in found]
    return found


def _part_text(part: Message) -> str:
    """The decoded text of a part; an unknown or wrong charset is read as UTF-8 with
    replacement characters rather than losing the text."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(payload or "")
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


@dataclass
class _Parts:
    plain: Message | None = None
    html: Message | None = None
    attachments: list[Message] = field(default_factory=list)


def _split(message: EmailMessage) -> _Parts:
    """The text body, the HTML body and the attachments, in one walk that reads each part's
    Content-Type and Content-Disposition once (policy.default parses a header on every access)."""
    parts = _Parts()
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            parts.attachments.append(part)
            continue
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        if disposition != "attachment" and content_type in ("text/plain", "text/html"):
            if content_type == "text/plain" and parts.plain is None:
                parts.plain = part
                continue
            if content_type == "text/html" and parts.html is None:
                parts.html = part
                continue
        if part is not message or disposition == "attachment":
            parts.attachments.append(part)
    return parts


def _inside_rfc822(message: EmailMessage, parts: _Parts) -> None:
    """Parts of an attached message belong to that attachment, not to this mail."""
    nested: set[int] = set()
    for part in parts.attachments:
        if part.get_content_type() == "message/rfc822":
            for inner in part.walk():
                if inner is not part:
                    nested.add(id(inner))
    if nested:
        parts.attachments = [p for p in parts.attachments if id(p) not in nested]
        if parts.plain is not None and id(parts.plain) in nested:
            parts.plain = None
        if parts.html is not None and id(parts.html) in nested:
            parts.html = None


def _bodies(parts: _Parts) -> tuple[str, str | None]:
    html_text = _part_text(parts.html) if parts.html is not None else None
    if parts.plain is not None:
        return _part_text(parts.plain), html_text
    if html_text is not None:
        return html_to_text(html_text), html_text
    return "", None


def _fallback_body(raw: bytes) -> str:
    """The text after the header block, when the body could not be read as MIME."""
    _, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    return body.decode("utf-8", "replace")[:200_000]


def _attachments(parts: _Parts, store: DiskStore, reader: _Reader) -> list[IncomingAttachment]:
    found: list[IncomingAttachment] = []
    for index, part in enumerate(parts.attachments, start=1):
        def one(part: Message = part, index: int = index) -> IncomingAttachment:
            content_type = part.get_content_type()
            if content_type == "message/rfc822":
                inner = part.get_payload(0)
                content = inner.as_bytes() if isinstance(inner, Message) else b""
                default_ext = ".eml"
            else:
                payload = part.get_payload(decode=True)
                content = payload if isinstance(payload, bytes) else b""
                default_ext = mimetypes.guess_extension(content_type) or ".bin"
            name = clean_name(part.get_filename() or "") or f"attachment-{index}{default_ext}"
            return IncomingAttachment(name=name, content_type=content_type, size=len(content),
                                      sha256=put_blob(store, content))

        attachment = reader.read(f"attachment {index}", None, one)
        if attachment is not None:
            found.append(attachment)
    return found


def _raw_headers(message: Message) -> dict[str, str]:
    """Unparsed values of the identifier headers (first occurrence), cheap to read."""
    wanted = {"message-id", "in-reply-to", "references"}
    found: dict[str, str] = {}
    for name, value in message.raw_items():  # type: ignore[attr-defined]
        key = name.lower()
        if key in wanted and key not in found:
            found[key] = str(value)
    return found


def _without_nul(mail: IncomingMail) -> bool:
    """PostgreSQL text cannot hold NUL characters; a message carrying some (broken or hostile)
    must not block the intake, so they are dropped from what is stored (the raw .eml keeps them)."""
    found = False
    for name in ("message_id", "subject", "sender", "sender_name", "body_text", "body_html", "in_reply_to"):
        value = getattr(mail, name)
        if isinstance(value, str) and "\x00" in value:
            setattr(mail, name, value.replace("\x00", ""))
            found = True
    mail.recipients = [r.replace("\x00", "") for r in mail.recipients]
    mail.references = [r.replace("\x00", "") for r in mail.references]
    return found


def parse_message(raw: bytes, store: DiskStore, *, source: str) -> IncomingMail:
    """Everything Guichet keeps of one received message; never raises for a bad message."""
    raw_sha256 = put_blob(store, raw)
    reader = _Reader()
    message = reader.read("message", None, lambda: _PARSER.parsebytes(raw))
    if message is None:
        mail = IncomingMail(message_id=missing_id(raw_sha256), raw_sha256=raw_sha256, source=source,
                            body_text=_fallback_body(raw), parse_problem="; ".join(reader.problems))
        log.warning("mail %s could not be parsed; stored with its raw text: %s", mail.message_id, mail.parse_problem)
        _without_nul(mail)
        return mail
    assert isinstance(message, EmailMessage)
    ids = reader.read("identifiers", {}, lambda: _raw_headers(message))
    message_id = clean_id(ids.get("message-id")) or missing_id(raw_sha256)
    sender, sender_name = reader.read("From", ("", ""), lambda: _sender(message))
    parts = reader.read("structure", None, lambda: _split(message))
    if parts is not None:
        reader.read("structure", None, lambda: _inside_rfc822(message, parts))
    body_text, body_html = reader.read("body", (None, None), lambda: _bodies(parts)) if parts else (None, None)
    if body_text is None:
        body_text = _fallback_body(raw)
    mail = IncomingMail(
        message_id=message_id,
        raw_sha256=raw_sha256,
        source=source,
        subject=reader.read("Subject", "", lambda: " ".join(str(message.get("Subject", "")).split())),
        sender=sender,
        sender_name=sender_name,
        recipients=reader.read("To/Cc", [], lambda: _recipients(message)),
        sent_at=reader.read("Date", None, lambda: _date(message)),
        body_text=body_text,
        body_html=body_html,
        in_reply_to=clean_id(ids.get("in-reply-to")),
        references=id_list(ids.get("references")),
        attachments=_attachments(parts, store, reader) if parts else [],
    )
    if _without_nul(mail):
        reader.problems.append("NUL characters removed")
    serious = [type(d).__name__ for d in message.defects
               if type(d).__name__ not in {"MissingHeaderBodySeparatorDefect"}] if message.defects else []
    if "message-id" not in ids:
        reader.problems.append("no Message-ID header")
    if serious:
        reader.problems.append("defects: " + ", ".join(sorted(set(serious))))
    if reader.problems:
        mail.parse_problem = "; ".join(reader.problems)[:2000]
        log.warning("mail %s read with problems: %s", mail.message_id, mail.parse_problem)
    return mail
