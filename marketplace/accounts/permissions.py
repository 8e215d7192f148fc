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


def is_public_role(person, role: str) -> bool:
    """Roles shown on a public profile: not "donor" for someone who gives anonymously by default."""
    if role != "donor":
        return True
    from marketplace.sponsorship.services import donor_profile

    profile = donor_profile(person)
    return not (profile is not None and profile.is_anonymous_by_default)


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
    return project.is_public or is_project_owner(user, project) or is_moderator(user)


def can_propose_project(user) -> bool:
    return is_signed_in(user)


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
    from marketplace.projects.services import has_contributed

    return has_contributed(user, project)


def can_be_appointed_reviewer(appointer, project, candidate) -> bool:
    """An active account, neither the one appointing nor the project's owner."""
    return (is_signed_in(candidate) and candidate.id != appointer.id
            and candidate.id != project.owner_id)


# --- cases (case studies and metric definitions) --------------------------------------------


def is_case_study_author(user, case) -> bool:
    return is_signed_in(user) and user.id in case.author_ids


def can_view_case_study(user, case) -> bool:
    """Drafts are seen only by their owner, co-authors and moderators; the rest by everyone."""
    return case.status != "draft" or is_case_study_author(user, case) or is_moderator(user)


def can_create_case_study(user) -> bool:
    return is_signed_in(user)


def can_edit_case_study(user, case) -> bool:
    return is_case_study_author(user, case) or is_moderator(user)


def can_manage_metric_definitions(user) -> bool:
    return is_moderator(user)


# --- knowledge (practices) ------------------------------------------------------------------


def is_practice_author(user, practice) -> bool:
    return is_signed_in(user) and user.id in practice.author_ids


def can_view_practice(user, practice) -> bool:
    """Drafts are seen only by their owner, co-authors and moderators."""
    return not practice.is_draft or is_practice_author(user, practice) or is_moderator(user)


def can_create_practice(user) -> bool:
    return is_signed_in(user)


def can_edit_practice(user, practice) -> bool:
    """Direct edits, revert, publish/archive and deciding on suggested edits."""
    return is_practice_author(user, practice) or is_moderator(user)


def can_suggest_edit(user, practice) -> bool:
    return (is_signed_in(user) and practice.is_published
            and not can_edit_practice(user, practice))


def can_adapt_practice(user, practice) -> bool:
    return is_signed_in(user) and practice.is_published


def can_endorse_practice(user, practice) -> bool:
    return (is_signed_in(user) and practice.is_published
            and not is_practice_author(user, practice))


# --- communities/forums ----------------------------------------------------------------------
# Site moderators read and moderate every community (the global flag queue needs it).


def _community_role(user, community) -> str | None:
    if not is_signed_in(user):
        return None
    from marketplace.communities.services import member_role

    return member_role(community, user)


def can_create_community(user) -> bool:
    return is_signed_in(user)


def is_community_member(user, community) -> bool:
    return _community_role(user, community) is not None


def can_read_community(user, community) -> bool:
    """Threads, posts and the member list; a private community's are for members only."""
    return (not community.is_private) or is_moderator(user) or is_community_member(user, community)


def can_moderate_community(user, community) -> bool:
    return is_moderator(user) or _community_role(user, community) in ("owner", "moderator")


def can_manage_community(user, community) -> bool:
    """Edit settings and change members' roles."""
    return is_admin(user) or _community_role(user, community) == "owner"


def can_join_community(user, community) -> bool:
    return is_signed_in(user) and not is_community_member(user, community)


def can_post_in_community(user, community) -> bool:
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
    return (is_signed_in(user) and post.author_id != user.id
            and can_post_in_community(user, post.thread.community))


def can_flag_post(user, post) -> bool:
    return is_signed_in(user) and post.author_id != user.id and can_read_community(
        user, post.thread.community)


def can_accept_answer(user, thread) -> bool:
    return is_signed_in(user) and thread.kind == "question" and thread.author_id == user.id


def can_suspend_user(user, target) -> bool:
    return is_admin(user) and target.id != user.id


# --- sponsorship (pledges, payments, receipts) ------------------------------------------------


def can_pledge(user, project, idempotency_key: str | None = None) -> bool:
    """Signed-in donors pledge to open projects, but not to their own. A replay (a key this donor
    already pledged with) is always let through: it gets its first answer, whatever the state now."""
    if not is_signed_in(user):
        return False
    if idempotency_key:
        from marketplace.sponsorship.services import pledged_with_key

        if pledged_with_key(user, idempotency_key):
            return True
    return user.is_donor and project.state == "open" and project.owner_id != user.id


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
    return is_signed_in(user)


def can_request_mentor(user) -> bool:
    return is_signed_in(user)


def can_view_mentorship(user, mentorship) -> bool:
    """The conversation is private to the two people in it."""
    return is_signed_in(user) and mentorship.is_participant(user)
