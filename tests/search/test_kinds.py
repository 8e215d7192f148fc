"""Every kind searchable: organizations and communities are documents (a private community only
for its members, in results and in facet counts alike), with region (UN M49), country, kind,
theme (taxonomy only), tag, organization type and language facets."""

import country_converter
import pytest

from marketplace import i18n, search
from marketplace.accounts.services import create_organization
from marketplace.communities.services import add_member
from marketplace.extensions import db


@pytest.fixture
def org(app, make_user):
    def factory(name, type="ngo", country="KE", description=""):
        with app.test_request_context():
            o = create_organization(make_user(), name=name, type=type, country=country,
                                    description=description)
        db.session.commit()
        return o
    return factory


def test_organization_found_by_name_with_its_facets(org, search_results):
    budget = org("Open Budget Kenya", description="Budget literacy for county residents.")
    org("Hospital Trust", type="foundation", country="FR")
    assert search_results("Open Budget Kenya") == [f"organization:{budget.id}"]
    assert search_results("budgets", kind="organization") == [f"organization:{budget.id}"]
    page = search.query("budget", {"kind": "organization"})
    assert page.facets["kind"] == [("organization", 1)]
    assert page.facets["org_type"] == [("ngo", 1)]
    assert page.facets["region"] == [("014", 1)]  # Eastern Africa
    assert page.facets["countries"] == [("ke", 1)]
    assert search_results("kenya", region="155") == []  # Western Europe


def test_organization_changes_and_deletion_reach_the_index(org, search_results):
    o = org("Open Budget Kenya")
    assert search_results("budget") == [f"organization:{o.id}"]
    o.name = "Open Contracting Kenya"
    db.session.commit()
    assert search_results("budget") == [] and search_results("contracting") == [f"organization:{o.id}"]
    db.session.delete(o)
    db.session.commit()
    assert search_results("contracting") == []
    assert search.check() == {"missing": [], "extra": [], "stale": []}


def test_private_community_only_for_its_members_in_results_and_facets(
        make_user, make_community, search_results, indexed):
    member, outsider = make_user(name="Member"), make_user(name="Outsider")
    public = make_community(name="Water committees exchange", countries=["KE"])
    private = make_community(name="Water donors roundtable", private=True, countries=["FR"],
                             members=[member])
    indexed()
    assert search_results("water", kind="community") == [f"community:{public.id}"]
    assert search_results("water", outsider, kind="community") == [f"community:{public.id}"]
    assert set(search_results("water", member, kind="community")) == {
        f"community:{public.id}", f"community:{private.id}"}
    outside = search.query("water", viewer=outsider)
    assert outside.total == 1 and outside.facets["kind"] == [("community", 1)]
    assert ("fr", 1) not in outside.facets["countries"] and outside.facets["region"] == [("014", 1)]
    assert search.query("water", viewer=member).facets["kind"] == [("community", 2)]
    assert [s["title"] for s in search.suggest("water do", outsider)] == []
    assert [s["title"] for s in search.suggest("water do", member)] == ["Water donors roundtable"]


def test_community_privacy_themes_and_deletion_follow_the_database(
        app, make_user, make_community, search_results):
    member = make_user(name="Member")
    community = make_community(name="Budget circle", themes="local government, budgeting",
                               members=[member])
    doc_id = f"community:{community.id}"
    assert search_results("circle") == [doc_id]
    page = search.query("circle")
    assert page.facets["themes"] == [("local-government", 1)]  # the taxonomy's theme only
    assert page.facets["tags"] == [("budgeting", 1)]  # a free theme is a tag
    community.is_private = True
    db.session.commit()
    assert search_results("circle") == [] and search_results("circle", member) == [doc_id]
    newcomer = make_user(name="Newcomer")
    add_member(community, newcomer)
    db.session.commit()
    assert search_results("circle", newcomer) == [doc_id]
    db.session.delete(community)
    db.session.commit()
    assert search_results("circle", member) == []
    assert search.check() == {"missing": [], "extra": [], "stale": []}


def test_thread_themes_facet_holds_taxonomy_themes_only(make_user, make_community, make_thread,
                                                        aged, search_results):
    community = make_community(themes="health, open contracting")
    make_thread(community, aged(make_user()), title="Clinic queues", tags="waiting lists")
    search_results("clinic")
    page = search.query("clinic", {"kind": "thread"})
    assert page.facets["themes"] == [("health", 1)]
    assert page.facets["tags"] == [("waiting lists", 1)]
    assert [h.kind for h in search.query("clinic", {"tag": "Waiting lists"}).hits] == ["thread"]


def test_region_facet_on_search_named_in_each_language(client, make_practice, indexed):
    make_practice(title="Ward budget assemblies", countries=["KE"])
    make_practice(title="Budget assemblies in Lyon", countries=["FR"])
    indexed()
    for lang, east, west in (("en", "Eastern Africa", "Western Europe"),
                             ("fr", "Afrique orientale", "Europe de l’Ouest"),
                             ("es", "África oriental", "Europa occidental")):
        client.set_cookie("lang", lang)
        html = client.get("/search?q=assemblies").get_data(as_text=True)
        assert east in html and west in html, lang
    html = client.get("/search?q=assemblies&region=014").get_data(as_text=True)
    assert "Ward budget" in html and "in Lyon" not in html


def test_every_country_converter_region_has_an_m49_code_and_a_cldr_name(app):
    """Regions come from country_converter's UN (M49) classification, not a list of ours: each
    of its sub-region names must resolve to an M49 code CLDR names in every language."""
    names = set(country_converter.CountryConverter().data["UNregion"].dropna()) - {"Antarctica"}
    assert len(names) >= 20
    regions = set(i18n.m49_subregions().values())
    assert len(regions) == len(names)
    assert i18n.m49_region("KE") == "014" and i18n.m49_region("br") == "005"
    assert i18n.m49_region("MX") == "013" and i18n.m49_region("AQ") is None
    assert "KE" in i18n.m49_countries("014") and "FR" in i18n.m49_countries("155")
    with app.test_request_context():
        assert all(not i18n.m49_name(r).isdigit() for r in regions)
