"""Settings read from the environment, with embedded defaults that need no set-up.

Every setting is ``GUICHET_<NAME>``; the README lists them. The defaults put everything under
``./instance``: an SQLite database, and a Celery broker on kombu's SQLAlchemy transport.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"GUICHET_{name}", default)


def _flag(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _secret_key(instance: Path) -> str:
    """A secret key from the environment, else one generated once and kept in the instance
    folder so that sessions survive a restart of the demo."""
    value = os.environ.get("GUICHET_SECRET_KEY")
    if value:
        return value
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


def _proxy_count(value: str) -> int:
    """GUICHET_BEHIND_PROXY: a number of proxies, or a yes/no flag meaning one proxy."""
    value = value.strip().lower()
    if value in {"true", "yes", "on"}:
        return 1
    if value in {"", "false", "no", "off"}:
        return 0
    return max(0, int(value))


# File uploads: accepted extensions (office documents, PDF, images, mail), unless configured.
UPLOAD_EXTENSIONS = ("pdf,doc,docx,xls,xlsx,ppt,pptx,odt,ods,odp,rtf,txt,csv,"
                     "jpg,jpeg,png,gif,webp,tif,tiff,heic,eml,msg")


@dataclass
class Settings:
    instance_path: Path
    database_url: str
    broker_url: str
    secret_key: str = field(repr=False)
    jobs_eager: bool = False
    timer_interval_s: float = 5.0
    # The lost-call sweep (engine/jobs.py): every resend_interval_s, service calls still pending
    # or running after resend_after_s are sent to the broker again (docs/deployment.md, Faults).
    resend_interval_s: float = 60.0
    resend_after_s: float = 300.0
    ratelimit_storage_url: str = "memory://"
    login_rate_limit: str = "10 per minute"
    # Portal sign-ups, activation attempts, resends and reset requests, per client address.
    account_rate_limit: str = "10 per minute"
    secure_cookies: bool = False
    default_locale: str = "fr"
    mail_outbox: Path | None = None
    files_path: Path | None = None  # file store; None: <instance>/files
    upload_max_mb: float = 25.0
    upload_extensions: str = UPLOAD_EXTENSIONS
    # Directory sign-in (LDAP); off while ldap_url is empty. See the README's settings table.
    ldap_url: str = ""
    ldap_base_dn: str = ""  # where user entries are searched
    ldap_user_filter: str = "(mail={login})"  # {login}: what was typed in the e-mail field, escaped
    ldap_bind_dn: str = ""  # service account for searching; empty: anonymous search
    ldap_bind_password: str = field(default="", repr=False)
    ldap_group_base: str = ""  # groupOfNames with member=<user dn> searched here; empty: memberOf only
    ldap_role_groups: str = ""  # "group=role;group=role", group a DN or a cn
    ldap_timeout_s: float = 5.0
    ldap_local_accounts: bool = True  # local accounts are tried when the directory does not know the user
    # E-mail intake (maildir | imap | none) and outgoing mail (SMTP, or .eml files in mail_outbox
    # while smtp_host is empty). See the README's settings table.
    mail_source: str = "maildir"
    mail_maildir: Path | None = None  # None: <instance>/mail
    mail_imap_host: str = ""
    mail_imap_port: int = 0  # 0: 993 with SSL, 143 without
    mail_imap_user: str = ""
    mail_imap_password: str = field(default="", repr=False)
    mail_imap_folder: str = "INBOX"
    mail_imap_ssl: bool = True
    mail_interval_s: float = 60.0
    mail_from: str = "woon-en-energieloket@guichet.local"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    # Wallet (see integrations/payments): the online payment provider ("simulated": the embedded
    # local checkout), the HMAC-SHA256 secret of its callbacks (empty: derived from secret_key),
    # how old a callback may be, and the bank account shown for top-ups by transfer.
    payment_provider: str = "simulated"
    payment_secret: str = field(default="", repr=False)
    payment_callback_window_s: int = 600
    payment_callback_base_url: str = ""  # empty: the simulated provider calls back in-process
    wallet_bank_account: str = "BE68 5390 0754 7034"
    wallet_bank_name: str = "Woon- en Energieloket"
    # Syndic mandates (engine/syndic, integrations/syndic/counter.py): where a paid request is filed
    # (an e-mail with the documents to the enterprise counter, or an HTTP POST when the URL is set)
    # and after how many working days without confirmation the counter is reminded.
    bce_counter_email: str = "syndic@enterprise-counter.local"
    bce_counter_url: str = ""
    syndic_reminder_working_days: int = 5
    # Operations (docs/deployment.md): log lines as text or one JSON object per line; the bearer
    # token that opens /metrics beyond loopback (empty: loopback only); how old the worker
    # heartbeat may be before /readyz fails (0: not checked).
    log_format: str = "text"
    metrics_token: str = field(default="", repr=False)
    heartbeat_max_age_s: float = 120.0
    # Security (docs/security.md): Strict-Transport-Security "auto" (on requests seen as HTTPS),
    # "on" (always: TLS ends at a proxy not trusted by ProxyFix) or "off"; its max-age; how many
    # reverse proxies in front are trusted for X-Forwarded-For/-Proto/-Host/-Prefix (0: none).
    hsts: str = "auto"
    hsts_max_age_s: int = 31536000
    behind_proxy: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        instance = Path(_env("INSTANCE_PATH", str(Path.cwd() / "instance"))).resolve()
        return cls(
            instance_path=instance,
            database_url=_env("DATABASE_URL", f"sqlite:///{instance / 'guichet.db'}"),
            broker_url=_env("BROKER_URL", f"sqla+sqlite:///{instance / 'broker.db'}"),
            secret_key=_secret_key(instance),
            jobs_eager=_flag("JOBS_EAGER", False),
            timer_interval_s=float(_env("TIMER_INTERVAL", "5")),
            resend_interval_s=float(_env("RESEND_INTERVAL", "60")),
            resend_after_s=float(_env("RESEND_AFTER", "300")),
            ratelimit_storage_url=_env("RATELIMIT_STORAGE_URL", "memory://"),
            login_rate_limit=_env("LOGIN_RATE_LIMIT", "10 per minute"),
            account_rate_limit=_env("ACCOUNT_RATE_LIMIT", "10 per minute"),
            secure_cookies=_flag("SECURE_COOKIES", False),
            default_locale=_env("DEFAULT_LOCALE", "fr"),
            mail_outbox=Path(_env("MAIL_OUTBOX", str(instance / "outbox"))),
            files_path=Path(_env("FILES_PATH", str(instance / "files"))),
            upload_max_mb=float(_env("UPLOAD_MAX_MB", "25")),
            upload_extensions=_env("UPLOAD_EXTENSIONS", UPLOAD_EXTENSIONS),
            ldap_url=_env("LDAP_URL", ""),
            ldap_base_dn=_env("LDAP_BASE_DN", ""),
            ldap_user_filter=_env("LDAP_USER_FILTER", "(mail={login})"),
            ldap_bind_dn=_env("LDAP_BIND_DN", ""),
            ldap_bind_password=_env("LDAP_BIND_PASSWORD", ""),
            ldap_group_base=_env("LDAP_GROUP_BASE", ""),
            ldap_role_groups=_env("LDAP_ROLE_GROUPS", ""),
            ldap_timeout_s=float(_env("LDAP_TIMEOUT", "5")),
            ldap_local_accounts=_flag("LDAP_LOCAL_ACCOUNTS", True),
            mail_source=_env("MAIL_SOURCE", "maildir").strip().lower(),
            mail_maildir=Path(_env("MAIL_MAILDIR", str(instance / "mail"))),
            mail_imap_host=_env("MAIL_IMAP_HOST", ""),
            mail_imap_port=int(_env("MAIL_IMAP_PORT", "0")),
            mail_imap_user=_env("MAIL_IMAP_USER", ""),
            mail_imap_password=_env("MAIL_IMAP_PASSWORD", ""),
            mail_imap_folder=_env("MAIL_IMAP_FOLDER", "INBOX"),
            mail_imap_ssl=_flag("MAIL_IMAP_SSL", True),
            mail_interval_s=float(_env("MAIL_INTERVAL", "60")),
            mail_from=_env("MAIL_FROM", "woon-en-energieloket@guichet.local"),
            smtp_host=_env("SMTP_HOST", ""),
            smtp_port=int(_env("SMTP_PORT", "25")),
            smtp_user=_env("SMTP_USER", ""),
            smtp_password=_env("SMTP_PASSWORD", ""),
            smtp_starttls=_flag("SMTP_STARTTLS", False),
            payment_provider=_env("PAYMENT_PROVIDER", "simulated"),
            payment_secret=_env("PAYMENT_SECRET", ""),
            payment_callback_window_s=int(_env("PAYMENT_CALLBACK_WINDOW", "600")),
            payment_callback_base_url=_env("PAYMENT_CALLBACK_BASE_URL", ""),
            wallet_bank_account=_env("WALLET_BANK_ACCOUNT", "BE68 5390 0754 7034"),
            wallet_bank_name=_env("WALLET_BANK_NAME", "Woon- en Energieloket"),
            bce_counter_email=_env("BCE_COUNTER_EMAIL", "syndic@enterprise-counter.local").strip(),
            bce_counter_url=_env("BCE_COUNTER_URL", "").strip(),
            syndic_reminder_working_days=int(_env("SYNDIC_REMINDER_WORKING_DAYS", "5")),
            log_format=_env("LOG_FORMAT", "text").strip().lower(),
            metrics_token=_env("METRICS_TOKEN", ""),
            heartbeat_max_age_s=float(_env("HEARTBEAT_MAX_AGE", "120")),
            hsts=_env("HSTS", "auto").strip().lower(),
            hsts_max_age_s=int(_env("HSTS_MAX_AGE", "31536000")),
            behind_proxy=_proxy_count(_env("BEHIND_PROXY", "0")),
        )

    @property
    def files_root(self) -> Path:
        return self.files_path or self.instance_path / "files"

    @property
    def maildir_root(self) -> Path:
        return self.mail_maildir or self.instance_path / "mail"

    @property
    def outbox_root(self) -> Path:
        return self.mail_outbox or self.instance_path / "outbox"
