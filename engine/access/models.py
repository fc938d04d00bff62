from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow


class Role(enum.StrEnum):
    """Back-office roles. Stored as text, so new roles need no migration of existing rows."""

    CASE_WORKER = "case_worker"
    DISPATCHER = "dispatcher"
    PROCESS_DESIGNER = "process_designer"
    MANAGER = "manager"
    ADMINISTRATOR = "administrator"
    INTEGRATION = "integration"  # an outside system using an API token: reads, and sends messages


class AccountKind(enum.StrEnum):
    """Staff work in the back office (roles below); portal accounts belong to the syndics and
    building managers (their rights come from their organisation memberships, engine/portal)."""

    STAFF = "staff"
    PORTAL = "portal"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default=AccountKind.STAFF.value, server_default="staff")
    # Portal accounts: chosen at sign-up, fixed after; sign-in with it or the e-mail address.
    username: Mapped[str | None] = mapped_column(String(60), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(50))
    # A portal account signs in only once its e-mail address is confirmed by the code sent to it.
    activated_at: Mapped[dt.datetime | None]
    password_hash: Mapped[str | None] = mapped_column(String(255))
    roles_text: Mapped[str] = mapped_column("roles", String(255), default="")
    locale: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles_text.split(",") if r)

    @roles.setter
    def roles(self, roles: set[Role] | frozenset[Role] | list[Role]) -> None:
        self.roles_text = ",".join(sorted(Role(r).value for r in roles))

    @property
    def is_portal(self) -> bool:
        return self.kind == AccountKind.PORTAL

    def has_role(self, *roles: Role) -> bool:
        if self.is_portal:
            return False  # a portal account never passes a back-office check, whatever its row says
        mine = self.roles
        return Role.ADMINISTRATOR in mine or any(r in mine for r in roles)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class ApiToken(Base):
    """A bearer token for an integration client. Only a SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="tokens")
