"""The expertise directory: find an expert by tag, country, language, organization type, availability.

A tag is looked up in the search index's person documents (name, bio, expertise and the titles
and summaries of their public practices and case studies, stemmed, misspellings corrected):
"procurement" finds "e-procurement" and "public procurement". Search sits above mentoring, so it
registers that lookup here (`use_people_search`, from create_app); without it, or while the index
is being rebuilt, a tag matches the declared expertise that contains it.
"""

from collections.abc import Callable

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organization, OrganizationMember, User, UserExpertise
from marketplace.extensions import db
from marketplace.mentoring.expertise import contributions, norm
from marketplace.mentoring.models import MentorOffer
from marketplace.paging import page_of

MAX_RANKED = 2000  # people ranked by score; past this the directory is ordered by name
# (text, viewer) -> ids of matching people, best first; None when the index cannot answer.
PeopleSearch = Callable[[str, object], list[int] | None]
_people_search: list[PeopleSearch] = []


def use_people_search(search: PeopleSearch) -> None:
    _people_search[:] = [search]


def _matching(tag: str, viewer) -> list[int] | None:
    return _people_search[0](tag, viewer) if _people_search else None


def find_experts(*, tag: str = "", country: str = "", language: str = "", org_type: str = "",
                 available: bool = False, page: int = 1, per_page: int = 20, viewer=None):
    """A Page of (person, Contributions, offer): with a tag, ranked by expertise score on it, then
    by how well their documents match it; else by total expertise score."""
    query = select(User).where(User.is_deleted.is_(False), User.is_suspended.is_(False))
    found = _matching(tag, viewer) if tag.strip() else None
    if found is not None:
        query = query.where(User.id.in_(found[:MAX_RANKED]))
    elif tag.strip():
        query = query.where(exists().where(UserExpertise.user_id == User.id,
                                           UserExpertise.tag.contains(tag.strip().lower(), autoescape=True)))
    else:
        query = query.where(exists().where(UserExpertise.user_id == User.id))
    if country:
        query = query.where(User.country == country)
    if org_type:
        query = query.where(exists().where(
            OrganizationMember.user_id == User.id,
            OrganizationMember.organization_id == Organization.id, Organization.type == org_type))
    if available:
        query = query.where(exists().where(MentorOffer.user_id == User.id, MentorOffer.is_open.is_(True),
                                           MentorOffer.active_count < MentorOffer.capacity))
    users = list(db.session.scalars(query.options(selectinload(User.expertise)).order_by(User.display_name)
                                    .limit(MAX_RANKED)))
    if language:  # a JSON list column: filtered here, portably
        users = [u for u in users if language in (u.languages or [])]
    scores = contributions([u.id for u in users])
    wanted = norm(tag) if tag else None

    rank = {user_id: i for i, user_id in enumerate(found or ())}

    def key(u):
        c = scores[u.id]
        return (-(c.score(wanted) if wanted else sum(c.score(e.tag) for e in u.expertise)),
                rank.get(u.id, 0))

    users.sort(key=key)
    shown = page_of(users, page, per_page)
    offers = {o.user_id: o for o in db.session.scalars(
        select(MentorOffer).where(MentorOffer.user_id.in_([u.id for u in shown.items])))}
    return shown.map(lambda u: (u, scores[u.id], offers.get(u.id)))
