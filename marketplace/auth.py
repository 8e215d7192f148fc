"""Flask-Login wiring: the session cookie holds a server-side login session's token."""

from flask import flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from marketplace.accounts.services import load_session_user


def configure(login_manager) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)
    login_manager.unauthorized_handler(_unauthorized)


def _unauthorized():
    from flask import abort

    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        abort(401)
    flash(_l("Please sign in to see this page."), "info")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
