"""Attaching, listing and removing files. Services flush, never commit (web.act commits).

The bytes go to storage before the commit: a rolled-back upload leaves an orphan blob, which
`marketplace files check` reports (and `--delete-orphans` removes); a committed row never
points at bytes that were not written.
"""

import hashlib

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace import links
from marketplace.accounts.models import User
from marketplace.database import utcnow
from marketplace.errors import InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.files import parents, sniff, storage
from marketplace.files.models import TEXT_NONE, TEXT_PENDING, Attachment, Blob

FIELD = "file"
EXTRACTABLE = ("document", "office", "text")


def size_text(n: int) -> str:
    """A size for messages: 20 MB, 512 KB, 100 B (decimal units)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= scale:
            return f"{round(n / scale, 1):g} {unit}"
    return f"{n} B"


def max_bytes(config) -> int:
    return max(config["FILES_MAX_BYTES"].values())


def used_bytes(user_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Attachment.size), 0)).where(
        Attachment.uploader_id == user_id, Attachment.removed_at.is_(None))) or 0


def store_blob(data: bytes, media_type: str) -> Blob:
    key = hashlib.sha256(data).hexdigest()
    storage.backend(current_app).put(key, data)
    blob = db.session.get(Blob, key)
    if blob is None:
        blob = Blob(sha256=key, size=len(data), media_type=media_type)
        try:
            with db.session.begin_nested():
                db.session.add(blob)
        except IntegrityError:  # the same bytes, uploaded at this moment by someone else
            blob = db.session.get(Blob, key)
    return blob


def attach(user, kind: str, parent_row, filename: str | None, data: bytes, *,
           purpose: str = "evidence", replaces: Attachment | None = None) -> Attachment:
    """Check, store and attach one upload; InvalidInput("file", why) for each refusal."""
    config = current_app.config
    parent = parents.PARENTS[kind]
    largest = max_bytes(config)
    if len(data) > largest:
        raise InvalidInput(FIELD, _("The file is larger than %(size)s, the most accepted.",
                                    size=size_text(largest)))
    try:
        found = sniff.inspect(data, config)
    except sniff.Refused as refused:
        raise InvalidInput(FIELD, refused.message) from None
    if purpose in ("image", "avatar") and found.category != "image":
        raise InvalidInput(FIELD, _("Upload an image (PNG, JPEG, GIF or WebP)."))
    limit = config["FILES_MAX_BYTES"][found.category]
    if len(data) > limit:
        raise InvalidInput(FIELD, _("This kind of file may be at most %(size)s.", size=size_text(limit)))
    quota = config["FILES_USER_QUOTA_BYTES"]
    # The quota is a sum: lock the uploader's row first, so two uploads at once cannot both fit
    # under it (PostgreSQL; SQLite has one writer at a time anyway).
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    if used_bytes(user.id) + len(data) > quota:
        raise InvalidInput(FIELD, _("This file would take you past your storage quota of %(size)s: "
                                    "remove a file you no longer need first.", size=size_text(quota)))
    thumb = None
    media_type = found.media_type
    if found.category == "image":
        try:
            image = sniff.reencode_image(data, config)
        except sniff.Refused as refused:
            raise InvalidInput(FIELD, refused.message) from None
        data, media_type = image.data, image.media_type
        thumb = store_blob(image.thumb, image.thumb_media_type)
    blob = store_blob(data, media_type)
    attachment = Attachment(
        parent_kind=kind, parent_id=parent_row.id, purpose=purpose,
        name=sniff.safe_name(filename, media_type), category=found.category,
        media_type=media_type, size=len(data), blob_sha256=blob.sha256,
        thumb_sha256=thumb.sha256 if thumb else None, uploader_id=user.id,
        text_status=TEXT_PENDING if found.category in EXTRACTABLE else TEXT_NONE,
    )
    db.session.add(attachment)
    db.session.flush()
    message = _("Attached %(name)s", name=attachment.name)
    if replaces is not None:
        message = _("Replaced %(old)s with %(new)s", old=replaces.name, new=attachment.name)
    revision = parent.changed(parent_row, user, message) if parent.changed else None
    attachment.added_revision = revision
    if replaces is not None:
        _mark_removed(replaces, revision)
    db.session.flush()
    return attachment


def _mark_removed(attachment: Attachment, revision: int | None) -> None:
    attachment.removed_at = utcnow()
    attachment.removed_revision = revision


def remove(user, attachment: Attachment) -> None:
    if attachment.is_removed:
        raise NotFound(_("This file was already removed."))
    parent = parents.PARENTS[attachment.parent_kind]
    row = parents.load(attachment.parent_kind, attachment.parent_id)
    revision = parent.changed(row, user, _("Removed %(name)s", name=attachment.name)) \
        if parent.changed else None
    _mark_removed(attachment, revision)
    db.session.flush()


def set_avatar(user, filename: str | None, data: bytes) -> Attachment:
    """The user's new avatar (an image attached to their profile); the previous one is removed."""
    previous = listed("profile", user.id, purpose="avatar")
    avatar = attach(user, "profile", user, filename, data, purpose="avatar")
    for old in previous:
        _mark_removed(old, None)
    db.session.flush()
    return avatar


def avatar_of(user_id: int) -> Attachment | None:
    return db.session.scalar(select(Attachment).where(
        Attachment.parent_kind == "profile", Attachment.parent_id == user_id, Attachment.purpose == "avatar",
        Attachment.removed_at.is_(None)).order_by(Attachment.id.desc()).limit(1))


def listed(kind: str, parent_id: int, *, purpose: str | None = "evidence",
           removed: bool = False) -> list[Attachment]:
    query = select(Attachment).where(Attachment.parent_kind == kind,
                                     Attachment.parent_id == parent_id)
    if purpose is not None:
        query = query.where(Attachment.purpose == purpose)
    if not removed:
        query = query.where(Attachment.removed_at.is_(None))
    return list(db.session.scalars(query.order_by(Attachment.created_at, Attachment.id)))


def listed_among(kind: str, parent_ids, purpose: str = "evidence") -> list[Attachment]:
    """Files of several parents of one kind (`parent_ids`: a list or a select of ids)."""
    return list(db.session.scalars(select(Attachment).where(
        Attachment.parent_kind == kind, Attachment.parent_id.in_(parent_ids),
        Attachment.purpose == purpose, Attachment.removed_at.is_(None))
        .order_by(Attachment.created_at, Attachment.id)))


def by_parent(kind: str, parent_ids, purpose: str = "evidence") -> dict[int, list[Attachment]]:
    """`listed_among`, grouped by parent id (parents without files are absent)."""
    grouped: dict[int, list[Attachment]] = {}
    for attachment in listed_among(kind, parent_ids, purpose):
        grouped.setdefault(attachment.parent_id, []).append(attachment)
    return grouped


def get_visible(user, attachment_id: int) -> Attachment | None:
    """The attachment when `user` may see its parent (removed ones stay readable in history);
    None otherwise, whatever the reason, so a guess learns nothing."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        return None
    row = parents.load(attachment.parent_kind, attachment.parent_id)
    return attachment if parents.visible(user, attachment.parent_kind, row) else None


def url(attachment: Attachment, thumb: bool = False) -> str:
    endpoint = "files.thumbnail" if thumb else "files.serve"
    return links.path(endpoint, attachment_id=attachment.id, name=attachment.name)


def read(attachment: Attachment, thumb: bool = False) -> bytes | None:
    key = attachment.thumb_sha256 if thumb and attachment.thumb_sha256 else attachment.blob_sha256
    return storage.backend(current_app).get(key)
