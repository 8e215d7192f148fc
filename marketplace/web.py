"""Small helpers shared by views: error mapping, safe redirects, pagination."""

from dataclasses import dataclass
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
    audit_refusal("authz.denied", current_user if current_user.is_authenticated else None)
    abort(403)


def audit_refusal(action: str, user, **detail) -> None:
    """Record a refused request (path, method, IP) in the audit log, and commit it."""
    from marketplace.accounts.services import record_audit
    from marketplace.extensions import db

    record_audit(action, user, None, client_ip(), path=request.path, method=request.method, **detail)
    db.session.commit()


MAX_PAGE = 1_000_000  # past it, an OFFSET overflows (SQLite) or is pointless: the page is empty


def page_arg() -> int:
    try:
        return min(MAX_PAGE, max(1, int(request.args.get("page", 1))))
    except ValueError:
        return 1


@dataclass
class ListPage:
    """One page of items, shaped for the forms.pagination macro (like Flask-SQLAlchemy's
    Pagination, for pages that build their items themselves)."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)
