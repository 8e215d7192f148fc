"""Every permission rule, as predicates of (user, object). Views call these; tests walk them.

`user` may be an anonymous user (Flask-Login's AnonymousUserMixin) or None.
Each feature keeps its rules in its own section below. Who may *see* a thing is decided by
marketplace/policy.py (one rule per kind, also as SQL and search tokens); the `can_view_*`
predicates here ask it. Rows of features above accounts are read through `policy.mapped`, never
by importing those features.
"""

from sqlalchemy import select

from marketplace import policy
from marketplace.extensions import db
from marketplace.policy import is_moderator, is_signed_in

__all__ = ["is_moderator", "is_signed_in"]  # re-exported: the role predicates live in policy


def is_admin(user) -> bool:
    return is_signed_in(user) and user.is_admin


def is_confirmed(user) -> bool:
    """Signed in with a confirmed email address: the condition of taking part (posting, pledging,
    messaging, endorsing, creating). An unconfirmed account may still read and edit its profile."""
    return is_signed_in(user) and user.is_email_confirmed


def needs_email_confirmation(user) -> bool:
    """Why a rule said no: the account is fine but its address is not confirmed yet."""
    return is_signed_in(user) and not user.is_email_confirmed


# --- accounts and organizations -------------------------------------------------------------


def can_moderate_site(user) -> bool:
    """The site-wide moderation queue (every community's flags and waiting posts)."""
    return is_moderator(user)


def can_manage_roles(user) -> bool:
    return is_admin(user)


def can_import_content(user) -> bool:
    """The admin upload page for CSV/JSON Lines imports (practices, cases, organizations)."""
    return is_admin(user)


def can_view_audit_log(user) -> bool:
    return is_admin(user)


def can_view_profile(user, profile) -> bool:
    return policy.visible(user, "profile", profile)


def is_public_role(person, role: str) -> bool:
    """Roles shown on a public profile: not "donor" for someone who gives anonymously by default."""
    if role != "donor":
        return True
    DonorProfile = policy.mapped("DonorProfile")
    return not db.session.scalar(select(DonorProfile.is_anonymous_by_default).where(
        DonorProfile.user_id == person.id))


def can_edit_organization(user, org) -> bool:
    if not is_signed_in(user):
        return False
    return is_admin(user) or any(m.user_id == user.id and m.is_admin for m in org.members)


def can_create_organization(user) -> bool:
    return is_signed_in(user)


# --- projects -------------------------------------------------------------------------------


def is_project_owner(user, project) -> bool:
    return is_signed_in(user) and project.owner_id == user.id


def can_view_project(user, project) -> bool:
    """Drafts and projects pending review are seen only by their owners and moderators."""
    return policy.visible(user, "project", project)


def can_propose_project(user) -> bool:
    return is_confirmed(user)


def can_edit_project(user, project) -> bool:
    return is_project_owner(user, project)


def can_approve_project(user) -> bool:
    return is_moderator(user)


def can_review_objectives(user, project) -> bool:
    """Moderators, and the reviewers the donors appointed; never the project's own owner."""
    if not is_signed_in(user) or project.owner_id == user.id:
        return False
    return is_moderator(user) or any(r.id == user.id for r in project.reviewers)


def can_cancel_project(user, project) -> bool:
    return is_project_owner(user, project) or is_moderator(user)


def can_appoint_reviewers(user, project) -> bool:
    """Moderators, and donors whose money reached the project (received, not all refunded)."""
    if is_moderator(user):
        return True
    if not is_signed_in(user):
        return False
    return has_contributed(user, project)


def has_contributed(user, project) -> bool:
    """Whether money of `user` reached the project: a contribution received, not all refunded."""
    Pledge = policy.mapped("Pledge")
    pledges = db.session.scalars(select(Pledge).where(
        Pledge.project_id == project.id, Pledge.donor_id == user.id,
        Pledge.status.in_(["confirmed", "refunded"])))
    return any(p.status == "confirmed" or p.refunded_minor < p.amount_minor for p in pledges)


def can_be_appointed_reviewer(appointer, project, candidate) -> bool:
    """An active account, neither the one appointing nor the project's owner."""
    return (is_signed_in(candidate) and candidate.id != appointer.id
            and candidate.id != project.owner_id)


# --- cases (case studies and metric definitions) --------------------------------------------


def is_case_study_author(user, case) -> bool:
    return is_signed_in(user) and user.id in case.author_ids


def can_view_case_study(user, case) -> bool:
    """Drafts are seen only by their owner, co-authors and moderators; the rest by everyone."""
    return policy.visible(user, "case", case)


def can_create_case_study(user) -> bool:
    return is_confirmed(user)


def can_edit_case_study(user, case) -> bool:
    return is_case_study_author(user, case) or is_moderator(user)


def can_manage_metric_definitions(user) -> bool:
    return is_moderator(user)


# --- knowledge (practices) ------------------------------------------------------------------


def is_practice_author(user, practice) -> bool:
    return is_signed_in(user) and user.id in practice.author_ids


def can_view_practice(user, practice) -> bool:
    """Drafts are seen only by their owner, co-authors and moderators."""
    return policy.visible(user, "practice", practice)


def can_create_practice(user) -> bool:
    return is_confirmed(user)


def can_edit_practice(user, practice) -> bool:
    """Direct edits, revert, publish/archive and deciding on suggested edits."""
    return is_practice_author(user, practice) or is_moderator(user)


def can_suggest_edit(user, practice) -> bool:
    return (is_confirmed(user) and practice.is_published
            and not can_edit_practice(user, practice))


def can_review_parent_changes(user, practice) -> bool:
    """"Mark as reviewed" on an adaptation whose original changed: its authors only."""
    return practice.is_adaptation and is_practice_author(user, practice)


def can_adapt_practice(user, practice) -> bool:
    return is_confirmed(user) and practice.is_published


def can_endorse_practice(user, practice) -> bool:
    return (is_confirmed(user) and practice.is_published
            and not is_practice_author(user, practice))


# --- communities/forums ----------------------------------------------------------------------
# Site moderators read and moderate every community (the global flag queue needs it).


def _community_role(user, community) -> str | None:
    return policy.community_role(user, community.id) if is_signed_in(user) else None


def can_create_community(user) -> bool:
    return is_confirmed(user)


def is_community_member(user, community) -> bool:
    return _community_role(user, community) is not None


def can_read_community(user, community) -> bool:
    """Threads, posts and the member list; a private community's are for members only."""
    return policy.visible(user, "community", community)


def can_moderate_community(user, community) -> bool:
    return is_moderator(user) or _community_role(user, community) in ("owner", "moderator")


def can_manage_community(user, community) -> bool:
    """Edit settings and change members' roles."""
    return is_admin(user) or _community_role(user, community) == "owner"


def can_join_community(user, community) -> bool:
    return is_signed_in(user) and not is_community_member(user, community)


def can_post_in_community(user, community) -> bool:
    if not is_confirmed(user):
        return False
    return is_community_member(user, community) or (is_moderator(user)
                                                    and can_read_community(user, community))


def can_reply_to_thread(user, thread) -> bool:
    if thread.is_locked and not can_moderate_community(user, thread.community):
        return False
    return can_post_in_community(user, thread.community)


def can_edit_post(user, post) -> bool:
    if post.is_deleted or not is_signed_in(user):
        return False
    if post.thread.is_locked and not can_moderate_community(user, post.thread.community):
        return False
    return post.author_id == user.id or can_moderate_community(user, post.thread.community)


def can_delete_post(user, post) -> bool:
    return can_edit_post(user, post)


def can_react_to_post(user, post) -> bool:
    """Only posts every reader of the thread sees (not pending, hidden or deleted ones)."""
    return (is_confirmed(user) and post.author_id != user.id and policy.is_public("post", post)
            and can_post_in_community(user, post.thread.community))


def can_flag_post(user, post) -> bool:
    """Posts every reader of the thread sees, in a thread this user may read."""
    return (is_confirmed(user) and post.author_id != user.id and policy.is_public("post", post)
            and policy.visible(user, "post", post))


def can_accept_answer(user, thread) -> bool:
    return is_signed_in(user) and thread.kind == "question" and thread.author_id == user.id


def can_suspend_user(user, target) -> bool:
    return is_admin(user) and target.id != user.id


# --- sponsorship (pledges, payments, receipts) ------------------------------------------------


def can_pledge(user, project, idempotency_key: str | None = None) -> bool:
    """Signed-in donors pledge to open projects, but not to their own. A replay (a key this donor
    already pledged with) is always let through: it gets its first answer, whatever the state now."""
    if not is_confirmed(user):
        return False
    if user.is_donor and project.state == "open" and project.owner_id != user.id:
        return True
    if not idempotency_key:  # else a replay, looked up only when the rule above says no
        return False
    Pledge = policy.mapped("Pledge")
    return db.session.scalar(select(Pledge.id).where(
        Pledge.donor_id == user.id, Pledge.idempotency_key == idempotency_key)) is not None


def can_view_payments(user, project) -> bool:
    """Who sees a project's pledges with their payment status: those who record payments, and
    the project's owner (read-only: segregation of duties keeps them from recording)."""
    return is_signed_in(user) and (project.owner_id == user.id or can_record_payment(user, project))


def can_record_payment(user, project) -> bool:
    """Site admins; the treasurers and admins of the project's fiscal host (or, for a project without
    a host, the admins of its organization). Never the project's own owner (segregation of duties),
    unless a site admin."""
    if not is_signed_in(user):
        return False
    if is_admin(user):
        return True
    if project.owner_id == user.id:
        return False
    if project.host is not None:
        return can_treasure(user, project.host)
    org = project.organization
    return org is not None and any(m.user_id == user.id and m.is_admin for m in org.members)


def can_manage_host(user, org) -> bool:
    """Turning an organization into a fiscal host and its bank details: its admins, site admins."""
    return can_edit_organization(user, org)


def can_treasure(user, org) -> bool:
    """A fiscal host's statements and receipts: its treasurers and admins, and site admins."""
    if not is_signed_in(user):
        return False
    return is_admin(user) or any(m.user_id == user.id and (m.is_admin or m.is_treasurer)
                                 for m in org.members)


def can_view_pledge(user, pledge) -> bool:
    """A pledge and its receipt belong to its donor (and admins, who answer questions)."""
    return is_signed_in(user) and (pledge.donor_id == user.id or is_admin(user))


def can_cancel_pledge(user, pledge) -> bool:
    return is_signed_in(user) and (pledge.donor_id == user.id or can_record_payment(user, pledge.project))


# --- mentoring ------------------------------------------------------------------------------


def can_offer_mentoring(user) -> bool:
    return is_confirmed(user)


def can_request_mentor(user) -> bool:
    return is_confirmed(user)


def can_answer_mentorship_request(user, mentorship) -> bool:
    """Accept or decline: the mentor asked, while the request is open."""
    return (is_signed_in(user) and mentorship.state == "requested"
            and mentorship.mentor_id == user.id)


def can_withdraw_mentorship_request(user, mentorship) -> bool:
    return (is_signed_in(user) and mentorship.state == "requested"
            and mentorship.mentee_id == user.id)


def can_view_mentorship(user, mentorship) -> bool:
    """The conversation is private to the two people in it."""
    return policy.visible(user, "mentorship", mentorship)


def can_message_mentorship(user, mentorship) -> bool:
    """Write in the conversation: one of its two people, with a confirmed address."""
    return is_confirmed(user) and can_view_mentorship(user, mentorship)


# --- templates ------------------------------------------------------------------------------


def init_app(app) -> None:
    """Templates ask rather than restate rules: `can("edit_post", post)` calls can_edit_post for
    the current user, `can_see("post", post)` the visibility policy."""
    from flask_login import current_user

    def can(action: str, *objects) -> bool:
        return globals()[f"can_{action}"](current_user, *objects)  # KeyError: no such rule

    app.jinja_env.globals.update(can=can, can_see=lambda kind, obj: policy.visible(
        current_user, kind, obj), needs_email_confirmation=lambda: needs_email_confirmation(
        current_user))
