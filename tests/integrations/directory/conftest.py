"""A real, throwaway slapd (python-ldap's slapdtest) with inetOrgPerson users and groupOfNames
groups. slapd must be installed: ``make test`` installs it (Makefile APT_PACKAGES)."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from engine.config import Settings
from tests.webapp.support import use_fast_password_hashing

SUFFIX = "dc=guichet,dc=test"
SERVICE_DN = f"cn=guichet-service,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "Service-Pass-1"
ANNA_PASSWORD = "Anna-Directory-7"
BERT_PASSWORD = "Bert-Directory-8"
GROUPS = f"ou=groups,{SUFFIX}"
ROLE_GROUPS = (f"cn=case-workers,{GROUPS}=case_worker;managers=manager;managers=dispatcher")

NEEDS_MAKE_TEST = ("slapd (Debian packages slapd and ldap-utils) is needed for the directory tests and was not "
                   "found: run `make test` (it installs the Makefile's APT_PACKAGES) or "
                   "`apt-get install -y slapd ldap-utils libldap2-dev libsasl2-dev`.")

LDIF = f"""
dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: guichet
o: Guichet test

dn: ou=people,{SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=services,{SUFFIX}
objectClass: organizationalUnit
ou: services

dn: {GROUPS}
objectClass: organizationalUnit
ou: groups

dn: {SERVICE_DN}
objectClass: person
cn: guichet-service
sn: service
userPassword: {SERVICE_PASSWORD}

dn: uid=anna,ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: anna
cn: Anna Peeters
sn: Peeters
givenName: Anna
displayName: Anna Peeters
mail: anna.peeters@guichet.test
userPassword: {ANNA_PASSWORD}

dn: uid=bert,ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: bert
cn: Bert Janssens
sn: Janssens
mail: Bert.Janssens@guichet.test
userPassword: {BERT_PASSWORD}

dn: cn=case-workers,{GROUPS}
objectClass: groupOfNames
cn: case-workers
member: uid=anna,ou=people,{SUFFIX}
member: uid=bert,ou=people,{SUFFIX}

dn: cn=managers,{GROUPS}
objectClass: groupOfNames
cn: managers
member: uid=anna,ou=people,{SUFFIX}

dn: cn=unrelated,{GROUPS}
objectClass: groupOfNames
cn: unrelated
member: uid=bert,ou=people,{SUFFIX}
"""


def _slapd_class():
    try:
        import slapdtest
    except ImportError as error:  # python-ldap not installed or not built
        pytest.fail(f"python-ldap is missing ({error}): run `make test`.")

    class GuichetSlapd(slapdtest.SlapdObject):
        openldap_schema_files = ("core.ldif", "cosine.ldif", "inetorgperson.ldif")
        suffix = SUFFIX
        root_cn = "Manager"
        root_pw = "password"
        TMPDIR = tempfile.gettempdir()  # slapdtest's default is the current directory

    return GuichetSlapd


def start_slapd():
    if shutil.which("slapd", path="/usr/sbin:/usr/local/sbin:/sbin") is None and shutil.which("slapd") is None:
        pytest.fail(NEEDS_MAKE_TEST)
    server = _slapd_class()()
    try:
        server.start()
    except ValueError as error:  # slapdtest: "Command 'slapd' not found"
        pytest.fail(f"{NEEDS_MAKE_TEST} ({error})")
    server.ldapadd(LDIF)
    return server


@pytest.fixture(scope="session")
def slapd() -> Iterator[object]:
    server = start_slapd()
    yield server
    server.stop()


def directory_settings(settings: Settings, ldap_url: str, **changes: object) -> Settings:
    return dataclasses.replace(
        settings,
        ldap_url=ldap_url,
        ldap_base_dn=f"ou=people,{SUFFIX}",
        ldap_user_filter="(|(mail={login})(uid={login}))",
        ldap_bind_dn=SERVICE_DN,
        ldap_bind_password=SERVICE_PASSWORD,
        ldap_group_base=GROUPS,
        ldap_role_groups=ROLE_GROUPS,
        ldap_timeout_s=2.0,
        **changes,
    )


@pytest.fixture
def ldap_settings(settings: Settings, slapd) -> Settings:
    return directory_settings(settings, slapd.ldap_uri)


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fast_password_hashing(monkeypatch)
