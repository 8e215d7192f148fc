"""Every permission rule, as predicates of (user, object). Views call these; tests walk them.

`user` may be an anonymous user (Flask-Login's AnonymousUserMixin) or None.
Each feature keeps its rules in its own section below.
"""


def is_signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_admin(user) -> bool:
    return is_signed_in(user) and user.is_admin


def is_moderator(user) -> bool:
    return is_signed_in(user) and user.is_moderator


# --- accounts and organizations -------------------------------------------------------------


def can_manage_roles(user) -> bool:
    return is_admin(user)


def can_view_audit_log(user) -> bool:
    return is_admin(user)


def can_view_profile(user, profile) -> bool:
    return not profile.is_deleted


def can_edit_organization(user, org) -> bool:
    if not is_signed_in(user):
        return False
    return is_admin(user) or any(m.user_id == user.id and m.is_admin for m in org.members)


def can_create_organization(user) -> bool:
    return is_signed_in(user)
