"""The bell, the notification list, mark as read, and email preferences per kind."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.extensions import db
from marketplace.notifications import kinds, services
from marketplace.notifications.forms import PREFERENCES_HINT, EmptyForm, preferences_form
from marketplace.notifications.models import Notification
from marketplace.web import page_arg, safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_template_global()
def unread_notifications() -> int:
    return services.unread_count(current_user) if current_user.is_authenticated else 0


@bp.route("/")
@login_required
def index():
    page = db.paginate(services.list_for(current_user), page=page_arg(), per_page=30,
                       error_out=False)
    return render_template("notifications/index.html", page=page, form=EmptyForm(),
                           labels=kinds.LABELS)


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    note = db.get_or_404(Notification, notification_id)
    if note.recipient_id != current_user.id or not EmptyForm().validate_on_submit():
        return redirect(url_for("notifications.index"))
    services.mark_read(current_user, note)
    db.session.commit()
    return redirect(safe_next(note.link, url_for("notifications.index")))


@bp.post("/read-all")
@login_required
def read_all():
    if EmptyForm().validate_on_submit():
        services.mark_all_read(current_user)
        db.session.commit()
        flash(_("All notifications marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    form = preferences_form(services.preferences_of(current_user))
    if not form.validate_on_submit():
        return render_template("notifications/preferences.html", form=form, hint=PREFERENCES_HINT)
    services.set_preferences(current_user, {k: getattr(form, k).data for k in kinds.KINDS})
    db.session.commit()
    flash(_("Your notification settings are saved."), "success")
    return redirect(url_for("notifications.preferences"))
