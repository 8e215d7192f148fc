"""Issue 11, acceptance 2: every list page with two pages of data, and page numbers out of range
(`0`, `-1`, `abc`, 20 digits), answers 200 or 404, never 500. On main, /mentoring/experts and
/projects/ failed as soon as there was a second page (the templates rebound `_`)."""

from marketplace.accounts.models import OrganizationType, UserExpertise
from marketplace.accounts.services import create_organization
from marketplace.extensions import db

BAD_PAGES = ("0", "-1", "abc", "99999999999999999999", "²")
LIST_PAGES = ("/practices/", "/projects/", "/mentoring/experts", "/communities/", "/cases/",
              "/organizations/", "/admin/users", "/admin/audit", "/search?q=budget", "/notifications/")


def _two_pages_of_everything(make_user, make_practice, make_open_project, make_community,
                             make_case_study):
    admin = make_user(name="Admin", roles=["admin"])
    for n in range(51):
        user = make_user(name=f"Expert {n}", country="KE")
        user.expertise = [UserExpertise(tag="budget")]
        if n < 31:
            create_organization(user, name=f"Budget office {n}", type=OrganizationType.NGO.value, country="KE")
    db.session.commit()
    for n in range(21):
        make_practice(title=f"Budget practice {n}", owner=admin)
        make_open_project(title=f"Budget project {n}")
        make_community(name=f"Budget community {n}")
        make_case_study(title=f"Budget case {n}", owner=admin)
    return admin


def test_every_list_page_has_a_second_page_and_survives_bad_page_numbers(
        client, auth, make_user, make_practice, make_open_project, make_community, make_case_study, indexed):
    admin = _two_pages_of_everything(make_user, make_practice, make_open_project, make_community,
                                     make_case_study)
    indexed()
    auth.login(admin.email)
    answers = {}
    for path in LIST_PAGES:
        joiner = "&" if "?" in path else "?"
        first = client.get(path).get_data(as_text=True)
        answers[(path, "next link")] = 'rel="next"' in first or path in ("/notifications/", "/admin/audit")
        for page in ("2", *BAD_PAGES):
            answers[(path, page)] = client.get(f"{path}{joiner}page={page}").status_code
    broken = {k: v for k, v in answers.items() if v is False or (v is not True and v not in (200, 404))}
    assert broken == {}
    assert all(answers[(path, "2")] == 200 for path in LIST_PAGES)
