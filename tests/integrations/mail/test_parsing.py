"""Reading messages: encodings, bodies, attachments, identifiers, and malformed input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from integrations.documents.store import DiskStore
from integrations.mail.parsing import parse_message
from tests.integrations.mail.messages import PDF, message


@pytest.fixture
def store(tmp_path: Path) -> DiskStore:
    return DiskStore(tmp_path / "files")


def test_headers_body_and_raw_blob(store: DiskStore) -> None:
    raw = message(cc="Els <els@citizen.example>, woon-en-energieloket@mechelen.be")
    mail = parse_message(raw, store, source="maildir")
    assert mail.message_id == "q1@citizen.example"
    assert (mail.sender, mail.sender_name) == ("jan.peeters@citizen.example", "Jan Peeters")
    assert mail.recipients == ["woon-en-energieloket@mechelen.be", "els@citizen.example"]
    assert mail.subject == "Question about a premium"
    assert mail.sent_at is not None and mail.sent_at.isoformat() == "2026-03-02T09:30:00+00:00"
    assert mail.body_text.startswith("Hello,\n\nCan I get a premium")
    assert mail.body_html is None and mail.parse_problem is None
    assert mail.raw_sha256 == hashlib.sha256(raw).hexdigest()
    with store.open(mail.raw_sha256) as blob:
        assert blob.read() == raw


def test_encoded_words_and_charsets(store: DiskStore) -> None:
    raw = (b"From: =?iso-8859-1?q?Ren=E9_Dupr=E9?= <rene@citizen.example>\r\n"
           b"To: loket@mechelen.be\r\n"
           b"Subject: =?utf-8?b?UHJpbWUgcG91ciBsYSBwb21wZSDDoCBjaGFsZXVy?= =?utf-8?q?_=E2=82=AC?=\r\n"
           b"Message-ID: <enc@citizen.example>\r\n"
           b"MIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=iso-8859-1\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
           b"Bonjour, je voudrais une prime pour ma fa=E7ade.\r\n")
    mail = parse_message(raw, store, source="imap")
    assert mail.sender_name == "René Dupré"
    assert mail.subject == "Prime pour la pompe à chaleur €"
    assert "ma façade" in mail.body_text
    assert mail.parse_problem is None


def test_html_only_body_gives_text_without_scripts(store: DiskStore) -> None:
    raw = (b"From: a@citizen.example\r\nSubject: html\r\nMessage-ID: <h@x>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n"
           b"<html><head><style>p{}</style><script>alert(1)</script></head>"
           b"<body><p>Goedendag,</p><p>mijn <b>dak</b> lekt.</p></body></html>")
    mail = parse_message(raw, store, source="maildir")
    assert mail.body_text == "Goedendag,\n\nmijn dak lekt."
    assert mail.body_html is not None and "<script>" in mail.body_html


def test_alternative_keeps_plain_text_and_html(store: DiskStore) -> None:
    mail = parse_message(message(body="Plain text", html="<p>HTML <i>text</i></p>"), store, source="maildir")
    assert mail.body_text.strip() == "Plain text"
    assert mail.body_html is not None and "<i>text</i>" in mail.body_html
    assert mail.attachments == []


def test_attachments_are_blobs(store: DiskStore) -> None:
    inner = message("Forwarded", message_id="inner@x")
    raw = message(attachments=[("offerte dak.pdf", PDF, "application/pdf"), ("foto.jpg", b"\xff\xd8\xff" * 10,
                                                                             "image/jpeg")])
    mail = parse_message(raw, store, source="maildir")
    assert [(a.name, a.content_type, a.size) for a in mail.attachments] == [
        ("offerte dak.pdf", "application/pdf", len(PDF)), ("foto.jpg", "image/jpeg", 30)]
    with store.open(mail.attachments[0].sha256) as blob:
        assert blob.read() == PDF
    # a forwarded message is one .eml attachment, not a second body
    from email import message_from_bytes, policy

    outer = message_from_bytes(message("Fwd", message_id="outer@x"), policy=policy.default)
    outer.make_mixed()
    outer.add_attachment(message_from_bytes(inner, policy=policy.default))
    forwarded = parse_message(outer.as_bytes(), store, source="maildir")
    assert [a.content_type for a in forwarded.attachments] == ["message/rfc822"]
    assert forwarded.attachments[0].name.endswith(".eml")
    assert forwarded.body_text.startswith("Hello,")


def test_identifiers(store: DiskStore) -> None:
    raw = message(message_id="r2@citizen.example", in_reply_to="out1@guichet.local",
                  references=["q1@citizen.example", "out1@guichet.local"])
    mail = parse_message(raw, store, source="maildir")
    assert mail.in_reply_to == "out1@guichet.local"
    assert mail.references == ["q1@citizen.example", "out1@guichet.local"]


def test_missing_message_id_is_a_stable_hash(store: DiskStore) -> None:
    raw = message(message_id=None)
    first = parse_message(raw, store, source="maildir")
    second = parse_message(raw, store, source="maildir")
    assert first.message_id == second.message_id == f"{hashlib.sha256(raw).hexdigest()}@no-message-id.guichet"
    assert first.parse_problem == "no Message-ID header"
    assert first.subject == "Question about a premium"


def test_malformed_message_is_kept_with_what_could_be_read(store: DiskStore) -> None:
    raw = (b"From: broken\r\nSubject: =?unknown-charset?q?Caf=E9?=\r\nMessage-ID: <bad@x>\r\n"
           b"Date: not a date\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"zzz\"\r\n\r\n"
           b"--zzz\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\nTexte \xe9trange\r\n"
           b"--zzz\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n")  # no closing boundary
    mail = parse_message(raw, store, source="maildir")
    assert mail.message_id == "bad@x"
    assert "Texte" in mail.body_text
    assert mail.sent_at is None
    assert mail.parse_problem and "defects" in mail.parse_problem
    assert [a.name for a in mail.attachments] == ["a.pdf"]
    with store.open(mail.raw_sha256) as blob:
        assert blob.read() == raw


def test_garbage_is_kept_as_text(store: DiskStore) -> None:
    raw = b"\xff\xfe not an e-mail at all \x00\x01"
    mail = parse_message(raw, store, source="maildir")
    assert mail.message_id.endswith("@no-message-id.guichet")
    assert mail.parse_problem
    assert store.exists(mail.raw_sha256)
