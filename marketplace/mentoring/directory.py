"""The expertise directory: find an expert by tag, country, language, organization type, availability."""

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organization, OrganizationMember, User, UserExpertise
from marketplace.extensions import db
from marketplace.mentoring.expertise import contributions, norm
from marketplace.mentoring.models import MentorOffer
from marketplace.paging import page_of

MAX_RANKED = 2000  # people ranked by score; past this the directory is ordered by name


def find_experts(*, tag: str = "", country: str = "", language: str = "", org_type: str = "",
                 available: bool = False, page: int = 1, per_page: int = 20):
    """A Page of (person, Contributions, offer) ranked by expertise score."""
    query = select(User).where(User.is_deleted.is_(False), User.is_suspended.is_(False),
                               exists().where(UserExpertise.user_id == User.id))
    if tag:
        query = query.where(exists().where(UserExpertise.user_id == User.id,
                                           UserExpertise.tag == tag.strip().lower()))
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

    def key(u):
        c = scores[u.id]
        return -(c.score(wanted) if wanted else sum(c.score(e.tag) for e in u.expertise))

    users.sort(key=key)
    shown = page_of(users, page, per_page)
    offers = {o.user_id: o for o in db.session.scalars(
        select(MentorOffer).where(MentorOffer.user_id.in_([u.id for u in shown.items])))}
    return shown.map(lambda u: (u, scores[u.id], offers.get(u.id)))
