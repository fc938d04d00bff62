"""Real mail servers on loopback for the mail tests: Debian's dovecot (IMAP, throwaway config,
passwd-file auth, maildir storage in a temporary folder, no SSL) and aiosmtpd (SMTP)."""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOVECOT = Path("/usr/sbin/dovecot")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dovecot stopped at start: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"dovecot did not listen on {port}: {log.read_text() if log.exists() else ''}")


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"

    def append(self, raw: bytes) -> None:
        client = imaplib.IMAP4(self.host, self.port)
        try:
            client.login(self.user, self.password)
            status, detail = client.append(self.folder, None, None, raw)
            assert status == "OK", detail
        finally:
            client.logout()

    def unseen(self) -> list[str]:
        client = imaplib.IMAP4(self.host, self.port)
        try:
            client.login(self.user, self.password)
            client.select(self.folder)
            _, data = client.uid("SEARCH", None, "UNSEEN")
            return [u.decode() for u in (data[0] or b"").split()]
        finally:
            client.logout()


def _accounts() -> tuple[str, str, str, int, int]:
    """(login user, internal user, internal group, mail uid, mail gid). Dovecot refuses to run its
    login processes or to store mail as root; as root, the Debian package's own users serve."""
    if os.getuid() != 0:
        me = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        return me, me, group, os.getuid(), os.getgid()
    internal = pwd.getpwnam("dovecot")
    return "dovenull", "dovecot", grp.getgrgid(internal.pw_gid).gr_name, internal.pw_uid, internal.pw_gid


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    if not DOVECOT.exists():
        pytest.fail("/usr/sbin/dovecot is missing: `apt-get install -y dovecot-imapd` (make test installs it).")
    login_user, internal_user, internal_group, uid, gid = _accounts()
    root = Path(tempfile.mkdtemp(prefix="guichet-imap-"))  # readable by the mail user, unlike tmp_path as root
    os.chmod(root, 0o755)
    home = root / "home"
    home.mkdir()
    if os.getuid() == 0:
        os.chown(home, uid, gid)
    port = free_port()
    (root / "passwd").write_text("citizen:{PLAIN}Imap-Secret-42\n")
    config = root / "dovecot.conf"
    log = root / "dovecot.log"
    config.write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {log}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
first_valid_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%u
}}
mail_location = maildir:{home}/%u/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")
    process = subprocess.Popen([str(DOVECOT), "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, log)
        yield ImapServer("127.0.0.1", port, "citizen", "Imap-Secret-42")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class SmtpServer:
    host: str
    port: int
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    server = SmtpServer("127.0.0.1", free_port())

    class Handler:
        async def handle_DATA(self, _server: object, _session: object, envelope: object) -> str:
            server.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))  # type: ignore[attr-defined]
            return "250 OK"

    controller = Controller(Handler(), hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
