"""Practices, their revisions, suggested edits, adaptations and endorsements.

`Revision` is shared with case studies (marketplace.cases): exactly one of practice_id /
case_study_id is set. The generic helpers for it live in marketplace.knowledge.revisions.
"""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organization, User
from marketplace.database import TimestampMixin, utcnow
from marketplace.extensions import db

# The curated theme taxonomy: slug -> label. Free tags live in practice_tag.
THEMES = {
    "governance": _l("Governance"),
    "anti-corruption": _l("Anti-corruption"),
    "public-finance": _l("Public finance"),
    "health": _l("Health"),
    "education": _l("Education"),
    "security-sector-reform": _l("Security-sector reform"),
    "justice": _l("Justice"),
    "environment": _l("Environment"),
    "local-government": _l("Local government"),
    "digital-services": _l("Digital services"),
    "gender-equality": _l("Gender equality"),
    "participation": _l("Participation"),
    "disaster-risk-reduction": _l("Disaster risk reduction"),
    "economic-development": _l("Economic development"),
}


class Level(enum.StrEnum):
    LOCAL = "local"
    NATIONAL = "national"
    REGIONAL = "regional"
    GLOBAL = "global"


LEVEL_LABELS = {
    Level.LOCAL: _l("Local"),
    Level.NATIONAL: _l("National"),
    Level.REGIONAL: _l("Regional"),
    Level.GLOBAL: _l("Global"),
}


class Status(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


STATUS_LABELS = {
    Status.DRAFT: _l("Draft"),
    Status.PUBLISHED: _l("Published"),
    Status.ARCHIVED: _l("Archived"),
}

# The Markdown sections of a practice, in page order.
SECTIONS = ("problem", "context", "approach", "results", "lessons")
SECTION_LABELS = {
    "problem": _l("Problem"),
    "context": _l("Context"),
    "approach": _l("Approach"),
    "results": _l("Results"),
    "lessons": _l("Lessons"),
}


class Practice(TimestampMixin, db.Model):
    __table_args__ = (
        Index("ix_practice_status_published", "status", "published_at"),
        Index("ix_practice_status_endorsements", "status", "endorsement_count"),
        Index("ix_practice_status_adaptations", "status", "adaptation_count"),
        # Adaptations of a parent by status; also keeps SQLite off the status indexes.
        Index("ix_practice_parent_status", "parent_id", "status"),
        # The list's counts read only these indexes: the level and language filters, and the
        # ids that an IN (country, theme, organization type) subquery returns. Otherwise they
        # read ~10,000 rows, past the Markdown columns (level/language: 5 ms on SQLite).
        Index("ix_practice_status_level_language", "status", "level", "language"),
        Index("ix_practice_language_status", "language", "status"),
        Index("ix_practice_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(220), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(600), default="")
    problem_source: Mapped[str] = mapped_column(Text, default="")
    problem_html: Mapped[str] = mapped_column(Text, default="")
    context_source: Mapped[str] = mapped_column(Text, default="")
    context_html: Mapped[str] = mapped_column(Text, default="")
    approach_source: Mapped[str] = mapped_column(Text, default="")
    approach_html: Mapped[str] = mapped_column(Text, default="")
    results_source: Mapped[str] = mapped_column(Text, default="")
    results_html: Mapped[str] = mapped_column(Text, default="")
    lessons_source: Mapped[str] = mapped_column(Text, default="")
    lessons_html: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(10), default=Level.NATIONAL.value)
    language: Mapped[str] = mapped_column(String(8), default="en")
    licence: Mapped[str] = mapped_column(String(40), default="CC-BY-4.0")
    source_url: Mapped[str | None] = mapped_column(String(1000), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=Status.DRAFT.value)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id", ondelete="SET NULL"))
    adaptation_country: Mapped[str | None] = mapped_column(String(2))
    adaptation_context: Mapped[str] = mapped_column(Text, default="")
    adaptation_rationale: Mapped[str] = mapped_column(Text, default="")
    endorsement_count: Mapped[int] = mapped_column(default=0)
    adaptation_count: Mapped[int] = mapped_column(default=0)
    current_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revision.id", ondelete="SET NULL", use_alter=True)
    )
    published_at: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    review: Mapped["AdaptationReview | None"] = relationship(cascade="all, delete-orphan")
    current_revision: Mapped["Revision | None"] = relationship(
        foreign_keys=[current_revision_id], viewonly=True
    )
    parent: Mapped["Practice | None"] = relationship(
        remote_side=[id], back_populates="adaptations"
    )
    adaptations: Mapped[list["Practice"]] = relationship(
        back_populates="parent", order_by="Practice.id"
    )
    countries: Mapped[list["PracticeCountry"]] = relationship(
        cascade="all, delete-orphan", order_by="PracticeCountry.country"
    )
    themes: Mapped[list["PracticeTheme"]] = relationship(
        cascade="all, delete-orphan", order_by="PracticeTheme.theme"
    )
    tags: Mapped[list["PracticeTag"]] = relationship(
        cascade="all, delete-orphan", order_by="PracticeTag.tag"
    )
    organization_links: Mapped[list["PracticeOrganization"]] = relationship(
        cascade="all, delete-orphan", order_by="PracticeOrganization.organization_id"
    )
    coauthor_links: Mapped[list["PracticeAuthor"]] = relationship(
        cascade="all, delete-orphan", order_by="PracticeAuthor.user_id"
    )

    def __repr__(self) -> str:
        return f"<Practice {self.id} {self.slug} {self.status}>"

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def is_archived(self) -> bool:
        return self.status == Status.ARCHIVED

    @property
    def is_adaptation(self) -> bool:
        return self.parent_id is not None

    @property
    def country_codes(self) -> list[str]:
        return [c.country for c in self.countries]

    @property
    def theme_slugs(self) -> list[str]:
        return [t.theme for t in self.themes]

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]

    @property
    def organizations(self) -> list[Organization]:
        return [link.organization for link in self.organization_links]

    @property
    def coauthor_ids(self) -> list[int]:
        return [link.user_id for link in self.coauthor_links]

    @property
    def author_ids(self) -> set[int]:
        """Owner and co-authors: the people who edit directly and decide on suggestions."""
        ids = set(self.coauthor_ids)
        if self.owner_id is not None:
            ids.add(self.owner_id)
        return ids

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS.get(self.level, self.level))

    @property
    def is_unpublished_draft(self) -> bool:
        """A draft never published: nobody else has read, adapted or cited it; it may be deleted."""
        return self.status == Status.DRAFT.value and self.published_at is None

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))


class PracticeCountry(db.Model):
    __tablename__ = "practice_country"
    __table_args__ = (
        UniqueConstraint("practice_id", "country"),
        # Covers the list's `practice_id IN (… WHERE country = ?)` filter.
        Index("ix_practice_country_country_practice", "country", "practice_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"))
    country: Mapped[str] = mapped_column(String(2))

    def __repr__(self) -> str:
        return f"<PracticeCountry {self.practice_id} {self.country}>"


class PracticeTheme(db.Model):
    __tablename__ = "practice_theme"
    __table_args__ = (
        UniqueConstraint("practice_id", "theme"),
        Index("ix_practice_theme_theme_practice", "theme", "practice_id"),  # like countries
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"))
    theme: Mapped[str] = mapped_column(String(40))

    def __repr__(self) -> str:
        return f"<PracticeTheme {self.practice_id} {self.theme}>"

    @property
    def label(self) -> str:
        return str(THEMES.get(self.theme, self.theme))


class PracticeTag(db.Model):
    __tablename__ = "practice_tag"
    __table_args__ = (UniqueConstraint("practice_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(60), index=True)

    def __repr__(self) -> str:
        return f"<PracticeTag {self.practice_id} {self.tag}>"


class PracticeOrganization(db.Model):
    __tablename__ = "practice_organization"
    __table_args__ = (
        UniqueConstraint("practice_id", "organization_id"),
        # Covers the organization-type filter's subquery (and the foreign key).
        Index("ix_practice_organization_organization_practice", "organization_id",
              "practice_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE")
    )

    organization: Mapped[Organization] = relationship()

    def __repr__(self) -> str:
        return f"<PracticeOrganization {self.practice_id} {self.organization_id}>"


class PracticeAuthor(db.Model):
    """A co-author: edits directly and decides on suggested edits, like the owner."""

    __tablename__ = "practice_author"
    __table_args__ = (UniqueConstraint("practice_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<PracticeAuthor {self.practice_id} {self.user_id}>"


# Summaries the platform writes on a revision: stored as a key ("created", "suggested",
# "reverted:<n>") and shown in the reader's language (Revision.summary).
REVISION_SUMMARIES = {"created": _l("Created"), "suggested": _l("Suggested edit")}


class Revision(db.Model):
    """One saved version of a practice or a case study: a JSON snapshot of its editable fields."""

    __table_args__ = (
        CheckConstraint(
            "(practice_id IS NULL) <> (case_study_id IS NULL)", name="one_target"
        ),
        UniqueConstraint("practice_id", "number"),
        UniqueConstraint("case_study_id", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int | None] = mapped_column(
        ForeignKey("practice.id", ondelete="CASCADE"), index=True
    )
    # The cases package declares the relationship (CaseStudy.revisions).
    case_study_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_study.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(String(300), default="")
    # A summary the platform wrote (see REVISION_SUMMARIES); `message` is then "".
    message_key: Mapped[str] = mapped_column(String(40), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reverted_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("revision.id", ondelete="SET NULL")
    )

    author: Mapped[User | None] = relationship()
    reverted_from: Mapped["Revision | None"] = relationship(remote_side=[id])

    @property
    def summary(self) -> str:
        """The author's message, or the platform's summary in the reader's language."""
        key, _sep, arg = self.message_key.partition(":")
        if key == "reverted" and arg.isdigit():
            return str(_l("Reverted to revision %(n)d", n=int(arg)))
        system = REVISION_SUMMARIES.get(key)
        return str(system) if system is not None else self.message

    def __repr__(self) -> str:
        target = f"practice={self.practice_id}" if self.practice_id else f"case={self.case_study_id}"
        return f"<Revision {self.id} {target} #{self.number}>"


class AdaptationReview(db.Model):
    """An adaptation against its parent: the parent revision it was made from, and the latest
    parent revision its authors reviewed ("Mark as reviewed"). The original has changed when
    its current revision is past the reviewed one. (A table of its own: adding these columns
    to `practice` would rebuild that table on SQLite, and the rebuild cascades.)"""

    __tablename__ = "adaptation_review"

    practice_id: Mapped[int] = mapped_column(
        ForeignKey("practice.id", ondelete="CASCADE"), primary_key=True
    )
    based_on_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revision.id", ondelete="SET NULL")
    )
    reviewed_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revision.id", ondelete="SET NULL")
    )

    reviewed_revision: Mapped[Revision | None] = relationship(foreign_keys=[reviewed_revision_id])

    def __repr__(self) -> str:
        return (f"<AdaptationReview practice={self.practice_id} "
                f"based_on={self.based_on_revision_id} reviewed={self.reviewed_revision_id}>")


class SuggestionStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # by its author, before the authors decided


class EditSuggestion(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("practice.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(10), default=SuggestionStatus.PENDING.value)
    reason: Mapped[str] = mapped_column(String(500), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    base_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revision.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    practice: Mapped[Practice] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    base_revision: Mapped[Revision | None] = relationship()

    def __repr__(self) -> str:
        return f"<EditSuggestion {self.id} practice={self.practice_id} {self.status}>"

    @property
    def is_pending(self) -> bool:
        return self.status == SuggestionStatus.PENDING


class EndorsementKind(enum.StrEnum):
    APPLIED = "applied"
    RECOMMEND = "recommend"


ENDORSEMENT_LABELS = {
    EndorsementKind.APPLIED: _l("I applied this"),
    EndorsementKind.RECOMMEND: _l("I recommend this"),
}


class Endorsement(db.Model):
    __table_args__ = (UniqueConstraint("practice_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("practice.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=EndorsementKind.RECOMMEND.value)
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Endorsement practice={self.practice_id} user={self.user_id} {self.kind}>"

    @property
    def kind_label(self) -> str:
        return str(ENDORSEMENT_LABELS.get(self.kind, self.kind))
