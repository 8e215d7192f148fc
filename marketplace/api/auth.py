"""Who is calling: a Bearer token (with scopes) or nobody. The API never reads cookies."""

from datetime import timedelta

from flask import g, request
from flask_babel import gettext as _

from marketplace.api.problems import ApiProblem
from marketplace.api.tokens import resolve_bearer
from marketplace.database import utcnow

LAST_USED_RESOLUTION = timedelta(minutes=1)


def current_token():
    if "api_token" not in g:
        g.api_token = resolve_bearer(request.headers.get("Authorization"))
        if request.headers.get("Authorization") and g.api_token is None:
            raise ApiProblem(401, "Unauthorized", _("The token is invalid or revoked."),
                             headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if g.api_token is not None and _stale(g.api_token.last_used_at):
            g.api_token.last_used_at = utcnow()
    return g.api_token


def _stale(last_used_at) -> bool:
    """Record use at most once a minute: not a database write on every API request."""
    return last_used_at is None or utcnow() - last_used_at > LAST_USED_RESOLUTION


def viewer():
    """The user reads happen as: the token's, if it carries `read`; otherwise None (anonymous,
    public data only). Writes act as the token's user through require_scope."""
    token = current_token()
    return token.user if token is not None and "read" in token.scopes else None


def require_scope(scope: str):
    """The user behind a token that carries `scope`, or a 401/403 problem."""
    token = current_token()
    if token is None:
        raise ApiProblem(401, "Unauthorized", _("Send a personal token as “Authorization: Bearer …”."),
                         headers={"WWW-Authenticate": "Bearer"})
    if scope not in token.scopes:
        raise ApiProblem(403, "Forbidden", _("This token lacks the “%(scope)s” scope.", scope=scope),
                         headers={"WWW-Authenticate": f'Bearer error="insufficient_scope" scope="{scope}"'})
    return token.user
