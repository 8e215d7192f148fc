"""Users, their login sessions and roles, organizations, and the audit log."""

import enum
from datetime import datetime
from typing import ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import TimestampMixin, utcnow
from marketplace.extensions import db


class Role(enum.StrEnum):
    DONOR = "donor"
    MODERATOR = "moderator"
    ADMIN = "admin"


ROLE_LABELS = {Role.DONOR: _l("Donor"), Role.MODERATOR: _l("Moderator"), Role.ADMIN: _l("Admin")}


class OrganizationType(enum.StrEnum):
    GOVERNMENT = "government"
    NGO = "ngo"
    ACADEMIC = "academic"
    PRIVATE = "private"
    MULTILATERAL = "multilateral"
    FOUNDATION = "foundation"
    FAITH = "faith"


ORGANIZATION_TYPE_LABELS = {
    OrganizationType.GOVERNMENT: _l("Government"),
    OrganizationType.NGO: _l("NGO"),
    OrganizationType.ACADEMIC: _l("Academic"),
    OrganizationType.PRIVATE: _l("Private sector"),
    OrganizationType.MULTILATERAL: _l("Multilateral"),
    OrganizationType.FOUNDATION: _l("Foundation"),
    OrganizationType.FAITH: _l("Faith-based"),
}


# Accounts the platform itself owns, shown under a name in the reader's language.
IMPORT_ACCOUNT_EMAIL = "imported-content@marketplace.invalid"
SYSTEM_ACCOUNT_NAMES = {IMPORT_ACCOUNT_EMAIL: _l("Imported content")}


def shown_name(email: str, stored_name: str) -> str:
    """The name a user is shown by: a system account's, translated; anyone else's own."""
    system_name = SYSTEM_ACCOUNT_NAMES.get(email)
    return str(system_name) if system_name is not None else stored_name


class User(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    stored_name: Mapped[str] = mapped_column("display_name", String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    bio_source: Mapped[str] = mapped_column(Text, default="")
    bio_html: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str | None] = mapped_column(String(2))
    languages: Mapped[list] = mapped_column(JSON, default=list)
    locale: Mapped[str | None] = mapped_column(String(10))
    is_deleted: Mapped[bool] = mapped_column(default=False)
    is_suspended: Mapped[bool] = mapped_column(default=False)
    suspension_reason: Mapped[str] = mapped_column(String(500), default="")
    last_login_at: Mapped[datetime | None]
    # When the owner proved the address by the mailed link; None: may read, not yet take part.
    email_confirmed_at: Mapped[datetime | None]

    roles: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    expertise: Mapped[list["UserExpertise"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserExpertise.tag"
    )
    memberships: Mapped[list["OrganizationMember"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Set for the request by the user loader; Flask-Login stores it as the session's user id.
    session_token: ClassVar[str | None] = None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return not (self.is_deleted or self.is_suspended)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.session_token

    @hybrid_property
    def display_name(self) -> str:
        """The name people chose; a system account's, translated (SQL: the stored name)."""
        return shown_name(self.email, self.stored_name)

    @display_name.inplace.setter
    def _display_name_setter(self, value: str) -> None:
        self.stored_name = value

    @display_name.inplace.expression
    @classmethod
    def _display_name_expression(cls):
        return cls.stored_name

    def has_role(self, role: Role | str) -> bool:
        return any(r.role == role for r in self.roles)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    @property
    def is_moderator(self) -> bool:
        return self.has_role(Role.MODERATOR) or self.is_admin

    @property
    def is_donor(self) -> bool:
        return self.has_role(Role.DONOR)

    @property
    def is_email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def public_name(self) -> str:
        """The name shown to others; a deleted account's is "deleted user" in the reader's language."""
        return _("deleted user") if self.is_deleted else self.display_name

    @property
    def organizations(self) -> list["Organization"]:
        return [m.organization for m in self.memberships]


class UserRole(db.Model):
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")

    def __repr__(self) -> str:
        return f"<UserRole {self.user_id} {self.role}>"


class UserExpertise(db.Model):
    __table_args__ = (UniqueConstraint("user_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(60), index=True)

    user: Mapped[User] = relationship(back_populates="expertise")

    def __repr__(self) -> str:
        return f"<UserExpertise {self.user_id} {self.tag}>"


class LoginSession(db.Model):
    """A server-side record of one sign-in; deleting it makes its cookies worthless."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<LoginSession {self.id} user={self.user_id}>"


class Organization(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    type: Mapped[str] = mapped_column(String(20), index=True)
    country: Mapped[str | None] = mapped_column(String(2))
    website: Mapped[str] = mapped_column(String(500), default="")
    description_source: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    # The language of the description (ISO 639-1), and where an imported organization came from
    # (the importer's idempotency key; empty for organizations created here).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    source_url: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    # Fiscal host (the Open Collective model): the organization holds money for the projects that
    # name it as host, publishes how to pay it, and its treasurers record what arrives.
    is_fiscal_host: Mapped[bool] = mapped_column(default=False)
    payment_instructions: Mapped[str] = mapped_column(Text, default="")
    bank_account_holder: Mapped[str] = mapped_column(String(200), default="")
    iban: Mapped[str] = mapped_column(String(34), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")

    members: Mapped[list["OrganizationMember"]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Organization {self.slug}>"

    @property
    def type_label(self) -> str:
        return str(ORGANIZATION_TYPE_LABELS.get(self.type, self.type))


class OrganizationMember(db.Model):
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="member")  # member | treasurer | admin
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")

    def __repr__(self) -> str:
        return f"<OrganizationMember org={self.organization_id} user={self.user_id} {self.role}>"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_treasurer(self) -> bool:
        """Records the money that arrives for the projects this organization hosts."""
        return self.role == "treasurer"


class OrganizationInvitation(db.Model):
    """An organization admin's invitation to an email address. Nobody becomes a member without
    accepting: the invitation is answered once (accepted or declined) before it expires. The
    invitee is the account that used the address when it was sent (none: nothing is sent)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(10), default="member")
    invitee_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # accepted | declined
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship()
    invitee: Mapped[User | None] = relationship(foreign_keys=[invitee_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    def __repr__(self) -> str:
        return f"<OrganizationInvitation {self.id} org={self.organization_id} {self.status}>"

    @property
    def is_open(self) -> bool:
        return self.status == "pending" and self.expires_at > utcnow()


class AuditEvent(db.Model):
    """Who did what to whom: sign-ins, role changes, refused authorisation, moderation."""

    __table_args__ = (Index("ix_audit_event_action_created", "action", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None]
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} actor={self.actor_id}>"
