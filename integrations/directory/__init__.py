"""Sign-in against a company directory (LDAP): the :class:`Directory` interface, its python-ldap
implementation :class:`LdapDirectory`, the group → role mapping and the account synchronisation
(:func:`sign_in`). Used by ``webapp/auth`` when ``GUICHET_LDAP_URL`` is set."""

from __future__ import annotations

from integrations.directory.base import (
    Directory,
    DirectoryError,
    DirectoryUnavailable,
    DirectoryUser,
    UnknownUser,
    WrongPassword,
)
from integrations.directory.ldap_directory import LdapDirectory, directory_from_settings
from integrations.directory.roles import RoleMap, parse_role_groups
from integrations.directory.signin import LoginRefused, Refusal, sign_in, sync_user

__all__ = [
    "Directory",
    "DirectoryError",
    "DirectoryUnavailable",
    "DirectoryUser",
    "LdapDirectory",
    "LoginRefused",
    "Refusal",
    "RoleMap",
    "UnknownUser",
    "WrongPassword",
    "directory_from_settings",
    "parse_role_groups",
    "sign_in",
    "sync_user",
]
