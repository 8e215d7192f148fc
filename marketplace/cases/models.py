"""Case studies, the curated metric definitions they report, and their measurements.

Measurements are floats: they are rates, counts and durations, not money, and are only
compared and plotted (never summed into balances). Users' input is parsed with Decimal and
rejected when not finite; benchmark.py rounds before comparing so float noise cannot
break ties.
"""

from datetime import date, datetime

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organization, User
from marketplace.database import TimestampMixin
from marketplace.extensions import db
from marketplace.knowledge.models import STATUS_LABELS, Practice, Revision, Status

DIRECTION_LABELS = {
    "higher": _l("Higher is better"),
    "lower": _l("Lower is better"),
}

# The Markdown sections of a case study, in page order.
SECTIONS = ("context", "implementation", "results", "lessons")
SECTION_LABELS = {
    "context": _l("Context"),
    "implementation": _l("Implementation"),
    "results": _l("Results"),
    "lessons": _l("Lessons"),
}

case_study_practice = Table(
    "case_study_practice",
    db.metadata,
    Column("case_study_id", ForeignKey("case_study.id", ondelete="CASCADE"), primary_key=True),
    Column("practice_id", ForeignKey("practice.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)

case_study_author = Table(
    "case_study_author",
    db.metadata,
    Column("case_study_id", ForeignKey("case_study.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class MetricDefinition(TimestampMixin, db.Model):
    """A curated, comparable measure (stable slug); cases report values against it."""

    __tablename__ = "metric_definition"
    __table_args__ = (CheckConstraint("direction IN ('higher', 'lower')", name="direction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(40), default="")
    direction: Mapped[str] = mapped_column(String(6), default="higher")
    description_source: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    # The name and unit in the other interface languages: {"fr": {"name": …, "unit": …}, "es": …}.
    # `name` and `unit` are the English ones (and the fallback).
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    def __repr__(self) -> str:
        return f"<MetricDefinition {self.slug} {self.direction}>"

    def _translated(self, field: str) -> str:
        own = (self.translations or {}).get(str(get_locale() or "en"), {})
        return own.get(field) or getattr(self, field)

    @property
    def label(self) -> str:
        """The name in the reader's language (English when it has none)."""
        return self._translated("name")

    @property
    def unit_label(self) -> str:
        """The unit in the reader's language (English when it has none)."""
        return self._translated("unit")

    @property
    def is_lower_better(self) -> bool:
        return self.direction == "lower"

    @property
    def direction_label(self) -> str:
        return str(DIRECTION_LABELS.get(self.direction, self.direction))


class CaseStudy(TimestampMixin, db.Model):
    __tablename__ = "case_study"
    __table_args__ = (
        Index("ix_case_study_status_published", "status", "published_at"),
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(220), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(600), default="")
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    context_source: Mapped[str] = mapped_column(Text, default="")
    context_html: Mapped[str] = mapped_column(Text, default="")
    implementation_source: Mapped[str] = mapped_column(Text, default="")
    implementation_html: Mapped[str] = mapped_column(Text, default="")
    results_source: Mapped[str] = mapped_column(Text, default="")
    results_html: Mapped[str] = mapped_column(Text, default="")
    lessons_source: Mapped[str] = mapped_column(Text, default="")
    lessons_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=Status.DRAFT.value)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str] = mapped_column(String(8), default="en", index=True)
    source_url: Mapped[str] = mapped_column(String(1000), default="")
    published_at: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    organization: Mapped[Organization | None] = relationship()
    practices: Mapped[list[Practice]] = relationship(
        secondary=case_study_practice, order_by=Practice.title
    )
    coauthors: Mapped[list[User]] = relationship(secondary=case_study_author, order_by=User.id)
    metrics: Mapped[list["Metric"]] = relationship(
        back_populates="case_study", cascade="all, delete-orphan", order_by="Metric.id"
    )
    revisions: Mapped[list[Revision]] = relationship(
        primaryjoin="CaseStudy.id == foreign(Revision.case_study_id)",
        order_by=Revision.number.desc(), viewonly=True,
    )

    def __repr__(self) -> str:
        return f"<CaseStudy {self.id} {self.slug} {self.status}>"

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def author_ids(self) -> set[int]:
        ids = {u.id for u in self.coauthors}
        if self.owner_id is not None:
            ids.add(self.owner_id)
        return ids


class Metric(db.Model):
    """One case's measurement of one metric definition."""

    __table_args__ = (UniqueConstraint("case_study_id", "metric_definition_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_study.id", ondelete="CASCADE"))
    metric_definition_id: Mapped[int] = mapped_column(
        ForeignKey("metric_definition.id", ondelete="RESTRICT"), index=True
    )
    baseline: Mapped[float] = mapped_column(Float)
    result: Mapped[float] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    period_label: Mapped[str] = mapped_column(String(60), default="")
    evidence_url: Mapped[str] = mapped_column(String(1000), default="")

    case_study: Mapped[CaseStudy] = relationship(back_populates="metrics")
    definition: Mapped[MetricDefinition] = relationship(lazy="joined", innerjoin=True)

    def __repr__(self) -> str:
        return f"<Metric case={self.case_study_id} def={self.metric_definition_id}>"
