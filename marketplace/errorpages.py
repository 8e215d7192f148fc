"""Error pages in the site's look, RFC 9457 problem+json for API callers (every status)."""

import contextlib

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, ServiceUnavailable

from marketplace.extensions import db

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
