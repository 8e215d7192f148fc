"""Error pages in the site's look, JSON errors for API callers."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from marketplace.extensions import db


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        if _wants_json():
            body = {"status": err.code, "title": err.name, "detail": err.description}
            return jsonify(body), err.code, {"Content-Type": "application/problem+json"}
        template = f"errors/{err.code}.html" if err.code in (403, 404, 429, 500) else "errors/generic.html"
        return render_template(template, error=err), err.code

    @app.errorhandler(CSRFError)
    def _csrf_error(err: CSRFError):
        err.description = _(
            "This form has expired or was not sent from this site. Go back, reload the page and "
            "try again."
        )
        return _http_error(err)

    @app.errorhandler(500)
    def _server_error(err):
        db.session.rollback()
        return render_template("errors/500.html"), 500
