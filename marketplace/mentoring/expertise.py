"""Expertise per tag, derived from what people contributed. Shown on hover in the directory.

For a person and one of their expertise tags t (themes and tags compare case-insensitively,
with "-" read as a space):

    score(t) = 1 (declared)
             + 3 × published practices they own or co-author with theme or tag t
             + 3 × published case studies they own or co-author that apply such a practice
             + 2 × accepted answers they wrote in public-community threads tagged t
             + 1 × endorsements received on those practices

Everything is computed for a whole page of people in a fixed number of queries.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from marketplace import policy
from marketplace.extensions import db

WEIGHTS = {"declared": 1, "practices": 3, "cases": 3, "answers": 2, "endorsements": 1}
FORMULA = _l(
    "Expertise score for a tag = 1 (declared) + 3 × practices + 3 × case studies + "
    "2 × accepted answers + 1 × endorsements received, counting only work on that tag."
)


def norm(tag: str) -> str:
    return " ".join(tag.lower().replace("-", " ").split())


@dataclass
class Contributions:
    practices: int = 0
    cases: int = 0
    answers: int = 0
    endorsements: int = 0
    per_tag: dict[str, dict[str, int]] = field(default_factory=dict)

    def score(self, tag: str) -> int:
        counts = self.per_tag.get(norm(tag), {})
        return WEIGHTS["declared"] + sum(WEIGHTS[k] * counts.get(k, 0) for k in WEIGHTS if k != "declared")

    def breakdown(self, tag: str) -> dict[str, int]:
        return {k: self.per_tag.get(norm(tag), {}).get(k, 0) for k in ("practices", "cases", "answers",
                                                                          "endorsements")}


def contributions(user_ids: list[int]) -> dict[int, Contributions]:
    result = {uid: Contributions() for uid in user_ids}
    if not user_ids:
        return result
    practice_topics = _practices(user_ids, result)
    _cases(user_ids, result, practice_topics)
    _answers(user_ids, result)
    return result


def _bump(contrib: Contributions, topics: set[str], key: str, amount: int = 1) -> None:
    for topic in topics:
        counts = contrib.per_tag.setdefault(topic, defaultdict(int))
        counts[key] += amount


def _topics_of(practice_ids: list[int]) -> dict[int, set[str]]:
    """Normalised themes and tags of each practice, in two queries."""
    from marketplace.knowledge.models import PracticeTag, PracticeTheme

    topics: dict[int, set[str]] = defaultdict(set)
    if practice_ids:
        for model, column in ((PracticeTheme, PracticeTheme.theme), (PracticeTag, PracticeTag.tag)):
            for pid, value in db.session.execute(select(model.practice_id, column)
                                                 .where(model.practice_id.in_(practice_ids))):
                topics[pid].add(norm(value))
    return topics


def _practices(user_ids, result) -> dict[int, set[str]]:
    from marketplace.knowledge.models import Practice, PracticeAuthor

    rows = db.session.execute(
        select(Practice.id, Practice.owner_id, Practice.endorsement_count, PracticeAuthor.user_id)
        .outerjoin(PracticeAuthor, PracticeAuthor.practice_id == Practice.id)
        .where(Practice.status == "published",
               or_(Practice.owner_id.in_(user_ids), PracticeAuthor.user_id.in_(user_ids)))
    ).all()
    authors: dict[int, set[int]] = defaultdict(set)
    endorsements: dict[int, int] = {}
    for pid, owner, count, coauthor in rows:
        authors[pid].update(u for u in (owner, coauthor) if u in result)
        endorsements[pid] = count
    topics = _topics_of(list(authors))
    for pid, uids in authors.items():
        for uid in uids:
            result[uid].practices += 1
            result[uid].endorsements += endorsements[pid]
            _bump(result[uid], topics[pid], "practices")
            _bump(result[uid], topics[pid], "endorsements", endorsements[pid])
    return topics


def _cases(user_ids, result, practice_topics) -> None:
    from marketplace.cases.models import CaseStudy, case_study_author, case_study_practice

    rows = db.session.execute(
        select(CaseStudy.id, CaseStudy.owner_id, case_study_author.c.user_id)
        .outerjoin(case_study_author, case_study_author.c.case_study_id == CaseStudy.id)
        .where(CaseStudy.status == "published",
               or_(CaseStudy.owner_id.in_(user_ids), case_study_author.c.user_id.in_(user_ids)))
    ).all()
    authors: dict[int, set[int]] = defaultdict(set)
    for cid, owner, coauthor in rows:
        authors[cid].update(u for u in (owner, coauthor) if u in result)
    if not authors:
        return
    case_topics: dict[int, set[str]] = defaultdict(set)
    links = db.session.execute(select(case_study_practice.c.case_study_id, case_study_practice.c.practice_id)
                               .where(case_study_practice.c.case_study_id.in_(list(authors)))).all()
    extra = _topics_of([pid for _c, pid in links if pid not in practice_topics])
    for cid, pid in links:
        case_topics[cid] |= practice_topics.get(pid) or extra.get(pid, set())
    for cid, uids in authors.items():
        for uid in uids:
            result[uid].cases += 1
            _bump(result[uid], case_topics[cid], "cases")


def _answers(user_ids, result) -> None:
    from marketplace.forums.models import Post, Thread

    rows = db.session.execute(  # answers anyone may read: the policy's view of an anonymous user
        select(Post.author_id, Thread.tags)
        .join(Thread, Thread.accepted_post_id == Post.id)
        .where(Post.author_id.in_(user_ids), policy.clause(None, "post", Post))
    ).all()
    for author_id, tags in rows:
        result[author_id].answers += 1
        _bump(result[author_id], {norm(t) for t in tags or []}, "answers")
