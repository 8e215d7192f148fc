"""Community verbs: create, edit, join (openly, by request or by invitation), leave, roles.

Every moderator action is written to the audit log with detail community_id, which the
community's moderation page lists.
"""

import secrets

from flask import g, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from marketplace import links, policy
from marketplace.accounts.models import User
from marketplace.accounts.services import parse_tags, record_audit, slugify, unique_slug
from marketplace.communities.models import (
    MEMBER,
    MODERATOR,
    OWNER,
    Community,
    CommunityMember,
    JoinRequest,
)
from marketplace.database import utcnow
from marketplace.errors import Conflict, InvalidInput, PermissionDenied
from marketplace.extensions import db
from marketplace.notifications import kinds
from marketplace.notifications.services import notify
from marketplace.text import render_markdown

DEFAULT_CATEGORIES = ("General", "Questions and answers")


def member_role(community: Community, user) -> str | None:
    """The user's role in the community, or None; cached for the app context (request)."""
    return policy.community_role(user, community.id)


def _forget_roles() -> None:
    if has_app_context():
        g.pop("community_roles", None)


def get_member(community: Community, user_id: int) -> CommunityMember | None:
    return db.session.scalar(select(CommunityMember).where(
        CommunityMember.community_id == community.id, CommunityMember.user_id == user_id))


def moderators_of(community: Community) -> list[User]:
    return list(db.session.scalars(select(User).join(CommunityMember).where(
        CommunityMember.community_id == community.id,
        CommunityMember.role.in_((OWNER, MODERATOR)))))


def _check_countries(countries: list[str]) -> list[str]:
    from marketplace.i18n import country_name

    clean = []
    for code in countries:
        code = (code or "").strip().upper()
        if not code:
            continue
        if len(code) != 2 or country_name(code) == code:
            raise InvalidInput("countries", _("Unknown country code: %(code)s", code=code))
        clean.append(code)
    return list(dict.fromkeys(clean))


def create_community(creator: User, *, name: str, description: str, themes: str | list[str],
                     countries: list[str], is_private: bool, slug: str = "") -> Community:
    """Create a community with its creator as owner and two starter categories."""
    from marketplace.forums.services import create_category

    if slug and db.session.scalar(select(Community.id).where(Community.slug == slugify(slug))):
        raise Conflict(_("This address is taken; choose another."), field="slug")
    community = Community(
        name=name.strip(), slug=slugify(slug) if slug else unique_slug(Community, name),
        created_by_id=creator.id, is_private=is_private, member_count=1)
    _set_fields(community, description, themes, countries)
    community.members.append(CommunityMember(user_id=creator.id, role=OWNER))
    db.session.add(community)
    db.session.flush()
    for position, title in enumerate(DEFAULT_CATEGORIES):
        create_category(community, title, position=position)
    _forget_roles()
    return community


def _set_fields(community: Community, description: str, themes, countries: list[str]) -> None:
    community.description_source = description or ""
    community.description_html = render_markdown(community.description_source)
    community.themes = parse_tags(themes) if isinstance(themes, str) else list(themes)
    community.countries = _check_countries(countries)


def update_community(editor: User, community: Community, *, name: str, description: str,
                     themes: str | list[str], countries: list[str], is_private: bool) -> None:
    community.name = name.strip()
    community.is_private = is_private
    _set_fields(community, description, themes, countries)
    record_audit("community.update", editor, community, community_id=community.id)


def add_member(community: Community, user: User, role: str = MEMBER) -> CommunityMember:
    if member_role(community, user):
        raise Conflict(_("You are already a member of this community."))
    member = CommunityMember(community_id=community.id, user_id=user.id, role=role)
    db.session.add(member)
    db.session.execute(update(Community).where(Community.id == community.id)
                       .values(member_count=Community.member_count + 1))
    db.session.flush()
    db.session.refresh(community, ["member_count"])
    _forget_roles()
    return member


def join(community: Community, user: User) -> CommunityMember:
    if community.is_private:
        raise PermissionDenied(_("This community is private: ask to join or use an invitation."))
    return add_member(community, user)


def join_by_invitation(community: Community, user: User, token: str) -> CommunityMember:
    if not community.invite_token or not secrets.compare_digest(community.invite_token, token):
        raise PermissionDenied(_("This invitation link is no longer valid."))
    return add_member(community, user)


def pending_request(community: Community, user) -> JoinRequest | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(JoinRequest).where(
        JoinRequest.community_id == community.id, JoinRequest.user_id == user.id,
        JoinRequest.status == "pending"))


def request_to_join(community: Community, user: User, message: str = "") -> JoinRequest:
    if member_role(community, user):
        raise Conflict(_("You are already a member of this community."))
    if pending_request(community, user):
        raise Conflict(_("Your request is already waiting for a moderator."))
    req = JoinRequest(community_id=community.id, user_id=user.id, message=message[:1000])
    db.session.add(req)
    db.session.flush()
    link = links.path("communities.requests", slug=community.slug)
    for moderator in moderators_of(community):
        notify(moderator, kinds.MODERATION, _l("%(name)s asks to join %(community)s",
               name=user.display_name, community=community.name), link, actor=user)
    return req


def decide_request(moderator: User, req: JoinRequest, approve: bool, ip: str | None = None) -> None:
    if req.status != "pending":
        raise Conflict(_("This request was already answered."))
    req.status = "approved" if approve else "declined"
    req.decided_by_id, req.decided_at = moderator.id, utcnow()
    community = req.community
    if approve and not member_role(community, req.user):
        add_member(community, req.user)
    record_audit(f"community.request.{req.status}", moderator, req.user, ip,
                 community_id=community.id)
    message = (_l("You are now a member of %(community)s", community=community.name) if approve
               else _l("Your request to join %(community)s was declined", community=community.name))
    notify(req.user, kinds.MODERATION, message,
           links.path("communities.show", slug=community.slug), actor=moderator)


def regenerate_invitation(moderator: User, community: Community, ip: str | None = None) -> str:
    community.invite_token = secrets.token_urlsafe(24)
    record_audit("community.invite.regenerate", moderator, community, ip, community_id=community.id)
    db.session.flush()
    return community.invite_token


def leave(community: Community, user: User) -> None:
    member = get_member(community, user.id)
    if member is None:
        raise Conflict(_("You are not a member of this community."))
    if member.role == OWNER and _owner_count(community) <= 1:
        raise Conflict(_("Name another owner before you leave: a community needs one."))
    _drop_member(community, member)


def _owner_count(community: Community) -> int:
    return len(db.session.scalars(select(CommunityMember.id).where(
        CommunityMember.community_id == community.id, CommunityMember.role == OWNER)).all())


def _drop_member(community: Community, member: CommunityMember) -> None:
    db.session.execute(delete(CommunityMember).where(CommunityMember.id == member.id))
    db.session.execute(update(Community).where(Community.id == community.id)
                       .values(member_count=Community.member_count - 1))
    db.session.flush()
    db.session.expire(community, ["member_count", "members"])
    _forget_roles()


def remove_member(moderator: User, community: Community, member: CommunityMember,
                  ip: str | None = None) -> None:
    if member.role == OWNER:
        raise Conflict(_("An owner cannot be removed; change their role first."))
    user = member.user
    _drop_member(community, member)
    record_audit("community.member.remove", moderator, user, ip, community_id=community.id)
    notify(user, kinds.MODERATION, _l("You were removed from %(community)s",
           community=community.name), links.path("communities.index"), actor=moderator)


def set_role(owner: User, community: Community, member: CommunityMember, role: str,
             ip: str | None = None) -> None:
    if role not in (OWNER, MODERATOR, MEMBER):
        raise InvalidInput("role", _("Choose one of the offered options."))
    if member.role == OWNER and role != OWNER and _owner_count(community) <= 1:
        raise Conflict(_("A community needs at least one owner."))
    member.role = role
    record_audit("community.member.role", owner, member.user, ip, community_id=community.id,
                 role=role)
    db.session.flush()
    _forget_roles()


