"""@mentions rendered as links to profiles, for any Markdown a person writes.

A person is mentioned as @ and their display name without spaces or punctuation ("Ana María
Silva" is @AnaMariaSilva; case and accents do not matter). Who may be mentioned depends on the
place: a forum post's community members (marketplace.forums.mentions), anyone for a practice.
"""

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import load_only

from marketplace import links
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.text import MENTION, render_markdown


def handle(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_name.lower())


def profile_links(source: str, candidates) -> dict[str, str]:
    """handle -> profile path of the candidates the source names (quoted lines included)."""
    wanted = {handle(m) for m in MENTION.findall(source or "")} - {""}
    if not wanted:
        return {}
    return {handle(u.display_name): links.path("accounts.profile", user_id=u.id)
            for u in candidates if handle(u.display_name) in wanted}


def everyone(source: str) -> list[User]:
    """Candidates outside a community (practice sections): the active accounts, read only when
    the source has an @mention at all."""
    if not MENTION.search(source or ""):
        return []
    return list(db.session.scalars(select(User).options(load_only(User.id, User.stored_name, User.email))
                                   .where(User.is_deleted.is_(False))))


def render(source: str, candidates) -> str:
    """Markdown → safe HTML with the candidates' @mentions linked to their profiles."""
    return render_markdown(source, profile_links(source, candidates), handle)
