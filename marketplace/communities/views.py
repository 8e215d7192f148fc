"""Community pages: list, create, edit, the community page, members, joining and leaving."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.accounts import permissions as perm
from marketplace.accounts.models import User
from marketplace.communities import services
from marketplace.communities.forms import (
    CommunityForm,
    EditCommunityForm,
    EmptyForm,
    JoinRequestForm,
    RoleForm,
)
from marketplace.communities.models import Community, CommunityMember, JoinRequest
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forums import services as forums
from marketplace.forums.models import Thread
from marketplace.web import client_ip, form_error, page_arg, require

bp = Blueprint("communities", __name__, url_prefix="/communities")


def load(slug: str) -> Community:
    return db.one_or_404(select(Community).where(Community.slug == slug))


def _done(message: str, community: Community, endpoint: str = "communities.show"):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, slug=community.slug))


def _failed(err: DomainError, community: Community):
    db.session.rollback()
    flash(err.message, "error")
    return redirect(url_for("communities.show", slug=community.slug))


@bp.route("/")
def index():
    query = select(Community).order_by(Community.member_count.desc(), Community.name)
    page = db.paginate(query, page=page_arg(), per_page=20, error_out=False)
    return render_template("communities/index.html", page=page)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require(perm.can_create_community(current_user))
    form = CommunityForm()
    if not form.validate_on_submit():
        return render_template("communities/form.html", form=form), 400 if form.errors else 200
    try:
        community = services.create_community(
            current_user, name=form.name.data, slug=form.slug.data or "",
            description=form.description.data, themes=form.themes.data,
            countries=form.countries.data, is_private=form.is_private.data)
    except DomainError as err:
        db.session.rollback()
        return form_error(form, err, "communities/form.html")
    return _done(_("Your community is ready. Invite people to join."), community)


@bp.route("/<slug>/")
def show(slug: str):
    community = load(slug)
    can_read = perm.can_read_community(current_user, community)
    recent = []
    if can_read:
        recent = db.session.scalars(
            select(Thread).options(joinedload(Thread.category),
                                   joinedload(Thread.last_poster).lazyload(User.roles))
            .where(Thread.community_id == community.id,
                   forums.thread_visible_filter(current_user, community))
            .order_by(Thread.last_post_at.desc()).limit(10)).all()
    return render_template(
        "communities/show.html", community=community, can_read=can_read, recent=recent,
        categories=forums.categories_of(community) if can_read else [],
        role=services.member_role(community, current_user),
        pending=services.pending_request(community, current_user),
        read_marks=forums.last_read(current_user, [t.id for t in recent]),
        form=EmptyForm(), request_form=JoinRequestForm())


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
    try:
        services.update_community(
            current_user, community, name=form.name.data, description=form.description.data,
            themes=form.themes.data, countries=form.countries.data,
            is_private=form.is_private.data)
    except DomainError as err:
        db.session.rollback()
        return form_error(form, err, "communities/form.html", community=community)
    return _done(_("Community saved."), community)


@bp.route("/<slug>/members")
def members(slug: str):
    community = load(slug)
    require(perm.can_read_community(current_user, community))
    query = (select(CommunityMember).options(joinedload(CommunityMember.user))
             .where(CommunityMember.community_id == community.id)
             .order_by(CommunityMember.role.desc(), CommunityMember.joined_at))
    page = db.paginate(query, page=page_arg(), per_page=50, error_out=False)
    return render_template(
        "communities/members.html", community=community, page=page, form=EmptyForm(),
        role_form=RoleForm(), can_moderate=perm.can_moderate_community(current_user, community),
        can_manage=perm.can_manage_community(current_user, community))


@bp.post("/<slug>/join")
@login_required
def join(slug: str):
    community = load(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.join(community, current_user)
    except DomainError as err:
        return _failed(err, community)
    return _done(_("Welcome to %(name)s!", name=community.name), community)


@bp.post("/<slug>/leave")
@login_required
def leave(slug: str):
    community = load(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.leave(community, current_user)
    except DomainError as err:
        return _failed(err, community)
    return _done(_("You left %(name)s.", name=community.name), community)


@bp.post("/<slug>/request")
@login_required
def request_to_join(slug: str):
    community = load(slug)
    form = JoinRequestForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.request_to_join(community, current_user, form.message.data or "")
    except DomainError as err:
        return _failed(err, community)
    return _done(_("Your request was sent to the moderators."), community)


@bp.route("/<slug>/requests")
@login_required
def requests(slug: str):
    community = load(slug)
    require(perm.can_moderate_community(current_user, community))
    rows = db.session.scalars(
        select(JoinRequest).options(joinedload(JoinRequest.user))
        .where(JoinRequest.community_id == community.id, JoinRequest.status == "pending")
        .order_by(JoinRequest.created_at)).all()
    return render_template("communities/requests.html", community=community, rows=rows,
                           form=EmptyForm())


@bp.post("/<slug>/requests/<int:request_id>/<any(approve, decline):decision>")
@login_required
def decide(slug: str, request_id: int, decision: str):
    community = load(slug)
    require(perm.can_moderate_community(current_user, community))
    req = db.get_or_404(JoinRequest, request_id)
    if req.community_id != community.id or not EmptyForm().validate_on_submit():
        abort(404)
    try:
        services.decide_request(current_user, req, decision == "approve", client_ip())
    except DomainError as err:
        return _failed(err, community)
    return _done(_("Request answered."), community, "communities.requests")


@bp.route("/<slug>/invite/<token>", methods=["GET", "POST"])
@login_required
def invitation(slug: str, token: str):
    community = load(slug)
    form = EmptyForm()
    if not form.validate_on_submit():
        return render_template("communities/invitation.html", community=community, form=form,
                               token=token)
    try:
        services.join_by_invitation(community, current_user, token)
    except DomainError as err:
        return _failed(err, community)
    return _done(_("Welcome to %(name)s!", name=community.name), community)


@bp.post("/<slug>/invite")
@login_required
def regenerate_invitation(slug: str):
    community = load(slug)
    require(perm.can_moderate_community(current_user, community))
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.regenerate_invitation(current_user, community, client_ip())
    return _done(_("A new invitation link is ready; the old one no longer works."), community,
                 "communities.members")


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
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.remove_member(current_user, community, member, client_ip())
    except DomainError as err:
        return _failed(err, community)
    return _done(_("Member removed."), community, "communities.members")


@bp.post("/<slug>/members/<int:user_id>/role")
@login_required
def set_role(slug: str, user_id: int):
    community = load(slug)
    require(perm.can_manage_community(current_user, community))
    member = _member_or_404(community, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_role(current_user, community, member, form.role.data, client_ip())
    except DomainError as err:
        return _failed(err, community)
    return _done(_("Role changed."), community, "communities.members")


@bp.app_template_global()
def community_invite_url(community: Community) -> str | None:
    if not community.invite_token:
        return None
    return url_for("communities.invitation", slug=community.slug, token=community.invite_token,
                   _external=True) if request else None
