"""Error pages in the site's look, RFC 9457 problem+json for API callers (every status)."""

import contextlib
from urllib.parse import urlsplit

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, ServiceUnavailable

from marketplace import links
from marketplace.extensions import db
from marketplace.web import this_url

RETRY_AFTER_SECONDS = 30


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _problem(err: HTTPException):
    body = {"type": "about:blank", "title": err.name, "status": err.code, "detail": err.description,
            "errors": getattr(err, "errors", [])}
    response = jsonify(body)
    response.status_code = err.code
    response.headers["Content-Type"] = "application/problem+json"
    return response


def _page(err: HTTPException):
    template = f"errors/{err.code}.html" if err.code in (403, 404, 429, 500) else "errors/generic.html"
    return render_template(template, error=err), err.code


def _headers(err: HTTPException) -> dict:
    """Allow on 405 (werkzeug knows the methods), Retry-After on 503 and 429."""
    headers = {k: v for k, v in err.get_headers() if k in ("Allow", "Retry-After")}
    if isinstance(err, MethodNotAllowed) and err.valid_methods:
        headers["Allow"] = ", ".join(err.valid_methods)
    if err.code == 503:
        headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return headers


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        response = _problem(err) if _wants_json() else app.make_response(_page(err))
        response.headers.update(_headers(err))
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(err: CSRFError):
        err.description = _(
            "This form has expired or was not sent from this site. Go back, reload the page and "
            "try again."
        )
        if not _wants_json() and _can_resend():
            response = app.make_response((render_template(
                "errors/resend.html", error=err, fields=_resent_fields(),
                action=this_url(),
                back=request.referrer if _same_origin(request.referrer) else None), err.code))
            response.headers["Cache-Control"] = "no-store"  # it holds what the user typed
            return response
        return _http_error(err)

    @app.errorhandler(OperationalError)
    def _database_unavailable(err: OperationalError):
        """Database down, or a statement/lock timeout: 503 with Retry-After, never a hang or 500."""
        app.logger.warning("database unavailable: %s", err.orig)
        with contextlib.suppress(OperationalError):
            db.session.rollback()
        return _http_error(ServiceUnavailable(
            _("The database is busy or unavailable. Please try again in a moment.")))

    @app.errorhandler(500)
    def _server_error(err):
        db.session.rollback()
        if _wants_json():
            return _problem(err)
        return render_template("errors/500.html"), 500


def _same_origin(url: str | None) -> bool:
    """`url` (an Origin or Referer header) is this site's configured scheme and host (links.origin:
    never the request's own Host, which a client may set)."""
    if not url or url == "null":
        return False
    parts, ours = urlsplit(url), urlsplit(links.origin())
    return (parts.scheme, parts.netloc) == (ours.scheme, ours.netloc)


def _can_resend() -> bool:
    """A form refused for its CSRF token may be offered again, with a fresh token and what the
    user typed, only when the browser says it came from one of our own pages (Origin, else
    Referer): a forged post from another site gets the plain refusal, never a button that would
    send it. Files cannot be carried over, and passwords are not written back into a page."""
    origin = request.headers.get("Origin")
    came_from_here = _same_origin(origin) if origin else _same_origin(request.referrer)
    return (came_from_here and request.method == "POST" and bool(request.form) and not request.files
            and not any("password" in key for key in request.form))


def _resent_fields() -> list[tuple[str, str]]:
    return [(key, value) for key, value in request.form.items(multi=True) if key != "csrf_token"]
