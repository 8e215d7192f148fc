"""The home page shows new practices, projects to fund and communities — never drafts or private ones."""


def test_home_showcases_public_content_only(client, make_practice, make_project, make_community):
    make_practice(title="Citizen budget hearings")
    make_practice(title="Unfinished draft idea", status="draft")
    make_project(state="open", title="School budgets in 40 counties")
    make_project(state="draft", title="Not approved yet")
    make_community(name="Budget practitioners")
    make_community(name="Closed roundtable", private=True)
    page = client.get("/").get_data(as_text=True)
    for shown in ("Citizen budget hearings", "School budgets in 40 counties", "Budget practitioners"):
        assert shown in page
    for hidden in ("Unfinished draft idea", "Not approved yet", "Closed roundtable"):
        assert hidden not in page
