"""The world map on the practices, case studies and projects lists and on the home page: plain
HTTP (no JavaScript), in English, French and Spanish; each shaded country links to the list
filtered by it, and only what anyone may see is counted."""

import re

import pytest
from lxml import html as lxml_html

from marketplace import worldmap
from tests.queries import QueryCounter

LIST_OF = {"practice": "/practices/", "case": "/cases/", "project": "/projects/"}
LABELS = {  # "<country>: <n> <kind>" as each language writes it, for Kenya and 2 items
    "en": {"practice": "Kenya: 2 practices", "case": "Kenya: 2 case studies",
           "project": "Kenya: 2 projects"},
    "fr": {"practice": "Kenya : 2 pratiques", "case": "Kenya : 2 études de cas",
           "project": "Kenya : 2 projets"},
    "es": {"practice": "Kenia: 2 prácticas", "case": "Kenia: 2 estudios de caso",
           "project": "Kenia: 2 proyectos"},
}


def _map(client, path: str, lang: str = "en"):
    """(the map's <svg>, {accessible name: href} of its links, the table's rows) or None."""
    response = client.get(path, headers={"Accept-Language": lang})
    assert response.status_code == 200
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    sections = doc.xpath('//section[@class="worldmap"]')
    if not sections:
        return None
    section = sections[0]
    svg = section.xpath(".//figure/*[local-name()='svg']")[0]
    links = {a.get("aria-label"): a.get("href") for a in svg.xpath(".//*[local-name()='a']")}
    rows = [(row.xpath("string(th)"), row.xpath("string(td)"), row.xpath("string(th/a/@href)"))
            for row in section.xpath(".//details//tbody/tr")]
    return svg, links, rows


@pytest.fixture
def one_of_each(make_practice, make_case_study, make_project, make_user):
    """Two public items of each kind in Kenya, one in France; drafts in Brazil only."""
    owner = make_user()
    for kind_country in (["KE"], ["KE", "FR"]):
        make_practice(owner=owner, countries=kind_country)
        make_project(owner=owner, state="open", countries=kind_country)
    make_case_study(owner=owner, country="KE", title="Kenyan case one")
    make_case_study(owner=owner, country="KE", title="Kenyan case two")
    make_case_study(owner=owner, country="FR")
    make_practice(owner=owner, countries=["BR"], status="draft", title="Brazilian draft")
    make_case_study(owner=owner, country="BR", status="draft")
    make_project(owner=owner, state="draft", countries=["BR"])
    make_project(owner=owner, state="pending_review", countries=["BR"])
    return owner


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
@pytest.mark.parametrize("kind", ["practice", "case", "project"])
def test_each_list_maps_its_countries_in_each_language(client, one_of_each, kind, lang):
    svg, links, rows = _map(client, LIST_OF[kind], lang)
    assert svg.get("role") == "group"
    assert svg.xpath("string(*[local-name()='title'])") and svg.xpath(
        "string(*[local-name()='desc'])")
    label = LABELS[lang][kind]
    assert links[label] == f"{LIST_OF[kind]}?country=KE"
    assert len(links) == 2  # Kenya and France; Brazil's drafts count for nothing
    assert not any(href.endswith("=BR") for href in links.values())
    assert [r[0] for r in rows][0] == label.split(":")[0].strip()  # most first
    assert {r[2] for r in rows} == {f"{LIST_OF[kind]}?country=KE", f"{LIST_OF[kind]}?country=FR"}


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_home_page_maps_the_practices(client, one_of_each, lang):
    _, links, rows = _map(client, "/", lang)
    assert links[LABELS[lang]["practice"]] == "/practices/?country=KE"
    assert [(name, count) for name, count, _ in rows][1][1] == "1"  # France: one practice


def test_a_country_link_leads_to_the_list_of_its_items(client, one_of_each):
    _, links, _ = _map(client, "/cases/")
    listed = client.get(links["Kenya: 2 case studies"]).get_data(as_text=True)
    assert "Kenyan case one" in listed and "Kenyan case two" in listed
    _, links, _ = _map(client, "/practices/")
    listed = lxml_html.fromstring(client.get(links["Kenya: 2 practices"]).get_data(as_text=True))
    assert len(listed.xpath('//li[contains(@class, "practice-card")]')) == 2


def test_a_draft_does_not_shade_or_count_its_country(client, make_practice, make_user):
    owner = make_user()
    make_practice(owner=owner, countries=["FR"])
    make_practice(owner=owner, countries=["BR"], status="draft")
    make_practice(owner=owner, countries=["FR"], status="draft")
    svg, links, rows = _map(client, "/practices/")
    assert links == {"France: 1 practice": "/practices/?country=FR"}
    assert rows == [("France", "1", "/practices/?country=FR")]
    # Brazil is drawn, unshaded and not a link
    brazil = next(s for s in worldmap.atlas().shapes if s.code == "BR")
    path = svg.xpath(f".//*[local-name()='path'][@d='{brazil.d}']")[0]
    assert path.get("class") == "shade-0" and path.getparent().tag == "svg"  # not inside a link


def test_the_owner_signed_in_sees_the_same_public_counts(client, auth, make_practice, make_user):
    owner = make_user(email="owner@example.org")
    make_practice(owner=owner, countries=["BR"], status="draft")
    make_practice(owner=owner, countries=["FR"])
    auth.login("owner@example.org")
    _, links, _ = _map(client, "/practices/")
    assert list(links) == ["France: 1 practice"]


def test_no_public_item_no_map(client, make_practice):
    make_practice(countries=["KE"], status="draft")
    for path in ("/", *LIST_OF.values()):
        assert _map(client, path) is None


def test_the_filtered_country_is_outlined(client, one_of_each):
    kenya = next(s for s in worldmap.atlas().shapes if s.code == "KE")
    for path in ("/projects/?country=ke", "/projects/?country=FR", "/projects/?country=KE"):
        svg, _, _ = _map(client, path)  # the second Kenya comes from the cache
        outlines = svg.xpath(".//*[local-name()='path'][@class='selected-outline']/@d")
        assert outlines == [kenya.d if "KE" in path.upper() else
                            next(s.d for s in worldmap.atlas().shapes if s.code == "FR")]
    for path in ("/projects/", "/projects/?country=BR", "/projects/?country=%3Cb%3E"):
        svg, _, _ = _map(client, path)  # no filter, nothing counted there, or not a country
        assert not svg.xpath(".//*[local-name()='path'][@class='selected-outline']")


def test_shades_and_legend():
    assert [worldmap.shade(n) for n in (0, 1, 2, 4, 5, 9, 10, 24, 25, 1000)] == \
        [0, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_home_page_legend_and_number_of_countries(client, one_of_each):
    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    legend = lxml_html.fromstring(page).xpath('//ul[@class="worldmap-legend"]/li')
    assert [li.text_content().strip() for li in legend] == [
        "aucun", "1", "de 2 à 4", "de 5 à 9", "de 10 à 24", "25 ou plus"]
    assert re.search(r"<strong>2</strong> pays", page)  # the stats line reads the map's counts


def test_the_atlas_fits_its_view_box():
    world = worldmap.atlas()
    assert {"FR", "KE", "BR", "US", "RU", "FJ", "NZ"} <= world.codes
    assert "AQ" not in world.codes  # Antarctica is left out
    assert sorted(s.name for s in world.shapes if s.code is None) == [
        "Kosovo", "N. Cyprus", "Somaliland"]
    for shape in world.shapes:
        for ring in re.findall(r"M([^z]+)z", shape.d):
            start, _, moves = ring.partition("l")
            x, y = map(float, re.findall(r"-?[\d.]+", start))
            numbers = [float(n) for n in re.findall(r"-?[\d.]+", moves)]
            for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
                x, y = x + dx, y + dy
                assert -0.5 <= x <= world.width + 0.5 and -0.5 <= y <= world.height + 0.5, \
                    shape.name


def _group_bys(client, path: str) -> int:
    with QueryCounter() as q:
        assert client.get(path).status_code == 200
    return sum(1 for s in q.statements if "GROUP BY" in s and "country" in s)


def test_counts_are_cached_until_a_commit_changes_them(app, client, make_practice, make_user):
    owner = make_user()
    make_practice(owner=owner, countries=["FR"])
    assert _group_bys(client, "/practices/") == 1
    assert _group_bys(client, "/practices/") == 0  # the counts and the drawn map are kept
    assert _group_bys(client, "/") == 0  # the home page shares the practices' counts
    make_practice(owner=owner, countries=["KE"])  # a commit here: counted again at once
    assert _group_bys(client, "/practices/") == 1
    _, links, _ = _map(client, "/practices/")
    assert set(links) == {"France: 1 practice", "Kenya: 1 practice"}


def test_a_change_made_elsewhere_shows_after_the_cache_time(app, client, make_practice):
    from sqlalchemy import update

    from marketplace.extensions import db
    from marketplace.knowledge.models import Practice

    make_practice(countries=["FR"])
    assert "France: 1 practice" in _map(client, "/practices/")[1]
    with app.app_context():  # another process's change: not seen by this one's session
        db.session.execute(update(Practice).values(status="draft"))
        db.session.commit()
    assert "France: 1 practice" in _map(client, "/practices/")[1]  # cached
    app.config["WORLDMAP_CACHE_SECONDS"] = 0
    app.extensions.pop("worldmap")  # as if the 60 s had passed
    assert _map(client, "/practices/") is None


def test_a_country_too_small_for_the_map_is_in_the_table(client, make_case_study):
    make_case_study(country="SG", title="Singapore case")
    make_case_study(country="KE")
    svg, links, rows = _map(client, "/cases/")
    assert list(links) == ["Kenya: 1 case study"]  # 110m has no Singapore
    assert ("Singapore", "1", "/cases/?country=SG") in rows
    assert "1 of them is too small to show at this scale" in svg.xpath(
        "string(*[local-name()='desc'])")
    assert "Singapore case" in client.get("/cases/?country=SG").get_data(as_text=True)


def test_the_practice_map_and_its_table_follow_the_list_filters(client, make_practice, make_user):
    """Tester's report minor 5: ?theme=anti-corruption counted every practice."""
    owner = make_user()
    make_practice(owner=owner, countries=["KE"], themes=["anti-corruption"])
    make_practice(owner=owner, countries=["KE", "SN"], themes=["anti-corruption"], language="fr")
    make_practice(owner=owner, countries=["BR"], themes=["health"])
    make_practice(owner=owner, countries=["JP"], themes=["anti-corruption"], status="draft")
    _, links, rows = _map(client, "/practices/")
    assert set(links) == {"Kenya: 2 practices", "Senegal: 1 practice", "Brazil: 1 practice"}
    _, links, rows = _map(client, "/practices/?theme=anti-corruption")
    assert links == {"Kenya: 2 practices": "/practices/?theme=anti-corruption&country=KE",
                     "Senegal: 1 practice": "/practices/?theme=anti-corruption&country=SN"}
    assert [(name, count) for name, count, _ in rows] == [("Kenya", "2"), ("Senegal", "1")]
    _, links, _ = _map(client, "/practices/?theme=anti-corruption&language=fr")
    assert set(links) == {"Kenya: 1 practice", "Senegal: 1 practice"}
    _, links, _ = _map(client, "/practices/?country=SN")  # the practices listed, by all their countries
    assert set(links) == {"Kenya: 1 practice", "Senegal: 1 practice"}
    assert _map(client, "/practices/?theme=health&country=KE") is None  # nothing listed, no map
    # The unfiltered map is still the cached one.
    _, links, _ = _map(client, "/practices/?sort=endorsed")
    assert set(links) == {"Kenya: 2 practices", "Senegal: 1 practice", "Brazil: 1 practice"}
