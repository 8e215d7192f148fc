"""Mentoring verbs. Capacity is enforced by guarded UPDATEs, safe under concurrent accepts."""

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace import links, policy
from marketplace.accounts.models import Organization, OrganizationMember, User
from marketplace.database import utcnow
from marketplace.errors import Conflict, InvalidInput, PermissionDenied
from marketplace.extensions import db
from marketplace.mentoring import matching
from marketplace.mentoring.models import (
    OPEN_STATES,
    MentorOffer,
    Mentorship,
    MentorshipMessage,
    MentorshipState,
)
from marketplace.notifications.services import notify
from marketplace.slugs import parse_tags
from marketplace.text import render_markdown


def get_offer(user: User) -> MentorOffer | None:
    return db.session.scalar(select(MentorOffer).where(MentorOffer.user_id == user.id))


def save_offer(user: User, *, topics: str, languages: list[str], capacity: int,
               availability: str, is_open: bool) -> MentorOffer:
    offer = get_offer(user) or MentorOffer(user_id=user.id, active_count=0)
    if capacity < offer.active_count:
        raise InvalidInput("capacity", _("You have %(n)d active mentorships; capacity cannot be lower.",
                                         n=offer.active_count))
    offer.topics = parse_tags(topics)
    if not offer.topics:
        raise InvalidInput("topics", _("Name at least one topic you can mentor on."))
    offer.languages = list(dict.fromkeys(languages))
    offer.capacity = capacity
    offer.availability = availability.strip()
    offer.is_open = is_open
    db.session.add(offer)
    db.session.flush()
    return offer


def _profiles(users: list[User]) -> dict[int, matching.Profile]:
    """Matching profiles for users, in three queries whatever their number."""
    ids = [u.id for u in users]
    rows = db.session.execute(
        select(OrganizationMember.user_id, OrganizationMember.organization_id)
        .where(OrganizationMember.user_id.in_(ids))
    ).all()
    org_ids = {org for _u, org in rows}
    sizes = dict(db.session.execute(
        select(OrganizationMember.organization_id, func.count())
        .where(OrganizationMember.organization_id.in_(org_ids))
        .group_by(OrganizationMember.organization_id)
    ).all()) if org_ids else {}

    types = dict(db.session.execute(
        select(Organization.id, Organization.type).where(Organization.id.in_(org_ids))
    ).all()) if org_ids else {}
    by_user: dict[int, list[int]] = {}
    for user_id, org_id in rows:
        by_user.setdefault(user_id, []).append(org_id)
    return {
        u.id: matching.Profile(
            user_id=u.id, country=u.country, languages=list(u.languages or []),
            org_types={types[o] for o in by_user.get(u.id, [])},
            org_size=max((sizes.get(o, 0) for o in by_user.get(u.id, [])), default=0),
            tags=[e.tag for e in u.expertise],
        )
        for u in users
    }


def suggest_mentors(mentee: User, topic: str, language: str | None, limit: int = 10):
    """[(Suggestion, User, MentorOffer)] ranked as documented in matching.py."""
    offers = db.session.scalars(
        select(MentorOffer).join(MentorOffer.user)
        .where(MentorOffer.is_open.is_(True), MentorOffer.active_count < MentorOffer.capacity,
               User.is_deleted.is_(False), User.is_suspended.is_(False), User.id != mentee.id)
        .options(selectinload(MentorOffer.user).selectinload(User.expertise))
    ).all()
    profiles = _profiles([mentee, *[o.user for o in offers]])
    candidates = []
    for offer in offers:
        profile = profiles[offer.user_id]
        profile.tags = list(dict.fromkeys([*offer.topics, *profile.tags]))
        candidates.append((profile, offer))
    ranked = matching.rank(topic, language, profiles[mentee.id], candidates)[:limit]
    by_id = {o.user_id: o for o in offers}
    return [(s, by_id[s.mentor_id].user, by_id[s.mentor_id]) for s in ranked]


def request_mentorship(mentee: User, mentor: User, *, goal: str, topic: str,
                       language: str | None) -> Mentorship:
    offer = get_offer(mentor)
    if mentor.id == mentee.id:
        raise InvalidInput("mentor_id", _("You cannot mentor yourself."))
    if offer is None or not offer.is_open or not mentor.is_active:
        raise Conflict(_("This person is not taking mentees at the moment."))
    if offer.free_places <= 0:
        raise Conflict(_("This mentor has no free places at the moment."))
    if not goal.strip():
        raise InvalidInput("goal", _("Say what you want to achieve."))
    mentorship = Mentorship(mentor_id=mentor.id, mentee_id=mentee.id, goal=goal.strip(),
                            topic=topic.strip()[:60], language=language or None)
    try:
        with db.session.begin_nested():
            db.session.add(mentorship)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_("You already have an open request or mentorship with this mentor.")) from None
    notify(mentor, "mentorship", _l("%(name)s asks you to be their mentor on “%(topic)s”.",
                                    name=mentee.display_name, topic=mentorship.topic),
           _link(mentorship), actor=mentee)
    return mentorship


def _link(mentorship: Mentorship) -> str:
    return links.path("mentoring.show", mentorship_id=mentorship.id)


def _transition(mentorship: Mentorship, from_state: str, **values) -> None:
    """Move the state only if nobody else moved it first."""
    result = db.session.execute(
        update(Mentorship)
        .where(Mentorship.id == mentorship.id, Mentorship.state == from_state)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_("This mentorship changed in the meantime; reload the page."))
    db.session.refresh(mentorship)


def accept(mentor: User, mentorship: Mentorship) -> None:
    """Take a free place, then activate. The caller rolls back on Conflict."""
    if mentorship.mentor_id != mentor.id:
        raise PermissionDenied(_("Only the mentor can accept."))
    taken = db.session.execute(
        update(MentorOffer)
        .where(MentorOffer.user_id == mentor.id, MentorOffer.active_count < MentorOffer.capacity)
        .values(active_count=MentorOffer.active_count + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_("You have no free mentoring places. Raise your capacity or finish a mentorship."))
    _transition(mentorship, MentorshipState.REQUESTED, state=MentorshipState.ACTIVE.value,
                accepted_at=utcnow())
    notify(mentorship.mentee, "mentorship", _l("%(name)s accepted to mentor you.", name=mentor.display_name),
           _link(mentorship), actor=mentor)


def decline(mentor: User, mentorship: Mentorship, reason: str) -> None:
    if mentorship.mentor_id != mentor.id:
        raise PermissionDenied(_("Only the mentor can decline."))
    _transition(mentorship, MentorshipState.REQUESTED, state=MentorshipState.DECLINED.value,
                decline_reason=reason.strip(), ended_at=utcnow())
    notify(mentorship.mentee, "mentorship",
           _l("%(name)s cannot mentor you at the moment.", name=mentor.display_name),
           _link(mentorship), actor=mentor)


def cancel_request(mentee: User, mentorship: Mentorship) -> None:
    if mentorship.mentee_id != mentee.id:
        raise PermissionDenied(_("Only the person who asked can withdraw the request."))
    _transition(mentorship, MentorshipState.REQUESTED, state=MentorshipState.CANCELLED.value,
                ended_at=utcnow())


def complete(user: User, mentorship: Mentorship, feedback: str, rating: int | None) -> None:
    """Either side ends an active mentorship with feedback; the place becomes free again."""
    if not mentorship.is_participant(user):
        raise PermissionDenied(_("Only the mentor and the mentee can end a mentorship."))
    _transition(mentorship, MentorshipState.ACTIVE, state=MentorshipState.COMPLETED.value,
                ended_at=utcnow())
    db.session.execute(
        update(MentorOffer)
        .where(MentorOffer.user_id == mentorship.mentor_id, MentorOffer.active_count > 0)
        .values(active_count=MentorOffer.active_count - 1)
        .execution_options(synchronize_session=False)
    )
    leave_feedback(user, mentorship, feedback, rating)
    other = mentorship.mentee if user.id == mentorship.mentor_id else mentorship.mentor
    notify(other, "mentorship", _l("%(name)s ended your mentorship. Please leave your feedback.",
                                   name=user.display_name), _link(mentorship), actor=user)


def leave_feedback(user: User, mentorship: Mentorship, feedback: str, rating: int | None) -> None:
    if not mentorship.is_participant(user):
        raise PermissionDenied(_("Only the mentor and the mentee can leave feedback."))
    if mentorship.state != MentorshipState.COMPLETED:
        raise Conflict(_("Feedback is given when the mentorship ends."))
    if not feedback.strip():
        raise InvalidInput("feedback", _("Write a few words of feedback."))
    side = "mentor" if user.id == mentorship.mentor_id else "mentee"
    setattr(mentorship, f"{side}_feedback", feedback.strip())
    setattr(mentorship, f"{side}_rating", rating)
    db.session.flush()


REPEAT_WINDOW = timedelta(minutes=2)  # the same message again within it is the same message


def post_message(user: User, mentorship: Mentorship, body: str) -> MentorshipMessage:
    if not mentorship.is_participant(user):
        raise PermissionDenied(_("This conversation is private."))
    if mentorship.state not in OPEN_STATES:
        raise Conflict(_("This mentorship has ended; the conversation is closed."))
    if not body.strip():
        raise InvalidInput("body", _("Write a message."))
    # The conversation's row lock orders two sends at once (a double click), so the second sees the first.
    db.session.execute(select(Mentorship.id).where(Mentorship.id == mentorship.id).with_for_update())
    repeated = db.session.scalar(
        select(MentorshipMessage).where(MentorshipMessage.mentorship_id == mentorship.id,
                                        MentorshipMessage.author_id == user.id,
                                        MentorshipMessage.created_at >= utcnow() - REPEAT_WINDOW)
        .order_by(MentorshipMessage.id.desc()).limit(1))
    if repeated is not None and repeated.body_source == body:  # a double click, or a resent form
        return repeated
    message = MentorshipMessage(mentorship_id=mentorship.id, author_id=user.id, body_source=body,
                                body_html=render_markdown(body))
    db.session.add(message)
    db.session.flush()
    other = mentorship.mentee if user.id == mentorship.mentor_id else mentorship.mentor
    notify(other, "mentorship", _l("New message from %(name)s in your mentorship.", name=user.display_name),
           _link(mentorship), actor=user)
    return message


def mentorships_of(user: User, ended: bool = False):
    """A SELECT of the user's mentorships: those under way (requested, active), the latest
    activity first, or (`ended`) the declined, withdrawn and completed ones, the latest ended first."""
    under_way = Mentorship.state.in_(OPEN_STATES)
    query = (select(Mentorship)
             .where(policy.clause(user, "mentorship", Mentorship), ~under_way if ended else under_way)
             .options(selectinload(Mentorship.mentor), selectinload(Mentorship.mentee)))
    if ended:
        return query.order_by(func.coalesce(Mentorship.ended_at, Mentorship.updated_at).desc(),
                              Mentorship.id.desc())
    return query.order_by(Mentorship.updated_at.desc(), Mentorship.id.desc())


def messages_of(mentorship: Mentorship):
    """A SELECT of the conversation's messages, the latest first (pages go back in time)."""
    return (select(MentorshipMessage).where(MentorshipMessage.mentorship_id == mentorship.id)
            .options(selectinload(MentorshipMessage.author)).order_by(MentorshipMessage.id.desc()))
