"""The knowledge demo seeder: ~30 practices, ≥10 countries, adaptations, endorsements,
revisions; running it twice adds nothing."""

from sqlalchemy import func, select

from marketplace.accounts import demo as accounts_demo
from marketplace.extensions import db
from marketplace.knowledge import demo
from marketplace.knowledge.models import Endorsement, Practice, PracticeCountry, Revision


def _counts():
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return count(Practice), count(Endorsement), count(Revision)


def test_demo_practices(app, client):
    accounts_demo.seed()
    demo.seed()
    db.session.commit()
    practices, endorsements, revisions = _counts()
    assert 28 <= practices <= 35 and endorsements >= 20 and revisions > practices
    countries = db.session.scalar(select(func.count(func.distinct(PracticeCountry.country))))
    assert countries >= 10
    pb = db.session.scalar(select(Practice).where(
        Practice.title == "Participatory budgeting in district assemblies"))
    assert pb.adaptation_count == 2 and pb.endorsement_count == 6
    html = client.get(f"/practices/{pb.slug}").get_data(as_text=True)
    assert "Adapted directly in 2 countries: Kenya, Senegal" in html
    assert "Participatory budgeting in urban comunas" in html  # grandchild in the lineage
    demo.seed()
    db.session.commit()
    assert _counts() == (practices, endorsements, revisions)
