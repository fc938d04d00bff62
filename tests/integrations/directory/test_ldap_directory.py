"""LdapDirectory against a real slapd, and the group → role mapping."""

from __future__ import annotations

import socket
import time

import pytest

from engine.access.models import Role
from integrations.directory import (
    DirectoryUnavailable,
    LdapDirectory,
    UnknownUser,
    WrongPassword,
    parse_role_groups,
)
from tests.integrations.directory.conftest import (
    ANNA_PASSWORD,
    GROUPS,
    ROLE_GROUPS,
    SERVICE_DN,
    SERVICE_PASSWORD,
    SUFFIX,
)


def _directory(url: str, **changes: object) -> LdapDirectory:
    options: dict = dict(url=url, base_dn=f"ou=people,{SUFFIX}", user_filter="(mail={login})", bind_dn=SERVICE_DN,
                         bind_password=SERVICE_PASSWORD, group_base=GROUPS, timeout_s=2.0)
    options.update(changes)
    return LdapDirectory(**options)


def test_the_right_password_gives_the_person_and_their_groups(slapd) -> None:
    person = _directory(slapd.ldap_uri).authenticate("Anna.Peeters@guichet.test", ANNA_PASSWORD)

    assert person.dn == f"uid=anna,ou=people,{SUFFIX}"
    assert person.email == "anna.peeters@guichet.test"
    assert person.name == "Anna Peeters"
    assert person.groups == {f"cn=case-workers,{GROUPS}", f"cn=managers,{GROUPS}"}


def test_a_uid_filter_finds_the_entry_by_login(slapd) -> None:
    person = _directory(slapd.ldap_uri, user_filter="(uid={login})").authenticate("anna", ANNA_PASSWORD)

    assert person.email == "anna.peeters@guichet.test"


def test_wrong_password_unknown_user_and_empty_password_are_told_apart(slapd) -> None:
    directory = _directory(slapd.ldap_uri)

    with pytest.raises(WrongPassword):
        directory.authenticate("anna.peeters@guichet.test", "not-her-password")
    with pytest.raises(WrongPassword):  # never an unauthenticated bind
        directory.authenticate("anna.peeters@guichet.test", "")
    with pytest.raises(UnknownUser):
        directory.authenticate("nobody@guichet.test", ANNA_PASSWORD)
    with pytest.raises(UnknownUser):  # filter characters are escaped, not interpreted
        directory.authenticate("*", ANNA_PASSWORD)


def test_a_refused_service_account_or_no_server_is_unavailable(slapd) -> None:
    with pytest.raises(DirectoryUnavailable):
        _directory(slapd.ldap_uri, bind_password="wrong").authenticate("anna.peeters@guichet.test", ANNA_PASSWORD)
    with pytest.raises(DirectoryUnavailable):
        _directory("ldap://127.0.0.1:9").authenticate("anna.peeters@guichet.test", ANNA_PASSWORD)


def test_a_directory_that_does_not_answer_is_unavailable_after_the_timeout() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"ldap://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(DirectoryUnavailable):
            _directory(url, timeout_s=0.5).authenticate("anna.peeters@guichet.test", ANNA_PASSWORD)
        assert time.monotonic() - started < 3


def test_groups_map_to_roles_by_dn_or_cn() -> None:
    role_map = parse_role_groups(ROLE_GROUPS)

    assert role_map.roles_for([f"CN=Case-Workers, ou=groups,{SUFFIX}"]) == {Role.CASE_WORKER}
    assert role_map.roles_for([f"cn=managers,ou=elsewhere,{SUFFIX}"]) == {Role.MANAGER, Role.DISPATCHER}
    assert role_map.roles_for([f"cn=unrelated,{GROUPS}", "ou=not-a-cn"]) == frozenset()
    assert parse_role_groups("").roles_for([f"cn=managers,{GROUPS}"]) == frozenset()


def test_a_wrong_role_mapping_is_refused_with_its_reason() -> None:
    with pytest.raises(ValueError, match="unknown role 'boss'"):
        parse_role_groups("managers=boss")
    with pytest.raises(ValueError, match="not group=role"):
        parse_role_groups("managers")
