"""Blobs (bytes stored once, named by their SHA-256) and the attachments that point at them.

An attachment belongs to one parent, named by `parent_kind` and `parent_id` (the kinds are the
entries of `files.parents.PARENTS`): the parent's visibility is the file's. A removed attachment
keeps its row (`removed_at`) so a practice's history can say when a file was replaced; its blob is
kept while any attachment, removed or not, points at it.
"""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.database import utcnow
from marketplace.extensions import db

# What the text extraction says about an attachment.
TEXT_PENDING, TEXT_DONE, TEXT_FAILED, TEXT_NONE = "pending", "extracted", "failed", "none"


class Blob(db.Model):
    __tablename__ = "file_blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(120))  # decided from the bytes, never the name
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Blob {self.sha256[:12]} {self.media_type} {self.size}>"


class Attachment(db.Model):
    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_parent", "parent_kind", "parent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(10), default="evidence")  # evidence | image | avatar
    name: Mapped[str] = mapped_column(String(200))  # sanitised, for display only
    category: Mapped[str] = mapped_column(String(10))  # document | image | text | office
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("file_blob.sha256"), index=True)
    thumb_sha256: Mapped[str | None] = mapped_column(ForeignKey("file_blob.sha256"))
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"),
                                                    index=True)
    added_revision: Mapped[int | None]  # the practice revision that added it
    removed_revision: Mapped[int | None]  # ... and the one that removed or replaced it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]
    text_status: Mapped[str] = mapped_column(String(10), default=TEXT_NONE)
    text_pages: Mapped[list | None] = mapped_column(JSON)  # extracted text, one string a page
    text_error: Mapped[str] = mapped_column(Text, default="")

    blob: Mapped[Blob] = relationship(foreign_keys=[blob_sha256])
    uploader: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.parent_kind}:{self.parent_id} {self.name!r}>"

    @property
    def is_image(self) -> bool:
        return self.category == "image"

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    @property
    def text(self) -> str:
        return "\n".join(self.text_pages or [])
