"""The data migration that stores practice revisions' and suggestions' set fields sorted, so
that revisions saved in a form's or a seeder's order stop showing phantom changes."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, update

from marketplace import create_app
from marketplace.accounts.services import register_user
from marketplace.extensions import db
from marketplace.knowledge import services
from marketplace.knowledge.models import EditSuggestion, Revision
from tests.conftest import base_config

BEFORE = "331ada02c469"  # the revision before the data migration
UNSORTED = {"countries": ["SN", "KE"], "themes": ["health", "education"],
            "tags": ["youth", "clinics"], "organizations": []}


def test_migration_sorts_stored_sets_and_the_diff_shows_no_change(tmp_path):
    app = create_app(base_config(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'm.sqlite3'}"))
    with app.app_context(), app.test_request_context():
        try:
            upgrade()
            owner = register_user("owner@example.org", "Owner", "a-Long-password-1")
            reader = register_user("reader@example.org", "Reader", "a-Long-password-1")
            practice = services.create_practice(owner, {"title": "Scorecards", **UNSORTED},
                                                status=services.Status.PUBLISHED)
            services.suggest_edit(practice, reader, {**services.practice_data(practice),
                                                     "summary": "New"})
            # What older code stored: the lists in the order they came in.
            db.session.execute(update(Revision).values(data={**practice.current_revision.data,
                                                             **UNSORTED}))
            db.session.execute(update(EditSuggestion).values(
                data={**services.practice_data(practice), "summary": "New", **UNSORTED}))
            db.session.commit()
            downgrade(revision=BEFORE)
            upgrade()
            db.session.expire_all()
            for data in [*db.session.scalars(select(Revision.data)),
                         *db.session.scalars(select(EditSuggestion.data))]:
                assert (data["countries"], data["themes"], data["tags"]) == (
                    ["KE", "SN"], ["education", "health"], ["clinics", "youth"])
            suggestion = db.session.scalar(select(EditSuggestion))
            assert suggestion.data["summary"] == "New"  # other fields untouched
        finally:
            db.session.remove()
            db.engine.dispose()
