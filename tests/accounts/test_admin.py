"""The admin page for roles, and the audit log page."""

from sqlalchemy import select

from marketplace.accounts.models import AuditEvent, User
from marketplace.extensions import db


def change_role(client, user, role, action):
    return client.post(f"/admin/users/{user.id}/roles", data={"role": role, "action": action})


def roles_of(user) -> set[str]:
    db.session.expire_all()
    return {r.role for r in db.session.get(User, user.id).roles}


def test_admin_grants_and_revokes_roles(client, auth, make_user):
    make_user(email="root@example.org", roles=["admin"])
    ana = make_user(email="ana@example.org", name="Ana")
    auth.login("root@example.org")
    page = client.get("/admin/users?q=ana").get_data(as_text=True)
    assert "ana@example.org" in page and "root@example.org" not in page
    response = change_role(client, ana, "donor", "grant")
    assert response.status_code == 302
    assert "Roles of Ana are updated." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert roles_of(ana) == {"donor"}
    change_role(client, ana, "moderator", "grant")
    change_role(client, ana, "donor", "revoke")
    assert roles_of(ana) == {"moderator"}
    actions = db.session.execute(select(AuditEvent.action, AuditEvent.detail).where(
        AuditEvent.action.like("role.%")).order_by(AuditEvent.id)).all()
    assert [(a, d["role"]) for a, d in actions] == [
        ("role.grant", "donor"), ("role.grant", "moderator"), ("role.revoke", "donor")]


def test_granting_a_role_twice_or_revoking_a_missing_one_says_so(client, auth, make_user):
    make_user(email="root@example.org", roles=["admin"])
    ana = make_user(email="ana@example.org", roles=["donor"])
    auth.login("root@example.org")
    response = change_role(client, ana, "donor", "grant")
    assert "The user already has this role." in client.get(response.headers["Location"]).get_data(as_text=True)
    response = change_role(client, ana, "moderator", "revoke")
    assert "The user does not have this role." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert roles_of(ana) == {"donor"}


def test_unknown_role_or_action_changes_nothing(client, auth, make_user):
    make_user(email="root@example.org", roles=["admin"])
    ana = make_user(email="ana@example.org")
    auth.login("root@example.org")
    change_role(client, ana, "emperor", "grant")
    change_role(client, ana, "admin", "promote")
    assert roles_of(ana) == set()


def test_the_last_admin_cannot_drop_the_admin_role(client, auth, make_user):
    root = make_user(email="root@example.org", roles=["admin"])
    auth.login("root@example.org")
    response = change_role(client, root, "admin", "revoke")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The last administrator cannot drop the admin role." in page
    assert roles_of(root) == {"admin"}
    second = make_user(email="second@example.org", roles=["admin"])
    change_role(client, root, "admin", "revoke")
    assert roles_of(root) == set() and roles_of(second) == {"admin"}
    assert client.get("/admin/users").status_code == 403


def test_members_and_moderators_cannot_manage_roles(client, auth, make_user):
    make_user(email="mod@example.org", roles=["moderator"])
    ana = make_user(email="ana@example.org")
    auth.login("mod@example.org")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    assert change_role(client, ana, "admin", "grant").status_code == 403
    assert roles_of(ana) == set()
    assert "authz.denied" in db.session.scalars(select(AuditEvent.action)).all()


def test_visitors_are_sent_to_sign_in(client):
    assert client.get("/admin/users").status_code == 302


def test_audit_log_filters_by_action(client, auth, make_user):
    make_user(email="root@example.org", roles=["admin"])
    auth.login("root@example.org", "wrong-password-here")
    auth.login("root@example.org")
    page = client.get("/admin/audit?action=auth.login_failed").get_data(as_text=True)
    assert "<code>auth.login_failed</code>" in page and "<code>auth.login</code>" not in page
