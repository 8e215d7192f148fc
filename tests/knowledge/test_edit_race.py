"""Two saves of one practice on the same base at the same moment (PostgreSQL, real threads):
one is saved, the other is told of the conflict; never two revisions on one base."""

import pytest
from sqlalchemy import select

from marketplace.errors import EditConflict
from marketplace.extensions import db
from marketplace.knowledge import services
from marketplace.knowledge.models import Practice, Revision
from tests.conftest import PG_URL
from tests.sponsorship.test_concurrency import _run_at_once

pytestmark = pytest.mark.postgres_only
if not PG_URL:
    pytestmark = [pytestmark, pytest.mark.skip(reason="needs PostgreSQL (TEST_DATABASE_URL)")]


def _save(practice_id, field, text):
    """A job: save `text` to `field` on revision 1 (the helper commits)."""
    def job():
        practice = db.session.get(Practice, practice_id)
        services.update_practice(practice, practice.owner, {field: text}, base_revision=1)
        return "saved"
    return job


@pytest.mark.parametrize("attempt", range(3))
def test_two_saves_on_one_base_give_one_save_and_one_conflict(app, make_practice, attempt):
    practice = make_practice(lessons="Old lessons.")
    results = _run_at_once(app, [_save(practice.id, "lessons", t) for t in ("Tab A.", "Tab B.")])
    saved = [r for r in results if r == "saved"]
    conflicts = [r for r in results if isinstance(r, EditConflict)]
    assert (len(saved), len(conflicts)) == (1, 1), results
    assert conflicts[0].current == 2 and [f.name for f in conflicts[0].fields] == ["lessons"]
    db.session.expire_all()
    numbers = db.session.scalars(select(Revision.number).where(Revision.practice_id == practice.id))
    assert sorted(numbers) == [1, 2]
    winner = "Tab A." if results[0] == "saved" else "Tab B."
    assert db.session.get(Practice, practice.id).lessons_source == winner


def test_saves_of_different_fields_at_once_both_land(app, make_practice):
    practice = make_practice()
    results = _run_at_once(app, [_save(practice.id, f, f"New {f}.") for f in ("problem", "results")])
    db.session.expire_all()
    saved = db.session.get(Practice, practice.id)
    assert results == ["saved", "saved"]
    assert (saved.problem_source, saved.results_source) == ("New problem.", "New results.")
    assert saved.current_revision.number == 3


@pytest.mark.parametrize("attempt", range(3))
def test_an_accept_and_a_withdrawal_at_once_give_one_success(app, make_practice, make_user, attempt):
    from marketplace.errors import Conflict
    from marketplace.knowledge.models import EditSuggestion

    practice, suggester = make_practice(), make_user()
    suggestion_id = services.suggest_edit(practice, suggester, {"lessons": "Publish monthly."}).id
    db.session.commit()

    def accept():
        suggestion = db.session.get(EditSuggestion, suggestion_id)
        services.accept_suggestion(suggestion, suggestion.practice.owner)
        return "accepted"

    def withdraw():
        suggestion = db.session.get(EditSuggestion, suggestion_id)
        services.withdraw_suggestion(suggestion, suggestion.author)
        return "withdrawn"

    results = _run_at_once(app, [accept, withdraw])
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    db.session.expire_all()
    assert db.session.get(EditSuggestion, suggestion_id).status in results
