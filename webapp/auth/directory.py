"""Directory sign-in for the app (``GUICHET_LDAP_URL``): built once per app from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from integrations.directory import Directory, RoleMap, directory_from_settings, parse_role_groups

EXTENSION = "guichet_directory"


@dataclass(frozen=True)
class DirectoryLogin:
    directory: Directory
    role_map: RoleMap
    local_accounts: bool


def init_directory(app: Flask) -> None:
    """Read the LDAP settings once; a wrong role mapping stops the start-up with its message."""
    services = app.extensions.get("guichet")
    settings = getattr(services, "settings", None)
    directory = directory_from_settings(settings) if settings is not None else None
    if directory is None:
        app.extensions[EXTENSION] = None
        return
    app.extensions[EXTENSION] = DirectoryLogin(directory, parse_role_groups(settings.ldap_role_groups),
                                               settings.ldap_local_accounts)


def directory_login() -> DirectoryLogin | None:
    return current_app.extensions.get(EXTENSION)
