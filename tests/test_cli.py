"""The `marketplace` command group: seed-demo, create-user, routes."""

import pytest
from click.testing import CliRunner
from flask.cli import FlaskGroup
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from marketplace.accounts.models import AuditEvent, User
from marketplace.extensions import db
from marketplace.main.models import DemoSeed

STRONG = "copper-Lantern-harvest-58"


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


# --- create-user -----------------------------------------------------------------------------


@pytest.fixture
def no_password_env(monkeypatch):
    monkeypatch.delenv("MARKETPLACE_NEW_USER_PASSWORD", raising=False)
    return monkeypatch


def test_create_user_has_no_default_password(app, no_password_env):
    result = run(app, "create-user", "--email", "ops@example.org", input="")
    assert result.exit_code != 0
    assert "Aborted" in result.output
    assert users() == []


def test_create_user_takes_the_password_from_the_environment(app, no_password_env):
    no_password_env.setenv("MARKETPLACE_NEW_USER_PASSWORD", STRONG)
    result = run(app, "create-user", "--email", "Ops@Example.org")
    assert result.exit_code == 0, result.output
    (user,) = users()
    assert (user.email, user.display_name, user.roles) == ("ops@example.org", "Ops", [])
    assert check_password_hash(user.password_hash, STRONG)
    assert "roles: member" in result.output


def test_create_user_prompts_for_the_password_twice(app, no_password_env):
    result = run(app, "create-user", "--email", "ops@example.org", "--name", "Ops Team",
                 input=f"{STRONG}\n{STRONG}\n")
    assert result.exit_code == 0, result.output
    (user,) = users()
    assert user.display_name == "Ops Team" and check_password_hash(user.password_hash, STRONG)


def test_create_user_with_the_admin_role(app, no_password_env):
    no_password_env.setenv("MARKETPLACE_NEW_USER_PASSWORD", STRONG)
    result = run(app, "create-user", "--email", "root@example.org", "--role", "admin")
    assert result.exit_code == 0, result.output
    (user,) = users()
    assert user.is_admin and "roles: admin" in result.output
    grant = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role.grant"))
    assert (grant.target_id, grant.detail) == (user.id, {"role": "admin", "via": "cli"})


@pytest.mark.parametrize("password, message", [
    ("short", "Use at least 10 characters."),
    ("password123", "This password is too easy to guess."),
])
def test_create_user_refuses_a_weak_password(app, no_password_env, password, message):
    no_password_env.setenv("MARKETPLACE_NEW_USER_PASSWORD", password)
    result = run(app, "create-user", "--email", "ops@example.org", "--role", "admin")
    assert result.exit_code == 1
    assert message in result.output
    assert users() == []


# --- routes ----------------------------------------------------------------------------------


def test_routes_lists_the_endpoints(app):
    cli = FlaskGroup(create_app=lambda: app)  # what the `marketplace` script runs
    result = app.test_cli_runner().invoke(cli, ["routes"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("accounts.forgot_password" in line and "/forgot-password" in line for line in lines)
    assert any("api." in line and "/api/" in line for line in lines)
    assert "seed-demo" in app.test_cli_runner().invoke(cli, ["--help"]).output


# --- shell -----------------------------------------------------------------------------------


def test_shell_context_has_db_and_a_model_for_every_table(app):
    context = app.make_shell_context()
    assert context["db"] is db and context["User"] is User and context["AuditEvent"] is AuditEvent
    mapped = {getattr(obj, "__table__", None) for obj in context.values()}
    unmapped = [t for t in db.metadata.sorted_tables if t not in mapped]
    assert len(context) > 40 and unmapped  # link tables (two foreign keys) have no class
    assert [t.name for t in unmapped if not all(c.foreign_keys for c in t.columns)] == []


def test_marketplace_shell_runs_with_the_models_imported(app, make_user):
    make_user(email="shell@example.org")
    db.session.commit()
    code = "print('users:', db.session.scalar(db.select(db.func.count()).select_from(User)))\n"
    result = CliRunner().invoke(FlaskGroup(create_app=lambda: app), ["shell"], input=code)
    assert result.exit_code == 0, result.output
    assert "users: 1" in result.output
