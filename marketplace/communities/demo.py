"""Demo communities and forum threads: a bilateral Kenya–Brazil community on participatory
budgeting, a multinational one on procurement, a private donor roundtable, and questions with
answers (some accepted). Runs after "cases"; demo notifications show in the bell, but their
emails are dropped rather than sent."""

from flask import current_app
from sqlalchemy import delete, func, select

from marketplace.accounts.models import User
from marketplace.communities import services
from marketplace.communities.models import Community
from marketplace.extensions import db
from marketplace.forums import services as forums
from marketplace.notifications.models import EmailOutbox

# name, slug, owner, members, countries, themes, private, description
COMMUNITIES = [
    ("Participatory budgeting: Kenya–Brazil exchange", "pb-kenya-brazil", "amina.wanjiru",
     ["joao.silva", "fatou.diop", "david.okafor", "marie.dubois", "sofia.garcia"], ["KE", "BR"],
     "participatory budgeting, local government", False,
     "County officers and NGOs in **Kenya** and city staff in **Brazil** compare how they run "
     "participatory budgeting: assemblies, project tracking, turnout and budget literacy."),
    ("Open procurement practitioners", "open-procurement", "oksana.kovalenko",
     ["carlos.mendoza", "sofia.garcia", "david.okafor"], ["UA", "CO", "ES", "NG"],
     "e-procurement, anti-corruption, open data", False,
     "Reform teams that opened up public procurement: e-procurement systems, open contracting "
     "data, and the indicators that convinced finance ministries."),
    ("Digital health services", "digital-health", "priya.raman", ["fatou.diop", "sofia.garcia"],
     ["IN"], "digital public services, health", False,
     "Designing digital public services for health departments: enrolment, appointments, "
     "records, and reaching people without smartphones."),
    ("Donor roundtable on governance innovation", "donor-roundtable", "lars.nielsen",
     ["hiroshi.tanaka", "marie.dubois", "admin"], [], "philanthropy, governance", True,
     "A private space for funders to coordinate calls, co-funding and evaluation rules."),
]

# community slug, category index, author, kind, title, tags, body, replies, accepted reply index
# replies: (author, body, [(reactor, kind), ...])
THREADS = [
    ("pb-kenya-brazil", 1, "amina.wanjiru", "question",
     "How do you keep turnout up after the first year?", "turnout, assemblies",
     "Our county assemblies drew 1,200 residents in year one and barely 300 in year two. "
     "People tell us the projects they voted for were never built. What worked for you?",
     [("joao.silva", "@AminaWanjiru we had the same drop in 2016. Two things brought people "
       "back:\n\n1. a **public tracker** with a delivery date for every approved project;\n"
       "2. evening assemblies with childcare.\n\nTurnout rose from 4% to 9% of adults in three "
       "years.", [("amina.wanjiru", "helpful"), ("fatou.diop", "helpful")]),
      ("fatou.diop", "In Senegal, school committees report back in the same room where the vote "
       "happened. Seeing the finished classroom photos matters more than any leaflet.",
       [("amina.wanjiru", "thanks")]),
      ("amina.wanjiru", "> a public tracker with a delivery date for every approved project\n\n"
       "Thank you both. We will pilot the tracker in two wards next quarter.", [])], 0),
    ("pb-kenya-brazil", 0, "joao.silva", "discussion",
     "Translating the Porto Alegre tracker for county assemblies", "tracker, translation",
     "I can share our tracker's spreadsheet template. Who wants to adapt it to Kenyan county "
     "budget codes? @DavidOkafor you mentioned the Nigerian chart of accounts is similar.",
     [("david.okafor", "Happy to help: the economic classification maps almost one to one. "
       "I'll post a draft mapping here next week.", [("joao.silva", "thanks")])], None),
    ("pb-kenya-brazil", 1, "sofia.garcia", "question",
     "Budget literacy materials in Swahili or Portuguese?", "budget literacy",
     "Are there plain-language guides to the budget cycle that we could translate rather than "
     "write from scratch?", [], None),
    ("open-procurement", 1, "carlos.mendoza", "question",
     "Which e-procurement indicators convinced your finance ministry?", "indicators, kpis",
     "We have data on bidders per tender and award times, but the ministry only asks about "
     "savings. Which indicators did your ministry actually listen to?",
     [("oksana.kovalenko", "Savings against the estimated value got us the meeting; the "
       "**share of single-bidder tenders** kept us funded. It fell from 38% to 21% and that "
       "was easy to explain.", [("carlos.mendoza", "helpful"), ("david.okafor", "helpful")]),
      ("david.okafor", "Award time in days worked for us, because the ministry felt the delay "
       "in its own capital budget execution.", [])], 0),
    ("open-procurement", 0, "sofia.garcia", "discussion",
     "Publishing contracts as open data: what fields do you redact?", "open contracting",
     "We publish under the Open Contracting Data Standard. Legal wants to redact unit prices. "
     "Has anyone won that argument?",
     [("oksana.kovalenko", "We won it by showing that unit prices were already in the tender "
       "documents. Redacting them later only looked suspicious.", [])], None),
    ("digital-health", 0, "priya.raman", "discussion",
     "SMS reminders versus app notifications for vaccination", "sms, vaccination",
     "In our pilot, SMS reminders beat app notifications for second doses by a wide margin. "
     "Curious whether others see the same.",
     [("fatou.diop", "Same in Thiès: most caregivers share one basic phone.", [])], None),
    ("donor-roundtable", 0, "lars.nielsen", "discussion",
     "Co-funding rules for the 2027 call", "co-funding",
     "Draft: we match community contributions 2:1 up to €50,000 per project, and require one "
     "performance objective with a baseline. Comments before Friday please.",
     [("hiroshi.tanaka", "Agree on the baseline. Could we allow in-kind contributions to count "
       "for up to half of the community share?", []),
      ("marie.dubois", "From the evaluation side: ask for the baseline's source, not just the "
       "number.", [("lars.nielsen", "helpful")])], None),
]


def seed() -> None:
    hours = current_app.config.get("FORUMS_NEW_ACCOUNT_HOURS")
    current_app.config["FORUMS_NEW_ACCOUNT_HOURS"] = 0  # demo accounts are just created
    first_email = db.session.scalar(select(func.max(EmailOutbox.id))) or 0
    try:
        _seed()
    finally:
        current_app.config["FORUMS_NEW_ACCOUNT_HOURS"] = hours if hours is not None else 24
    db.session.execute(delete(EmailOutbox).where(EmailOutbox.id > first_email))
    db.session.flush()


def _user(users: dict, key: str) -> User:
    return users[f"{key}@example.org"]


def _seed() -> None:
    users = {u.email: u for u in db.session.scalars(select(User))}
    communities = {}
    for name, slug, owner, members, countries, themes, private, description in COMMUNITIES:
        if db.session.scalar(select(Community.id).where(Community.slug == slug)):
            continue
        community = services.create_community(
            _user(users, owner), name=name, slug=slug, description=description, themes=themes,
            countries=countries, is_private=private)
        for key in members:
            services.add_member(community, _user(users, key))
        communities[slug] = community
    for slug, cat, author, kind, title, tags, body, replies, accepted in THREADS:
        if slug in communities:
            _thread(communities[slug], users, cat, author, kind, title, tags, body, replies,
                    accepted)


def _thread(community, users, cat, author, kind, title, tags, body, replies, accepted) -> None:
    category = forums.categories_of(community)[cat]
    thread = forums.start_thread(_user(users, author), category, title=title, body=body,
                                 kind=kind, tags=tags)
    posts = []
    for who, text, reactions in replies:
        post = forums.reply(_user(users, who), thread, text)
        for reactor, reaction in reactions:
            forums.toggle_reaction(_user(users, reactor), post, reaction)
        posts.append(post)
    if accepted is not None:
        forums.accept_answer(_user(users, author), thread, posts[accepted])
