"""System text stored as content is shown in the reader's language: the revision summaries the
platform writes ("Created", "Suggested edit", "Reverted to revision N"), the categories every
community starts with, and the metric names and units (per-language fields). The migration that
introduced the keys converts rows written before it, whatever language they were stored in."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import base_config

FR = {"Accept-Language": "fr"}
ES = {"Accept-Language": "es"}


def test_revision_summaries_follow_the_reader(client, auth, make_user, make_practice):
    from marketplace.knowledge import services

    ana = make_user(email="ana@example.org")
    practice = make_practice(owner=ana, title="Open budgets")
    services.update_practice(practice, ana, {"summary": "A better summary."}, "Clearer summary")
    from marketplace.knowledge.models import Revision

    first = db.session.scalar(select(Revision).where(Revision.practice_id == practice.id,
                                                     Revision.number == 1))
    services.revert_to(practice, first, ana)
    db.session.commit()
    history = f"/practices/{practice.slug}/history"
    english = client.get(history).get_data(as_text=True)
    assert "Created" in english and "Reverted to revision 1" in english
    french = client.get(history, headers=FR).get_data(as_text=True)
    assert "Créé" in french and "Retour à la révision 1" in french
    assert "Clearer summary" in french  # the author's own words stay as written
    spanish = client.get(history, headers=ES).get_data(as_text=True)
    assert "Creado" in spanish and "Revertido a la revisión 1" in spanish
    # the API too, in the language asked for
    api = client.get(f"/api/v1/practices/{practice.slug}", headers=FR).get_json()
    assert "Créé" in [r["message"] for r in api["revisions"]]


def test_starter_categories_are_named_in_the_readers_language(client, make_user, make_community):
    community = make_community(owner=make_user())
    page = f"/communities/{community.slug}/"
    assert "Questions and answers" in client.get(page).get_data(as_text=True)
    assert "Questions et réponses" in client.get(page, headers=FR).get_data(as_text=True)
    assert "Preguntas y respuestas" in client.get(page, headers=ES).get_data(as_text=True)


def test_metric_names_and_units_have_per_language_fields(client, auth, make_user):
    from marketplace.cases import services

    services.create_metric_definition(
        slug="response-time-days", name="Response time", unit="days", direction="lower",
        translations={"fr": {"name": "Délai de réponse", "unit": "jours"},
                      "es": {"name": "Tiempo de respuesta"}})
    services.create_metric_definition(slug="turnout", name="Turnout", unit="%",
                                      direction="higher")
    db.session.commit()
    french = client.get("/benchmarks/", headers=FR).get_data(as_text=True)
    assert "Délai de réponse" in french and "jours" in french
    assert "Turnout" in french  # no French name: the English one
    spanish = client.get("/benchmarks/response-time-days", headers=ES).get_data(as_text=True)
    assert "Tiempo de respuesta" in spanish and "days" in spanish  # no Spanish unit yet
    # an administrator gives it the Spanish unit on the metric's form
    auth.login(make_user(email="admin@example.org", roles=["admin"]).email)
    form = client.get("/benchmarks/response-time-days/edit").get_data(as_text=True)
    assert 'value="Délai de réponse"' in form
    response = client.post("/benchmarks/response-time-days/edit", data={
        "slug": "response-time-days", "name": "Response time", "unit": "days",
        "direction": "lower", "name_fr": "Délai de réponse", "unit_fr": "jours",
        "name_es": "Tiempo de respuesta", "unit_es": "días", "description": ""})
    assert response.status_code == 302
    assert "días" in client.get("/benchmarks/", headers=ES).get_data(as_text=True)


def test_the_migration_converts_rows_stored_in_any_language(tmp_path):
    app = create_app(base_config(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'm.sqlite3'}"))
    with app.app_context():
        from marketplace.accounts.services import register_user
        from marketplace.cases import services as cases
        from marketplace.communities.services import create_community
        from marketplace.knowledge import services as knowledge
        from marketplace.knowledge.models import Revision

        upgrade()
        ana = register_user("ana@example.org", "Ana", "a-Long-passphrase-2026", confirmed=True)
        practice = knowledge.create_practice(ana, {"title": "Open budgets", "summary": "S"})
        knowledge.update_practice(practice, ana, {"summary": "S2"}, "mine")
        first = db.session.scalar(select(Revision).where(Revision.practice_id == practice.id,
                                                         Revision.number == 1))
        knowledge.revert_to(practice, first, ana)
        create_community(ana, name="Budgets", description="d", themes="", countries=[],
                         is_private=False)
        cases.create_metric_definition(slug="response-time-days", name="Response time",
                                       unit="days", direction="lower")
        db.session.commit()
        downgrade(revision="df80612a7c33")  # before the keys: summaries stored as text
        # as a French reader's request would have stored them
        db.session.execute(text("UPDATE revision SET message = 'Créé' WHERE number = 1"))
        db.session.execute(text("UPDATE revision SET message = 'Retour à la révision 1' "
                                "WHERE number = 3"))
        db.session.commit()
        upgrade()
        rows = db.session.execute(text(
            "SELECT number, message, message_key FROM revision ORDER BY number")).all()
        assert [tuple(r) for r in rows] == [(1, "", "created"), (2, "mine", ""),
                                            (3, "", "reverted:1")]
        keys = db.session.scalars(text("SELECT system_key FROM category ORDER BY position")).all()
        assert keys == ["general", "questions"]
        from marketplace.cases.models import MetricDefinition

        db.session.expire_all()
        metric = db.session.scalar(select(MetricDefinition))
        assert metric.translations["fr"]["name"] == "Délai de réponse"
        db.session.remove()
        db.engine.dispose()
