"""The bell, the notification list, mark as read, and email preferences per kind."""

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.extensions import db
from marketplace.notifications import kinds, services
from marketplace.notifications.forms import PREFERENCES_HINT, preferences_form
from marketplace.notifications.models import Notification
from marketplace.web import act, paginate, safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_template_global()
def unread_notifications() -> int:
    return services.unread_count(current_user) if current_user.is_authenticated else 0


@bp.route("/")
@login_required
def index():
    return render_template("notifications/index.html", labels=kinds.LABELS,
                           page=paginate(services.list_for(current_user), per_page=30))


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    note = db.get_or_404(Notification, notification_id)
    if note.recipient_id != current_user.id:
        return redirect(url_for("notifications.index"))
    return act(lambda: services.mark_read(current_user, note),
               to=safe_next(note.link, url_for("notifications.index")))


@bp.post("/read-all")
@login_required
def read_all():
    return act(lambda: services.mark_all_read(current_user),
               success=_("All notifications marked as read."), to=url_for("notifications.index"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    form = preferences_form(services.preferences_of(current_user))
    if not form.validate_on_submit():
        return render_template("notifications/preferences.html", form=form, hint=PREFERENCES_HINT)
    return act(lambda: services.set_preferences(current_user,
                                                {k: getattr(form, k).data for k in kinds.KINDS}),
               success=_("Your notification settings are saved."),
               to=url_for("notifications.preferences"), form=form,
               template="notifications/preferences.html", context={"hint": PREFERENCES_HINT})
