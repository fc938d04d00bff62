"""Directory groups → Guichet roles, from ``GUICHET_LDAP_ROLE_GROUPS``.

The setting is ``group=role`` pairs separated by ``;``. A group is a full DN
(``cn=managers,ou=groups,dc=example,dc=be=manager``: the role is after the last ``=``) or just a
cn (``managers=manager``). A group may be listed more than once to give several roles.
DNs compare without case and without spaces around commas."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.access.models import Role


def normalize_dn(dn: str) -> str:
    return ",".join(part.strip() for part in dn.split(",")).lower()


def group_cn(dn: str) -> str | None:
    first = dn.split(",", 1)[0].strip()
    key, _, value = first.partition("=")
    return value.strip().lower() if key.strip().lower() == "cn" else None


@dataclass(frozen=True)
class RoleMap:
    by_group: dict[str, frozenset[Role]] = field(default_factory=dict)  # normalized DN or cn

    def roles_for(self, groups: Iterable[str]) -> frozenset[Role]:
        roles: set[Role] = set()
        for dn in groups:
            roles |= self.by_group.get(normalize_dn(dn), frozenset())
            cn = group_cn(dn)
            if cn is not None:
                roles |= self.by_group.get(cn, frozenset())
        return frozenset(roles)


def parse_role_groups(text: str) -> RoleMap:
    """Parse the setting; an unknown role or a pair without ``=`` raises ValueError naming it."""
    by_group: dict[str, set[Role]] = {}
    for raw in text.split(";"):
        pair = raw.strip()
        if not pair:
            continue
        group, sep, role = pair.rpartition("=")
        if not sep or not group.strip():
            raise ValueError(f"GUICHET_LDAP_ROLE_GROUPS: '{pair}' is not group=role.")
        try:
            value = Role(role.strip())
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"GUICHET_LDAP_ROLE_GROUPS: unknown role '{role.strip()}' (known: {known}).") from None
        key = normalize_dn(group) if "=" in group else group.strip().lower()
        by_group.setdefault(key, set()).add(value)
    return RoleMap({key: frozenset(roles) for key, roles in by_group.items()})
