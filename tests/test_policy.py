"""marketplace/policy.py: for every kind, the Python predicate, the SQL clause and the search
tokens give the same answer, for every kind of viewer (one definition, read three ways)."""

import ast
from pathlib import Path

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from marketplace import policy
from marketplace.extensions import db
from marketplace.forums import moderation
from marketplace.forums import services as forums

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def world(app, make_user, make_practice, make_case_study, make_project, make_community,
          make_thread, make_reply, aged):
    from marketplace.communities.services import add_member
    from marketplace.knowledge.services import set_coauthors_by_email
    from marketplace.mentoring.models import Mentorship

    owner, coauthor, member, stranger, community_mod = (
        aged(make_user(name=n)) for n in ("Owner", "Coauthor", "Member", "Stranger",
                                          "Community moderator"))
    newcomer = make_user(name="Newcomer")  # a new account: its posts wait for a moderator
    moderator = make_user(name="Site moderator", roles=["moderator"])
    practices = [make_practice(owner=owner, status=s) for s in ("draft", "published", "archived")]
    set_coauthors_by_email(practices[0], coauthor.email)
    practices[2].status = "archived"
    cases = [make_case_study(owner=owner, status=s, coauthor_emails=[coauthor.email])
             for s in ("draft", "published")]
    projects = [make_project(owner=owner, state=s) for s in ("draft", "pending_review", "open")]
    public = make_community(owner=owner, name="Square", members=[member, newcomer])
    private = make_community(owner=owner, name="Room", private=True, members=[member])
    add_member(private, community_mod, role="moderator")
    add_member(public, community_mod, role="moderator")
    threads = [make_thread(c, owner, title=f"In {c.name}") for c in (public, private)]
    posts = [make_reply(t, member, f"Reply {n}") for t in threads for n in range(3)]
    moderation.hide_post(owner, posts[1], "no")
    forums.delete_post(member, posts[2])
    moderation.hide_post(owner, posts[4], "no")
    pending_thread = make_thread(public, newcomer, title="Waiting")
    posts.append(make_reply(threads[0], newcomer, "Waiting too"))
    hidden_thread = make_thread(public, member, title="Hidden")
    moderation.hide_post(owner, _first(hidden_thread), "spam")
    mentorship = Mentorship(mentor_id=owner.id, mentee_id=member.id, goal="Learn", topic="budgets")
    db.session.add(mentorship)
    make_user(name="Gone").is_deleted = True
    db.session.commit()
    assert posts[-1].status == "pending" and pending_thread.status == "pending"
    from marketplace.accounts.models import User
    from marketplace.forums.models import Post

    return {
        "viewers": [None, AnonymousUserMixin(), owner, coauthor, member, stranger, newcomer,
                    community_mod, moderator],
        "rows": {
            "practice": practices, "case": cases, "project": projects,
            "community": [public, private], "thread": [*threads, pending_thread, hidden_thread],
            "post": list(db.session.scalars(select(Post))), "mentorship": [mentorship],
            "profile": list(db.session.scalars(select(User))),
        },
    }


def _first(thread):
    from marketplace.forums.models import Post

    return db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))


def _token_allows(viewer, kind, row) -> bool:
    held = policy.viewer_tokens(viewer)
    indexed = policy.index_tokens(policy.tokens(kind, row))
    return "*" in held or "public" in indexed or bool(held & set(indexed))


@pytest.mark.parametrize("kind", sorted(policy.RULES))
def test_predicate_sql_and_search_tokens_agree(world, kind):
    model = policy.model(kind)
    rows = world["rows"][kind]
    seen_by_someone, hidden_from_someone = set(), set()
    for viewer in world["viewers"]:
        by_predicate = {r.id for r in rows if policy.visible(viewer, kind, r)}
        by_sql = set(db.session.scalars(select(model.id).where(
            model.id.in_([r.id for r in rows]), policy.clause(viewer, kind))))
        assert by_predicate == by_sql, (kind, viewer)
        seen_by_someone |= by_predicate
        hidden_from_someone |= {r.id for r in rows} - by_predicate
        if kind in ("practice", "case", "project", "thread", "post"):
            # What search indexes (every row of these kinds, or the public ones of forums)
            # is found by exactly those the predicate lets see it.
            for row in rows:
                if kind in ("practice", "case", "project") or policy.is_public(kind, row):
                    assert _token_allows(viewer, kind, row) == policy.visible(viewer, kind, row), (
                        kind, viewer, row)
    assert hidden_from_someone, f"{kind}: the seeded rows must include some hidden ones"
    assert seen_by_someone, kind


def test_the_rules_people_rely_on(world):
    rows, (anonymous, _, owner, coauthor, member, stranger, newcomer, community_mod,
           moderator) = world["rows"], world["viewers"]
    draft, published, archived = rows["practice"]
    assert [policy.visible(v, "practice", draft) for v in (anonymous, stranger, coauthor, owner,
                                                           moderator)] == [False, False, True,
                                                                               True, True]
    assert policy.visible(anonymous, "practice", archived)
    assert not policy.visible(stranger, "project", rows["project"][1])  # pending review
    public_thread, private_thread = rows["thread"][:2]
    assert not policy.visible(stranger, "thread", private_thread)
    assert policy.visible(member, "thread", private_thread)
    posts = [p for p in rows["post"] if p.thread_id == public_thread.id and p.number > 1]
    reply, hidden, deleted, pending = posts
    assert [policy.visible(stranger, "post", p) for p in posts] == [True, False, False, False]
    assert policy.visible(newcomer, "post", pending) and not policy.visible(member, "post", pending)
    assert all(policy.visible(community_mod, "post", p) for p in posts)
    assert policy.tokens("thread", private_thread) == f"community:{private_thread.community_id}"
    assert policy.tokens("practice", draft) == policy.authors_token(draft.author_ids)
    (mentorship,) = rows["mentorship"]
    assert not policy.visible(moderator, "mentorship", mentorship)  # private to the two of them
    assert policy.visible(member, "mentorship", mentorship)


def test_unknown_models_fail_loudly(app):
    with pytest.raises(LookupError):
        policy.mapped("NoSuchModel")


FEATURES = ("knowledge", "cases", "communities", "forums", "mentoring", "projects", "sponsorship",
            "search", "api", "main", "notifications")


@pytest.mark.parametrize("path", ["marketplace/policy.py", "marketplace/accounts/permissions.py"])
def test_the_policy_imports_no_feature_above_accounts(path):
    """At module level or inside functions: the rules read higher features' rows by model name."""
    tree = ast.parse((ROOT / path).read_text())
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + [
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    upward = [m for m in imported if m and m.split(".")[:2][-1] in FEATURES
              and m.startswith("marketplace.")]
    assert not upward, upward
