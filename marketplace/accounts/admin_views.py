"""Administration: people and their roles, and the audit log."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.accounts import services
from marketplace.accounts.forms import RoleForm
from marketplace.accounts.models import AuditEvent, Role, User
from marketplace.accounts.permissions import can_manage_roles, can_view_audit_log
from marketplace.extensions import db
from marketplace.web import act, client_ip, paginate, require

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@login_required
def users():
    require(can_manage_roles(current_user))
    q = request.args.get("q", "").strip()
    query = select(User).where(User.is_deleted.is_(False)).order_by(func.lower(User.display_name))
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(User.email).like(like),
                                 func.lower(User.display_name).like(like)))
    page = paginate(query, per_page=50)
    return render_template("admin/users.html", page=page, q=q, form=RoleForm(), roles=Role)


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
@login_required
def change_role(user_id):
    require(can_manage_roles(current_user))
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    action = request.form.get("action")
    if not form.validate_on_submit() or action not in ("grant", "revoke"):
        flash(_("Choose a role and an action."), "error")
        return redirect(url_for(".users"))
    verb = services.grant_role if action == "grant" else services.revoke_role
    return act(lambda: verb(current_user, user, Role(form.role.data), client_ip()),
               success=_("Roles of %(name)s are updated.", name=user.display_name),
               to=url_for(".users", q=user.email))


@bp.route("/audit")
@login_required
def audit():
    require(can_view_audit_log(current_user))
    action = request.args.get("action", "").strip()
    query = (select(AuditEvent).options(selectinload(AuditEvent.actor))
             .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()))
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    page = paginate(query, per_page=50)
    return render_template("admin/audit.html", page=page, action=action)
