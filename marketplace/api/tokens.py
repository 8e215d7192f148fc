"""Token verbs: create (plaintext returned once), revoke, and resolve a Bearer header."""

import hashlib
import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.api.models import SCOPES, ApiToken
from marketplace.database import utcnow
from marketplace.errors import InvalidInput, NotFound
from marketplace.extensions import db

TOKEN_PREFIX = "mkp_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """A new token and its plaintext, which is never stored and cannot be shown again."""
    if not name.strip():
        raise InvalidInput("name", _("Give the token a name, e.g. the tool that will use it."))
    scopes = [s for s in SCOPES if s in scopes]
    if not scopes:
        raise InvalidInput("scopes", _("Choose at least one scope."))
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name.strip()[:80], token_hash=_hash(plaintext),
                     prefix=plaintext[:12], scopes=scopes)
    db.session.add(token)
    db.session.flush()
    return token, plaintext


def revoke_token(user: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()
    return token


def user_tokens_query(user: User):
    """The user's tokens, revoked ones included, newest first."""
    return (select(ApiToken).where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))


def user_token(user: User, token_id: int) -> ApiToken | None:
    return db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.id == token_id))


def resolve_bearer(authorization: str | None) -> ApiToken | None:
    """The active token for an `Authorization: Bearer …` header, or None."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    plaintext = authorization[len("Bearer "):].strip()
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(plaintext)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    return token
