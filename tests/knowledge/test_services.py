"""Practice services: revisions, revert, suggestions, adaptations, endorsements, counters."""

import pytest
from sqlalchemy import select

from marketplace.errors import Conflict, InvalidInput, PermissionDenied
from marketplace.extensions import db
from marketplace.knowledge import revisions, services
from marketplace.knowledge.models import Practice, Revision


def _edit(practice, user, **changes):
    data = {**services.practice_data(practice), **changes}
    rev = services.update_practice(practice, user, data, "edit")
    db.session.commit()
    return rev


def test_every_save_is_a_numbered_revision_with_a_full_snapshot(make_practice):
    practice = make_practice(title="Open budgets", countries=["KE", "BR"])
    _edit(practice, practice.owner, approach="Hold public hearings.")
    rev = _edit(practice, practice.owner, title="Open county budgets")
    numbers = db.session.scalars(select(Revision.number).where(
        Revision.practice_id == practice.id).order_by(Revision.number)).all()
    assert numbers == [1, 2, 3]
    assert rev.data["title"] == "Open county budgets"
    assert rev.data["countries"] == ["BR", "KE"]
    assert rev.data["approach"] == "Hold public hearings."
    assert practice.current_revision_id == rev.id


def test_saving_without_changes_is_refused(make_practice):
    practice = make_practice()
    with pytest.raises(InvalidInput):
        services.update_practice(practice, practice.owner, services.practice_data(practice))


def test_revert_makes_a_new_revision_with_the_old_content(make_practice):
    practice = make_practice(title="First title")
    _edit(practice, practice.owner, title="Second title")
    first = revisions.get_revision(1, practice_id=practice.id)
    rev = services.revert_to(practice, first, practice.owner)
    db.session.commit()
    assert (rev.number, rev.reverted_from_id, practice.title) == (3, first.id, "First title")


def test_word_diff_escapes_everything_and_marks_changes(make_practice):
    practice = make_practice(title="Plain title", problem="old <b>words</b> here")
    _edit(practice, practice.owner, problem="new <script>x</script> here")
    old, new = (revisions.get_revision(n, practice_id=practice.id) for n in (1, 2))
    changes = {d.field: d for d in services.diff(old.data, new.data)}
    html = str(changes["problem"].html)
    assert changes["problem"].changed and not changes["title"].changed
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<del>" in html and "<ins>" in html and html.endswith(" here")


def test_accepted_suggestion_becomes_a_revision_by_the_suggester(make_practice, make_user):
    practice = make_practice(title="Budget hearings")
    other = make_user()
    suggestion = services.suggest_edit(
        practice, other, {**services.practice_data(practice), "lessons": "Start small."}, "lessons")
    db.session.commit()
    # The author edits something else meanwhile; accepting must not undo it.
    _edit(practice, practice.owner, title="County budget hearings")
    rev = services.accept_suggestion(suggestion, practice.owner)
    db.session.commit()
    assert rev.author_id == other.id and rev.number == 3
    assert practice.lessons_source == "Start small."
    assert practice.title == "County budget hearings"
    with pytest.raises(Conflict):
        services.accept_suggestion(suggestion, practice.owner)


def test_rejecting_needs_a_reason(make_practice, make_user):
    practice = make_practice()
    s = services.suggest_edit(practice, make_user(),
                              {**services.practice_data(practice), "title": "Better"})
    with pytest.raises(InvalidInput):
        services.reject_suggestion(s, practice.owner, "  ")
    services.reject_suggestion(s, practice.owner, "Out of scope")
    assert (s.status, s.reason) == ("rejected", "Out of scope")


def test_adaptation_links_to_parent_and_counts_when_published(make_practice, make_user):
    parent = make_practice(title="Participatory budgeting", countries=["BR"])
    adapter = make_user()
    child = services.adapt_practice(parent, adapter, "KE", "Nairobi county", "Smaller wards")
    db.session.commit()
    assert child.parent_id == parent.id and child.is_draft and child.country_codes == ["KE"]
    assert child.problem_source == parent.problem_source
    assert parent.adaptation_count == 0  # drafts are private
    services.publish_practice(child)
    db.session.commit()
    assert parent.adaptation_count == 1
    assert [p.id for p in services.ancestors(child)] == [parent.id]
    assert [p.id for p in services.descendants(parent.id)] == [child.id]


def test_adaptation_requires_country_and_rationale(make_practice, make_user):
    parent = make_practice()
    with pytest.raises(InvalidInput):
        services.adapt_practice(parent, make_user(), "KE", "context", "")
    with pytest.raises(InvalidInput):
        services.adapt_practice(parent, make_user(), "XX", "context", "why")


def test_adaptation_owners_are_told_when_the_original_changes(make_practice, make_user):
    from marketplace.notifications.models import Notification

    parent = make_practice(title="Scorecards")
    adapter = make_user()
    services.adapt_practice(parent, adapter, "SN", "Schools", "French version")
    db.session.commit()
    _edit(parent, parent.owner, lessons="New lesson")
    notes = db.session.scalars(select(Notification).where(
        Notification.recipient_id == adapter.id)).all()
    assert len(notes) == 1 and "original changed" in notes[0].message


def test_endorse_once_and_counter_follows(make_practice, make_user):
    practice = make_practice()
    user = make_user()
    services.endorse(practice, user, "applied", "Worked for us")
    db.session.commit()
    assert practice.endorsement_count == 1
    with pytest.raises(Conflict):
        services.endorse(practice, user, "recommend")
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        services.endorse(practice, practice.owner, "recommend")
    services.unendorse(practice, user)
    db.session.commit()
    assert db.session.get(Practice, practice.id).endorsement_count == 0


def test_invalid_fields_are_refused(make_user):
    owner = make_user()
    for bad in ({"title": " "}, {"title": "x", "countries": ["ZZ"]},
                {"title": "x", "themes": ["astrology"]}, {"title": "x", "level": "cosmic"},
                {"title": "x", "source_url": "javascript:alert(1)"}):
        with pytest.raises(InvalidInput):
            services.create_practice(owner, bad)
