"""The `marketplace` command group: seed-demo."""

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.main.models import DemoSeed


def run(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=list(args), **kwargs)


def row_counts() -> dict[str, int]:
    return {name: db.session.scalar(select(func.count()).select_from(table))
            for name, table in db.metadata.tables.items()}


def users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.id)))


# --- seed-demo -------------------------------------------------------------------------------


def test_seed_demo_if_empty_leaves_a_database_with_users_alone(app, make_user):
    make_user(email="real@example.org", name="Real Person")
    before = row_counts()
    result = run(app, "seed-demo", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "skipped, the database already has users" in result.output
    assert row_counts() == before
    assert [u.email for u in users()] == ["real@example.org"]


def test_seed_demo_twice_around_user_rows_adds_nothing_and_keeps_their_edits(app, make_user):
    first = run(app, "seed-demo", "--if-empty")  # an empty database: seeds
    assert first.exit_code == 0, first.output
    assert "demo data: seeded accounts" in first.output
    seeded_users = len(users())
    assert seeded_users > 1
    real = make_user(email="real@example.org", name="Real Person")
    demo_user = db.session.scalar(select(User).where(User.email == "amina.wanjiru@example.org"))
    demo_user.display_name = "Amina W."  # a demo user edited her profile
    db.session.commit()
    before = row_counts()
    for args in (["seed-demo", "--if-empty"], ["seed-demo"]):
        result = run(app, *args)
        assert result.exit_code == 0, result.output
        assert "already present, nothing to do" in result.output
    db.session.expire_all()
    assert row_counts() == before
    assert len(users()) == seeded_users + 1
    assert (db.session.get(User, real.id).email, db.session.get(User, real.id).display_name) == (
        "real@example.org", "Real Person")
    assert db.session.get(User, demo_user.id).display_name == "Amina W."
    assert db.session.scalar(select(func.count()).select_from(DemoSeed)) == before["demo_seed"]

