"""Demo mentors and a few mentorships in different states."""

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.mentoring.models import MentorOffer, Mentorship, MentorshipMessage
from marketplace.text import render_markdown

OFFERS = [
    ("joao.silva@example.org", ["participatory budgeting", "municipal finance"], ["pt", "es", "en"], 3,
     "Two calls a month, afternoons in Brasília time"),
    ("marie.dubois@example.org", ["evaluation", "public administration"], ["fr", "en"], 2,
     "One hour a week"),
    ("oksana.kovalenko@example.org", ["e-procurement", "anti-corruption"], ["uk", "en"], 2,
     "Evenings, Kyiv time"),
    ("carlos.mendoza@example.org", ["community policing", "security-sector reform"], ["es", "en"], 1,
     "Fortnightly"),
]

# mentor, mentee, topic, goal, state, messages, feedback (mentor, mentee)
MENTORSHIPS = [
    ("joao.silva@example.org", "amina.wanjiru@example.org", "participatory budgeting",
     "Design the first participatory budgeting cycle for a Kenyan county, with ward-level assemblies.",
     "active", ["How did you choose which share of the budget to open to citizens?",
                "We started with 5% of the capital budget and grew it as trust grew. "
                "Start small and publish every result."],
     None),
    ("marie.dubois@example.org", "fatou.diop@example.org", "evaluation",
     "Evaluate whether school management committees improved attendance.",
     "completed", ["Which baseline should we use?", "Use the school year before the committees started, same schools."],
     ("Fatou built a solid evaluation design in three months.", "Clear, patient and practical advice.")),
    ("oksana.kovalenko@example.org", "david.okafor@example.org", "e-procurement",
     "Learn how open e-procurement data was published and used by civil society.", "requested", [], None),
]


def seed() -> None:
    users = {u.email: u for u in db.session.scalars(select(User))}
    for email, topics, languages, capacity, availability in OFFERS:
        db.session.add(MentorOffer(user_id=users[email].id, topics=topics, languages=languages,
                                   capacity=capacity, availability=availability, active_count=0))
    db.session.flush()
    offers = {o.user_id: o for o in db.session.scalars(select(MentorOffer))}
    for mentor_email, mentee_email, topic, goal, state, messages, feedback in MENTORSHIPS:
        mentor, mentee = users[mentor_email], users[mentee_email]
        m = Mentorship(mentor_id=mentor.id, mentee_id=mentee.id, topic=topic, goal=goal, state=state,
                       language="en")
        if state in ("active", "completed"):
            m.accepted_at = utcnow()
        if state == "active":
            offers[mentor.id].active_count += 1
        if feedback:
            m.ended_at = utcnow()
            m.mentor_feedback, m.mentee_feedback = feedback
            m.mentor_rating, m.mentee_rating = 5, 5
        for i, body in enumerate(messages):
            author = mentee if i % 2 == 0 else mentor
            m.messages.append(MentorshipMessage(author_id=author.id, body_source=body,
                                                body_html=render_markdown(body)))
        db.session.add(m)
    db.session.flush()
