"""Organizations: list, page, create, edit, members."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts import services
from marketplace.accounts.forms import AddMemberForm, OrganizationForm
from marketplace.accounts.models import (
    ORGANIZATION_TYPE_LABELS,
    Organization,
    OrganizationMember,
)
from marketplace.accounts.permissions import can_create_organization, can_edit_organization
from marketplace.extensions import db
from marketplace.security import action_limit
from marketplace.web import act, paginate, require

bp = Blueprint("organizations", __name__, url_prefix="/organizations")


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


@bp.route("/<slug>")
def show(slug):
    org = _get(slug)
    return render_template(
        "organizations/show.html", org=org, can_edit=can_edit_organization(current_user, org),
        member_form=AddMemberForm(),
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
    context = dict(org=org, can_edit=True, member_form=form)
    if not form.validate_on_submit():
        return render_template("organizations/show.html", **context), 400
    user = services.get_user_by_email(form.email.data)
    if user is None or user.is_deleted:
        form.email.errors = [_("No account uses this email address.")]
        return render_template("organizations/show.html", **context), 422

    def on_email(err):  # the member is named by the email field, whatever the service says
        err.field = "email"

    return act(lambda: services.add_organization_member(org, user, form.role.data),
               success=_("%(name)s is now a member.", name=user.display_name),
               to=url_for(".show", slug=org.slug), on_error=on_email, form=form,
               template="organizations/show.html", context=context)


@bp.route("/<slug>/members/<int:member_id>/remove", methods=["POST"])
@login_required
def remove_member(slug, member_id):
    org = _get(slug)
    member = next((m for m in org.members if m.id == member_id), None)
    is_self = member is not None and member.user_id == current_user.id
    require(is_self or can_edit_organization(current_user, org))
    if member is None:
        return redirect(url_for(".show", slug=slug))
    return act(lambda: services.remove_organization_member(org, member),
               success=_("The member is removed."), to=url_for(".show", slug=slug))
