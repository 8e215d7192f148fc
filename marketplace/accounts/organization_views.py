"""Organizations: list, page, create, edit, members."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.accounts import services
from marketplace.accounts.forms import AddMemberForm, OrganizationForm
from marketplace.accounts.models import (
    ORGANIZATION_TYPE_LABELS,
    Organization,
    OrganizationInvitation,
    OrganizationMember,
    User,
)
from marketplace.accounts.permissions import can_create_organization, can_edit_organization
from marketplace.extensions import db
from marketplace.security import action_limit
from marketplace.web import act, client_ip, confirm_page, paginate, require

bp = Blueprint("organizations", __name__, url_prefix="/organizations")

MEMBERS_PER_PAGE = 24


def _get(slug: str) -> Organization:
    return db.first_or_404(
        select(Organization)
        .where(Organization.slug == slug)
        .options(selectinload(Organization.members).joinedload(OrganizationMember.user))
    )


@bp.route("/")
def index():
    type_ = request.args.get("type", "")
    query = select(Organization).order_by(func.lower(Organization.name))
    if type_ in ORGANIZATION_TYPE_LABELS:
        query = query.where(Organization.type == type_)
    page = paginate(query, per_page=30)
    return render_template(
        "organizations/index.html", page=page, type=type_, types=ORGANIZATION_TYPE_LABELS
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require(can_create_organization(current_user))
    form = OrganizationForm()
    if not form.validate_on_submit():
        return render_template("organizations/form.html", form=form, org=None), (
            400 if form.errors else 200)
    return act(lambda: services.create_organization(
        current_user, name=form.name.data, type=form.type.data, country=form.country.data,
        website=form.website.data, description=form.description.data),
        success=_("The organization is created and you are its admin."),
        to=lambda org: url_for(".show", slug=org.slug), form=form,
        template="organizations/form.html", context={"org": None})


def _members(org: Organization):
    """One page of the organization's members: its admins first, then everyone by name."""
    query = (select(OrganizationMember).join(User, OrganizationMember.user_id == User.id)
             .options(joinedload(OrganizationMember.user))
             .where(OrganizationMember.organization_id == org.id)
             .order_by(case((OrganizationMember.role == "admin", 0), else_=1),
                       func.lower(User.display_name), OrganizationMember.id))
    return paginate(query, per_page=MEMBERS_PER_PAGE)


@bp.route("/<slug>")
def show(slug):
    org = db.first_or_404(select(Organization).where(Organization.slug == slug))
    return render_template(
        "organizations/show.html", org=org, can_edit=can_edit_organization(current_user, org),
        member_form=AddMemberForm(), members=_members(org),
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug):
    org = _get(slug)
    require(can_edit_organization(current_user, org))
    form = OrganizationForm(obj=org)
    if request.method == "GET":
        form.description.data = org.description_source
    if not form.validate_on_submit():
        return render_template("organizations/form.html", form=form, org=org), (
            400 if form.errors else 200)
    return act(lambda: services.update_organization(
        org, name=form.name.data, type=form.type.data, country=form.country.data,
        website=form.website.data, description=form.description.data),
        success=_("The organization is saved."), to=lambda _none: url_for(".show", slug=org.slug),
        form=form, template="organizations/form.html", context={"org": org})


@bp.route("/<slug>/members", methods=["POST"])
@action_limit("organization_member")
@login_required
def add_member(slug):
    org = _get(slug)
    require(can_edit_organization(current_user, org))
    form = AddMemberForm()
    context = dict(org=org, can_edit=True, member_form=form, members=_members(org))
    if not form.validate_on_submit():
        return render_template("organizations/show.html", **context), 400

    def invite():  # the same answer whatever the address: no oracle, and nobody added unasked
        services.invite_organization_member(org, current_user._get_current_object(), form.email.data,
                                            form.role.data, client_ip())

    return act(invite, category="info", to=url_for(".show", slug=org.slug), form=form,
               template="organizations/show.html", context=context,
               success=_("If %(email)s belongs to an account, it has an invitation now; the person "
                         "becomes a member once they accept it.", email=form.email.data))


@bp.route("/invitations/<int:invitation_id>")
@login_required
def invitation(invitation_id):
    invitation = db.session.get(OrganizationInvitation, invitation_id)
    if invitation is None or invitation.invitee_id != current_user.id:
        abort(404)
    return render_template("organizations/invitation.html", invitation=invitation)


@bp.route("/invitations/<int:invitation_id>/<any(accept, decline):answer>", methods=["POST"])
@login_required
def answer_invitation(invitation_id, answer):
    accept = answer == "accept"
    return act(lambda: services.answer_organization_invitation(
        current_user._get_current_object(), invitation_id, accept, client_ip()),
        success=lambda inv: (_("You are now a member of %(name)s.", name=inv.organization.name) if accept
                             else _("You declined the invitation.")),
        to=lambda inv: url_for(".show", slug=inv.organization.slug),
        error_to=url_for("notifications.index"))


@bp.route("/<slug>/members/<int:member_id>/remove", methods=["GET", "POST"])
@login_required
def remove_member(slug, member_id):
    """GET: the confirmation page (works without JavaScript); POST: remove."""
    org = _get(slug)
    member = next((m for m in org.members if m.id == member_id), None)
    is_self = member is not None and member.user_id == current_user.id
    require(is_self or can_edit_organization(current_user, org))
    if member is None:
        return redirect(url_for(".show", slug=slug))
    if request.method == "GET":
        question = (_("Leave %(organization)s?", organization=org.name) if is_self else
                    _("Remove %(name)s from %(organization)s?", name=member.user.public_name,
                      organization=org.name))
        return confirm_page(question, _("Leave the organization") if is_self
                            else _("Remove the member"), url_for(".show", slug=slug))
    return act(lambda: services.remove_organization_member(org, member),
               success=_("The member is removed."), to=url_for(".show", slug=slug))
