"""Settings page for personal API tokens."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.forms import ConfirmForm
from marketplace.api import tokens
from marketplace.api.forms import TokenForm
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.web import form_error

bp = Blueprint("tokens", __name__, url_prefix="/settings/tokens")


@bp.after_request
def _no_store(response):
    """A new token is shown once, in this page: no cache (browser, proxy) may keep a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(form, plaintext=None, status=200):
    return render_template("api/tokens.html", form=form, tokens=tokens.user_tokens(current_user),
                           plaintext=plaintext, confirm_form=ConfirmForm()), status


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400 if form.errors else 200)
    try:
        token, plaintext = tokens.create_token(current_user, form.name.data, form.scopes.data)
    except DomainError as err:
        db.session.rollback()
        return form_error(form, err, "api/tokens.html", tokens=tokens.user_tokens(current_user),
                          plaintext=None, confirm_form=ConfirmForm())
    db.session.commit()
    return _page(TokenForm(formdata=None), plaintext=plaintext)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id):
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".index"))
    try:
        tokens.revoke_token(current_user, token_id)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for(".index"))
    db.session.commit()
    flash(_("The token is revoked; it stops working now."), "success")
    return redirect(url_for(".index"))
