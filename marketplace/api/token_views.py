"""Settings page for personal API tokens."""

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.api import tokens
from marketplace.api.forms import TokenForm
from marketplace.web import act, confirm_page, page_arg, paginate

bp = Blueprint("tokens", __name__, url_prefix="/settings/tokens")


@bp.after_request
def _no_store(response):
    """A new token is shown once, in this page: no cache (browser, proxy) may keep a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


PER_PAGE = 20  # revoked tokens stay listed: someone who rotates theirs gathers many


def _tokens(page: int | None = None):
    return paginate(tokens.user_tokens_query(current_user), PER_PAGE, page=page)


def _back() -> str:
    """The list at the page a revocation was asked from (its address carries it)."""
    return url_for(".index", page=page_arg() if page_arg() > 1 else None)


def _page(form, plaintext=None, status=200):
    # A new token is shown with the first page, which lists it first.
    return render_template("api/tokens.html", form=form, tokens=_tokens(page=1 if plaintext else None),
                           plaintext=plaintext), status


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400 if form.errors else 200)
    # The new token is shown once, on this page: the answer is the page, not a redirect.
    return act(lambda: tokens.create_token(current_user, form.name.data, form.scopes.data),
               to=lambda created: _page(TokenForm(formdata=None), plaintext=created[1]),
               form=form, template="api/tokens.html",
               context=lambda: {"tokens": _tokens(), "plaintext": None})


@bp.route("/<int:token_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke(token_id):
    """GET: the confirmation page (works without JavaScript); POST: revoke."""
    if request.method == "GET":
        token = tokens.user_token(current_user, token_id)
        if token is None or token.revoked_at is not None:
            abort(404)
        return confirm_page(_("Revoke the token “%(name)s”?", name=token.name),
                            _("Revoke the token"), _back(),
                            detail=_("Scripts that use it stop working at once. This cannot be "
                                     "undone: make a new token instead."))
    return act(lambda: tokens.revoke_token(current_user, token_id),
               success=_("The token is revoked; it stops working now."), to=_back())
