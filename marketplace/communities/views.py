"""Community pages: list, create, edit, the community page, members, joining and leaving."""

from collections.abc import Callable

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace import links
from marketplace.accounts import permissions as perm
from marketplace.communities import services
from marketplace.communities.forms import (
    CommunityForm,
    EditCommunityForm,
    JoinRequestForm,
    RoleForm,
)
from marketplace.communities.models import Community, CommunityMember, JoinRequest
from marketplace.extensions import db
from marketplace.web import act, back_to_page, client_ip, confirm_page, paginate, require

bp = Blueprint("communities", __name__, url_prefix="/communities")

REQUESTS_PER_PAGE = 20


def load(slug: str) -> Community:
    return db.one_or_404(select(Community).where(Community.slug == slug))


def _show(community: Community) -> str:
    return url_for("communities.show", slug=community.slug)


def _members(community: Community) -> str:
    return url_for("communities.members", slug=community.slug)


@bp.route("/")
def index():
    query = select(Community).order_by(Community.member_count.desc(), Community.name)
    return render_template("communities/index.html", page=paginate(query, per_page=20))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require(perm.can_create_community(current_user))
    form = CommunityForm()
    if not form.validate_on_submit():
        return render_template("communities/form.html", form=form), 400 if form.errors else 200
    return act(lambda: services.create_community(
        current_user, name=form.name.data, slug=form.slug.data or "",
        description=form.description.data, themes=form.themes.data,
        countries=form.countries.data, is_private=form.is_private.data),
        success=_("Your community is ready. Invite people to join."), to=_show,
        form=form, template="communities/form.html")


# What the layers above add to the community page for a reader (forums: recent threads,
# categories, read marks): `(viewer, community) -> dict`, registered at app creation.
_page_parts: dict[str, Callable[[object, Community], dict]] = {}


def register_page_part(name: str, part: Callable[[object, Community], dict]) -> None:
    _page_parts[name] = part


@bp.route("/<slug>/")
def show(slug: str):
    community = load(slug)
    can_read = perm.can_read_community(current_user, community)
    parts: dict = dict(recent=[], categories=[], read_marks={})
    if can_read:
        for part in _page_parts.values():
            parts.update(part(current_user, community))
    return render_template(
        "communities/show.html", community=community, can_read=can_read, **parts,
        role=services.member_role(community, current_user),
        pending=services.pending_request(community, current_user),
        request_form=JoinRequestForm())


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    community = load(slug)
    require(perm.can_manage_community(current_user, community))
    form = EditCommunityForm(obj=community, description=community.description_source,
                             themes=", ".join(community.themes))
    if not form.validate_on_submit():
        return render_template("communities/form.html", form=form, community=community), (
            400 if form.errors else 200)
    return act(lambda: services.update_community(
        current_user, community, name=form.name.data, description=form.description.data,
        themes=form.themes.data, countries=form.countries.data, is_private=form.is_private.data),
        success=_("Community saved."), to=_show(community), form=form,
        template="communities/form.html", context={"community": community})


@bp.route("/<slug>/members")
def members(slug: str):
    community = load(slug)
    require(perm.can_read_community(current_user, community))
    query = (select(CommunityMember).options(joinedload(CommunityMember.user))
             .where(CommunityMember.community_id == community.id)
             .order_by(CommunityMember.role.desc(), CommunityMember.joined_at))
    return render_template(
        "communities/members.html", community=community, page=paginate(query, per_page=50),
        role_form=RoleForm(), can_moderate=perm.can_moderate_community(current_user, community),
        can_manage=perm.can_manage_community(current_user, community))


@bp.post("/<slug>/join")
@login_required
def join(slug: str):
    community = load(slug)
    return act(lambda: services.join(community, current_user),
               success=_("Welcome to %(name)s!", name=community.name), to=_show(community))


@bp.route("/<slug>/leave", methods=["GET", "POST"])
@login_required
def leave(slug: str):
    """GET: the confirmation page (works without JavaScript); POST: leave."""
    community = load(slug)
    if request.method == "GET":
        return confirm_page(_("Leave %(name)s?", name=community.name), _("Leave the community"),
                            _show(community),
                            detail=_("Your posts stay; you stop receiving its news. To come back, "
                                     "join or ask to join again."))
    return act(lambda: services.leave(community, current_user),
               success=_("You left %(name)s.", name=community.name), to=_show(community))


@bp.post("/<slug>/request")
@login_required
def request_to_join(slug: str):
    community = load(slug)
    form = JoinRequestForm()
    if not form.validate_on_submit():
        abort(400)
    return act(lambda: services.request_to_join(community, current_user, form.message.data or ""),
               success=_("Your request was sent to the moderators."), to=_show(community))


@bp.route("/<slug>/requests")
@login_required
def requests(slug: str):
    community = load(slug)
    require(perm.can_moderate_community(current_user, community))
    query = (select(JoinRequest).options(joinedload(JoinRequest.user))
             .where(JoinRequest.community_id == community.id, JoinRequest.status == "pending")
             .order_by(JoinRequest.created_at, JoinRequest.id))  # a queue: the oldest first
    return render_template("communities/requests.html", community=community,
                           page=paginate(query, per_page=REQUESTS_PER_PAGE))


@bp.post("/<slug>/requests/<int:request_id>/<any(approve, decline):decision>")
@login_required
def decide(slug: str, request_id: int, decision: str):
    community = load(slug)
    require(perm.can_moderate_community(current_user, community))
    req = db.get_or_404(JoinRequest, request_id)
    if req.community_id != community.id:
        abort(404)
    # Back to the page the request was on (its form says which); the last one if it emptied it.
    back = back_to_page("communities.requests", slug=community.slug)
    return act(lambda: services.decide_request(current_user, req, decision == "approve", client_ip()),
               success=_("Request answered."), to=back, error_to=_show(community))


@bp.route("/<slug>/invite/<token>", methods=["GET", "POST"])
@login_required
def invitation(slug: str, token: str):
    community = load(slug)
    if request.method == "GET":
        return render_template("communities/invitation.html", community=community, token=token)
    return act(lambda: services.join_by_invitation(community, current_user, token),
               success=_("Welcome to %(name)s!", name=community.name), to=_show(community))


@bp.post("/<slug>/invite")
@login_required
def regenerate_invitation(slug: str):
    community = load(slug)
    require(perm.can_moderate_community(current_user, community))
    return act(lambda: services.regenerate_invitation(current_user, community, client_ip()),
               success=_("A new invitation link is ready; the old one no longer works."),
               to=_members(community))


def _member_or_404(community: Community, user_id: int) -> CommunityMember:
    member = services.get_member(community, user_id)
    if member is None:
        abort(404)
    return member


@bp.route("/<slug>/members/<int:user_id>/remove", methods=["GET", "POST"])
@login_required
def remove_member(slug: str, user_id: int):
    """GET: the confirmation page (works without JavaScript); POST: remove."""
    community = load(slug)
    require(perm.can_moderate_community(current_user, community))
    member = _member_or_404(community, user_id)
    if request.method == "GET":
        return render_template(
            "_partials/confirm.html", action=request.path, button=_("Remove the member"),
            question=_("Remove %(name)s from %(community)s?", name=member.user.public_name,
                       community=community.name),
            cancel_url=url_for("communities.members", slug=community.slug))
    return act(lambda: services.remove_member(current_user, community, member, client_ip()),
               success=_("Member removed."), to=_members(community), error_to=_show(community))


@bp.post("/<slug>/members/<int:user_id>/role")
@login_required
def set_role(slug: str, user_id: int):
    community = load(slug)
    require(perm.can_manage_community(current_user, community))
    member = _member_or_404(community, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    return act(lambda: services.set_role(current_user, community, member, form.role.data, client_ip()),
               success=_("Role changed."), to=_members(community), error_to=_show(community))


@bp.app_template_global()
def community_invite_url(community: Community) -> str | None:
    if not community.invite_token:
        return None
    return links.absolute("communities.invitation", slug=community.slug,
                          token=community.invite_token)
