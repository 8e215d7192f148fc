"""The JSON API blueprint: shared plumbing (errors, pagination, ETags) and the spec.

Feature endpoints live in marketplace/api/<feature>.py, each adding routes to `bp` and calling
the same service functions as the HTML pages; create_app imports them (this module never does:
they import `bp` from here).
"""

from flask import Blueprint, current_app, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from pydantic import BaseModel
from spectree import Response

from marketplace import links, policy
from marketplace.accounts.models import User
from marketplace.accounts.permissions import needs_email_confirmation
from marketplace.api.auth import require_scope, viewer
from marketplace.api.problems import ApiProblem, Problem, problem_response
from marketplace.api.spec import openapi_document, spec
from marketplace.errors import DomainError, EditConflict
from marketplace.extensions import csrf, db, limiter
from marketplace.paging import Page
from marketplace.security import CSP
from marketplace.web import audit_refusal, page_arg, per_page_arg

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies are read: the API authenticates with Bearer tokens only
limiter.limit(lambda: current_app.config["RATELIMIT_API"])(bp)

DEFAULT_PER_PAGE, MAX_PER_PAGE = 20, 100


@bp.errorhandler(ApiProblem)
def _problem(err: ApiProblem):
    if err.status in (401, 403):
        db.session.rollback()
        _audit_refusal(err.status)
    token = g.get("api_token")
    if err.status == 403 and token is not None and needs_email_confirmation(token.user):
        err.code = "email_unconfirmed"  # the reason, whichever rule said no
        err.detail = _("Confirm your account's email address (follow the link we mailed) first.")
    return problem_response(err.status, err.title, err.detail, err.errors, err.headers, err.code)


def _audit_refusal(status: int) -> None:
    """Audit a 403, and a 401 for a token that was sent but is invalid or revoked (a missing
    token is not recorded). Only the token's id is logged, never the token."""
    token = g.get("api_token")
    if status == 403:
        audit_refusal("authz.denied", token.user if token else None, via="api",
                      token_id=token.id if token else None)
    elif token is None and request.headers.get("Authorization"):
        audit_refusal("auth.token_invalid", None, via="api")


@bp.errorhandler(DomainError)
def _domain_error(err: DomainError):
    db.session.rollback()
    if err.status == 403:
        _audit_refusal(403)
    errors = [{"field": err.field, "message": err.message}] if err.field else []
    code = None
    if isinstance(err, EditConflict):  # each field changed by both, with its current text
        errors = [{"field": f.name, "message": err.message, "current": f.theirs} for f in err.fields]
        code = err.code
    titles = {403: "Forbidden", 404: "Not Found", 409: "Conflict", 422: "Invalid input"}
    return problem_response(err.status, titles.get(err.status, "Bad Request"), err.message, errors,
                            code=code)


@bp.after_request
def _after(response):
    token = g.get("api_token")
    if token is not None and db.session.is_modified(token):
        db.session.commit()  # last_used_at
    if request.method == "GET" and response.status_code == 200 and response.is_json:
        response.add_etag()
        response.make_conditional(request)
    response.headers.setdefault("Cache-Control", "no-cache")
    return response


def page_args() -> tuple[int, int]:
    """The bounded page and per_page (see paging.page_number: never an error)."""
    return page_arg(), per_page_arg(DEFAULT_PER_PAGE, MAX_PER_PAGE)


def page_envelope(page: Page) -> dict:
    """A page of (already serialised) items with self/next/prev links (also sent as a Link
    header by `link_header`)."""
    args = request.args.to_dict()

    def link(n):
        return links.path(request.endpoint, **{**(request.view_args or {}), **args, "page": n,
                                               "per_page": page.per_page})

    nav = {"self": link(page.page), "next": link(page.next_num) if page.has_next else None,
           "prev": link(page.prev_num) if page.has_prev else None}
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total,
            "links": nav}


def link_header(envelope: dict) -> dict:
    """The envelope's next/prev links as an RFC 8288 Link header."""
    rels = [f'<{url}>; rel="{rel}"' for rel, url in envelope["links"].items() if url and rel != "self"]
    return {"Link": ", ".join(rels)} if rels else {}


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(openapi_document())


@bp.get("/docs")
def docs():
    response = make_response(render_template("api/docs.html"))
    # Swagger UI sets inline styles; scripts stay 'self' only.
    response.headers["Content-Security-Policy"] = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    return response


class ProfileOut(BaseModel):
    id: int
    display_name: str
    country: str | None
    languages: list[str]
    expertise: list[str]
    bio_html: str
    organizations: list[str]
    url: str


def profile_out(user: User) -> dict:
    return {"id": user.id, "display_name": user.display_name, "country": user.country,
            "languages": list(user.languages or []), "expertise": [e.tag for e in user.expertise],
            "bio_html": user.bio_html, "organizations": [m.organization.name for m in user.memberships],
            "url": links.absolute("accounts.profile", user_id=user.id)}


class MeOut(ProfileOut):
    email: str
    roles: list[str]
    scopes: list[str]


@bp.get("/me")
@spec.validate(resp=Response(HTTP_200=MeOut, HTTP_401=Problem, HTTP_403=Problem), tags=["profiles"],
               security={"bearerAuth": []})
def me():
    """The account behind the token."""
    user = require_scope("read")
    return {**profile_out(user), "email": user.email, "roles": [r.role for r in user.roles],
            "scopes": g.api_token.scopes}


@bp.get("/profiles/<int:user_id>")
@spec.validate(resp=Response(HTTP_200=ProfileOut, HTTP_404=Problem), tags=["profiles"])
def profile(user_id: int):
    """A public profile."""
    user = db.session.get(User, user_id)
    if not policy.visible(viewer(), "profile", user):
        raise ApiProblem(404, "Not Found", _("No such person."))
    return profile_out(user)
