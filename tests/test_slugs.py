"""Addresses from titles in any script are readable, distinct, and never change on edit."""

import pytest

from marketplace.extensions import db
from marketplace.slugs import parse_tags, slugify


@pytest.mark.parametrize(("title", "slug"), [
    ("Бюджет участия в Киеве", "biudzhet-uchastiia-v-kieve"),  # Cyrillic
    ("参与式预算", "can-yu-shi-yu-suan"),  # Chinese
    ("ميزانية تشاركية", "myzny-tshrky"),  # Arabic
    ("Συμμετοχικός προϋπολογισμός", "summetokhikos-proupologismos"),  # Greek
    ("सहभागी बजट", "shbhaagii-bjtt"),  # Devanagari
    ("Community policing exchange Medellín–Cali", "community-policing-exchange-medellin-cali"),
    ("Open school budgets in 40 Kenyan counties", "open-school-budgets-in-40-kenyan-counties"),
])
def test_titles_in_any_script_are_transliterated(title, slug):
    assert slugify(title) == slug


def test_a_slug_is_cut_at_its_length_and_never_empty():
    assert slugify("Бюджет участия в Киеве", 8) == "biudzhet"
    assert slugify("🙂 !!") == "item"


def test_tags_are_split_and_normalised():
    assert parse_tags(" Open Data,open data , ,Budget  literacy") == ["open data", "budget literacy"]


def test_non_latin_practices_get_distinct_readable_addresses(client, make_practice):
    titles = ["Бюджет участия в Киеве", "参与式预算", "ميزانية تشاركية"]
    practices = [make_practice(title=t) for t in titles]
    assert [p.slug for p in practices] == ["biudzhet-uchastiia-v-kieve", "can-yu-shi-yu-suan",
                                           "myzny-tshrky"]
    page = client.get("/practices/can-yu-shi-yu-suan")
    assert page.status_code == 200
    assert "参与式预算" in page.get_data(as_text=True)
    assert make_practice(title="参与式预算").slug == "can-yu-shi-yu-suan-2"


def test_an_existing_address_survives_an_edit_of_the_title(app, client, make_practice):
    from marketplace.knowledge import services

    practice = make_practice(title="Open school budgets")
    with app.test_request_context():
        data = {**services.practice_data(practice), "title": "Бюджет участия в Киеве"}
        services.update_practice(practice, practice.owner, data, "New title")
        db.session.commit()
    assert practice.title == "Бюджет участия в Киеве"
    assert practice.slug == "open-school-budgets"
    page = client.get("/practices/open-school-budgets")
    assert page.status_code == 200
    assert "Бюджет участия в Киеве" in page.get_data(as_text=True)
