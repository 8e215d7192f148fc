"""The practice and case-study lists filter by UN M49 region (country_converter), named in the
reader's language."""

import pytest


@pytest.mark.parametrize("lang,east", [("en", "Eastern Africa"), ("fr", "Afrique orientale"),
                                       ("es", "África oriental")])
def test_practice_list_filters_by_region(client, make_practice, lang, east):
    make_practice(title="Ward assemblies of Nairobi", countries=["KE"])
    make_practice(title="Village councils of Tanzania", countries=["TZ", "FR"])
    make_practice(title="Neighbourhood councils of Lyon", countries=["FR"])
    client.set_cookie("lang", lang)
    page = client.get("/practices/").get_data(as_text=True)
    assert f'<option value="014">{east}</option>' in page
    page = client.get("/practices/?region=014").get_data(as_text=True)
    assert "Nairobi" in page and "Tanzania" in page and "Lyon" not in page
    assert f'<option value="014" selected>{east}</option>' in page
    assert client.get("/practices/?region=nowhere").status_code == 200


@pytest.mark.parametrize("lang,west", [("en", "Western Europe"), ("fr", "Europe de l’Ouest"),
                                       ("es", "Europa occidental")])
def test_case_list_filters_by_region(client, make_case_study, lang, west):
    make_case_study(title="Budget hearings in Kisumu", country="KE")
    make_case_study(title="Citizen panels in Lyon", country="FR")
    client.set_cookie("lang", lang)
    page = client.get("/cases/?region=155").get_data(as_text=True)
    assert "Lyon" in page and "Kisumu" not in page
    assert f'<option value="155" selected>{west}</option>' in page
    assert client.get("/cases/?region=%3Cx%3E").status_code == 200
