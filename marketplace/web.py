"""Small helpers shared by views: error mapping, safe redirects, pagination."""

from urllib.parse import urlsplit

from flask import abort, render_template, request
from flask_babel import get_locale
from flask_login import current_user

from marketplace.errors import DomainError


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


def require(allowed: bool) -> None:
    """403 (and an audit entry) when a permission predicate says no."""
    if allowed:
        return
    from marketplace.accounts.services import record_audit
    from marketplace.extensions import db

    user = current_user if current_user.is_authenticated else None
    record_audit("authz.denied", user, None, client_ip(), path=request.path, method=request.method)
    db.session.commit()
    abort(403)


def page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1
