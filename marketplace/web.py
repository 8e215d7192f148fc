"""Small helpers shared by views: the action helper, safe redirects, pagination, refusals."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from blinker import Namespace
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from marketplace.errors import DomainError, EditConflict
from marketplace.extensions import db
from marketplace.gate import bounded_int
from marketplace.paging import Page, last_page, page_number, page_of, per_page_number

# sender: the action ("authz.denied"); user, ip and detail (path, method, ...). accounts, a layer
# above this module, connects the audit log at app creation; receivers must not commit.
request_refused = Namespace().signal("request-refused")


def client_ip() -> str | None:
    return request.remote_addr


def request_locale() -> str:
    """The locale this page is rendered in ("fr"): how the reader writes numbers, for services."""
    return str(get_locale() or "en")


def safe_next(target: str | None, default: str) -> str:
    """Only local paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def form_error(form, err: DomainError, template: str, **context):
    """Put a domain error on its form field (or the form) and re-render with its status."""
    field = getattr(form, err.field, None) if err.field else None
    if field is not None:
        field.errors = [*field.errors, err.message]
    else:
        form.form_errors.append(err.message)
    return render_template(template, form=form, **context), err.status


def _value(x, arg):
    return x(arg) if callable(x) else x


def _belongs_to(form, err: DomainError) -> bool:
    return form is not None and (not err.field or getattr(form, err.field, None) is not None)


def act(run: Callable[[], Any], *, success=None, to=None, form=None, template: str | None = None,
        context: dict | None = None, error_to=None, then: Callable[[Any], Any] | None = None,
        on_error: Callable[[DomainError], Any] | None = None, category: str = "success"):
    """The one way a view runs a state-changing service call (`run()`).

    On a DomainError: roll back, call `on_error(err)`; if the error belongs to `form` (no field,
    or one of its fields) and a `template` is given, re-render it with the message on that field,
    the error's status (400/403/404/409/422) and `context` (a dict, or a callable making one after
    the rollback); otherwise flash the message and redirect to `error_to` (default `to`).
    On success: the view's one commit, `then(result)` (post-commit work such as signing in),
    flash `success` (text, or a callable of the result, None for no message) and answer `to`:
    a URL, or a callable of the result giving a URL or a whole response. Both callables run
    after a flush and before the commit, which expires every loaded object: the result's id or
    slug is read where it is, not reloaded by a SELECT after the commit."""
    try:
        result = run()
    except DomainError as err:
        db.session.rollback()
        if on_error is not None:
            on_error(err)
        if template is not None and _belongs_to(form, err):
            return form_error(form, err, template, **(context() if callable(context) else context or {}))
        flash(err.message, "error")
        return redirect(error_to if error_to is not None else to)
    db.session.flush()  # new rows get their ids
    message, answer = _value(success, result), _value(to, result)
    db.session.commit()
    if then is not None:
        then(result)
    if message:
        flash(message, category)
    return redirect(answer) if isinstance(answer, str) else answer


def base_revision(form) -> int | None:
    """The version an edit form was opened on (its hidden `base_revision`), None if absent."""
    return bounded_int(form.base_revision.data) if "base_revision" in form else None


def keep_conflict(form, context: dict) -> Callable[[DomainError], None]:
    """`act`'s on_error for an edit form with a hidden `base_revision`: on an EditConflict, the
    base moves to the current version (the next save, once reconciled, goes through), each
    conflicting field is marked and the template gets the conflict (`conflict`: the message and
    the other version's text, shown by _partials/edit_conflict.html). The typed text stays."""
    def on_error(err: DomainError) -> None:
        if not isinstance(err, EditConflict):
            return
        form.base_revision.data = str(err.current)
        for conflict in err.fields:
            if conflict.name in form:
                field = form[conflict.name]
                field.errors = [*field.errors, _("Changed meanwhile: the other version is shown "
                                                 "above the form.")]
        context["conflict"] = err
    return on_error


def is_preview() -> bool:
    """The form's "Preview" button was pressed (or htmx asked for the preview): render, save
    nothing. Rate limits on posting exempt it."""
    return request.method == "POST" and "preview" in request.form


def preview_response(template: str, preview, **context):
    """Answer a preview: htmx swaps in just the preview; without JavaScript, the whole form page
    is shown again, filled in, with the preview under it. `preview`: HTML from text.py, or a list
    of (label, HTML) sections."""
    if request.headers.get("HX-Request") == "true":
        return render_template("_partials/preview.html", preview=preview)
    return render_template(template, preview=preview, **context)


def confirm_page(question: str, button: str, cancel_url: str, *, detail: str | None = None,
                 quote: str | None = None, reason_label: str | None = None, back_label: str | None = None):
    """The GET half of a destructive action: a page that asks, whose form POSTs to the same
    URL. Works without JavaScript; the link or GET form that leads here is the first click, the
    page's button the second. `reason_label`: also ask for an optional reason (field `reason`);
    `back_label`: the link back, when "Cancel" would read like the action (cancelling a pledge)."""
    return render_template("_partials/confirm.html", question=question, button=button,
                           cancel_url=cancel_url, detail=detail, quote=quote,
                           reason_label=reason_label, back_label=back_label,
                           action=this_url())  # the same URL, a list's page kept


def this_url() -> str:
    """The address of this request, its query included, as a form's action (under the app's
    script root, when mounted below one)."""
    return request.script_root + request.full_path.rstrip("?")


def require(allowed: bool, reason: str | None = None) -> None:
    """403 (and an audit entry) when a permission predicate says no; `reason`: the sentence the
    403 page shows instead of the generic one (who may do it instead). Commits nothing."""
    if allowed:
        return
    audit_refusal("authz.denied", current_user if current_user.is_authenticated else None)
    if reason:
        err = Forbidden(description=reason)
        err.explained = True  # type: ignore[attr-defined]  # read by errors/403.html
        raise err
    abort(403)


def audit_refusal(action: str, user, **detail) -> None:
    """Record a refused request (path, method, IP) in the audit log. Commits nothing: the receiver
    (accounts, connected at app creation) writes the row in its own short transaction, so whatever
    the request's session holds is neither committed nor lost."""
    if not request_refused.receivers:  # a refusal must never go unrecorded
        raise RuntimeError("nothing records refused requests: create_app connects the audit log")
    request_refused.send(action, user=user, ip=client_ip(),
                         detail=dict(path=request.path, method=request.method, **detail))


MAX_PAGE = 1_000_000  # past it, an OFFSET overflows (SQLite) or is pointless: the page is empty


def page_arg(name: str = "page") -> int:
    """The bounded `page` query argument (see paging.page_number: never an error); `name`: the
    argument of one of several lists on a page (`flags_page`)."""
    return page_number(request.args.get(name))


def per_page_arg(default: int, maximum: int = 100) -> int:
    return per_page_number(request.args.get("per_page"), default, maximum)


def page_holding(items: list, wanted: Callable[[Any], bool], per_page: int, name: str = "page") -> Page:
    """A page of a list already in memory: the one `?name=` asks for, or without it the page
    holding the first item `wanted` (the row the reader came for: their case, the practice they
    read); the first page when none is."""
    at = next((i for i, item in enumerate(items) if wanted(item)), 0)
    number = page_arg(name) if name in request.args else at // per_page + 1
    return page_of(items, number, per_page)


def back_to_page(endpoint: str, **values) -> str:
    """Where an action on a paged list goes back to: the list at the page its form was on (the
    form's hidden `page` field, bounded); page 1 is the plain address. A page the action emptied
    then shows the last page (`paginate` clamps)."""
    page = page_number(request.form.get("page"))
    return url_for(endpoint, **values, page=page if page > 1 else None)


def paginate(query, per_page: int, page: int | None = None, total: int | None = None) -> Page:
    """One page of a SELECT: counts first (unless the caller knows `total`), so a page past the
    end shows the last page."""
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    number = min(page if page is not None else page_arg(), last_page(total, per_page))
    rows = db.session.execute(query.limit(per_page).offset((number - 1) * per_page))
    return Page(rows.unique().scalars().all(), number, per_page, total)
