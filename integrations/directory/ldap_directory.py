"""The directory over LDAP with python-ldap: search the entry with the service account, bind as
the entry with the given password, read its groups (groupOfNames ``member`` and ``memberOf``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import ldap
from ldap.filter import escape_filter_chars

from engine.config import Settings
from integrations.directory.base import DirectoryUnavailable, DirectoryUser, UnknownUser, WrongPassword

log = logging.getLogger(__name__)

USER_ATTRIBUTES = ["mail", "cn", "displayName", "givenName", "sn", "memberOf"]


def _first(entry: dict[str, list[bytes]], *names: str) -> str:
    for name in names:
        for value in entry.get(name, []):
            text = value.decode("utf-8", "replace").strip()
            if text:
                return text
    return ""


class LdapDirectory:
    def __init__(self, url: str, base_dn: str, user_filter: str = "(mail={login})", bind_dn: str = "",
                 bind_password: str = "", group_base: str = "", timeout_s: float = 5.0) -> None:
        if "{login}" not in user_filter and "{email}" not in user_filter:
            raise ValueError("GUICHET_LDAP_USER_FILTER must contain {login} (or {email}).")
        self.url = url
        self.base_dn = base_dn
        self.user_filter = user_filter
        self.bind_dn = bind_dn
        self.bind_password = bind_password
        self.group_base = group_base
        self.timeout_s = timeout_s

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        conn = ldap.initialize(self.url)
        try:
            conn.set_option(ldap.OPT_PROTOCOL_VERSION, ldap.VERSION3)
            conn.set_option(ldap.OPT_REFERRALS, 0)
            conn.set_option(ldap.OPT_NETWORK_TIMEOUT, self.timeout_s)
            conn.set_option(ldap.OPT_TIMEOUT, self.timeout_s)
            yield conn
        finally:
            with suppress(ldap.LDAPError):
                conn.unbind_s()

    def authenticate(self, login: str, password: str) -> DirectoryUser:
        login = login.strip()
        if not login or not password:  # an empty password would be an unauthenticated bind: "success"
            raise WrongPassword(login)
        try:
            with self._connection() as service:
                service.simple_bind_s(self.bind_dn, self.bind_password)
                dn, entry = self._find(service, login)
                with self._connection() as own:
                    try:
                        own.simple_bind_s(dn, password)
                    except ldap.INVALID_CREDENTIALS:
                        raise WrongPassword(login) from None
                groups = self._groups(service, dn, entry)
        except (UnknownUser, WrongPassword):
            raise
        except ldap.INVALID_CREDENTIALS as error:
            log.error("The directory refused the service account %r: %s", self.bind_dn, error)
            raise DirectoryUnavailable("service account refused") from error
        except ldap.LDAPError as error:
            log.warning("Directory %s unavailable: %r", self.url, error)
            raise DirectoryUnavailable(str(error)) from error
        email = _first(entry, "mail").lower() or (login.lower() if "@" in login else "")
        if not email:
            log.warning("Directory entry %s has no mail attribute", dn)
            raise UnknownUser(login)
        name = _first(entry, "displayName", "cn") or " ".join(
            filter(None, [_first(entry, "givenName"), _first(entry, "sn")])) or email
        return DirectoryUser(dn=dn, email=email, name=name, groups=frozenset(groups))

    def _find(self, conn: Any, login: str) -> tuple[str, dict[str, list[bytes]]]:
        escaped = escape_filter_chars(login)
        query = self.user_filter.replace("{login}", escaped).replace("{email}", escaped)
        found = conn.search_st(self.base_dn, ldap.SCOPE_SUBTREE, query, USER_ATTRIBUTES, timeout=self.timeout_s)
        entries = [(dn, entry) for dn, entry in found if dn]  # without search references
        if len(entries) != 1:
            if entries:
                log.warning("Directory: %d entries match %s; refusing", len(entries), query)
            raise UnknownUser(login)
        return entries[0]

    def _groups(self, conn: Any, dn: str, entry: dict[str, list[bytes]]) -> set[str]:
        groups = {value.decode("utf-8", "replace") for value in entry.get("memberOf", [])}
        if self.group_base:
            query = f"(&(objectClass=groupOfNames)(member={escape_filter_chars(dn)}))"
            found = conn.search_st(self.group_base, ldap.SCOPE_SUBTREE, query, ["cn"], timeout=self.timeout_s)
            groups |= {group_dn for group_dn, _ in found if group_dn}
        return groups


def directory_from_settings(settings: Settings) -> LdapDirectory | None:
    """The configured directory, or None when ``GUICHET_LDAP_URL`` is not set."""
    if not settings.ldap_url:
        return None
    return LdapDirectory(
        url=settings.ldap_url,
        base_dn=settings.ldap_base_dn,
        user_filter=settings.ldap_user_filter,
        bind_dn=settings.ldap_bind_dn,
        bind_password=settings.ldap_bind_password,
        group_base=settings.ldap_group_base,
        timeout_s=settings.ldap_timeout_s,
    )
