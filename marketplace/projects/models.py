"""Projects and events to fund, their budgets, performance objectives and progress reports.

Money columns are integer minor units in the project's currency. `raised_minor` and
`released_minor` are written only by the ledger (guarded UPDATEs), never by this package.
"""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organization, User
from marketplace.communities.models import Community
from marketplace.database import Base, TimestampMixin, utcnow
from marketplace.extensions import db
from marketplace.knowledge.models import THEMES, Practice


class ProjectKind(enum.StrEnum):
    PROJECT = "project"
    EVENT = "event"


class FundingModel(enum.StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    KEEP_WHAT_YOU_RAISE = "keep_what_you_raise"


class ProjectState(enum.StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    OPEN = "open"
    FUNDED = "funded"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ObjectiveStatus(enum.StrEnum):
    ON_TRACK = "on_track"
    ACHIEVED = "achieved"
    MISSED = "missed"
    VERIFIED = "verified"
    # Shown, never stored: the project closed before the objective was met.
    NOT_REACHED = "not_reached"  # expired without its funding
    STOPPED = "stopped"  # cancelled


KIND_LABELS = {ProjectKind.PROJECT: _l("Project"), ProjectKind.EVENT: _l("Event")}
FUNDING_MODEL_LABELS = {
    FundingModel.ALL_OR_NOTHING: _l("All or nothing"),
    FundingModel.KEEP_WHAT_YOU_RAISE: _l("Keep what you raise"),
}
STATE_LABELS = {
    ProjectState.DRAFT: _l("Draft"),
    ProjectState.PENDING_REVIEW: _l("Pending review"),
    ProjectState.OPEN: _l("Open"),
    ProjectState.FUNDED: _l("Funded"),
    ProjectState.COMPLETED: _l("Completed"),
    ProjectState.CANCELLED: _l("Cancelled"),
    ProjectState.EXPIRED: _l("Expired"),
}
OBJECTIVE_STATUS_LABELS = {
    ObjectiveStatus.ON_TRACK: _l("On track"),
    ObjectiveStatus.ACHIEVED: _l("Achieved"),
    ObjectiveStatus.MISSED: _l("Missed"),
    ObjectiveStatus.VERIFIED: _l("Verified"),
    ObjectiveStatus.NOT_REACHED: _l("Not reached: the project expired"),
    ObjectiveStatus.STOPPED: _l("Stopped: the project was cancelled"),
}

# Reviewers the donors appoint to verify objectives (moderators may always review).
project_reviewer = Table(
    "project_reviewer",
    Base.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Project(TimestampMixin, db.Model):
    __table_args__ = (
        CheckConstraint("goal_minor > 0", name="goal_positive"),
        CheckConstraint("raised_minor >= 0", name="raised_not_negative"),
        CheckConstraint("raised_minor <= goal_minor", name="raised_within_goal"),
        CheckConstraint("released_minor >= 0", name="released_not_negative"),
        CheckConstraint("released_minor <= raised_minor", name="released_within_raised"),
        CheckConstraint("kind IN ('project', 'event')", name="kind_valid"),
        CheckConstraint(
            "funding_model IN ('all_or_nothing', 'keep_what_you_raise')", name="funding_model_valid"
        ),
        CheckConstraint(
            "state IN ('draft', 'pending_review', 'open', 'funded', 'completed', 'cancelled',"
            " 'expired')",
            name="state_valid",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description_source: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(10), default=ProjectKind.PROJECT.value, index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="SET NULL"), index=True
    )
    # The fiscal host that holds the money (an organization with is_fiscal_host).
    host_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    currency: Mapped[str] = mapped_column(String(3))
    goal_minor: Mapped[int] = mapped_column(BigInteger)
    raised_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    released_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    funding_model: Mapped[str] = mapped_column(
        String(20), default=FundingModel.ALL_OR_NOTHING.value
    )
    deadline: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(20), default=ProjectState.DRAFT.value, index=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    review_note: Mapped[str] = mapped_column(Text, default="")
    # Events only
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    place: Mapped[str] = mapped_column(String(300), default="")
    is_online: Mapped[bool] = mapped_column(default=False)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    organization: Mapped[Organization | None] = relationship(foreign_keys=[organization_id])
    host: Mapped[Organization | None] = relationship(foreign_keys=[host_id])
    community: Mapped[Community | None] = relationship()
    country_links: Mapped[list["ProjectCountry"]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectCountry.country"
    )
    theme_links: Mapped[list["ProjectTheme"]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectTheme.theme"
    )
    budget_lines: Mapped[list["BudgetLine"]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="BudgetLine.position"
    )
    objectives: Mapped[list["Objective"]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Objective.id"
    )
    reports: Mapped[list["ProgressReport"]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        order_by="ProgressReport.created_at.desc()",
    )
    reviewers: Mapped[list[User]] = relationship(secondary=project_reviewer)
    practices: Mapped[list[Practice]] = relationship(
        secondary="project_practice", order_by="Practice.title"
    )

    def __repr__(self) -> str:
        return f"<Project {self.slug} {self.state}>"

    @property
    def countries(self) -> list[str]:
        return [link.country for link in self.country_links]

    @property
    def themes(self) -> list[str]:
        return [link.theme for link in self.theme_links]

    @property
    def is_event(self) -> bool:
        return self.kind == ProjectKind.EVENT

    @property
    def is_public(self) -> bool:
        return self.state not in (ProjectState.DRAFT, ProjectState.PENDING_REVIEW)

    @property
    def has_pledges(self) -> bool:
        return self.raised_minor > 0

    @property
    def remaining_minor(self) -> int:
        return self.goal_minor - self.raised_minor

    @property
    def budget_total_minor(self) -> int:
        return sum(line.amount_minor for line in self.budget_lines)

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, self.state))

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def funding_model_label(self) -> str:
        return str(FUNDING_MODEL_LABELS.get(self.funding_model, self.funding_model))


class ProjectCountry(db.Model):
    __tablename__ = "project_country"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)

    def __repr__(self) -> str:
        return f"<ProjectCountry {self.project_id} {self.country}>"


class ProjectTheme(db.Model):
    """A theme slug from the curated list in marketplace.knowledge."""

    __tablename__ = "project_theme"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    )
    theme: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)

    def __repr__(self) -> str:
        return f"<ProjectTheme {self.project_id} {self.theme}>"

    @property
    def label(self) -> str:
        return str(THEMES.get(self.theme, self.theme))


# The practices a project implements or adapts.
project_practice = Table(
    "project_practice",
    Base.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column("practice_id", ForeignKey("practice.id", ondelete="CASCADE"), primary_key=True),
)


class BudgetLine(db.Model):
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    item: Mapped[str] = mapped_column(String(200))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(default=0)

    project: Mapped[Project] = relationship(back_populates="budget_lines")

    def __repr__(self) -> str:
        return f"<BudgetLine {self.project_id} {self.item!r} {self.amount_minor}>"


class Objective(db.Model):
    __table_args__ = (
        CheckConstraint("tranche_minor >= 0", name="tranche_not_negative"),
        CheckConstraint(
            "status IN ('on_track', 'achieved', 'missed', 'verified')", name="status_valid"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    indicator: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40), default="")
    baseline: Mapped[float] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default=ObjectiveStatus.ON_TRACK.value)
    # Released by the ledger when the objective is verified.
    tranche_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship(back_populates="objectives")
    verified_by: Mapped[User | None] = relationship()
    values: Mapped[list["ProgressValue"]] = relationship(
        back_populates="objective", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Objective {self.id} project={self.project_id} {self.status}>"

    @property
    def higher_is_better(self) -> bool:
        return self.target >= self.baseline

    @property
    def status_label(self) -> str:
        return str(OBJECTIVE_STATUS_LABELS.get(self.status, self.status))

    @property
    def is_verified(self) -> bool:
        return self.status == ObjectiveStatus.VERIFIED


class ProgressReport(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body_source: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    project: Mapped[Project] = relationship(back_populates="reports")
    author: Mapped[User] = relationship()
    values: Mapped[list["ProgressValue"]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ProgressValue.objective_id"
    )

    def __repr__(self) -> str:
        return f"<ProgressReport {self.id} project={self.project_id}>"


class ProgressValue(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("progress_report.id", ondelete="CASCADE"), index=True
    )
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("objective.id", ondelete="CASCADE"), index=True
    )
    actual: Mapped[float] = mapped_column(Float)
    evidence_url: Mapped[str] = mapped_column(String(500), default="")

    report: Mapped[ProgressReport] = relationship(back_populates="values")
    objective: Mapped[Objective] = relationship(back_populates="values")

    def __repr__(self) -> str:
        return f"<ProgressValue objective={self.objective_id} {self.actual}>"
