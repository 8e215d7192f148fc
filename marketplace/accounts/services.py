"""Account verbs: register, sign in and out, passwords, email, deletion, roles, profiles."""

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache

from flask import current_app, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace import links
from marketplace.accounts import outbox
from marketplace.accounts.models import (
    AuditEvent,
    LoginSession,
    Organization,
    OrganizationInvitation,
    OrganizationMember,
    Role,
    User,
    UserExpertise,
    UserRole,
)
from marketplace.database import utcnow
from marketplace.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.slugs import unique_slug
from marketplace.text import render_markdown
from marketplace.web import request_refused

MIN_PASSWORD_LENGTH = 10
DELETED_NAME = "deleted user"  # stored in place of the name; pages show User.public_name


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """A real hash to check when the email is unknown, so both answers take as long."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_password_strength(password: str, user_inputs: Sequence[str] = (),
                            field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            field, _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
        )
    # Imported here: its word lists hold 12 MB, which every process (search workers, job runners,
    # web workers that never see a password form) would otherwise carry from start-up.
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:100], user_inputs=_personal_words(user_inputs))
    if result["score"] < 3:
        hint = result["feedback"].get("warning") or ""
        raise InvalidInput(
            field,
            _("This password is too easy to guess. Add words or mix in less common ones.")
            + (f" ({hint})" if hint else ""),
        )


def _personal_words(user_inputs) -> list[str]:
    """The inputs and their parts ("Nadia Haddad", "nadia.h@x.org" → nadia, haddad, ...)."""
    words = {u.lower() for u in user_inputs if u}
    return sorted(words | {w for u in words for w in re.split(r"[\s@._+-]+", u) if len(w) > 2})


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def register_user(email: str, display_name: str, password: str, locale: str | None = None,
                  confirmed: bool = False) -> User:
    """A new account; unless `confirmed` (an operator or the seeder vouches for the address), it
    takes part only after its owner follows the link of make_email_confirmation_token."""
    email = normalize_email(email)
    if get_user_by_email(email):
        raise Conflict(_("An account with this email already exists."), field="email")
    check_password_strength(password, [email, display_name])
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        locale=locale,
        languages=[locale] if locale else [],
        email_confirmed_at=utcnow() if confirmed else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None; takes as long for an unknown email."""
    user = get_user_by_email(email)
    if user is None or user.is_deleted:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_login_session(user: User, user_agent: str = "") -> str:
    """Create a server-side session for user and return its token (kept in the cookie)."""
    token = secrets.token_urlsafe(32)
    days = current_app.config["LOGIN_SESSION_DAYS"]
    db.session.add(
        LoginSession(
            user_id=user.id,
            token_hash=_token_hash(token),
            expires_at=utcnow() + timedelta(days=days),
            user_agent=user_agent[:200],
        )
    )
    user.last_login_at = utcnow()
    user.session_token = token  # type: ignore[misc]  # per-object, over the class default
    db.session.flush()
    return token


# Built once: building it costs ~70 µs, on every signed-in request.
_SESSION_USER = (select(User, LoginSession.expires_at).join(LoginSession, LoginSession.user_id == User.id)
                 .where(LoginSession.token_hash == bindparam("token_hash")).options(joinedload(User.roles)))


def load_session_user(token: str) -> User | None:
    """The signed-in user of a session token, or None (unknown, expired, or the user may not sign
    in). One statement on every signed-in request: the session's expiry, the user and their roles
    (which most pages read) joined, instead of three."""
    found = db.session.execute(_SESSION_USER, {"token_hash": _token_hash(token)}).unique().first()
    if found is None:
        return None
    user, expires_at = found
    if expires_at < utcnow() or not user.is_active:
        return None
    user.session_token = token  # type: ignore[misc]  # per-object, over the class default
    return user


def end_login_session(token: str | None) -> None:
    if token:
        db.session.execute(delete(LoginSession).where(LoginSession.token_hash == _token_hash(token)))


def end_all_login_sessions(user: User) -> None:
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Set a new password and end every session of the user (the caller starts a new one)."""
    if not check_password_hash(user.password_hash, current_password):
        raise InvalidInput("current_password", _("Your current password is not correct."))
    _set_password(user, new_password, "new_password")


def _set_password(user: User, new_password: str, field: str = "password") -> None:
    check_password_strength(new_password, [user.email, user.display_name], field)
    user.password_hash = hash_password(new_password)
    end_all_login_sessions(user)
    db.session.flush()


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_password_reset_token(user: User) -> str:
    """A token that expires, and dies once the password changes (so it works once)."""
    return _serializer("password-reset").dumps([user.id, _password_fingerprint(user)])


def reset_password(token: str, new_password: str) -> User:
    invalid = InvalidInput("token", _("This reset link is invalid or has expired."))
    try:
        user_id, fingerprint = _serializer("password-reset").loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        raise invalid from None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or fingerprint != _password_fingerprint(user):
        raise invalid
    _set_password(user, new_password)
    if not user.is_email_confirmed:  # the link reached the address: it is proven
        user.email_confirmed_at = utcnow()
    return user


def make_email_change_token(user: User, new_email: str, password: str) -> str:
    """Check the password again and return a token to confirm from the new address."""
    token, owner = start_email_change(user, new_email, password)
    if owner is not None:
        raise Conflict(_("An account with this email already exists."), field="email")
    return token or ""


def start_email_change(user: User, new_email: str, password: str) -> tuple[str | None, User | None]:
    """Check the password again; `(token, None)` to mail to the new address, or `(None, owner)`
    when another account already uses it: the caller answers as usual (no oracle) and tells the
    owner by mail instead."""
    if not check_password_hash(user.password_hash, password):
        raise InvalidInput("password", _("Your password is not correct."))
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise InvalidInput("email", _("This is already your email address."))
    owner = get_user_by_email(new_email)
    if owner is not None:
        return None, owner
    return _serializer("email-change").dumps([user.id, user.email, new_email]), None


def confirm_email_change(token: str) -> User:
    invalid = InvalidInput("token", _("This confirmation link is invalid or has expired."))
    try:
        user_id, old_email, new_email = _serializer("email-change").loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"] * 24
        )
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        raise invalid from None
    user = db.session.get(User, user_id)
    if user is None or user.email != old_email or not user.is_active:
        raise invalid
    if get_user_by_email(new_email):
        raise Conflict(_("An account with this email already exists."), field="email")
    user.email = new_email
    user.email_confirmed_at = utcnow()  # the link reached the new address: it is proven
    db.session.flush()
    return user


EMAIL_CONFIRMATION_SALT = "email-confirmation"


def make_email_confirmation_token(user: User) -> str:
    """A link token that expires, and works once: it dies when the address is confirmed or changed."""
    return _serializer(EMAIL_CONFIRMATION_SALT).dumps([user.id, user.email])


def confirm_email_address(token: str) -> User:
    """Mark the address confirmed (InvalidInput for a bad, expired or already used link)."""
    invalid = InvalidInput("token", _("This confirmation link is invalid, expired or already used."))
    try:
        user_id, email = _serializer(EMAIL_CONFIRMATION_SALT).loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"] * 24
        )
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        raise invalid from None
    user = db.session.get(User, user_id)
    if user is None or user.email != email or not user.is_active or user.is_email_confirmed:
        raise invalid
    user.email_confirmed_at = utcnow()
    db.session.flush()
    return user


def delete_account(user: User, password: str) -> None:
    """Anonymise the account; what the user wrote stays, attributed to "deleted user"."""
    if not check_password_hash(user.password_hash, password):
        raise InvalidInput("password", _("Your password is not correct."))
    end_all_login_sessions(user)
    user.is_deleted = True
    user.email = f"deleted-{user.id}-{secrets.token_hex(4)}@invalid"
    user.display_name = DELETED_NAME
    user.password_hash = "!" + secrets.token_hex(16)
    user.bio_source = user.bio_html = ""
    user.country = None
    user.languages = []
    user.expertise.clear()
    user.memberships.clear()
    user.roles.clear()
    db.session.flush()


def record_audit(
    action: str,
    actor: User | None = None,
    target: object | None = None,
    ip: str | None = None,
    **detail,
) -> AuditEvent:
    if hasattr(target, "_get_current_object"):  # current_user: log the user, not the proxy
        target = target._get_current_object()
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        target_type=type(target).__name__.lower() if target is not None else None,
        target_id=getattr(target, "id", None),
        detail=detail,
        ip=ip,
    )
    db.session.add(event)
    db.session.flush()
    return event


def grant_role(admin: User, user: User, role: Role, ip: str | None = None) -> None:
    if not admin.is_admin:
        raise PermissionDenied(_("Only administrators change roles."))
    if user.has_role(role):
        raise Conflict(_("The user already has this role."), field="role")
    user.roles.append(UserRole(role=role.value))
    record_audit("role.grant", admin, user, ip, role=role.value)


def revoke_role(admin: User, user: User, role: Role, ip: str | None = None) -> None:
    if not admin.is_admin:
        raise PermissionDenied(_("Only administrators change roles."))
    if role == Role.ADMIN and user.id == admin.id and count_admins() <= 1:
        raise Conflict(_("The last administrator cannot drop the admin role."), field="role")
    row = next((r for r in user.roles if r.role == role), None)
    if row is None:
        raise Conflict(_("The user does not have this role."), field="role")
    user.roles.remove(row)
    record_audit("role.revoke", admin, user, ip, role=role.value)


def count_admins() -> int:
    return db.session.scalar(
        select(func.count()).select_from(UserRole).where(UserRole.role == Role.ADMIN.value)
    )


def update_profile(
    user: User,
    *,
    display_name: str,
    bio: str,
    country: str | None,
    languages: list[str],
    expertise: list[str],
    locale: str | None,
) -> None:
    user.display_name = display_name.strip()
    user.bio_source = bio or ""
    user.bio_html = render_markdown(user.bio_source)
    user.country = country or None
    user.languages = list(dict.fromkeys(languages))
    user.locale = locale or None
    current = {e.tag: e for e in user.expertise}
    for tag in set(current) - set(expertise):
        user.expertise.remove(current[tag])
    for tag in expertise:
        if tag not in current:
            user.expertise.append(UserExpertise(tag=tag))
    db.session.flush()


def create_organization(
    creator: User | None,
    *,
    name: str,
    type: str,
    country: str | None,
    website: str = "",
    description: str = "",
    language: str = "en",
    source_url: str = "",
) -> Organization:
    """The creator becomes its admin; an imported organization (creator None) has no member."""
    org = Organization(
        name=name.strip(),
        slug=unique_slug(Organization, name),
        type=type,
        country=country or None,
        website=website or "",
        description_source=description or "",
        description_html=render_markdown(description),
        language=language,
        source_url=source_url,
    )
    if creator is not None:
        org.members.append(OrganizationMember(user=creator, role="admin"))
    db.session.add(org)
    db.session.flush()
    return org


def update_organization(org: Organization, **fields) -> None:
    for key in ("name", "type", "country", "website"):
        if key in fields:
            setattr(org, key, fields[key] or ("" if key == "website" else None))
    if "description" in fields:
        org.description_source = fields["description"] or ""
        org.description_html = render_markdown(org.description_source)
    db.session.flush()


def add_organization_member(org: Organization, user: User, role: str = "member") -> None:
    if any(m.user_id == user.id for m in org.members):
        raise Conflict(_("This person is already a member."), field="email")
    org.members.append(OrganizationMember(user=user, role=role))
    db.session.flush()


INVITATION_DAYS = 14  # an organization invitation not answered by then is void
ORGANIZATION_ROLES = ("member", "treasurer", "admin")


def invite_organization_member(org: Organization, inviter: User, email: str, role: str = "member",
                               ip: str | None = None) -> OrganizationInvitation | None:
    """Invite whoever uses `email` to join `org` with `role`. Nobody is added: the invitee accepts
    (answer_organization_invitation). The caller learns nothing about the address (no oracle):
    an account that uses it gets an in-app notice and a mail; an unknown address, a member's
    address or one with an open invitation gets nothing more. Audited either way."""
    if role not in ORGANIZATION_ROLES:
        raise InvalidInput("role", _("Choose one of the offered options."))
    email = normalize_email(email)
    record_audit("organization.invite", inviter, org, ip, email=email[:254], role=role)
    invitee = get_user_by_email(email)
    if invitee is not None and (not invitee.is_active or any(m.user_id == invitee.id for m in org.members)):
        return None
    now = utcnow()
    if db.session.scalar(select(OrganizationInvitation.id).where(
            OrganizationInvitation.organization_id == org.id, OrganizationInvitation.email == email,
            OrganizationInvitation.status == "pending", OrganizationInvitation.expires_at > now)):
        return None  # one open invitation per address: no flood of mail to it
    invitation = OrganizationInvitation(
        organization_id=org.id, email=email, role=role, invited_by_id=inviter.id,
        invitee_id=invitee.id if invitee is not None else None,
        created_at=now, expires_at=now + timedelta(days=INVITATION_DAYS))
    db.session.add(invitation)
    db.session.flush()
    if invitee is not None:
        outbox.notice(invitee, _l("%(name)s invites you to join %(organization)s.",
                                  name=inviter.display_name, organization=org.name),
                      links.path("organizations.invitation", invitation_id=invitation.id), actor=inviter)
        outbox.queue_templated_email(
            invitee, _l("An invitation to join %(organization)s", organization=org.name),
            "email/organization_invitation.txt", organization=org, inviter=inviter, role=role,
            days=INVITATION_DAYS, link=links.absolute("organizations.invitation", invitation_id=invitation.id))
    return invitation


def invitation_for(user: User, invitation_id: int) -> OrganizationInvitation:
    """The invitation addressed to `user`; anybody else's is not found (nothing to learn)."""
    invitation = db.session.get(OrganizationInvitation, invitation_id)
    if invitation is None or invitation.invitee_id != user.id:
        raise NotFound(_("This invitation does not exist."))
    return invitation


def answer_organization_invitation(user: User, invitation_id: int, accept: bool,
                                   ip: str | None = None) -> OrganizationInvitation:
    """Accept (become a member with the invited role) or decline, once, before it expires."""
    invitation = invitation_for(user, invitation_id)
    now = utcnow()
    answered = db.session.execute(
        update(OrganizationInvitation)
        .where(OrganizationInvitation.id == invitation.id, OrganizationInvitation.status == "pending",
               OrganizationInvitation.expires_at > now)
        .values(status="accepted" if accept else "declined", answered_at=now)
        .execution_options(synchronize_session=False))
    if answered.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_("This invitation has expired or was already answered."))
    db.session.refresh(invitation)
    org = invitation.organization
    if accept and not any(m.user_id == user.id for m in org.members):
        org.members.append(OrganizationMember(user=user, role=invitation.role))
    record_audit("organization.invitation_accepted" if accept else "organization.invitation_declined",
                 user, org, ip, invitation=invitation.id, role=invitation.role)
    db.session.flush()
    return invitation


def remove_organization_member(org: Organization, member: OrganizationMember) -> None:
    admins = [m for m in org.members if m.is_admin]
    if member.is_admin and len(admins) <= 1:
        raise Conflict(_("An organization needs at least one admin."))
    org.members.remove(member)
    db.session.flush()


def connect_signals() -> None:
    """Called once by create_app; connecting the same receiver again is a no-op."""
    request_refused.connect(_audit_refusal)


def _audit_refusal(action: str, user: User | None, ip: str | None, detail: dict) -> None:
    """A refused request's audit row, on its own connection: the request's session is untouched."""
    row = dict(action=action, actor_id=getattr(user, "id", None), ip=ip, created_at=utcnow(), detail=detail)
    if _holds_sqlite_write_lock():
        # SQLite has one writer, and this request's open transaction is it: another connection
        # would wait for it. The row is written when the request ends (write_deferred_refusals).
        g.setdefault("deferred_refusals", []).append(row)
        return
    with db.engine.begin() as conn:
        conn.execute(insert(AuditEvent), [row])


def _holds_sqlite_write_lock() -> bool:
    if db.engine.dialect.name != "sqlite" or db.session().get_transaction() is None:
        return False
    return db.session.connection().connection.dbapi_connection.in_transaction  # BEGIN before DML


def write_deferred_refusals(_exc=None) -> None:
    """Teardown: audit rows deferred on SQLite, written after the refused request's own
    uncommitted transaction is rolled back (as the end of the request would anyway)."""
    rows = g.pop("deferred_refusals", None)
    if rows:
        db.session.rollback()
        with db.engine.begin() as conn:
            conn.execute(insert(AuditEvent), rows)
