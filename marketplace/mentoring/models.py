"""Mentor offers, mentorships (requested → active → completed / declined) and their messages."""

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.database import TimestampMixin, utcnow
from marketplace.extensions import db


class MentorshipState(enum.StrEnum):
    REQUESTED = "requested"
    ACTIVE = "active"
    COMPLETED = "completed"
    DECLINED = "declined"
    CANCELLED = "cancelled"


OPEN_STATES = (MentorshipState.REQUESTED.value, MentorshipState.ACTIVE.value)


class MentorOffer(TimestampMixin, db.Model):
    """A member's offer to mentor; active_count only moves through guarded UPDATEs."""

    __table_args__ = (
        CheckConstraint("capacity >= 0 AND capacity <= 50", name="capacity_range"),
        CheckConstraint("active_count >= 0 AND active_count <= capacity", name="within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    topics: Mapped[list] = mapped_column(JSON, default=list)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    capacity: Mapped[int] = mapped_column(default=2)
    active_count: Mapped[int] = mapped_column(default=0)
    availability: Mapped[str] = mapped_column(String(200), default="")
    is_open: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<MentorOffer user={self.user_id} {self.active_count}/{self.capacity}>"

    @property
    def free_places(self) -> int:
        return max(0, self.capacity - self.active_count)


class Mentorship(TimestampMixin, db.Model):
    __table_args__ = (
        # One open request or mentorship per pair at a time.
        Index(
            "uq_mentorship_open_pair", "mentor_id", "mentee_id", unique=True,
            sqlite_where=text("state IN ('requested', 'active')"),
            postgresql_where=text("state IN ('requested', 'active')"),
        ),
        CheckConstraint("mentor_id <> mentee_id", name="not_self"),
        CheckConstraint("mentor_rating IS NULL OR mentor_rating BETWEEN 1 AND 5", name="mentor_rating"),
        CheckConstraint("mentee_rating IS NULL OR mentee_rating BETWEEN 1 AND 5", name="mentee_rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    goal: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(60))
    language: Mapped[str | None] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(12), default=MentorshipState.REQUESTED.value, index=True)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    accepted_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    mentor_feedback: Mapped[str] = mapped_column(Text, default="")
    mentee_feedback: Mapped[str] = mapped_column(Text, default="")
    mentor_rating: Mapped[int | None]
    mentee_rating: Mapped[int | None]

    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])
    mentee: Mapped[User] = relationship(foreign_keys=[mentee_id])
    messages: Mapped[list["MentorshipMessage"]] = relationship(
        back_populates="mentorship", cascade="all, delete-orphan", order_by="MentorshipMessage.id"
    )

    def __repr__(self) -> str:
        return f"<Mentorship {self.id} {self.mentor_id}->{self.mentee_id} {self.state}>"

    def is_participant(self, user) -> bool:
        return user is not None and getattr(user, "id", None) in (self.mentor_id, self.mentee_id)


class MentorshipMessage(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorship.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mentorship: Mapped[Mentorship] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<MentorshipMessage {self.id} in {self.mentorship_id}>"
